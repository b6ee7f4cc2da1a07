//! On-demand scrub: reads every sealed block back and checks every record the way a full
//! open would (crc, and for an encrypted stream the header MAC and each record's tag), without
//! changing anything. An open that trusts a checkpoint checks sealed blocks by length only, so
//! a bit flip in a sealed block would otherwise surface only when that record is read; a scrub
//! (or `natrium-blk verify`) finds it before. What to do with damage is the operator's call:
//! `natrium-blk recover --salvage` sets it aside (docs/durability.md).

use natrium_format::names::block_path;
use natrium_recovery::RecoveryMode;
use natrium_recovery::scan::{Auth, ScanOptions, scan_block};

use super::{FileStore, io_error};
use crate::Result;
use crate::io::read_all;

/// One damaged range a scrub found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrubDamage {
    pub block: u32,
    /// Byte range in the block file.
    pub start: u64,
    pub end: u64,
    pub reason: String,
}

/// What a scrub read and found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScrubReport {
    /// Sealed blocks read.
    pub blocks: u32,
    /// Intact records in them (messages and tombstones).
    pub records: u64,
    pub bytes: u64,
    pub damaged: Vec<ScrubDamage>,
}

impl ScrubReport {
    /// True when every byte of every sealed block verified.
    pub fn is_clean(&self) -> bool {
        self.damaged.is_empty()
    }
}

impl FileStore {
    /// Reads every sealed block (all but the active one, which the writer owns) and verifies
    /// every record. Damage is reported (the caller logs it) and left in place.
    pub fn scrub(&mut self) -> Result<ScrubReport> {
        let sealed: Vec<u32> = match self.blocks.split_last() {
            Some((_, sealed)) => sealed.iter().map(|block| block.index).collect(),
            None => Vec::new(),
        };
        let bytes_max = self
            .options
            .block_bytes_max
            .saturating_add(u64::from(self.options.record_limits.record_len_max));
        let mut report = ScrubReport::default();
        for index in sealed {
            let path = block_path(&self.dir, index);
            let bytes = read_all(self.storage.as_ref(), &path, bytes_max)
                .map_err(|source| io_error("read", &path, source))?;
            // Salvage lists every damaged range instead of stopping at the first; nothing is
            // written, the scanner only reads `bytes`.
            let mut options = ScanOptions::new(RecoveryMode::Salvage, &path, false);
            options.limits = self.options.record_limits;
            options.auth = match (&self.key, &self.cipher) {
                (Some(key), Some(cipher)) => Some(Auth {
                    key,
                    cipher,
                    legacy_blocks: self.legacy_blocks,
                }),
                _ => None,
            };
            let scan = scan_block(&bytes, &options, |_| {}).map_err(super::scan::recovery_error)?;
            report.blocks += 1;
            report.records += u64::from(scan.records);
            report.bytes += scan.len;
            for damage in &scan.damaged {
                report.damaged.push(ScrubDamage {
                    block: index,
                    start: damage.start,
                    end: damage.end,
                    reason: damage.error.to_string(),
                });
            }
            if let Some((start, end)) = scan.torn_tail {
                report.damaged.push(ScrubDamage {
                    block: index,
                    start,
                    end,
                    reason: "a sealed block ends inside a record".to_owned(),
                });
            }
        }
        Ok(report)
    }
}
