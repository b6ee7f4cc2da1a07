//! `SubjectIndex`: per-subject message count and first/last sequence, the index behind
//! last-by-subject loads, per-subject limits and subject-filtered state.
//!
//! Memory is per distinct subject, never per message. Each subject with messages has a
//! [`SubjectId`], a 4-byte number a store keeps with every message instead of a 16-byte
//! pointer; the id names an entry holding the interned `Arc<str>` (shared with every
//! [`crate::StoredMsg`] loaded, so a subject's bytes exist once) and its [`SubjectInfo`]. A
//! hash map finds the id of a subject, and an ordered map lets a wildcard filter with a literal
//! prefix (`orders.eu.*`) visit only the subjects under that prefix instead of all of them.
//! [`SubjectIndex::heap_bytes`] estimates it; the `store_subject_memory` bench measures it.
//!
//! When a subject's last message goes its entry is freed and its id is reused by the next new
//! subject, so the table is bounded by the subjects live at once, not by the subjects ever seen
//! (a stream of unique subjects under a max age stays small).
//!
//! Sequences are added in ascending order. When the first or last message of a subject goes,
//! the caller supplies the neighbour (`next`/`prev` closures), because only the store knows
//! how to find the next message of a subject cheaply.
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use crate::types::SimpleState;
use crate::{Error, Result, subject};

/// Longest subject the store accepts: the block record stores its length as `u16`.
pub const SUBJECT_LEN_MAX: usize = u16::MAX as usize;

/// Most distinct subjects an index holds at once: ids are `u32`. Far beyond what memory allows
/// (each subject costs over 100 bytes), but checked, so the id can never wrap.
pub const SUBJECTS_MAX: u64 = u32::MAX as u64;

/// Fewest entries the id table grows by: small tables do not reallocate on every new subject.
const ENTRY_GROWTH_MIN: usize = 16;
/// The id table grows by at most 1/`ENTRY_GROWTH_DIVISOR` of its length, so its unused
/// capacity stays under 12.5 % (a doubling `Vec` can leave half unused).
const ENTRY_GROWTH_DIVISOR: usize = 8;

/// A subject's number in one [`SubjectIndex`]: stable while the subject has messages, reused
/// once it has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubjectId(u32);

impl SubjectId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

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

/// The live entry behind an id.
#[derive(Clone, Debug)]
struct Entry {
    subject: Arc<str>,
    info: SubjectInfo,
}

/// Per-subject counts and bounds.
#[derive(Clone, Debug, Default)]
pub struct SubjectIndex {
    ids: HashMap<Arc<str>, SubjectId>,
    /// By id; `None` for a freed id (listed in `free`).
    entries: Vec<Option<Entry>>,
    free: Vec<SubjectId>,
    /// The same subjects in byte order, for prefix scans.
    ordered: BTreeMap<Arc<str>, SubjectId>,
}

