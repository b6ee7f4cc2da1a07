//! The record codec (docs/formats/record.md): one message or tombstone inside a block.
//!
//! Encoding appends to the caller's `Vec<u8>` (reusing its capacity, no temporary buffers):
//! the body is written in place, compressed into the vector's tail and moved back when that is
//! smaller, then sealed in place. Decoding borrows a [`RecordView`] from the block bytes; the
//! body is only decompressed/decrypted on request into a caller-owned scratch vector.

use crate::cipher::RecordCipher;
use crate::layout::{CRC_SIZE, record as L};
use crate::wire::{Reader, check_crc, push_crc, put};
use crate::{Error, Result};

/// Default largest subject: the u16 length field's range.
pub const SUBJECT_LEN_MAX_DEFAULT: u32 = u16::MAX as u32;
/// Default largest header block and payload: the Go server's max_payload ceiling (64 MiB).
pub const HEADERS_LEN_MAX_DEFAULT: u32 = 64 * 1024 * 1024;
/// Default largest record: a 64 MiB payload plus subject, header and AEAD overhead.
pub const RECORD_LEN_MAX_DEFAULT: u32 = 72 * 1024 * 1024;

/// Bytes a message accounts for in stream and block totals: the size of its record with a
/// plain body (header + subject + headers + payload + crc), whatever compression or encryption
/// does to the stored size, so every store reports the same `bytes` for the same messages.
pub fn message_bytes(subject_len: usize, headers_len: u64, payload_len: u64) -> u64 {
    (L::MIN_SIZE + subject_len) as u64 + headers_len + payload_len
}

/// Size limits checked on encode and, before allocating anything, on decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub subject_len_max: u32,
    pub headers_len_max: u32,
    /// Bounds the whole stored record and, separately, the plaintext payload.
    pub record_len_max: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            subject_len_max: SUBJECT_LEN_MAX_DEFAULT,
            headers_len_max: HEADERS_LEN_MAX_DEFAULT,
            record_len_max: RECORD_LEN_MAX_DEFAULT,
        }
    }
}

/// Record flag bits (u16). Unknown bits make a record `Corrupt` (see the version rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordFlags(pub u16);

impl RecordFlags {
    /// The record deletes the message `seq`; it has no body.
    pub const TOMBSTONE: u16 = 1;
    /// The stored body is snappy (raw) compressed.
    pub const COMPRESSED: u16 = 1 << 1;
    /// The stored body is `nonce ‖ AEAD ciphertext ‖ tag`.
    pub const ENCRYPTED: u16 = 1 << 2;
    /// An 8-byte per-message TTL (u64 ns) follows the subject (messages only).
    pub const TTL: u16 = 1 << 3;
    pub const KNOWN: u16 = Self::TOMBSTONE | Self::COMPRESSED | Self::ENCRYPTED | Self::TTL;

    pub fn tombstone(self) -> bool {
        self.0 & Self::TOMBSTONE != 0
    }
    pub fn compressed(self) -> bool {
        self.0 & Self::COMPRESSED != 0
    }
    pub fn encrypted(self) -> bool {
        self.0 & Self::ENCRYPTED != 0
    }
    pub fn ttl(self) -> bool {
        self.0 & Self::TTL != 0
    }
    /// Bytes between the subject and the stored body.
    fn ttl_len(self) -> usize {
        if self.ttl() { L::TTL_SIZE } else { 0 }
    }
}

/// One record to encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordInput<'a> {
    pub seq: u64,
    pub timestamp_ns: i64,
    pub subject: &'a [u8],
    pub headers: &'a [u8],
    pub payload: &'a [u8],
    pub tombstone: bool,
    /// The message's own time to live in ns (stored with the TTL flag so a crash cannot lose
    /// it); `None` for messages under the stream's limits only, and always for tombstones.
    pub ttl_ns: Option<u64>,
}

impl<'a> RecordInput<'a> {
    pub fn message(
        seq: u64,
        timestamp_ns: i64,
        subject: &'a [u8],
        headers: &'a [u8],
        payload: &'a [u8],
    ) -> Self {
        Self {
            seq,
            timestamp_ns,
            subject,
            headers,
            payload,
            tombstone: false,
            ttl_ns: None,
        }
    }

