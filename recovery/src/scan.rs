//! The sans-IO block scanner: verifies every record of one block's bytes, hands each intact
//! record to a visitor (borrowed, no copy), and reports damaged regions according to the
//! [`RecoveryMode`]. The store feeds it bytes read through its own I/O trait; the offline
//! tool feeds it file contents. Works on any input without panicking.

use std::path::Path;

use natrium_format::layout::block::HEADER_SIZE;
use natrium_format::{BlockHeader, Limits, RecordCipher, RecordView, StreamKey};

use crate::{Error, RecoveryMode, Result};

/// Default bound on how far salvage searches for the next valid record after damage.
pub const RESYNC_BYTES_MAX_DEFAULT: u64 = 256 * 1024 * 1024;

/// How to scan one block.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions<'a> {
    pub mode: RecoveryMode,
    pub limits: Limits,
    /// Only the last block of a stream may have a torn tail.
    pub last_block: bool,
    /// Salvage gives up resynchronising after this many bytes; the rest counts as damaged.
    pub resync_bytes_max: u64,
    /// Names the file in errors; the scanner does no I/O with it.
    pub file: &'a Path,
    /// The stream key of an encrypted stream: headers and records are authenticated, and
    /// whatever fails is damage (docs/formats/block.md). `None`: crc checks only.
    pub auth: Option<Auth<'a>>,
}

/// What authenticating a block of an encrypted stream needs.
#[derive(Debug, Clone, Copy)]
pub struct Auth<'a> {
    pub key: &'a StreamKey,
    pub cipher: &'a RecordCipher,
    /// Accept a block written before headers were authenticated (flag clear), with its
    /// unsealed tombstones. The store allows it only until it has seen an authenticated block.
    pub legacy_blocks: bool,
}

impl<'a> ScanOptions<'a> {
    pub fn new(mode: RecoveryMode, file: &'a Path, last_block: bool) -> Self {
        Self {
            mode,
            limits: Limits::default(),
            last_block,
            resync_bytes_max: RESYNC_BYTES_MAX_DEFAULT,
            file,
            auth: None,
        }
    }
}

/// A damaged byte range `start..end` of a block and what was wrong at `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub start: u64,
    pub end: u64,
    pub error: natrium_format::Error,
    /// Sequences of the intact records around the damage: anything strictly between them
    /// (when both are known) may have been lost.
    pub seq_before: Option<u64>,
    pub seq_after: Option<u64>,
}

/// What a scan found in one block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockScan {
    /// `None` when the header itself was damaged or torn.
    pub header: Option<BlockHeader>,
    pub len: u64,
    /// Intact records handed to the visitor.
    pub records: u32,
    /// End of the last intact record (or of the header): where appends may resume.
    pub valid_end: u64,
    /// Damaged regions skipped by `Salvage`.
    pub damaged: Vec<Damage>,
    /// Unfinished tail of the last block dropped by `TruncateTornTail` (or reported by
    /// `Salvage` when nothing valid follows), as `start..end`.
    pub torn_tail: Option<(u64, u64)>,
}

impl BlockScan {
    /// True when every byte verified.
    pub fn is_clean(&self) -> bool {
        self.header.is_some() && self.damaged.is_empty() && self.torn_tail.is_none()
    }
}

