//! `SubjectIndex`: per-subject message count and first/last sequence, the index behind
//! last-by-subject loads, per-subject limits and subject-filtered state.
//!
//! Memory is per distinct subject, never per message: one interned `Arc<str>` (shared with the
//! messages of a store that keeps them, so a subject's bytes exist once), one hash-map entry
//! for lookups and one entry in an ordered set, so a wildcard filter with a literal prefix
//! (`orders.eu.*`) visits only the subjects under that prefix instead of all of them.
//! [`SubjectIndex::heap_bytes`] estimates it; the `store_subject_memory` bench measures it.
//!
//! Sequences are added in ascending order. When the first or last message of a subject goes,
//! the caller supplies the neighbour (`next`/`prev` closures), because only the store knows
//! how to find the next message of a subject cheaply.
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use crate::subject;
use crate::types::SimpleState;

/// Longest subject the store accepts: the block record stores its length as `u16`.
pub const SUBJECT_LEN_MAX: usize = u16::MAX as usize;

/// Index entry of one subject.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubjectInfo {
    pub msgs: u64,
    pub first_seq: u64,
    pub last_seq: u64,
}

impl From<SubjectInfo> for SimpleState {
    fn from(info: SubjectInfo) -> Self {
        SimpleState {
            msgs: info.msgs,
            first_seq: info.first_seq,
            last_seq: info.last_seq,
        }
    }
}

/// Per-subject counts and bounds.
#[derive(Clone, Debug, Default)]
pub struct SubjectIndex {
    entries: HashMap<Arc<str>, SubjectInfo>,
    /// The same subjects in byte order, for prefix scans.
    ordered: BTreeSet<Arc<str>>,
}

impl SubjectIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of distinct subjects with at least one message.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.ordered.clear();
    }

    /// Records message `seq` (above every sequence added before) under `subject`; returns the
    /// interned subject and the subject's previous last sequence (`None` for a new subject),
    /// which a store needs to link the message to its predecessor.
    pub fn add(&mut self, subject: &str, seq: u64) -> (Arc<str>, Option<u64>) {
        if let Some((key, info)) = self.entries.get_key_value(subject) {
            let (key, previous) = (Arc::clone(key), info.last_seq);
            if let Some(info) = self.entries.get_mut(subject) {
                info.msgs += 1;
                info.last_seq = seq;
            }
            return (key, Some(previous));
        }
        let key: Arc<str> = Arc::from(subject);
        let info = SubjectInfo {
            msgs: 1,
            first_seq: seq,
            last_seq: seq,
        };
        self.entries.insert(Arc::clone(&key), info);
        self.ordered.insert(Arc::clone(&key));
        (key, None)
    }

    /// Forgets message `seq` of `subject`. `next(seq)` / `prev(seq)` give the subject's next /
    /// previous remaining message and are called only when `seq` was its first / last.
    pub fn remove(
        &mut self,
        subject: &str,
        seq: u64,
        next: impl FnOnce(u64) -> Option<u64>,
        prev: impl FnOnce(u64) -> Option<u64>,
    ) {
        let Some(info) = self.entries.get_mut(subject) else {
            return;
        };
        if info.msgs <= 1 {
            self.entries.remove(subject);
            self.ordered.remove(subject);
            return;
        }
        info.msgs -= 1;
        if seq == info.first_seq {
            info.first_seq = next(seq).unwrap_or(info.last_seq);
        } else if seq == info.last_seq {
            info.last_seq = prev(seq).unwrap_or(info.first_seq);
        }
    }

    /// The entry of one literal subject.
    pub fn get(&self, subject: &str) -> Option<SubjectInfo> {
        self.entries.get(subject).copied()
    }

    /// The interned subject, if present.
    pub fn interned(&self, subject: &str) -> Option<&Arc<str>> {
        self.entries.get_key_value(subject).map(|(key, _)| key)
    }

    /// Entries whose subject matches `filter` (a literal filter is one lookup).
    pub fn matching<'a>(
        &'a self,
        filter: &'a str,
    ) -> Box<dyn Iterator<Item = (&'a Arc<str>, SubjectInfo)> + 'a> {
        if !subject::is_match_all(filter) && subject::is_literal(filter) {
            return Box::new(
                self.entries
                    .get_key_value(filter)
                    .map(|(k, v)| (k, *v))
                    .into_iter(),
            );
        }
        let prefix = literal_prefix(filter);
        if prefix.is_empty() {
            return Box::new(
                self.entries
                    .iter()
                    .filter(move |(key, _)| subject::matches(filter, key))
                    .map(|(key, info)| (key, *info)),
            );
        }
        Box::new(
            self.ordered
                .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
                .take_while(move |key| key.starts_with(prefix))
                .filter(move |key| subject::matches(filter, key))
                .filter_map(|key| self.entries.get(&**key).map(|info| (key, *info))),
        )
    }

    /// Every entry, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, SubjectInfo)> + '_ {
        self.entries.iter().map(|(key, info)| (key, *info))
    }

    /// Estimated heap bytes: the map's table plus each interned subject's allocation.
    pub fn heap_bytes(&self) -> usize {
        let slot = size_of::<(Arc<str>, SubjectInfo)>() + 1;
        let table = self.entries.capacity() * slot;
        // An `Arc<str>` allocation holds two counters before the bytes.
        let strings: usize = self.entries.keys().map(|key| key.len() + 16).sum();
        // B-tree leaves hold up to 11 keys and run about two-thirds full.
        let ordered = self.ordered.len() * size_of::<Arc<str>>() * 3 / 2;
        table + strings + ordered
    }
}

