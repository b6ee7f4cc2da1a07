//! Read-side queries of `MemStore`: filtered scans that use the subject index when it can
//! answer without touching messages, and the subject links when one subject is asked for.
use super::MemStore;
use super::slots::Slot;
use crate::subject;
use crate::types::{DELETED_LIST_MAX, SimpleState};

impl MemStore {
    /// Whether `slot`'s subject matches `filter`.
    fn slot_matches(&self, filter: &str, slot: &Slot) -> bool {
        subject::matches(filter, self.subjects.subject(slot.subject))
    }

    /// The first sequence at or after `start_seq` whose subject matches `filter`.
    pub(super) fn next_matching(&self, filter: &str, start_seq: u64) -> Option<u64> {
        if subject::is_match_all(filter) {
            return self.slots.range(start_seq).next().map(|(seq, _)| seq);
        }
        if subject::is_literal(filter) {
            let id = self.subjects.id(filter)?;
            let info = self.subjects.info(id);
            if start_seq <= info.first_seq {
                return Some(info.first_seq);
            }
            if start_seq > info.last_seq {
                return None;
            }
            // Comparing ids, not subjects: a scan costs a few instructions per message.
            return self
                .slots
                .range(start_seq)
                .take_while(|&(seq, _)| seq <= info.last_seq)
                .find(|(_, slot)| slot.subject == id)
                .map(|(seq, _)| seq);
        }
        self.slots
            .range(start_seq)
            .find(|(_, slot)| self.slot_matches(filter, slot))
            .map(|(seq, _)| seq)
    }

    /// The last sequence whose subject matches `filter`.
    pub(super) fn last_matching(&self, filter: &str) -> Option<u64> {
        if subject::is_match_all(filter) {
            return self.slots.last().map(|(seq, _)| seq);
        }
        self.subjects
            .matching(filter)
            .map(|(_, info)| info.last_seq)
            .max()
    }

    /// Messages at or after `start_seq` matching `filter`.
    pub(super) fn filtered(&self, start_seq: u64, filter: &str) -> SimpleState {
        let first_seq = self.first_seq();
        if start_seq <= first_seq {
            return self.filtered_from_index(filter);
        }
        if subject::is_match_all(filter) {
            return self.filtered_all(start_seq);
        }
        if subject::is_literal(filter) {
            return self.filtered_literal(start_seq, filter);
        }
        let mut state = SimpleState::default();
        let matching = self
            .slots
            .range(start_seq)
            .filter(|(_, slot)| self.slot_matches(filter, slot));
        for (seq, _) in matching {
            if state.msgs == 0 {
                state.first_seq = seq;
            }
            state.msgs += 1;
            state.last_seq = seq;
        }
        state
    }

    /// Every message at or after `start_seq`, counted by chunk (a consumer's pending count
    /// asks on every turn, so this must not walk every message).
    fn filtered_all(&self, start_seq: u64) -> SimpleState {
        let msgs = self.slots.count_from(start_seq);
        if msgs == 0 {
            return SimpleState::default();
        }
        SimpleState {
            msgs,
            first_seq: self.slots.range(start_seq).next().map_or(0, |(seq, _)| seq),
            last_seq: self
                .slots
                .last_at_or_before(u64::MAX)
                .map_or(0, |(seq, _)| seq),
        }
    }

    /// One subject's messages at or after `start_seq`: a walk back along the subject's links
    /// from its last message, so the cost is the number of matches, not of messages.
    fn filtered_literal(&self, start_seq: u64, subject: &str) -> SimpleState {
        let Some(info) = self.subjects.get(subject) else {
            return SimpleState::default();
        };
        if info.last_seq < start_seq {
            return SimpleState::default();
        }
        if info.first_seq >= start_seq {
            return info.into();
        }
        let mut state = SimpleState {
            msgs: 0,
            first_seq: info.last_seq,
            last_seq: info.last_seq,
        };
        let mut next = Some(info.last_seq);
        while let Some(seq) = next.filter(|&seq| seq >= start_seq) {
            let slot = self.slots.get(seq).expect("a linked message is stored");
            state.msgs += 1;
            state.first_seq = seq;
            next = self.links.prev(seq, slot);
        }
        state
    }

    /// Whole-stream filtered state from the subject index alone.
    fn filtered_from_index(&self, filter: &str) -> SimpleState {
        let mut state = SimpleState::default();
        for (_, info) in self.subjects.matching(filter) {
            state.first_seq = if state.msgs == 0 {
                info.first_seq
            } else {
                state.first_seq.min(info.first_seq)
            };
            state.last_seq = state.last_seq.max(info.last_seq);
            state.msgs += info.msgs;
        }
        state
    }

    /// Sequences between the first and last that hold no message, ascending, at most
    /// [`DELETED_LIST_MAX`] of them (the lowest).
    pub(super) fn deleted(&self) -> Vec<u64> {
        let mut deleted = Vec::new();
        if self.slots.is_empty() {
            return deleted;
        }
        let max = DELETED_LIST_MAX;
        // `None` once the sequence space is exhausted (a message at `u64::MAX`).
        let mut expected = Some(self.first_seq());
        for (seq, _) in self.slots.range(0) {
            if deleted.len() >= max {
                break;
            }
            if let Some(from) = expected {
                deleted.extend((from..seq).take(max - deleted.len()));
            }
            expected = seq.checked_add(1);
        }
        // Removing the newest messages keeps `last_seq`, so the tail can be gaps too.
        if let Some(from) = expected {
            deleted.extend((from..=self.last_seq).take(max - deleted.len()));
        }
        deleted
    }
}
