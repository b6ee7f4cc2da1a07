//! Salvaging the last block at open under the default `TruncateTornTail` mode.
//!
//! Only an unsynced torn tail may be cut: the damage that a crash leaves at the end of the
//! last block, with nothing intact after it. Damage followed by intact records is not a torn
//! tail (out-of-order writeback of unsynced pages, or a bit flip in fsynced bytes): cutting
//! there would drop acknowledged records and tombstones and reuse their sequences. So the
//! damaged ranges are copied to `quarantine/`, the sequences between the intact records around
//! them are reported in `state().lost`, and the block is rewritten atomically (temp file,
//! fsync, rename, directory fsync) with its header and every intact record, in order, so the
//! next open finds a clean block. A torn tail after the last intact record is kept in the
//! rewrite and handled by the scan that follows (cut, and quarantined when the checkpoint
//! says it was durable).

use natrium_format::layout::block::HEADER_SIZE as BLOCK_HEADER_SIZE;
use natrium_format::names::block_path;
use natrium_recovery::scan::{ScanOptions, scan_block};

use super::scan::quarantine;
use super::{FileStore, RecoveryMode, io_error};
use crate::Result;
use crate::io::write_atomic;

impl FileStore {
    /// Returns the bytes of block `index` to scan: `bytes` itself, or the rewritten block
    /// without its damaged ranges (see the module doc). `seq_floor` is the highest sequence
    /// of the blocks before it.
    pub(super) fn salvage_last_block(
        &mut self,
        index: u32,
        bytes: Vec<u8>,
        options: &ScanOptions<'_>,
        seq_floor: u64,
    ) -> Result<Vec<u8>> {
        assert_eq!(options.mode, RecoveryMode::TruncateTornTail);
        assert!(
            options.last_block,
            "only the last block may be salvaged at open"
        );
        let mut salvage = *options;
        salvage.mode = RecoveryMode::Salvage;
        let mut records: Vec<(usize, usize)> = Vec::new();
        let Ok(scan) = scan_block(&bytes, &salvage, |view| {
            records.push((view.offset as usize, view.bytes.len()));
        }) else {
            return Ok(bytes);
        };
        // A damaged header is left to the scanner's rules (it refuses the block).
        if scan.header.is_none() || scan.damaged.is_empty() {
            return Ok(bytes);
        }
        let storage = std::sync::Arc::clone(&self.storage);
        for damage in &scan.damaged {
            assert!(damage.start >= BLOCK_HEADER_SIZE as u64 && damage.end > damage.start);
            let (start, end) = (damage.start, damage.end);
            quarantine(storage.as_ref(), &self.dir, index, &bytes, start, end)?;
            // Damage at the start of the block follows the earlier blocks' records.
            let before = damage.seq_before.unwrap_or(seq_floor);
            let between = damage
                .seq_after
                .map(|after| (before.saturating_add(1), after));
            self.note_lost(end - start, between);
        }
        let mut rewritten = Vec::with_capacity(bytes.len());
        rewritten.extend_from_slice(bytes.get(..BLOCK_HEADER_SIZE).unwrap_or_default());
        for (offset, len) in records {
            let record = bytes.get(offset..offset.saturating_add(len));
            rewritten.extend_from_slice(record.unwrap_or_default());
        }
        if let Some((start, _)) = scan.torn_tail {
            rewritten.extend_from_slice(bytes.get(start as usize..).unwrap_or_default());
        }
        let path = block_path(&self.dir, index);
        write_atomic(storage.as_ref(), &path, &rewritten)
            .map_err(|source| io_error("rewrite salvaged block", &path, source))?;
        Ok(rewritten)
    }
}
