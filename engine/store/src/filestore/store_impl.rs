//! `StreamStore` for `FileStore`, plus the operations that rewrite the tail (truncate) or the
//! head (compact) of the stream.

use std::collections::BTreeMap;
use std::sync::Arc;

use natrium_format::intent::{Intent, IntentKind};
use natrium_format::layout::block::HEADER_SIZE as BLOCK_HEADER_SIZE;
use natrium_format::names::block_path;

use super::read::SubjectFilter;
use super::remove::not_found_or_eof;
use super::{FileStore, io_error};
use crate::consumer::{ConsumerConfig, ConsumerStore, FileConsumerStore};
use crate::limits;
use crate::store::StreamStore;
use crate::types::{NewMsg, SimpleState, StoreConfig, StoredMsg, StreamState};
use crate::{Error, Result};

impl FileStore {
    /// Writes everything and fsyncs it (whatever the policy), and persists `ttl.state`.
    pub fn sync_all(&self) -> Result<()> {
        self.writer
            .wait_synced(self.writer.appended())
            .map_err(|source| io_error("fsync", &self.blocks_dir(), source))?;
        self.persist_ttl_if_used()
    }

    /// Writes `ttl.state` when the stream uses TTLs (or has the file already).
    fn persist_ttl_if_used(&self) -> Result<()> {
        let ttl_path = self.dir.join(natrium_format::names::TTL_STATE);
        // A stream that allows TTLs always has a current file, so an open after a checkpoint
        // never needs to read records to find TTLs (see `scan::load_ttl`).
        if self.config.allow_msg_ttl
            || !self.ttl.is_empty()
            || self.storage.exists(&ttl_path).unwrap_or(true)
        {
            self.persist_ttl()?;
        }
        Ok(())
    }

    fn settle_all(&self) -> Result<()> {
        self.settle(self.writer.appended())
    }

    /// Cuts everything above `seq` off the block files (see `truncate`).
    pub(super) fn truncate_blocks(&mut self, seq: u64) -> Result<()> {
        self.writer
            .wait_written(self.writer.appended())
            .map_err(|source| io_error("write", &self.blocks_dir(), source))?;
        self.drop_checkpoint()?;
        let new_last_ts = self
            .find_backward(seq, |_| true)
            .and_then(|(found, _, _)| self.live_entry(found))
            .map_or(0, |(_, entry)| entry.ts_ns);
        // From here until `end_intent`, an open finishes the truncate (module `intent`).
        self.begin_intent(&Intent {
            kind: IntentKind::Truncate,
            seq,
            ts_ns: new_last_ts,
            block: 0,
            record_offset: 0,
            removed: self.removed_ranges_below(seq),
        })?;
        self.remove_blocks_above(seq)?;
        let active = match self.blocks.last() {
            Some(block) => Some(self.block_handle(block)?),
            None => None,
        };
        if let (Some(block), Some(file)) = (self.blocks.last_mut(), active) {
            let keep = block.entries.partition_point(|e| block.seq_of(e) <= seq);
            block.entries.truncate(keep);
            let cut = block
                .entries
                .last()
                .map_or(BLOCK_HEADER_SIZE as u64, |entry| {
                    u64::from(entry.offset).saturating_add(u64::from(entry.record_len))
                });
            let path = block_path(&self.dir, block.index);
            file.truncate(cut)
                .and_then(|()| file.sync())
                .map_err(|source| io_error("truncate", &path, source))?;
            // The cut block is the active one again: it keeps its handle.
            block.file = Some(file);
            block.end_offset = cut;
            block.crc = None;
            self.cache.invalidate_block(block.index);
        }
        self.storage
            .sync_dir(&self.blocks_dir())
            .map_err(|source| io_error("fsync", &self.blocks_dir(), source))?;
        self.last_seq = seq;
        // Whichever block carries `seq` now, the marker below (or the live message) does.
        self.last_seq_block = None;
        self.last_ts_ns = new_last_ts;
        self.rebuild_counters();
        self.expiries.retain(|&expiring, _| expiring <= seq);
        self.ttl.clear();
        for (&expiring, &expires_ns) in &self.expiries {
            self.ttl.add(expiring, expires_ns);
        }
        // Sequences above `seq` will be reused: a `ttl.state` still listing the old messages'
        // expiries would give them to the new ones after a crash.
        self.persist_ttl_if_used()?;
        self.rewrite_tombstones_below(seq, new_last_ts)?;
        self.end_intent()
    }

