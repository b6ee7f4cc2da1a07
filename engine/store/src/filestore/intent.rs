//! Crash-atomic rewrites of the blocks: truncate, purge (and compact past the end, which
//! shares its shape) and compact within the stream. Each writes `stream.intent`
//! (docs/formats/stream-intent.md) atomically before its first change to a block file and
//! removes it (then fsyncs the directory) after its last change is fsynced. An open that finds
//! the file finishes the rewrite: every step is idempotent, so a crash during that recovery is
//! finished by the next open in turn. A crash therefore leaves the stream as it was before the
//! operation (the intent never became durable) or as it is after it.
//!
//! What the redo needs that the blocks may have lost: a truncate cuts tombstones of removed
//! messages below the cut before it writes them again, so the intent lists those sequences; a
//! purge deletes the old blocks one by one, so the intent names the block that replaces them.

use natrium_format::intent::{Intent, IntentKind};
use natrium_format::names::{STREAM_INTENT, block_path, parse_block_file_name};

use super::index::REMOVED;
use super::{FileStore, RecoveryMode, format_error, io_error};
use crate::Result;
use crate::io::{read_all, write_atomic};

/// `stream.intent` lists at most 2^24 ranges (16 bytes each).
const INTENT_BYTES_MAX: u64 = 1 << 30;

impl FileStore {
    /// Makes `intent` durable before a rewrite starts.
    pub(super) fn begin_intent(&self, intent: &Intent) -> Result<()> {
        let path = self.dir.join(STREAM_INTENT);
        let mut bytes = Vec::new();
        intent
            .encode(&mut bytes)
            .map_err(|error| format_error(&path, error))?;
        write_atomic(self.storage.as_ref(), &path, &bytes)
            .map_err(|source| io_error("write", &path, source))
    }

    /// Ends a rewrite once every change it made is durable (a no-op when already ended: the
    /// redo at open may end an intent that a nested rewrite already ended).
    pub(super) fn end_intent(&self) -> Result<()> {
        self.settle_durably(self.writer.appended())?;
        let path = self.dir.join(STREAM_INTENT);
        let exists = self
            .storage
            .exists(&path)
            .map_err(|source| io_error("stat", &path, source))?;
        if !exists {
            return Ok(());
        }
        self.storage
            .remove(&path)
            .and_then(|()| self.storage.sync_dir(&self.dir))
            .map_err(|source| io_error("remove", &path, source))
    }

    /// The rewrite a crash interrupted, if any. A file that does not decode cannot come from
    /// the atomic write: it is damage, refused except under `Salvage` (which ignores it).
    pub(super) fn read_intent(&self) -> Result<Option<Intent>> {
        let path = self.dir.join(STREAM_INTENT);
        let exists = self
            .storage
            .exists(&path)
            .map_err(|source| io_error("stat", &path, source))?;
        if !exists {
            return Ok(None);
        }
        let bytes = read_all(self.storage.as_ref(), &path, INTENT_BYTES_MAX)
            .map_err(|source| io_error("read", &path, source))?;
        match Intent::decode(&bytes) {
            Ok(intent) => Ok(Some(intent)),
            Err(_) if self.options.recovery == RecoveryMode::Salvage => Ok(None),
            Err(error) => Err(format_error(&path, error)),
        }
    }

    /// Before the blocks are loaded: a purge's old blocks (below the one replacing them) go;
    /// an interrupted secure erase is overwritten again (the scan must not meet a torn one).
    pub(super) fn finish_intent_before_load(&mut self, intent: &Intent) -> Result<()> {
        if intent.kind == IntentKind::Erase {
            return self.redo_erase(intent);
        }
        if intent.kind != IntentKind::Reset {
            return Ok(());
        }
        let blocks_dir = self.blocks_dir();
        let names = self
            .storage
            .list_dir(&blocks_dir)
            .map_err(|source| io_error("list", &blocks_dir, source))?;
        let obsolete = names
            .iter()
            .filter_map(|name| parse_block_file_name(name))
            .filter(|&index| index < intent.block);
        for index in obsolete {
            let path = block_path(&self.dir, index);
            self.storage
                .remove(&path)
                .and_then(|()| self.storage.sync_dir(&blocks_dir))
                .map_err(|source| io_error("remove", &path, source))?;
        }
        self.next_block_index = self.next_block_index.max(intent.block);
        Ok(())
    }