    /// The same record carrying the per-message TTL `ttl_ns`.
    pub fn with_ttl_ns(self, ttl_ns: Option<u64>) -> Self {
        Self { ttl_ns, ..self }
    }

    /// A tombstone deleting `seq` at `timestamp_ns`; `subject` may be empty.
    pub fn tombstone(seq: u64, timestamp_ns: i64, subject: &'a [u8]) -> Self {
        Self {
            seq,
            timestamp_ns,
            subject,
            headers: &[],
            payload: &[],
            tombstone: true,
            ttl_ns: None,
        }
    }
}

/// Encodes records; keeps the snappy encoder's hash table between calls.
pub struct RecordEncoder {
    limits: Limits,
    compress: bool,
    snappy: snap::raw::Encoder,
}

impl RecordEncoder {
    /// `compress`: try snappy on every body and keep it when smaller.
    pub fn new(limits: Limits, compress: bool) -> Self {
        Self {
            limits,
            compress,
            snappy: snap::raw::Encoder::new(),
        }
    }

    /// Appends one record to `out` and returns its length. `seal` is the stream cipher and a
    /// fresh nonce ([`crate::cipher::random_nonce`]). On error `out` is left as it was.
    pub fn encode(
        &mut self,
        input: &RecordInput<'_>,
        seal: Option<(&RecordCipher, [u8; L::NONCE_SIZE])>,
        out: &mut Vec<u8>,
    ) -> Result<u32> {
        let start = out.len();
        let result = self.encode_inner(input, seal, out, start);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn check_limits(&self, input: &RecordInput<'_>, sealed: bool) -> Result<()> {
        let limit = |what, max: u32| Error::Limit {
            what,
            max: u64::from(max),
        };
        let subject_max = self.limits.subject_len_max.min(SUBJECT_LEN_MAX_DEFAULT);
        if input.subject.len() as u64 > u64::from(subject_max) {
            return Err(limit("subject length", subject_max));
        }
        if input.headers.len() as u64 > u64::from(self.limits.headers_len_max) {
            return Err(limit("headers length", self.limits.headers_len_max));
        }
        let aead = if sealed {
            L::NONCE_SIZE + L::TAG_SIZE
        } else {
            0
        };
        let ttl = if input.ttl_ns.is_some() {
            L::TTL_SIZE
        } else {
            0
        };
        let worst = (L::MIN_SIZE + aead + ttl + input.subject.len()) as u64
            + input.headers.len() as u64
            + input.payload.len() as u64;
        if worst > u64::from(self.limits.record_len_max) {
            return Err(limit("record length", self.limits.record_len_max));
        }
        if input.tombstone
            && !(input.headers.is_empty() && input.payload.is_empty() && input.ttl_ns.is_none())
        {
            return Err(Error::Corrupt {
                offset: 0,
                reason: "a tombstone has no headers, payload or ttl",
            });
        }
        Ok(())
    }

    fn encode_inner(
        &mut self,
        input: &RecordInput<'_>,
        seal: Option<(&RecordCipher, [u8; L::NONCE_SIZE])>,
        out: &mut Vec<u8>,
        start: usize,
    ) -> Result<u32> {
        // A tombstone is sealed too (an empty body: nonce and tag only), so no one without the
        // key can write one that an authenticating reader accepts.
        self.check_limits(input, seal.is_some())?;
        let mut flags = if input.tombstone {
            RecordFlags::TOMBSTONE
        } else {
            0
        };
        out.extend_from_slice(&[0u8; L::HEADER_SIZE]);
        out.extend_from_slice(input.subject);
        if let Some(ttl_ns) = input.ttl_ns {
            flags |= RecordFlags::TTL;
            out.extend_from_slice(&ttl_ns.to_le_bytes());
        }
        if let Some((_, nonce)) = &seal {
            out.extend_from_slice(nonce);
        }
        let plain_start = out.len();
        out.extend_from_slice(input.headers);
        out.extend_from_slice(input.payload);
        if self.compress && !input.tombstone && self.compress_tail(out, plain_start)? {
            flags |= RecordFlags::COMPRESSED;
        }
        let tag_len = if seal.is_some() { L::TAG_SIZE } else { 0 };
        if seal.is_some() {
            flags |= RecordFlags::ENCRYPTED;
        }
        let total = out.len() - start + tag_len + CRC_SIZE;
        let total = u32::try_from(total).map_err(|_| Error::Limit {
            what: "record length",
            max: u64::from(self.limits.record_len_max),
        })?;
        write_header(out, start, total, flags, input)?;
        if let Some((cipher, nonce)) = &seal {
            let (head, body) = out.split_at_mut(plain_start);
            let aad_end =
                start + L::HEADER_SIZE + input.subject.len() + RecordFlags(flags).ttl_len();
            let aad = head.get(start..aad_end).unwrap_or_default();
            let tag = cipher.seal_in_place(nonce, aad, body)?;
            out.extend_from_slice(&tag);
        }
        push_crc(out, start);
        Ok(total)
    }

    /// Compresses `out[plain_start..]` in place when that makes it smaller; returns whether.
    fn compress_tail(&mut self, out: &mut Vec<u8>, plain_start: usize) -> Result<bool> {
        let plain_end = out.len();
        let plain_len = plain_end - plain_start;
        let bound = snap::raw::max_compress_len(plain_len);
        if plain_len == 0 || bound == 0 {
            return Ok(false);
        }
        out.resize(plain_end + bound, 0);
        let (head, tail) = out.split_at_mut(plain_end);
        let plain = head.get(plain_start..).unwrap_or_default();
        let compressed_len = self.snappy.compress(plain, tail).unwrap_or(usize::MAX);
        if compressed_len >= plain_len {
            out.truncate(plain_end);
            return Ok(false);
        }
        out.copy_within(plain_end..plain_end + compressed_len, plain_start);
        out.truncate(plain_start + compressed_len);
        Ok(true)
    }
}

fn write_header(
    out: &mut [u8],
    start: usize,
    total: u32,
    flags: u16,
    input: &RecordInput<'_>,
) -> Result<()> {
    // check_limits bounded the subject by a u16 limit and both body lengths by u32 limits.
    let subject_len = u16::try_from(input.subject.len()).expect("check_limits bounds subjects");
    let headers_len = u32::try_from(input.headers.len()).expect("check_limits bounds headers");
    let payload_len = u32::try_from(input.payload.len()).expect("check_limits bounds payloads");
    put(out, start + L::TOTAL_LEN_OFFSET, &total.to_le_bytes())?;
    put(out, start + L::FLAGS_OFFSET, &flags.to_le_bytes())?;
    put(
        out,
        start + L::SUBJECT_LEN_OFFSET,
        &subject_len.to_le_bytes(),
    )?;
    put(out, start + L::SEQ_OFFSET, &input.seq.to_le_bytes())?;
    put(
        out,
        start + L::TIMESTAMP_OFFSET,
        &input.timestamp_ns.to_le_bytes(),
    )?;
    put(
        out,
        start + L::HEADERS_LEN_OFFSET,
        &headers_len.to_le_bytes(),
    )?;
    put(
        out,
        start + L::PAYLOAD_LEN_OFFSET,
        &payload_len.to_le_bytes(),
    )?;
    let header = out
        .get(start..start + L::HEADER_CRC_OFFSET)
        .unwrap_or_default();
    let crc = crc32fast::hash(header);
    put(out, start + L::HEADER_CRC_OFFSET, &crc.to_le_bytes())
}

/// A verified record borrowed from block bytes. The crc has been checked; the body has not
/// been decrypted or decompressed (see [`RecordView::body`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// File offset of the record's first byte.
    pub offset: u64,
    /// Every byte of the record, length field to crc.
    pub bytes: &'a [u8],
    pub seq: u64,
    pub timestamp_ns: i64,
    pub flags: RecordFlags,
    pub subject: &'a [u8],
    /// The per-message TTL in ns when the record carries one (flag `TTL`).
    pub ttl_ns: Option<u64>,
    /// Plaintext lengths, before compression and encryption.
    pub headers_len: u32,
    pub payload_len: u32,
    /// The body as stored (possibly compressed and/or `nonce ‖ ciphertext ‖ tag`).
    pub stored_body: &'a [u8],
}

