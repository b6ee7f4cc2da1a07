//! Removing messages: tombstone records, secure erase (the tombstone fsynced first, then the
//! record's body overwritten with zeros in place and its crc recomputed), pruning dead front blocks, purge, compact,
//! truncate, expiry, and the limits' view of the store ([`LimitTarget`]).
//!
//! On-disk rule: a tombstone `(seq, ts)` says "sequence `seq`, stamped `ts`, is consumed and
//! holds no message". Deleting a message writes one with the message's timestamp; `skip`, purge
//! and compact past the end write one *marker* at the new `last_seq` so a restart finds it.
//! Only front blocks are ever deleted (never the active one): a tombstone always sits in the
//! same block as, or a later block than, the message it deletes, so deleting a block can never
//! drop a tombstone whose message is still on disk.

use natrium_format::intent::{Intent, IntentKind};
use natrium_format::names::block_path;

use super::index::REMOVED;
use super::{FileStore, io_error};
use crate::limits::{self, LimitTarget};
use crate::{Error, Result};

impl FileStore {
    fn wait_all_written(&self) -> Result<()> {
        self.writer
            .wait_written(self.writer.appended())
            .map_err(|source| io_error("write", &self.blocks_dir(), source))
    }

    /// Removes the live message `seq`; returns the durability ticket, or `None` if not live.
    pub(super) fn remove_seq(&mut self, seq: u64, erase: bool) -> Result<Option<u64>> {
        let Some((block_at, position)) = self.locate(seq) else {
            return Ok(None);
        };
        let Some(entry) = self
            .blocks
            .get(block_at)
            .and_then(|block| block.entries.get(position))
            .copied()
        else {
            return Ok(None);
        };
        if !entry.is_live() {
            return Ok(None);
        }
        let mut ticket = self.append_tombstone(seq, entry.ts_ns)?;
        if erase {
            // The tombstone is made durable first: zeroed bytes with a fresh crc and no durable
            // tombstone would come back after a crash as a live message full of zeros.
            self.writer
                .wait_synced(ticket)
                .map_err(|source| io_error("fsync", &self.blocks_dir(), source))?;
            self.erase_record(seq, block_at, position)?;
            ticket = self.writer.appended();
        }
        if let Some(block) = self.blocks.get_mut(block_at) {
            if let Some(slot) = block.entries.get_mut(position) {
                slot.subject = REMOVED;
            }
            block.live = block.live.saturating_sub(1);
        }
        self.msgs = self.msgs.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(u64::from(entry.msg_bytes));
        self.forget_subject(entry.subject, seq);
        if let Some(expires_ns) = self.expiries.remove(&seq) {
            self.ttl.remove(seq, expires_ns);
        }
        if seq == self.first_seq || self.msgs == 0 {
            self.first_seq = match self.find_forward(seq, |_| true) {
                Some((next, _, _)) => next,
                None => self.last_seq.saturating_add(1),
            };
        }
        self.prune_front_blocks()?;
        Ok(Some(ticket))
    }

    fn forget_subject(&mut self, subject: u32, seq: u64) {
        let Some(info) = self.subjects.infos.get(subject as usize) else {
            return;
        };
        let (msgs, first, last) = (info.msgs, info.first_seq, info.last_seq);
        if msgs <= 1 {
            if let Some(info) = self.subjects.infos.get_mut(subject as usize) {
                *info = super::index::SubjectInfo {
                    name: info.name.clone(),
                    msgs: 0,
                    first_seq: 0,
                    last_seq: 0,
                };
            }
            self.subjects.live = self.subjects.live.saturating_sub(1);
            self.subjects.release(subject);
            return;
        }
        let same = |entry: &super::index::Entry| entry.subject == subject;
        let first = if seq == first {
            self.find_forward(seq, same).map_or(last, |found| found.0)
        } else {
            first
        };
        let last = if seq == last {
            self.find_backward(seq, same).map_or(first, |found| found.0)
        } else {
            last
        };
        if let Some(info) = self.subjects.infos.get_mut(subject as usize) {
            info.msgs = msgs - 1;
            info.first_seq = first;
            info.last_seq = last;
        }
    }

