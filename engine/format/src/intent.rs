//! `stream.intent` (docs/formats/stream-intent.md): a rewrite of the stream's blocks (truncate,
//! purge, compact, or a secure erase's in-place overwrite) that is under way. The store writes it atomically before the first change
//! to a block file and removes it after the last; an open that finds it finishes the rewrite
//! before anything else, so a crash leaves the stream as it was before or after the operation,
//! never in between.

use crate::layout::{CRC_SIZE, FORMAT_VERSION, intent as L};
use crate::wire::{checked_body, push_crc, to_u32};
use crate::{Error, Result};

/// Bound on the removed ranges an intent lists (16 bytes each: 256 MiB).
pub const REMOVED_RANGES_MAX: usize = 1 << 24;

/// Which rewrite is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentKind {
    /// Everything above `seq` goes; `removed` lists the removed sequences at or below it whose
    /// tombstones the cut may drop, written again after the cut.
    Truncate,
    /// Every block below `block` goes; block `block` starts with a marker at `seq`.
    Reset,
    /// Every message below `seq` goes.
    Compact,
    /// The record of `seq` at `record_offset` in block `block` is being overwritten in place
    /// (secure erase, after its tombstone is durable): an open redoes the overwrite, so a
    /// torn overwrite never reads as damage.
    Erase,
}

impl IntentKind {
    fn to_byte(self) -> u8 {
        match self {
            Self::Truncate => 1,
            Self::Reset => 2,
            Self::Compact => 3,
            Self::Erase => 4,
        }
    }

    fn from_byte(value: u8) -> Result<Self> {
        match value {
            1 => Ok(Self::Truncate),
            2 => Ok(Self::Reset),
            3 => Ok(Self::Compact),
            4 => Ok(Self::Erase),
            other => Err(Error::Unknown {
                what: "intent kind",
                value: u64::from(other),
            }),
        }
    }
}

/// A decoded `stream.intent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub kind: IntentKind,
    /// Truncate: the new `last_seq`. Reset: the marker's sequence (0: none). Compact: the
    /// first sequence kept.
    pub seq: u64,
    /// Timestamp (ns) of the marker the rewrite ends with.
    pub ts_ns: u64,
    /// Reset: the index of the block that replaces every earlier one. Erase: the block holding
    /// the record. Otherwise 0.
    pub block: u32,
    /// Erase: the record's byte offset in `block`. Otherwise 0.
    pub record_offset: u32,
    /// Truncate: inclusive ranges of removed sequences `<= seq`. Otherwise empty.
    pub removed: Vec<(u64, u64)>,
}

impl Intent {
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        if self.removed.len() > REMOVED_RANGES_MAX {
            return Err(Error::Limit {
                what: "removed ranges in stream.intent",
                max: REMOVED_RANGES_MAX as u64,
            });
        }
        let start = out.len();
        out.extend_from_slice(&L::MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.push(self.kind.to_byte());
        out.push(0);
        out.extend_from_slice(&self.block.to_le_bytes());
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.ts_ns.to_le_bytes());
        let count = to_u32(self.removed.len(), "removed ranges in stream.intent")?;
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&self.record_offset.to_le_bytes());
        assert_eq!(out.len() - start, L::FIXED_SIZE);
        for &(first, last) in &self.removed {
            assert!(
                first <= last && last <= self.seq,
                "a removed range below the cut"
            );
            out.extend_from_slice(&first.to_le_bytes());
            out.extend_from_slice(&last.to_le_bytes());
        }
        push_crc(out, start);
        Ok(())
    }

    pub fn decode(buf: &[u8]) -> Result<Self> {
        let r = checked_body(
            buf,
            L::MAGIC,
            L::FIXED_SIZE,
            L::VERSION_OFFSET,
            "bad stream.intent magic",
        )?;
        let count = r.u32(L::RANGE_COUNT_OFFSET)? as usize;
        let body_len = buf.len().saturating_sub(CRC_SIZE);
        let expected = count
            .checked_mul(L::RANGE_SIZE)
            .and_then(|bytes| bytes.checked_add(L::FIXED_SIZE));
        if count > REMOVED_RANGES_MAX || expected != Some(body_len) {
            return Err(Error::Corrupt {
                offset: L::RANGE_COUNT_OFFSET as u64,
                reason: "stream.intent range count does not match its length",
            });
        }
        let seq = r.u64(L::SEQ_OFFSET)?;
        let mut removed = Vec::with_capacity(count);
        for at in (0..count).map(|i| L::FIXED_SIZE + i * L::RANGE_SIZE) {
            let (first, last) = (r.u64(at)?, r.u64(at + 8)?);
            if first > last || last > seq {
                return Err(Error::Corrupt {
                    offset: at as u64,
                    reason: "stream.intent removed range out of order",
                });
            }
            removed.push((first, last));
        }
        Ok(Self {
            kind: IntentKind::from_byte(r.u8(L::KIND_OFFSET)?)?,
            seq,
            ts_ns: r.u64(L::TS_OFFSET)?,
            block: r.u32(L::BLOCK_OFFSET)?,
            record_offset: r.u32(L::RECORD_OFFSET_OFFSET)?,
            removed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intent_roundtrip_and_every_flip_and_cut_detected() {
        let intent = Intent {
            kind: IntentKind::Truncate,
            seq: 80,
            ts_ns: 12345,
            block: 0,
            record_offset: 0,
            removed: vec![(2, 2), (5, 9), (70, 80)],
        };
        let mut buf = Vec::new();
        intent.encode(&mut buf).unwrap();
        assert_eq!(buf.len(), L::FIXED_SIZE + 3 * L::RANGE_SIZE + CRC_SIZE);
        assert_eq!(Intent::decode(&buf), Ok(intent));
        for bit in 0..buf.len() * 8 {
            let mut bad = buf.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(Intent::decode(&bad).is_err(), "bit {bit}");
        }
        for len in 0..buf.len() {
            assert!(Intent::decode(&buf[..len]).is_err(), "len {len}");
        }
        let reset = Intent {
            kind: IntentKind::Reset,
            seq: 0,
            ts_ns: 0,
            block: 9,
            record_offset: 0,
            removed: Vec::new(),
        };
        let mut buf = Vec::new();
        reset.encode(&mut buf).unwrap();
        assert_eq!(Intent::decode(&buf), Ok(reset));
        let erase = Intent {
            kind: IntentKind::Erase,
            seq: 42,
            ts_ns: 0,
            block: 3,
            record_offset: 7_000,
            removed: Vec::new(),
        };
        let mut buf = Vec::new();
        erase.encode(&mut buf).unwrap();
        assert_eq!(Intent::decode(&buf), Ok(erase));
    }
}