    /// After the open loaded the blocks: completes the interrupted rewrite, then ends it.
    pub(super) fn finish_intent(&mut self, intent: &Intent) -> Result<()> {
        match intent.kind {
            IntentKind::Reset => {
                if self.last_seq < intent.seq {
                    self.reset_blocks(intent.seq, intent.ts_ns)?;
                }
            }
            IntentKind::Truncate => {
                self.mark_removed(&intent.removed);
                self.truncate_blocks(intent.seq)?;
            }
            IntentKind::Compact => {
                let first = self.first_seq;
                self.remove_matching(first, intent.seq, u64::MAX, |_| true)?;
            }
            // Redone before the load.
            IntentKind::Erase => {}
        }
        self.end_intent()
    }

    /// Overwrites the erased record again: its header (never touched by the erase) gives its
    /// length and proves it is the record of `intent.seq`; the body is zeroed and the crc
    /// recomputed as `erase` does, then written and fsynced. Idempotent: a crash here leaves
    /// the intent for the next open.
    fn redo_erase(&mut self, intent: &Intent) -> Result<()> {
        use natrium_format::layout::record::{SEQ_OFFSET, TOTAL_LEN_OFFSET};
        let path = block_path(&self.dir, intent.block);
        let offset = u64::from(intent.record_offset);
        let file = self
            .storage
            .open(&path, crate::io::OpenMode::Existing)
            .map_err(|source| io_error("open", &path, source))?;
        let mut header = [0u8; natrium_format::layout::record::HEADER_SIZE];
        file.read_exact_at(&mut header, offset)
            .map_err(|source| io_error("read", &path, source))?;
        let word = |at: usize, len: usize| header.get(at..at + len).unwrap_or_default();
        let len = <[u8; 4]>::try_from(word(TOTAL_LEN_OFFSET, 4)).map(u32::from_le_bytes);
        let seq = <[u8; 8]>::try_from(word(SEQ_OFFSET, 8)).map(u64::from_le_bytes);
        let len = match (len, seq) {
            (Ok(len), Ok(seq))
                if seq == intent.seq && len <= self.options.record_limits.record_len_max =>
            {
                len
            }
            _ => {
                return Err(crate::Error::Corrupt {
                    file: path,
                    offset,
                    reason: format!(
                        "stream.intent erases sequence {} here, but the record header disagrees",
                        intent.seq
                    ),
                });
            }
        };
        let mut record = vec![0u8; len as usize];
        file.read_exact_at(&mut record, offset)
            .map_err(|source| io_error("read", &path, source))?;
        self.erase_in_memory(&mut record)?;
        file.write_at(&record, offset)
            .and_then(|()| file.sync())
            .map_err(|source| io_error("erase", &path, source))?;
        self.end_intent()
    }

    /// Marks the entries of the sequences in `ranges` removed (acknowledged removals whose
    /// tombstones a crash may have cut) and recounts.
    fn mark_removed(&mut self, ranges: &[(u64, u64)]) {
        for block in &mut self.blocks {
            let seq_base = block.seq_base;
            for entry in &mut block.entries {
                let seq = seq_base.saturating_add(u64::from(entry.seq_delta));
                let at = ranges.partition_point(|&(_, last)| last < seq);
                if ranges.get(at).is_some_and(|&(first, _)| first <= seq) {
                    entry.subject = REMOVED;
                }
            }
        }
        self.rebuild_counters();
    }

    /// The removed messages at or below `seq` that still have an entry, as inclusive ranges.
    pub(super) fn removed_ranges_below(&self, seq: u64) -> Vec<(u64, u64)> {
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        let dead = self.blocks.iter().flat_map(|block| {
            let dead = block.entries.iter().filter(|entry| !entry.is_live());
            dead.map(|entry| block.seq_of(entry))
        });
        for removed in dead.filter(|&removed| removed <= seq) {
            match ranges.last_mut() {
                Some((_, last)) if last.checked_add(1) == Some(removed) => *last = removed,
                _ => ranges.push((removed, removed)),
            }
        }
        ranges
    }
}