    /// Overwrites the stored body (headers and payload, possibly compressed or encrypted) of
    /// the record of `seq` with zeros and recomputes its crc (re-sealing an encrypted body), in
    /// place, through the writer (one writer per file). Crash-atomic through `stream.intent`:
    /// the intent is durable before the first byte is overwritten and removed once the
    /// overwrite is fsynced, so a crash that tore the overwrite is redone by the next open
    /// instead of reading as a damaged record.
    fn erase_record(&mut self, seq: u64, block_at: usize, position: usize) -> Result<()> {
        self.wait_all_written()?;
        let Some(block) = self.blocks.get(block_at) else {
            return Ok(());
        };
        let Some(entry) = block.entries.get(position).copied() else {
            return Ok(());
        };
        let (index, offset) = (block.index, entry.offset);
        let path = block_path(&self.dir, index);
        let mut record = vec![0u8; entry.record_len as usize];
        let file = self.block_handle(block)?;
        file.read_exact_at(&mut record, u64::from(offset))
            .map_err(|source| io_error("read", &path, source))?;
        self.erase_in_memory(&mut record)?;
        self.begin_intent(&Intent {
            kind: IntentKind::Erase,
            seq,
            ts_ns: 0,
            block: index,
            record_offset: offset,
            removed: Vec::new(),
        })?;
        self.writer
            .append(&file, u64::from(index), u64::from(offset), &record)
            .map_err(|source| io_error("erase", &path, source))?;
        self.cache.invalidate_block(index);
        if let Some(block) = self.blocks.get_mut(block_at) {
            block.crc = None;
        }
        // Fsyncs the overwrite, then removes the intent.
        self.end_intent()
    }

    /// The erased form of one whole record: body zeroed (re-sealed when encrypted, so it still
    /// authenticates), crc recomputed; the header (length, sequence, flags, subject) unchanged.
    pub(super) fn erase_in_memory(&self, record: &mut [u8]) -> Result<()> {
        let layout = natrium_format::layout::record::HEADER_SIZE;
        let subject_len = record
            .get(natrium_format::layout::record::SUBJECT_LEN_OFFSET..)
            .and_then(|tail| tail.get(..2))
            .and_then(|len| <[u8; 2]>::try_from(len).ok())
            .map_or(0, |len| usize::from(u16::from_le_bytes(len)));
        let body_start = layout.saturating_add(subject_len);
        let crc_at = record
            .len()
            .saturating_sub(natrium_format::layout::CRC_SIZE);
        if let Some(body) = record.get_mut(body_start..crc_at) {
            body.fill(0);
        }
        self.reseal_erased(record, body_start, crc_at)?;
        let crc = crc32fast::hash(record.get(..crc_at).unwrap_or_default());
        if let Some(stored) = record.get_mut(crc_at..) {
            stored.copy_from_slice(&crc.to_le_bytes());
        }
        Ok(())
    }

    fn reseal_erased(&self, record: &mut [u8], body_start: usize, crc_at: usize) -> Result<()> {
        let Some(cipher) = &self.cipher else {
            return Ok(());
        };
        let flags_at = natrium_format::layout::record::FLAGS_OFFSET;
        let flags = record
            .get(flags_at..flags_at + 2)
            .and_then(|bytes| <[u8; 2]>::try_from(bytes).ok())
            .map_or(0, u16::from_le_bytes);
        let flags = natrium_format::record::RecordFlags(flags);
        if !flags.encrypted() {
            return Ok(());
        }
        let ttl_len = if flags.ttl() {
            natrium_format::layout::record::TTL_SIZE
        } else {
            0
        };
        let nonce = natrium_format::cipher::random_nonce();
        let (nonce_len, tag_len) = (nonce.len(), natrium_format::layout::record::TAG_SIZE);
        let aad_end = body_start + ttl_len;
        assert!(
            aad_end + nonce_len + tag_len <= crc_at,
            "a sealed body holds nonce and tag"
        );
        let (aad, body) = record.split_at_mut(aad_end);
        let (nonce_slot, rest) = body.split_at_mut(nonce_len);
        nonce_slot.copy_from_slice(&nonce);
        let sealed_len = crc_at - aad_end - nonce_len - tag_len;
        let (ciphertext, rest) = rest.split_at_mut(sealed_len);
        let tag = cipher
            .seal_in_place(&nonce, aad, ciphertext)
            .map_err(|error| super::format_error(&self.dir, error))?;
        rest.get_mut(..tag_len)
            .ok_or(Error::InvalidArgument {
                reason: "an erased record too short for its tag",
            })?
            .copy_from_slice(&tag);
        Ok(())
    }

