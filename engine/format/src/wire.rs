//! Bounds-checked little-endian reads from untrusted byte slices and appends to a `Vec<u8>`.
//! Every read returns `Error::Truncated` instead of panicking, with the absolute file offset.

use crate::layout::{CRC_SIZE, FORMAT_VERSION};
use crate::{Error, Result};

/// Reads fixed-width integers at absolute positions of a slice. `base` is the file offset of
/// `buf[0]` so errors name the position in the file, not in the slice.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) base: u64,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], base: u64) -> Self {
        Self { buf, base }
    }

    pub(crate) fn bytes(&self, at: usize, len: usize) -> Result<&'a [u8]> {
        let end = at.checked_add(len).ok_or(Error::Corrupt {
            offset: self.base,
            reason: "length overflows",
        })?;
        self.buf.get(at..end).ok_or_else(|| Error::Truncated {
            offset: self.base.saturating_add(self.buf.len() as u64),
            needed: (end as u64).saturating_sub(self.buf.len() as u64),
        })
    }

    pub(crate) fn array<const N: usize>(&self, at: usize) -> Result<[u8; N]> {
        let slice = self.bytes(at, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    pub(crate) fn u8(&self, at: usize) -> Result<u8> {
        Ok(self.array::<1>(at)?[0])
    }

    pub(crate) fn u16(&self, at: usize) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(at)?))
    }

    pub(crate) fn u32(&self, at: usize) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(at)?))
    }

    pub(crate) fn u64(&self, at: usize) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(at)?))
    }

    pub(crate) fn i64(&self, at: usize) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array(at)?))
    }

    /// Absolute file offset of position `at`.
    pub(crate) fn offset(&self, at: usize) -> u64 {
        self.base.saturating_add(at as u64)
    }
}

/// Checks the crc32 stored at `crc_at` against the crc of `buf[..crc_at]`.
pub(crate) fn check_crc(reader: &Reader<'_>, crc_at: usize) -> Result<()> {
    let expected = reader.u32(crc_at)?;
    let got = crc32fast::hash(reader.bytes(0, crc_at)?);
    if expected != got {
        return Err(Error::Checksum {
            expected,
            got,
            offset: reader.offset(crc_at),
        });
    }
    Ok(())
}

/// The checked envelope of a whole checkpoint-style file (`stream.state`, consumer state):
/// at least `fixed_size` bytes plus a trailing crc32, an 8-byte `magic` first, the crc over
/// everything before it, and a u16 format version at `version_offset`. Returns the body (the
/// file without its crc), checked in that order so no count inside is trusted before the crc.
pub(crate) fn checked_body<'a>(
    buf: &'a [u8],
    magic: [u8; 8],
    fixed_size: usize,
    version_offset: usize,
    bad_magic: &'static str,
) -> Result<Reader<'a>> {
    let reader = Reader::new(buf, 0);
    reader.bytes(0, fixed_size.saturating_add(CRC_SIZE))?;
    if reader.array::<8>(0)? != magic {
        return Err(Error::Corrupt {
            offset: 0,
            reason: bad_magic,
        });
    }
    let body_len = buf.len().saturating_sub(CRC_SIZE);
    check_crc(&reader, body_len)?;
    let version = reader.u16(version_offset)?;
    if version != FORMAT_VERSION {
        return Err(Error::Version {
            got: version,
            supported: FORMAT_VERSION,
        });
    }
    Ok(Reader::new(buf.get(..body_len).unwrap_or_default(), 0))
}

/// Overwrites `out[at..at + bytes.len()]`; the caller reserved those bytes itself, so a miss is
/// a bug in this crate, reported as `Corrupt` rather than a panic.
pub(crate) fn put(out: &mut [u8], at: usize, bytes: &[u8]) -> Result<()> {
    let end = at.saturating_add(bytes.len());
    let dst = out.get_mut(at..end).ok_or(Error::Corrupt {
        offset: at as u64,
        reason: "internal: write outside reserved header",
    })?;
    dst.copy_from_slice(bytes);
    Ok(())
}

/// Appends the crc32 of `out[start..]` to `out`.
pub(crate) fn push_crc(out: &mut Vec<u8>, start: usize) {
    let crc = crc32fast::hash(out.get(start..).unwrap_or_default());
    out.extend_from_slice(&crc.to_le_bytes());
}

/// Converts a count to `u32`, reporting `Limit` when it does not fit.
pub(crate) fn to_u32(value: usize, what: &'static str) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::Limit {
        what,
        max: u64::from(u32::MAX),
    })
}