    /// Deletes the tail blocks whose first message is above `seq` (never the first block).
    fn remove_blocks_above(&mut self, seq: u64) -> Result<()> {
        while self.blocks.len() > 1
            && self.blocks.last().is_some_and(|block| {
                let first = block
                    .entries
                    .first()
                    .map_or(block.seq_base, |e| block.seq_of(e));
                first > seq
            })
        {
            if let Some(block) = self.blocks.pop() {
                self.files.forget(block.index);
                let path = block_path(&self.dir, block.index);
                // One unlink durable at a time, from the tail: the indexes left stay contiguous.
                self.storage
                    .remove(&path)
                    .and_then(|()| self.storage.sync_dir(&self.blocks_dir()))
                    .map_err(|source| io_error("remove", &path, source))?;
                self.cache.invalidate_block(block.index);
            }
        }
        // Block indexes stay contiguous (a gap means a lost block at open): the next
        // rotation reuses the first index freed above.
        self.next_block_index = self
            .blocks
            .last()
            .map_or(self.next_block_index, |block| block.index.saturating_add(1));
        Ok(())
    }

    /// After a cut, writes again the tombstones of removed messages that remain below it (the
    /// cut may have dropped them), then a marker at `seq` unless `seq` holds a message.
    fn rewrite_tombstones_below(&mut self, seq: u64, last_ts_ns: u64) -> Result<()> {
        let dead: Vec<(u64, u64)> = self
            .blocks
            .iter()
            .flat_map(|block| {
                block
                    .entries
                    .iter()
                    .filter(|entry| !entry.is_live())
                    .map(|entry| (block.seq_of(entry), entry.ts_ns))
            })
            .collect();
        for (dead_seq, ts_ns) in dead {
            self.append_tombstone(dead_seq, ts_ns)?;
        }
        if self.live_entry(seq).is_none() {
            self.append_tombstone(seq, last_ts_ns)?;
        }
        Ok(())
    }
}

impl StreamStore for FileStore {
    fn store(&mut self, msg: &NewMsg<'_>, now_ns: u64) -> Result<(u64, u64)> {
        let (seq, ts_ns, ticket) = self.store_deferred(msg, now_ns)?;
        self.settle(ticket)?;
        Ok((seq, ts_ns))
    }

    fn store_raw(&mut self, msg: &NewMsg<'_>, seq: u64, ts_ns: u64) -> Result<()> {
        let ticket = self.store_raw_deferred(msg, seq, ts_ns)?;
        self.settle(ticket)
    }

    fn skip(&mut self, now_ns: u64) -> Result<u64> {
        self.check_open()?;
        let seq = self.checked_next_seq()?;
        let ticket = self.skip_to(seq, now_ns)?;
        self.settle(ticket)?;
        Ok(seq)
    }

    fn skip_many(&mut self, seq: u64, count: u64, now_ns: u64) -> Result<()> {
        self.check_open()?;
        if seq != self.last_seq.saturating_add(1) {
            return Err(Error::SequenceMismatch {
                expected: self.last_seq.saturating_add(1),
                got: seq,
            });
        }
        if count == 0 {
            return Ok(());
        }
        let ticket = self.skip_to(seq.saturating_add(count - 1), now_ns)?;
        self.settle(ticket)
    }

    fn load(&self, seq: u64) -> Result<StoredMsg> {
        self.check_open()?;
        match self.live_entry(seq) {
            Some((block, entry)) => self.load_entry(block, entry),
            None => Err(not_found_or_eof(seq, self.last_seq)),
        }
    }

    fn load_next(&self, filter: &str, start_seq: u64) -> Result<StoredMsg> {
        self.check_open()?;
        let accepts = self.subject_filter(filter).ok_or(Error::Eof)?;
        let start = start_seq.max(self.first_seq);
        let found = self.find_forward(start, |entry| accepts.accepts(entry.subject));
        found.map_or(Err(Error::Eof), |found| self.load_found(found))
    }

    fn load_last(&self, filter: &str) -> Result<StoredMsg> {
        self.check_open()?;
        let accepts = self.subject_filter(filter).ok_or(Error::NotFound)?;
        if let SubjectFilter::One(id) = accepts {
            let info = self.subjects.get(id).ok_or(Error::NotFound)?;
            if info.msgs == 0 {
                return Err(Error::NotFound);
            }
            let (block, entry) = self.live_entry(info.last_seq).ok_or(Error::NotFound)?;
            return self.load_entry(block, entry);
        }
        let found = self.find_backward(self.last_seq, |entry| accepts.accepts(entry.subject));
        found.map_or(Err(Error::NotFound), |found| self.load_found(found))
    }

    fn load_prev(&self, start_seq: u64) -> Result<StoredMsg> {
        self.check_open()?;
        let found = self.find_backward(start_seq.min(self.last_seq), |_| true);
        found.map_or(Err(Error::Eof), |found| self.load_found(found))
    }

    fn remove(&mut self, seq: u64) -> Result<bool> {
        self.check_open()?;
        match self.remove_seq(seq, false)? {
            Some(ticket) => self.settle(ticket).map(|()| true),
            None => Ok(false),
        }
    }