/// Plaintext headers and payload of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Body<'b> {
    pub headers: &'b [u8],
    pub payload: &'b [u8],
}

/// Reads the fixed header: fields whose crc verified, before trusting any length.
fn decode_header(r: &Reader<'_>, limits: &Limits) -> Result<(u32, u16, u16)> {
    r.bytes(0, L::HEADER_SIZE)?;
    check_crc(r, L::HEADER_CRC_OFFSET)?;
    let total = r.u32(L::TOTAL_LEN_OFFSET)?;
    let flags = r.u16(L::FLAGS_OFFSET)?;
    let subject_len = r.u16(L::SUBJECT_LEN_OFFSET)?;
    let corrupt = |at: usize, reason| Error::Corrupt {
        offset: r.offset(at),
        reason,
    };
    if (total as usize) < L::MIN_SIZE + usize::from(subject_len) + RecordFlags(flags).ttl_len() {
        return Err(corrupt(
            L::TOTAL_LEN_OFFSET,
            "record length below its minimum",
        ));
    }
    if flags & !RecordFlags::KNOWN != 0 {
        return Err(corrupt(L::FLAGS_OFFSET, "unknown record flags"));
    }
    let limit = |what, max: u32| Error::Limit {
        what,
        max: u64::from(max),
    };
    if total > limits.record_len_max {
        return Err(limit("record length", limits.record_len_max));
    }
    if u32::from(subject_len) > limits.subject_len_max {
        return Err(limit("subject length", limits.subject_len_max));
    }
    if r.u32(L::HEADERS_LEN_OFFSET)? > limits.headers_len_max {
        return Err(limit("headers length", limits.headers_len_max));
    }
    if r.u32(L::PAYLOAD_LEN_OFFSET)? > limits.record_len_max {
        return Err(limit("payload length", limits.record_len_max));
    }
    Ok((total, flags, subject_len))
}

