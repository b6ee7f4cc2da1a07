//! State queries answered from the in-memory index alone (no block I/O).

use std::collections::BTreeMap;

use super::FileStore;
use crate::seqset::SequenceSet;
use crate::types::{SimpleState, StreamState};

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
        let mut expected = self.first_seq;
        for block in &self.blocks {
            for entry in block.entries.iter().filter(|entry| entry.is_live()) {
                let seq = block.seq_of(entry);
                if seq > expected {
                    deleted.insert_range(expected, seq - 1);
                }
                expected = seq.saturating_add(1);
            }
        }
        deleted.insert_range(expected, self.last_seq);
        deleted
    }

    /// Every sequence between `first_seq` and `last_seq` without a live message, ascending.
    pub(super) fn deleted_list(&self) -> Vec<u64> {
        self.deleted_set().iter().collect()
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