/// Scans `bytes` (a whole block file) and calls `visit` for each intact record in order.
pub fn scan_block<'b>(
    bytes: &'b [u8],
    options: &ScanOptions<'_>,
    mut visit: impl FnMut(&RecordView<'b>),
) -> Result<BlockScan> {
    let len = bytes.len() as u64;
    let mut scan = BlockScan {
        len,
        ..BlockScan::default()
    };
    let mut pos = HEADER_SIZE;
    let mut scratch = Vec::new();
    let header = BlockHeader::decode(bytes).and_then(|header| authenticate_header(header, options));
    // Unsealed tombstones are tolerated only in a legacy block of an encrypted stream.
    let legacy = header
        .as_ref()
        .is_ok_and(|header| !header.is_authenticated());
    match header {
        Ok(header) => scan.header = Some(header),
        Err(error) => {
            let torn = matches!(error, natrium_format::Error::Truncated { .. });
            if torn && options.last_block && options.mode != RecoveryMode::Strict {
                scan.torn_tail = Some((0, len));
                return Ok(scan);
            }
            if options.mode != RecoveryMode::Salvage {
                return Err(corrupt(options, 0, error));
            }
            pos = resync(bytes, 0, options).unwrap_or(bytes.len());
            push_damage(&mut scan, 0, pos, error, None, bytes, options);
        }
    }
    scan.valid_end = pos.min(bytes.len()) as u64;
    let mut seq_before = None;
    while let Some(rest) = bytes.get(pos..).filter(|rest| !rest.is_empty()) {
        match decode_record(rest, pos as u64, options, legacy, &mut scratch) {
            Ok(view) => {
                visit(&view);
                seq_before = Some(view.seq);
                scan.records = scan.records.saturating_add(1);
                pos += view.bytes.len();
                scan.valid_end = pos as u64;
            }
            Err(error) => {
                let next = match options.mode {
                    RecoveryMode::Strict => return Err(corrupt(options, pos as u64, error)),
                    RecoveryMode::TruncateTornTail if !options.last_block => {
                        return Err(corrupt(options, pos as u64, error));
                    }
                    _ => resync(bytes, pos + 1, options),
                };
                match next {
                    Some(next) if options.mode == RecoveryMode::Salvage => {
                        push_damage(&mut scan, pos, next, error, seq_before, bytes, options);
                        pos = next;
                    }
                    Some(_) => return Err(corrupt(options, pos as u64, error)),
                    None => {
                        scan.torn_tail = Some((pos as u64, len));
                        break;
                    }
                }
            }
        }
    }
    Ok(scan)
}

/// With a key: the header must carry a valid MAC (or be a tolerated legacy header) and name
/// the stream's cipher.
fn authenticate_header(
    header: BlockHeader,
    options: &ScanOptions<'_>,
) -> natrium_format::Result<BlockHeader> {
    let Some(auth) = options.auth else {
        return Ok(header);
    };
    if header.cipher != auth.cipher.kind() {
        return Err(natrium_format::Error::Corrupt {
            offset: natrium_format::layout::block::CIPHER_OFFSET as u64,
            reason: "block cipher differs from the stream's",
        });
    }
    if header.is_authenticated() || !auth.legacy_blocks {
        header.verify(auth.key)?;
    }
    Ok(header)
}

/// Decodes one record and, with a key, authenticates it: damage unless sealed with the key
/// (a legacy block's plaintext tombstones excepted).
fn decode_record<'b>(
    rest: &'b [u8],
    offset: u64,
    options: &ScanOptions<'_>,
    legacy: bool,
    scratch: &mut Vec<u8>,
) -> natrium_format::Result<RecordView<'b>> {
    let view = RecordView::decode(rest, offset, &options.limits)?;
    match options.auth {
        Some(_) if legacy && view.is_tombstone() && !view.flags.encrypted() => Ok(view),
        Some(auth) => view.authenticate(auth.cipher, scratch).map(|()| view),
        None => Ok(view),
    }
}

fn push_damage(
    scan: &mut BlockScan,
    start: usize,
    end: usize,
    error: natrium_format::Error,
    seq_before: Option<u64>,
    bytes: &[u8],
    options: &ScanOptions<'_>,
) {
    let seq_after = bytes
        .get(end..)
        .and_then(|rest| RecordView::decode(rest, end as u64, &options.limits).ok())
        .map(|view| view.seq);
    scan.damaged.push(Damage {
        start: start as u64,
        end: end as u64,
        error,
        seq_before,
        seq_after,
    });
}

/// The first offset in `from..` (within the resync bound) where a record verifies.
fn resync(bytes: &[u8], from: usize, options: &ScanOptions<'_>) -> Option<usize> {
    let bound = usize::try_from(options.resync_bytes_max).unwrap_or(usize::MAX);
    let stop = bytes.len().min(from.saturating_add(bound));
    // Each candidate costs one 36-byte header crc unless it passes, so this is O(bytes * 36).
    (from..stop).find(|&at| {
        bytes
            .get(at..)
            .is_some_and(|rest| RecordView::decode(rest, at as u64, &options.limits).is_ok())
    })
}

/// `offset` is where the damaged record starts; `source` names the exact field.
fn corrupt(options: &ScanOptions<'_>, offset: u64, cause: natrium_format::Error) -> Error {
    Error::Corrupt {
        file: options.file.to_path_buf(),
        offset,
        cause,
    }
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