    fn erase(&mut self, seq: u64) -> Result<bool> {
        self.check_open()?;
        match self.remove_seq(seq, true)? {
            Some(ticket) => self.settle(ticket).map(|()| true),
            None => Ok(false),
        }
    }

    fn purge(&mut self) -> Result<u64> {
        self.check_open()?;
        self.purge_all()
    }

    fn purge_ex(&mut self, filter: &str, up_to_seq: u64, keep: u64) -> Result<u64> {
        self.check_open()?;
        if crate::subject::is_match_all(filter) && keep == 0 && up_to_seq == 0 {
            return self.purge_all();
        }
        let Some(accepts) = self.subject_filter(filter) else {
            return Ok(0);
        };
        let matching = self.filtered(0, filter).msgs;
        let count = matching.saturating_sub(keep);
        let end = if up_to_seq > 0 { up_to_seq } else { u64::MAX };
        let first = self.first_seq;
        let removed = self.remove_matching(first, end, count, move |entry| {
            accepts.accepts(entry.subject)
        })?;
        self.settle_all()?;
        Ok(removed)
    }

    fn compact(&mut self, seq: u64) -> Result<u64> {
        self.check_open()?;
        if seq > self.last_seq.saturating_add(1) {
            let purged = self.msgs;
            self.reset_blocks(seq - 1, self.last_ts_ns)?;
            return Ok(purged);
        }
        if seq == self.last_seq.saturating_add(1) {
            return self.purge_all();
        }
        let first = self.first_seq;
        // All or nothing across a crash: an open finishes what the intent started.
        self.begin_intent(&Intent {
            kind: IntentKind::Compact,
            seq,
            ts_ns: 0,
            block: 0,
            record_offset: 0,
            removed: Vec::new(),
        })?;
        let removed = self.remove_matching(first, seq, u64::MAX, |_| true)?;
        self.end_intent()?;
        Ok(removed)
    }

    fn truncate(&mut self, seq: u64) -> Result<()> {
        self.check_open()?;
        if seq == 0 {
            self.reset_blocks(0, 0)?;
            self.first_seq = 1;
            return Ok(());
        }
        if seq >= self.last_seq {
            return Ok(());
        }
        self.truncate_blocks(seq)?;
        self.settle_all()
    }

    fn expire(&mut self, now_ns: u64) -> Result<u64> {
        self.check_open()?;
        let removed = self.expire_at(now_ns)?;
        self.settle_all()?;
        Ok(removed)
    }

    fn next_expiry_ns(&self) -> Option<u64> {
        self.next_expiry()
    }

    fn state(&self) -> StreamState {
        self.base_state()
    }

    fn state_with_deleted(&self) -> StreamState {
        let mut state = self.base_state();
        state.deleted = self.deleted_list();
        state
    }

    fn filtered_state(&self, start_seq: u64, filter: &str) -> SimpleState {
        self.filtered(start_seq, filter)
    }

    fn subjects_state(&self, filter: &str) -> BTreeMap<String, SimpleState> {
        self.per_subject(filter)
    }

    fn subjects_totals(&self, filter: &str) -> BTreeMap<String, u64> {
        self.per_subject(filter)
            .into_iter()
            .map(|(subject, state)| (subject, state.msgs))
            .collect()
    }

    fn num_pending(&self, start_seq: u64, filter: &str, last_per_subject: bool) -> u64 {
        self.pending(start_seq, filter, last_per_subject)
    }

    fn seq_from_time(&self, ts_ns: u64) -> u64 {
        self.first_seq_at_or_after(ts_ns)
    }

    fn config(&self) -> &StoreConfig {
        &self.config
    }

    fn update_config(&mut self, config: StoreConfig) -> Result<()> {
        self.check_open()?;
        self.config = config.clone();
        limits::enforce_all(&config, self)?;
        self.settle_all()
    }

    fn consumer_store(
        &mut self,
        name: &str,
        config: ConsumerConfig,
    ) -> Result<Box<dyn ConsumerStore>> {
        self.check_open()?;
        let storage = Arc::clone(&self.storage);
        // A damaged consumer state fails only under `Strict`; otherwise that consumer starts
        // over (reported by `damage()`) and the stream and its other consumers are unaffected.
        let consumer = match self.options.recovery {
            super::RecoveryMode::Strict => {
                FileConsumerStore::open_in(storage, &self.dir, name, config)?
            }
            _ => FileConsumerStore::open_in_recovering(storage, &self.dir, name, config)?,
        };
        Ok(Box::new(consumer))
    }

    fn flush(&mut self) -> Result<()> {
        self.check_open()?;
        self.sync_all()
    }

    fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        // The checkpoint writes and fsyncs everything first, `ttl.state` included.
        let result = self.checkpoint(self.last_ts_ns);
        self.closed = true;
        // Another store may open the directory now.
        self.lock = None;
        result
    }
}