impl SubjectIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of distinct subjects with at least one message.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn clear(&mut self) {
        self.ids.clear();
        self.entries.clear();
        self.free.clear();
        self.ordered.clear();
    }

    /// Records message `seq` (above every sequence added before) under `subject`; returns the
    /// subject's id and its previous last sequence (`None` for a new subject), which a store
    /// needs to link the message to its predecessor. Fails only past [`SUBJECTS_MAX`].
    pub fn add(&mut self, subject: &str, seq: u64) -> Result<(SubjectId, Option<u64>)> {
        if let Some(&id) = self.ids.get(subject) {
            let info = &mut self.entry_mut(id).info;
            assert!(
                seq > info.last_seq,
                "sequences are added in ascending order"
            );
            let previous = info.last_seq;
            info.msgs += 1;
            info.last_seq = seq;
            return Ok((id, Some(previous)));
        }
        let key: Arc<str> = Arc::from(subject);
        let entry = Entry {
            subject: Arc::clone(&key),
            info: SubjectInfo {
                msgs: 1,
                first_seq: seq,
                last_seq: seq,
            },
        };
        let id = self.allocate(entry)?;
        self.ids.insert(Arc::clone(&key), id);
        self.ordered.insert(key, id);
        Ok((id, None))
    }

    /// Stores `entry` under a free id, or a new one.
    fn allocate(&mut self, entry: Entry) -> Result<SubjectId> {
        if let Some(id) = self.free.pop() {
            let vacant = self
                .entries
                .get_mut(id.index())
                .expect("free ids are in the table");
            assert!(vacant.is_none(), "a free id has no entry");
            *vacant = Some(entry);
            return Ok(id);
        }
        let next = u32::try_from(self.entries.len())
            .ok()
            .filter(|&next| u64::from(next) < SUBJECTS_MAX)
            .ok_or(Error::Limit {
                what: "distinct subjects",
                max: SUBJECTS_MAX,
            })?;
        if self.entries.len() == self.entries.capacity() {
            let step = (self.entries.len() / ENTRY_GROWTH_DIVISOR).max(ENTRY_GROWTH_MIN);
            self.entries.reserve_exact(step);
        }
        self.entries.push(Some(entry));
        Ok(SubjectId(next))
    }

    fn entry(&self, id: SubjectId) -> &Entry {
        let entry = self.entries.get(id.index()).and_then(Option::as_ref);
        entry.expect("a store holds only ids of live subjects")
    }

    fn entry_mut(&mut self, id: SubjectId) -> &mut Entry {
        let entry = self.entries.get_mut(id.index()).and_then(Option::as_mut);
        entry.expect("a store holds only ids of live subjects")
    }

    /// Forgets message `seq` of subject `id`. `next(seq)` / `prev(seq)` give the subject's next
    /// / previous remaining message and are called only when `seq` was its first / last and at
    /// least two messages remain.
    pub fn remove(
        &mut self,
        id: SubjectId,
        seq: u64,
        next: impl FnOnce(u64) -> Option<u64>,
        prev: impl FnOnce(u64) -> Option<u64>,
    ) {
        let info = &mut self.entry_mut(id).info;
        assert!(
            info.msgs > 0 && info.first_seq <= seq && seq <= info.last_seq,
            "seq {seq} is a message of the subject ({info:?})"
        );
        if info.msgs == 1 {
            self.release(id);
            return;
        }
        info.msgs -= 1;
        if info.msgs == 1 {
            // The one left is whichever end did not go.
            if seq == info.first_seq {
                info.first_seq = info.last_seq;
            } else {
                assert_eq!(seq, info.last_seq, "of two messages, one end goes");
                info.last_seq = info.first_seq;
            }
        } else if seq == info.first_seq {
            info.first_seq = next(seq).expect("a subject with messages left has a next one");
            assert!(info.first_seq > seq && info.first_seq < info.last_seq);
        } else if seq == info.last_seq {
            info.last_seq = prev(seq).expect("a subject with messages left has a previous one");
            assert!(info.last_seq < seq && info.last_seq > info.first_seq);
        }
    }

    /// Frees the entry of `id` (its last message went).
    fn release(&mut self, id: SubjectId) {
        let slot = self
            .entries
            .get_mut(id.index())
            .expect("ids index the table");
        let entry = slot.take().expect("a released id was live");
        self.ids.remove(&entry.subject);
        self.ordered.remove(&entry.subject);
        self.free.push(id);
    }

    /// The entry of one literal subject.
    pub fn get(&self, subject: &str) -> Option<SubjectInfo> {
        self.ids.get(subject).map(|&id| self.entry(id).info)
    }

    /// The id of `subject`, if it has messages.
    pub fn id(&self, subject: &str) -> Option<SubjectId> {
        self.ids.get(subject).copied()
    }

    /// The entry of a live id.
    pub fn info(&self, id: SubjectId) -> SubjectInfo {
        self.entry(id).info
    }

    /// The interned subject of a live id.
    pub fn subject(&self, id: SubjectId) -> &Arc<str> {
        &self.entry(id).subject
    }

    /// Entries whose subject matches `filter` (a literal filter is one lookup).
    pub fn matching<'a>(
        &'a self,
        filter: &'a str,
    ) -> Box<dyn Iterator<Item = (&'a Arc<str>, SubjectInfo)> + 'a> {
        if !subject::is_match_all(filter) && subject::is_literal(filter) {
            let id = self.ids.get(filter).copied();
            return Box::new(id.into_iter().map(|id| {
                let entry = self.entry(id);
                (&entry.subject, entry.info)
            }));
        }
        let prefix = literal_prefix(filter);
        if prefix.is_empty() {
            return Box::new(
                self.iter()
                    .filter(move |(key, _)| subject::matches(filter, key)),
            );
        }
        Box::new(
            self.ordered
                .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
                .take_while(move |(key, _)| key.starts_with(prefix))
                .filter(move |(key, _)| subject::matches(filter, key))
                .map(|(key, &id)| (key, self.entry(id).info)),
        )
    }

    /// Every entry, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, SubjectInfo)> + '_ {
        self.entries
            .iter()
            .flatten()
            .map(|entry| (&entry.subject, entry.info))
    }

    /// Estimated heap bytes: the tables plus each interned subject's allocation.
    pub fn heap_bytes(&self) -> usize {
        // A hash-map slot is the pair plus one control byte.
        let ids = self.ids.capacity() * (size_of::<(Arc<str>, SubjectId)>() + 1);
        let entries = self.entries.capacity() * size_of::<Option<Entry>>();
        let free = self.free.capacity() * size_of::<SubjectId>();
        // An `Arc<str>` allocation holds two counters before the bytes.
        let strings: usize = self.ids.keys().map(|key| key.len() + 16).sum();
        // B-tree leaves hold up to 11 pairs and run about two-thirds full.
        let ordered = self.ordered.len() * size_of::<(Arc<str>, SubjectId)>() * 3 / 2;
        ids + entries + free + strings + ordered
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
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    fn add(index: &mut SubjectIndex, subject: &str, seq: u64) -> SubjectId {
        index.add(subject, seq).expect("far below the limit").0
    }

    #[test]
    fn counts_and_bounds_follow_adds_and_removes() {
        let mut index = SubjectIndex::new();
        let mut ids = Vec::new();
        for (seq, subject) in [(1, "a"), (2, "b"), (3, "a"), (4, "a"), (5, "a")] {
            ids.push(add(&mut index, subject, seq));
        }
        let a = index.id("a").expect("a is live");
        assert_eq!(ids, vec![a, index.id("b").expect("b"), a, a, a]);
        let info = |msgs, first_seq, last_seq| SubjectInfo {
            msgs,
            first_seq,
            last_seq,
        };
        assert_eq!(index.get("a"), Some(info(4, 1, 5)));
        index.remove(a, 1, |_| Some(3), |_| unreachable!("not the last"));
        assert_eq!(index.get("a"), Some(info(3, 3, 5)));
        index.remove(a, 5, |_| unreachable!("not the first"), |_| Some(4));
        assert_eq!(index.get("a"), Some(info(2, 3, 4)));
        // Down to one message the other end is the answer: no neighbour is asked for.
        index.remove(a, 4, |_| unreachable!(), |_| unreachable!());
        assert_eq!(index.get("a"), Some(info(1, 3, 3)));
        index.remove(a, 3, |_| unreachable!(), |_| unreachable!());
        assert_eq!(index.get("a"), None);
        assert_eq!(index.len(), 1);
        assert_eq!(index.subject(ids[1]).as_ref(), "b");
    }

    #[test]
    fn a_freed_id_is_reused_so_the_table_is_bounded_by_live_subjects() {
        let mut index = SubjectIndex::new();
        for seq in 1..=10_000u64 {
            let id = add(&mut index, &format!("unique.{seq}"), seq);
            if seq > 3 {
                let old = index.id(&format!("unique.{}", seq - 3)).expect("live");
                index.remove(old, seq - 3, |_| None, |_| None);
            }
            assert!(index.len() <= 3);
            assert!(id.index() < 4, "ids are recycled");
        }
        assert!(index.entries.capacity() <= ENTRY_GROWTH_MIN);
        assert!(index.ids.capacity() < 64);
        assert!(index.ordered.len() == 3 && index.free.len() == 1);
    }

    #[test]
    fn subjects_are_interned_once() {
        let mut index = SubjectIndex::new();
        let first = add(&mut index, "orders.eu", 1);
        let (second, previous) = index.add("orders.eu", 2).expect("add");
        assert_eq!(first, second);
        assert_eq!(previous, Some(1));
        assert_eq!(
            Arc::strong_count(index.subject(first)),
            3,
            "entry, hash map, ordered map"
        );
    }

    #[test]
    fn matching_honours_wildcards_and_literals() {
        let mut index = SubjectIndex::new();
        for (seq, subject) in [(1, "a.x"), (2, "a.y"), (3, "b.x"), (4, "a.x.z")] {
            add(&mut index, subject, seq);
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
            add(&mut index, subject, seq);
        }
        let mut names: Vec<String> = index.matching("kv.*").map(|(k, _)| k.to_string()).collect();
        names.sort();
        assert_eq!(names, vec!["kv.a", "kv.ab"]);
        assert_eq!(index.matching("kv.>").count(), 3);
        let id = index.id("kv.ab").expect("live");
        index.remove(id, 2, |_| None, |_| None);
        assert_eq!(index.matching("kv.*").count(), 1);
        index.clear();
        assert_eq!(index.matching("kv.>").count(), 0);
        assert!(index.is_empty());
    }

    /// Removes `seq` from `index` as a store would, with neighbours from the model.
    fn remove_as_a_store(index: &mut SubjectIndex, model: &BTreeMap<u64, String>, seq: u64) {
        let subject = model.get(&seq).expect("in the model");
        let same = |(s, m): (&u64, &String)| (m == subject && *s != seq).then_some(*s);
        let next = model.range(seq..).filter_map(same).next();
        let prev = model.range(..seq).filter_map(same).next_back();
        let id = index.id(subject).expect("live");
        index.remove(id, seq, |_| next, |_| prev);
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: crate::proptest_cases(256),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Random adds and removals against a map of sequence to subject.
        #[test]
        fn the_index_agrees_with_a_model(
            ops in prop::collection::vec((0..6usize, any::<u64>(), any::<bool>()), 1..200),
        ) {
            let subjects = ["a", "b", "c.x", "c.y", "d.x.y", "e"];
            let mut index = SubjectIndex::new();
            let mut model: BTreeMap<u64, String> = BTreeMap::new();
            let mut last_seq = 0;
            for (subject, pick, is_add) in ops {
                if is_add || model.is_empty() {
                    last_seq += 1 + pick % 3;
                    let (id, previous) = index.add(subjects[subject], last_seq).expect("add");
                    let want = model.iter().rev().find(|(_, s)| *s == subjects[subject]);
                    prop_assert_eq!(previous, want.map(|(&seq, _)| seq));
                    prop_assert_eq!(index.subject(id).as_ref(), subjects[subject]);
                    model.insert(last_seq, subjects[subject].to_string());
                } else {
                    let seq = *model.keys().nth((pick % model.len() as u64) as usize).expect("nth");
                    remove_as_a_store(&mut index, &model, seq);
                    model.remove(&seq);
                }
                for subject in subjects {
                    let seqs: Vec<u64> =
                        model.iter().filter(|(_, s)| *s == subject).map(|(&q, _)| q).collect();
                    let want = seqs.first().map(|&first_seq| SubjectInfo {
                        msgs: seqs.len() as u64,
                        first_seq,
                        last_seq: *seqs.last().expect("non-empty"),
                    });
                    prop_assert_eq!(index.get(subject), want);
                }
                let live = index.entries.iter().flatten().count();
                prop_assert_eq!(live, index.len());
                prop_assert_eq!(live + index.free.len(), index.entries.len());
                prop_assert_eq!(index.ordered.len(), index.len());
            }
        }
    }
}