/// The literal tokens of `filter` before its first wildcard token, with their trailing `.`
/// (`"a.b.*"` gives `"a.b."`); empty when the filter starts with a wildcard. Every subject
/// the filter matches starts with it, because a wildcard token stands for at least one token.
fn literal_prefix(filter: &str) -> &str {
    let mut end = 0;
    for token in filter.split('.') {
        if token == "*" || token == ">" {
            return filter.get(..end).unwrap_or_default();
        }
        end += token.len() + 1;
    }
    // No wildcard: the caller handles literal filters by lookup; scanning is still correct.
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_bounds_follow_adds_and_removes() {
        let mut index = SubjectIndex::new();
        for (seq, subject) in [(1, "a"), (2, "b"), (3, "a"), (4, "a")] {
            index.add(subject, seq);
        }
        assert_eq!(
            index.get("a"),
            Some(SubjectInfo {
                msgs: 3,
                first_seq: 1,
                last_seq: 4
            })
        );
        index.remove("a", 1, |_| Some(3), |_| unreachable!("not the last"));
        assert_eq!(
            index.get("a"),
            Some(SubjectInfo {
                msgs: 2,
                first_seq: 3,
                last_seq: 4
            })
        );
        index.remove("a", 4, |_| unreachable!("not the first"), |_| Some(3));
        assert_eq!(
            index.get("a"),
            Some(SubjectInfo {
                msgs: 1,
                first_seq: 3,
                last_seq: 3
            })
        );
        index.remove("a", 3, |_| None, |_| None);
        assert_eq!(index.get("a"), None);
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn interned_subjects_are_shared() {
        let mut index = SubjectIndex::new();
        let (first, previous) = index.add("orders.eu", 1);
        assert_eq!(previous, None);
        let (second, previous) = index.add("orders.eu", 2);
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(previous, Some(1));
    }

    #[test]
    fn matching_honours_wildcards_and_literals() {
        let mut index = SubjectIndex::new();
        for (seq, subject) in [(1, "a.x"), (2, "a.y"), (3, "b.x"), (4, "a.x.z")] {
            index.add(subject, seq);
        }
        let mut names: Vec<String> = index.matching("a.*").map(|(k, _)| k.to_string()).collect();
        names.sort();
        assert_eq!(names, vec!["a.x", "a.y"]);
        assert_eq!(index.matching("a.>").count(), 3);
        assert_eq!(index.matching("b.x").count(), 1);
        assert_eq!(index.matching("c").count(), 0);
        assert_eq!(index.matching("").count(), 4);
        assert_eq!(index.matching("a.x.*").count(), 1);
        assert_eq!(index.matching("*.x").count(), 2);
    }

    #[test]
    fn literal_prefixes_stop_at_the_first_wildcard() {
        assert_eq!(literal_prefix("a.b.*"), "a.b.");
        assert_eq!(literal_prefix("a.*.c"), "a.");
        assert_eq!(literal_prefix("a.>"), "a.");
        assert_eq!(literal_prefix("*.b"), "");
        assert_eq!(literal_prefix(">"), "");
        assert_eq!(literal_prefix("a.b"), "");
    }

    #[test]
    fn prefix_scans_see_removals_and_subjects_sharing_a_prefix() {
        let mut index = SubjectIndex::new();
        for (seq, subject) in [
            (1, "kv.a"),
            (2, "kv.ab"),
            (3, "kv.a.b"),
            (4, "kva.x"),
            (5, "kv"),
        ] {
            index.add(subject, seq);
        }
        let mut names: Vec<String> = index.matching("kv.*").map(|(k, _)| k.to_string()).collect();
        names.sort();
        assert_eq!(names, vec!["kv.a", "kv.ab"]);
        assert_eq!(index.matching("kv.>").count(), 3);
        index.remove("kv.ab", 2, |_| None, |_| None);
        assert_eq!(index.matching("kv.*").count(), 1);
        index.clear();
        assert_eq!(index.matching("kv.>").count(), 0);
    }
}
