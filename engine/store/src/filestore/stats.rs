//! State queries answered from the in-memory index alone (no block I/O).

use std::collections::BTreeMap;

use super::FileStore;
use crate::seqset::SequenceSet;
use crate::types::{DELETED_LIST_MAX, SimpleState, StreamState};
use crate::{Error, Result};

impl FileStore {
    pub(super) fn base_state(&self) -> StreamState {
        let first_ts_ns = if self.msgs == 0 {
            0
        } else {
            self.live_entry(self.first_seq)
                .map_or(0, |(_, entry)| entry.ts_ns)
        };
        let span = if self.msgs == 0 {
            0
        } else {
            self.last_seq
                .saturating_sub(self.first_seq)
                .saturating_add(1)
        };
        StreamState {
            msgs: self.msgs,
            bytes: self.bytes,
            first_seq: self.first_seq,
            first_ts_ns,
            last_seq: self.last_seq,
            last_ts_ns: self.last_ts_ns,
            num_subjects: self.subjects.live,
            num_deleted: span.saturating_sub(self.msgs),
            deleted: Vec::new(),
            lost: self.lost.clone(),
        }
    }

    /// The sequences between `first_seq` and `last_seq` without a live message, as runs
    /// (empty when the stream holds no message). Built from the index by walking the live
    /// entries, so a huge skipped range costs one run, not one item per sequence.
    pub(super) fn deleted_set(&self) -> SequenceSet {
        let mut deleted = SequenceSet::new();
        if self.msgs == 0 {
            return deleted;
        }
        // `None` once the sequence space is exhausted (a live message at `u64::MAX`).
        let mut expected = Some(self.first_seq);
        for block in &self.blocks {
            for entry in block.entries.iter().filter(|entry| entry.is_live()) {
                let seq = block.seq_of(entry);
                if let Some(from) = expected
                    && seq > from
                {
                    deleted.insert_range(from, seq - 1);
                }
                expected = seq.checked_add(1);
            }
        }
        if let Some(from) = expected
            && from <= self.last_seq
        {
            deleted.insert_range(from, self.last_seq);
        }
        deleted
    }

    /// Sequences between `first_seq` and `last_seq` without a live message, ascending, at
    /// most [`DELETED_LIST_MAX`] of them (the lowest): a huge skipped range must not become a
    /// huge allocation; `num_deleted` stays exact.
    pub(super) fn deleted_list(&self) -> Vec<u64> {
        self.deleted_set().iter().take(DELETED_LIST_MAX).collect()
    }

    /// `last_seq + 1`, or an error once the sequence space is exhausted (a message at
    /// `u64::MAX`), the same rule as MemStore's.
    pub(super) fn checked_next_seq(&self) -> Result<u64> {
        self.last_seq.checked_add(1).ok_or(Error::Limit {
            what: "stream sequence",
            max: u64::MAX,
        })
    }

    pub(super) fn filtered(&self, start_seq: u64, filter: &str) -> SimpleState {
        let mut state = SimpleState::default();
        let Some(accepts) = self.subject_filter(filter) else {
            return state;
        };
        if let super::read::SubjectFilter::One(id) = accepts
            && let Some(info) = self.subjects.get(id)
            && start_seq <= info.first_seq
        {
            if info.msgs > 0 {
                state = SimpleState {
                    msgs: info.msgs,
                    first_seq: info.first_seq,
                    last_seq: info.last_seq,
                };
            }
            return state;
        }
        let start = start_seq.max(self.first_seq);
        if let super::read::SubjectFilter::All = accepts {
            return self.all_from(start);
        }
        for block in &self.blocks {
            if block.live == 0 || block.last_entry_seq().is_none_or(|last| last < start) {
                continue;
            }
            for entry in &block.entries {
                let seq = block.seq_of(entry);
                if seq < start || !entry.is_live() || !accepts.accepts(entry.subject) {
                    continue;
                }
                if state.msgs == 0 {
                    state.first_seq = seq;
                }
                state.msgs += 1;
                state.last_seq = seq;
            }
        }
        state
    }

    /// Every live message from `start` on: whole blocks by their live count, so the cost is
    /// the number of blocks plus the entries of the block holding `start` (a consumer counts
    /// its pending messages this way on every turn).
    fn all_from(&self, start: u64) -> SimpleState {
        let mut state = SimpleState::default();
        for block in &self.blocks {
            if block.live == 0 || block.last_entry_seq().is_none_or(|last| last < start) {
                continue;
            }
            let from = block
                .entries
                .partition_point(|entry| block.seq_of(entry) < start);
            let tail = block.entries.get(from..).unwrap_or_default();
            let live = if from == 0 {
                block.live
            } else {
                tail.iter().filter(|entry| entry.is_live()).count() as u64
            };
            if live == 0 {
                continue;
            }
            if state.msgs == 0
                && let Some(first) = tail.iter().find(|entry| entry.is_live())
            {
                state.first_seq = block.seq_of(first);
            }
            if let Some(last) = tail.iter().rev().find(|entry| entry.is_live()) {
                state.last_seq = block.seq_of(last);
            }
            state.msgs += live;
        }
        state
    }

    pub(super) fn per_subject(&self, filter: &str) -> BTreeMap<String, SimpleState> {
        let mut out = BTreeMap::new();
        let Some(accepts) = self.subject_filter(filter) else {
            return out;
        };
        for (id, info) in self.subjects.infos.iter().enumerate() {
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            if info.msgs > 0 && accepts.accepts(id) {
                let state = SimpleState {
                    msgs: info.msgs,
                    first_seq: info.first_seq,
                    last_seq: info.last_seq,
                };
                out.insert(info.name.to_string(), state);
            }
        }
        out
    }

    pub(super) fn pending(&self, start_seq: u64, filter: &str, last_per_subject: bool) -> u64 {
        if !last_per_subject {
            return self.filtered(start_seq, filter).msgs;
        }
        self.per_subject(filter)
            .values()
            .filter(|state| state.last_seq >= start_seq)
            .count() as u64
    }

    pub(super) fn first_seq_at_or_after(&self, ts_ns: u64) -> u64 {
        for block in &self.blocks {
            if block.entries.last().is_none_or(|last| last.ts_ns < ts_ns) {
                continue;
            }
            let found = block
                .entries
                .iter()
                .find(|entry| entry.is_live() && entry.ts_ns >= ts_ns);
            if let Some(entry) = found {
                return block.seq_of(entry);
            }
        }
        self.last_seq.saturating_add(1)
    }
}