    /// Deletes front blocks without live messages (never the active block). Each unlink is
    /// made durable (directory fsync) before the next, so the blocks left on disk are always
    /// a contiguous range of indexes whatever a crash keeps.
    fn prune_front_blocks(&mut self) -> Result<()> {
        while self.blocks.len() > 1 && self.blocks.first().is_some_and(|block| block.live == 0) {
            let index = self.blocks.first().map_or(0, |block| block.index);
            self.keep_last_seq_beyond(index)?;
            // Its pending bytes (tombstones) must not be written after the file is gone.
            self.wait_all_written()?;
            let block = self.blocks.remove(0);
            assert_eq!(block.index, index, "the pruned block is the front block");
            self.files.forget(block.index);
            let path = block_path(&self.dir, block.index);
            let blocks_dir = self.blocks_dir();
            self.storage
                .remove(&path)
                .and_then(|()| self.storage.sync_dir(&blocks_dir))
                .map_err(|source| io_error("remove", &path, source))?;
            self.cache.invalidate_block(block.index);
        }
        Ok(())
    }

    /// Before block `index` is deleted: if it may be the block whose record carries
    /// `last_seq`, appends a marker at `last_seq` (to a later block) and fsyncs it, so an open
    /// after a crash still finds the high-water mark and never reuses a sequence.
    fn keep_last_seq_beyond(&mut self, index: u32) -> Result<()> {
        if self.last_seq == 0 || self.live_entry(self.last_seq).is_some() {
            // A live message at `last_seq` sits in a block with live messages: never pruned.
            return Ok(());
        }
        if self.last_seq_block.is_some_and(|carrier| carrier > index) {
            return Ok(());
        }
        let ticket = self.append_tombstone(self.last_seq, self.last_ts_ns)?;
        assert!(
            self.last_seq_block.is_some_and(|carrier| carrier > index),
            "the marker went to a later block than the one pruned"
        );
        self.writer
            .wait_synced(ticket)
            .map_err(|source| io_error("fsync", &self.blocks_dir(), source))
    }

    /// Replaces every block by one new block holding a marker at `marker_seq` (when non-zero).
    /// Crash-atomic through `stream.intent`: once it is durable, an open deletes every block
    /// below the new one before reading any, so a crash leaves the old stream or the new one.
    pub(super) fn reset_blocks(&mut self, marker_seq: u64, marker_ts_ns: u64) -> Result<()> {
        self.wait_all_written()?;
        self.drop_checkpoint()?;
        // From here until `end_intent`, an open finishes the reset (module `intent`): the
        // old blocks go even if only some of their unlinks reached the disk.
        self.begin_intent(&Intent {
            kind: IntentKind::Reset,
            seq: marker_seq,
            ts_ns: marker_ts_ns,
            block: self.next_block_index,
            record_offset: 0,
            removed: Vec::new(),
        })?;
        let old: Vec<_> = std::mem::take(&mut self.blocks);
        self.create_block()?;
        if marker_seq > 0 {
            let ticket = self.append_tombstone(marker_seq, marker_ts_ns)?;
            self.writer
                .wait_synced(ticket)
                .map_err(|source| io_error("fsync", &self.blocks_dir(), source))?;
        }
        for block in old {
            self.files.forget(block.index);
            let path = block_path(&self.dir, block.index);
            self.storage
                .remove(&path)
                .map_err(|source| io_error("remove", &path, source))?;
        }
        self.storage
            .sync_dir(&self.blocks_dir())
            .map_err(|source| io_error("fsync", &self.blocks_dir(), source))?;
        self.cache.clear();
        self.subjects.clear();
        self.ttl.clear();
        self.expiries.clear();
        self.msgs = 0;
        self.bytes = 0;
        self.last_seq = marker_seq;
        if marker_seq == 0 {
            self.last_seq_block = None;
        }
        self.last_ts_ns = marker_ts_ns;
        self.first_seq = marker_seq.saturating_add(1);
        self.end_intent()
    }