/// The stored body length must agree with the flags and plaintext lengths.
fn check_body_shape(view: &RecordView<'_>) -> Result<()> {
    let plain = u64::from(view.headers_len) + u64::from(view.payload_len);
    let mut stored = view.stored_body.len() as u64;
    let f = view.flags;
    let ok = if f.tombstone() {
        let sealed_len = if f.encrypted() {
            (L::NONCE_SIZE + L::TAG_SIZE) as u64
        } else {
            0
        };
        stored == sealed_len && plain == 0 && !f.compressed() && !f.ttl()
    } else {
        let aead = (L::NONCE_SIZE + L::TAG_SIZE) as u64;
        let sealed_ok = !f.encrypted() || stored >= aead;
        if f.encrypted() {
            stored = stored.saturating_sub(aead);
        }
        // Compression is only kept when it made the body strictly smaller.
        let size_ok = if f.compressed() {
            stored < plain
        } else {
            stored == plain
        };
        sealed_ok && size_ok
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Corrupt {
            offset: view.offset,
            reason: "stored body length disagrees with flags and lengths",
        })
    }
}

impl<'a> RecordView<'a> {
    /// Decodes and verifies the record at the start of `buf`; `offset` is the file offset of
    /// `buf[0]`. Errors: `Truncated` (input ends inside the record), `Checksum` (header or
    /// record crc), `Limit`, `Corrupt`.
    pub fn decode(buf: &'a [u8], offset: u64, limits: &Limits) -> Result<Self> {
        let r = Reader::new(buf, offset);
        let (total, flags, subject_len) = decode_header(&r, limits)?;
        let total = total as usize;
        let bytes = r.bytes(0, total)?;
        let record = Reader::new(bytes, offset);
        check_crc(&record, total - CRC_SIZE)?;
        let flags = RecordFlags(flags);
        let subject_end = L::HEADER_SIZE + usize::from(subject_len);
        let body_start = subject_end + flags.ttl_len();
        let ttl_ns = if flags.ttl() {
            Some(record.u64(subject_end)?)
        } else {
            None
        };
        let view = Self {
            offset,
            bytes,
            seq: record.u64(L::SEQ_OFFSET)?,
            timestamp_ns: record.i64(L::TIMESTAMP_OFFSET)?,
            flags,
            subject: record.bytes(L::HEADER_SIZE, usize::from(subject_len))?,
            ttl_ns,
            headers_len: record.u32(L::HEADERS_LEN_OFFSET)?,
            payload_len: record.u32(L::PAYLOAD_LEN_OFFSET)?,
            stored_body: record.bytes(body_start, total - CRC_SIZE - body_start)?,
        };
        check_body_shape(&view)?;
        Ok(view)
    }