    /// Removes every message; returns how many.
    pub(super) fn purge_all(&mut self) -> Result<u64> {
        let purged = self.msgs;
        self.reset_blocks(self.last_seq, self.last_ts_ns)?;
        Ok(purged)
    }

    /// Removes the live messages accepted by `keep`, oldest first, at most `count_max`.
    pub(super) fn remove_matching(
        &mut self,
        start: u64,
        end_exclusive: u64,
        count_max: u64,
        keep: impl Fn(&super::index::Entry) -> bool,
    ) -> Result<u64> {
        let mut removed = 0u64;
        let mut next = start;
        while removed < count_max {
            let Some((seq, _, _)) = self.find_forward(next, &keep) else {
                break;
            };
            if seq >= end_exclusive {
                break;
            }
            if self.remove_seq(seq, false)?.is_some() {
                removed += 1;
            }
            next = seq.saturating_add(1);
        }
        Ok(removed)
    }

    /// Removes messages past their max age or TTL at `now_ns`.
    pub(super) fn expire_at(&mut self, now_ns: u64) -> Result<u64> {
        let mut removed = 0u64;
        if let Some(cutoff) = limits::age_cutoff_ns(&self.config, now_ns) {
            while let Some((_, entry)) = self.live_entry(self.first_seq) {
                if entry.ts_ns > cutoff {
                    break;
                }
                let seq = self.first_seq;
                if self.remove_seq(seq, false)?.is_none() {
                    break;
                }
                removed += 1;
            }
        }
        let due: Vec<(u64, u64)> = self.ttl.expired(now_ns).collect();
        for (seq, _) in due {
            self.expiries.remove(&seq);
            if self.remove_seq(seq, false)?.is_some() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub(super) fn next_expiry(&self) -> Option<u64> {
        let age = self.config.max_age_ns.and_then(|max_age_ns| {
            let (_, entry) = self.live_entry(self.first_seq)?;
            Some(entry.ts_ns.saturating_add(max_age_ns))
        });
        match (age, self.ttl.next_expiry_ns()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The first sequence of the subject named `subject`, with its entry's accounted bytes.
    fn subject_first(&self, subject: &str) -> Option<(u64, u64)> {
        let info = self.subjects.get(self.subjects.id(subject)?)?;
        if info.msgs == 0 {
            return None;
        }
        let (_, entry) = self.live_entry(info.first_seq)?;
        Some((info.first_seq, u64::from(entry.msg_bytes)))
    }
}

impl LimitTarget for FileStore {
    fn msgs(&self) -> u64 {
        self.msgs
    }

    fn bytes(&self) -> u64 {
        self.bytes
    }

    fn subject_msgs(&self, subject: &str) -> u64 {
        self.subjects
            .id(subject)
            .and_then(|id| self.subjects.get(id))
            .map_or(0, |info| info.msgs)
    }

    fn subject_first_bytes(&self, subject: &str) -> Option<u64> {
        self.subject_first(subject).map(|(_, bytes)| bytes)
    }

    fn remove_first(&mut self) -> Result<bool> {
        if self.msgs == 0 {
            return Ok(false);
        }
        Ok(self.remove_seq(self.first_seq, false)?.is_some())
    }

    fn remove_first_of_subject(&mut self, subject: &str) -> Result<bool> {
        let Some((seq, _)) = self.subject_first(subject) else {
            return Ok(false);
        };
        Ok(self.remove_seq(seq, false)?.is_some())
    }

    fn subjects_over(&self, max: u64) -> Vec<String> {
        self.subjects
            .infos
            .iter()
            .filter(|info| info.msgs > max)
            .map(|info| info.name.to_string())
            .collect()
    }
}

/// Guards against an index that lost track of a sequence it was asked about.
pub(super) fn not_found_or_eof(seq: u64, last_seq: u64) -> Error {
    if seq > last_seq {
        Error::Eof
    } else {
        Error::NotFound
    }
}