    /// Stored length of the record in bytes.
    pub fn len(&self) -> u32 {
        u32::try_from(self.bytes.len()).expect("decode bounds a record by record_len_max (a u32)")
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// [`message_bytes`] of this record.
    pub fn message_bytes(&self) -> u64 {
        message_bytes(
            self.subject.len(),
            u64::from(self.headers_len),
            u64::from(self.payload_len),
        )
    }

    pub fn is_tombstone(&self) -> bool {
        self.flags.tombstone()
    }

    /// The plaintext headers and payload. A plain body borrows from the block; a compressed or
    /// encrypted one is produced in `scratch` (cleared first, grown to the plaintext size).
    pub fn body<'b>(
        &'b self,
        cipher: Option<&RecordCipher>,
        scratch: &'b mut Vec<u8>,
    ) -> Result<Body<'b>> {
        let headers_len = self.headers_len as usize;
        let plain_len = headers_len + self.payload_len as usize;
        let plain: &'b [u8] = match (self.flags.encrypted(), self.flags.compressed()) {
            (false, false) => self.stored_body,
            (false, true) => {
                self.check_plain_len(self.stored_body, plain_len)?;
                scratch.clear();
                scratch.resize(plain_len, 0);
                self.decompress(self.stored_body, scratch)?;
                scratch
            }
            (true, compressed) => {
                let cipher = cipher.ok_or(Error::KeyRequired { seq: self.seq })?;
                self.open_into(cipher, scratch)?;
                if compressed {
                    // Decompress into the vector's tail, then move the plaintext to the front.
                    let sealed_len = scratch.len();
                    self.check_plain_len(scratch, plain_len)?;
                    scratch.resize(sealed_len + plain_len, 0);
                    let (src, dst) = scratch.split_at_mut(sealed_len);
                    self.decompress(src, dst)?;
                    scratch.copy_within(sealed_len.., 0);
                    scratch.truncate(plain_len);
                }
                scratch
            }
        };
        let (headers, payload) = plain.split_at_checked(headers_len).ok_or(Error::Corrupt {
            offset: self.offset,
            reason: "body shorter than its headers",
        })?;
        Ok(Body { headers, payload })
    }

    /// Checks that the record was sealed with `cipher`'s key: it must carry the encrypted flag
    /// and its tag must verify (the body is decrypted into `scratch` and left there).
    /// `Error::Authentication` otherwise, so a record written without the key is damage.
    pub fn authenticate(&self, cipher: &RecordCipher, scratch: &mut Vec<u8>) -> Result<()> {
        if !self.flags.encrypted() {
            return Err(Error::Authentication { seq: self.seq });
        }
        self.open_into(cipher, scratch)
    }

    /// Decrypts the stored body into `scratch` (which then holds the compressed or plain body).
    fn open_into(&self, cipher: &RecordCipher, scratch: &mut Vec<u8>) -> Result<()> {
        let r = Reader::new(self.stored_body, self.offset);
        let nonce: [u8; L::NONCE_SIZE] = r.array(0)?;
        let tag_at = self.stored_body.len().saturating_sub(L::TAG_SIZE);
        let tag: [u8; L::TAG_SIZE] = r.array(tag_at)?;
        let ciphertext = r.bytes(L::NONCE_SIZE, tag_at.saturating_sub(L::NONCE_SIZE))?;
        let aad_len = L::HEADER_SIZE + self.subject.len() + self.flags.ttl_len();
        let aad = self.bytes.get(..aad_len).unwrap_or_default();
        scratch.clear();
        scratch.extend_from_slice(ciphertext);
        cipher.open_in_place(self.seq, &nonce, aad, scratch, &tag)
    }

    /// Checks the length snappy announces against the header's plaintext lengths (already
    /// bounded by the limits) before anything is allocated for it.
    fn check_plain_len(&self, compressed: &[u8], plain_len: usize) -> Result<()> {
        match snap::raw::decompress_len(compressed) {
            Ok(len) if len == plain_len => Ok(()),
            _ => Err(Error::Decompress { seq: self.seq }),
        }
    }

    fn decompress(&self, compressed: &[u8], dst: &mut [u8]) -> Result<()> {
        match snap::raw::Decoder::new().decompress(compressed, dst) {
            Ok(written) if written == dst.len() => Ok(()),
            _ => Err(Error::Decompress { seq: self.seq }),
        }
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
