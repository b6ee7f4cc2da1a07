//! `SequenceSet`: a range-compressed set of `u64` sequences, used for tombstones and deleted
//! sequences. Runs of consecutive sequences cost one map entry, so a stream with a million
//! contiguous deletions costs a few bytes. Insert, remove and contains are O(log r) where r is
//! the number of runs.
use std::collections::BTreeMap;

/// Sequences in `start ..= end` (`start <= end`); saturates for the one run that cannot be
/// counted in a `u64`, `0 ..= u64::MAX`.
fn run_len(start: u64, end: u64) -> u64 {
    (end - start).saturating_add(1)
}

/// A set of `u64` kept as disjoint, non-adjacent inclusive ranges `start ..= end`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SequenceSet {
    /// start -> end (inclusive). Ranges never overlap or touch.
    ranges: BTreeMap<u64, u64>,
    count: u64,
}

impl SequenceSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of sequences in the set (saturating at `u64::MAX`).
    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Number of runs (memory is proportional to this, not to `len`).
    pub fn run_count(&self) -> usize {
        self.ranges.len()
    }

    /// The run containing `seq`, as `(start, end)`.
    fn run_of(&self, seq: u64) -> Option<(u64, u64)> {
        self.ranges
            .range(..=seq)
            .next_back()
            .filter(|&(_, &end)| end >= seq)
            .map(|(&start, &end)| (start, end))
    }

    pub fn contains(&self, seq: u64) -> bool {
        self.run_of(seq).is_some()
    }

    /// Adds `seq`; false when it was already present.
    pub fn insert(&mut self, seq: u64) -> bool {
        if self.contains(seq) {
            return false;
        }
        let before = seq
            .checked_sub(1)
            .and_then(|prev| self.run_of(prev))
            .map(|(start, _)| start);
        let after = seq
            .checked_add(1)
            .filter(|next| self.ranges.contains_key(next));
        match (before, after) {
            (Some(start), Some(next)) => {
                let end = self.ranges.remove(&next).unwrap_or(next);
                self.ranges.insert(start, end);
            }
            (Some(start), None) => {
                self.ranges.insert(start, seq);
            }
            (None, Some(next)) => {
                let end = self.ranges.remove(&next).unwrap_or(next);
                self.ranges.insert(seq, end);
            }
            (None, None) => {
                self.ranges.insert(seq, seq);
            }
        }
        self.count += 1;
        true
    }

    /// Adds every sequence in `start ..= end`.
    pub fn insert_range(&mut self, start: u64, end: u64) {
        if start > end {
            return;
        }
        let mut new_start = start;
        let mut new_end = end;
        // Runs overlapping or touching [start, end] are absorbed into one.
        let low = self
            .run_of(start.saturating_sub(1))
            .map_or(start, |(s, _)| s);
        let high = end.saturating_add(1);
        let absorbed: Vec<(u64, u64)> = self
            .ranges
            .range(low..=high)
            .map(|(&s, &e)| (s, e))
            .collect();
        for (s, e) in absorbed {
            if e.saturating_add(1) < start {
                continue;
            }
            self.ranges.remove(&s);
            self.count -= run_len(s, e);
            new_start = new_start.min(s);
            new_end = new_end.max(e);
        }
        self.ranges.insert(new_start, new_end);
        self.count = self.count.saturating_add(run_len(new_start, new_end));
    }

    /// Removes `seq`; false when it was absent.
    pub fn remove(&mut self, seq: u64) -> bool {
        let Some((start, end)) = self.run_of(seq) else {
            return false;
        };
        self.ranges.remove(&start);
        if start < seq {
            self.ranges.insert(start, seq - 1);
        }
        if seq < end {
            self.ranges.insert(seq + 1, end);
        }
        self.count -= 1;
        true
    }

    /// Removes every sequence below `seq`.
    pub fn remove_below(&mut self, seq: u64) {
        let below: Vec<(u64, u64)> = self.ranges.range(..seq).map(|(&s, &e)| (s, e)).collect();
        for (start, end) in below {
            self.ranges.remove(&start);
            if end >= seq {
                self.ranges.insert(seq, end);
                self.count -= seq - start;
            } else {
                self.count -= run_len(start, end);
            }
        }
    }

    /// Removes every sequence above `seq`.
    pub fn remove_above(&mut self, seq: u64) {
        if let Some((start, end)) = self.run_of(seq)
            && end > seq
        {
            self.ranges.insert(start, seq);
            self.count -= end - seq;
        }
        let above: Vec<(u64, u64)> = self
            .ranges
            .range(seq.saturating_add(1)..)
            .map(|(&s, &e)| (s, e))
            .collect();
        for (start, end) in above {
            if start > seq {
                self.ranges.remove(&start);
                self.count -= run_len(start, end);
            }
        }
    }

    pub fn clear(&mut self) {
        self.ranges.clear();
        self.count = 0;
    }

    pub fn first(&self) -> Option<u64> {
        self.ranges.keys().next().copied()
    }

    pub fn last(&self) -> Option<u64> {
        self.ranges.values().next_back().copied()
    }

    /// The runs, ascending, as inclusive `(start, end)`.
    pub fn ranges(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ranges.iter().map(|(&start, &end)| (start, end))
    }

    /// Every sequence, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.ranges().flat_map(|(start, end)| start..=end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn adjacent_inserts_merge_into_one_run() {
        let mut set = SequenceSet::new();
        for seq in [5, 3, 4, 7, 6] {
            assert!(set.insert(seq));
        }
        assert!(!set.insert(4));
        assert_eq!(set.run_count(), 1);
        assert_eq!(set.len(), 5);
        assert_eq!(set.ranges().collect::<Vec<_>>(), vec![(3, 7)]);
    }

    #[test]
    fn removing_inside_a_run_splits_it() {
        let mut set = SequenceSet::new();
        set.insert_range(1, 10);
        assert!(set.remove(5));
        assert!(!set.remove(5));
        assert_eq!(set.ranges().collect::<Vec<_>>(), vec![(1, 4), (6, 10)]);
        assert_eq!(set.len(), 9);
        assert!(!set.contains(5));
        assert!(set.contains(6));
    }

    #[test]
    fn range_insert_absorbs_overlapping_and_touching_runs() {
        let mut set = SequenceSet::new();
        set.insert(1);
        set.insert(10);
        set.insert(20);
        set.insert_range(2, 11);
        assert_eq!(set.ranges().collect::<Vec<_>>(), vec![(1, 11), (20, 20)]);
        assert_eq!(set.len(), 12);
    }

    #[test]
    fn remove_below_and_above_trim_runs() {
        let mut set = SequenceSet::new();
        set.insert_range(1, 5);
        set.insert_range(8, 12);
        set.remove_below(3);
        set.remove_above(10);
        assert_eq!(set.ranges().collect::<Vec<_>>(), vec![(3, 5), (8, 10)]);
        assert_eq!(set.len(), 6);
        assert_eq!(set.first(), Some(3));
        assert_eq!(set.last(), Some(10));
    }

    #[test]
    fn random_operations_agree_with_a_btreeset() {
        // A fixed pseudo-random walk (xorshift) keeps the test deterministic.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut set = SequenceSet::new();
        let mut model = BTreeSet::new();
        for _ in 0..5_000 {
            let seq = next() % 200;
            match next() % 5 {
                0 | 1 => assert_eq!(set.insert(seq), model.insert(seq)),
                2 => assert_eq!(set.remove(seq), model.remove(&seq)),
                3 => {
                    let end = seq + next() % 10;
                    set.insert_range(seq, end);
                    model.extend(seq..=end);
                }
                _ => assert_eq!(set.contains(seq), model.contains(&seq)),
            }
            assert_eq!(set.len(), model.len() as u64);
        }
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            model.into_iter().collect::<Vec<_>>()
        );
    }

    #[derive(Clone, Debug)]
    enum SetOp {
        Insert(u64),
        InsertRange(u64, u64),
        Remove(u64),
        RemoveBelow(u64),
        RemoveAbove(u64),
    }

    fn set_op() -> impl proptest::strategy::Strategy<Value = SetOp> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (0..100u64).prop_map(SetOp::Insert),
            2 => (0..100u64, 0..12u64).prop_map(|(start, len)| SetOp::InsertRange(start, start + len)),
            3 => (0..100u64).prop_map(SetOp::Remove),
            1 => (0..100u64).prop_map(SetOp::RemoveBelow),
            1 => (0..100u64).prop_map(SetOp::RemoveAbove),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: crate::proptest_cases(256),
            failure_persistence: None,
            ..Default::default()
        })]

        #[test]
        fn every_operation_agrees_with_a_btreeset(
            ops in proptest::collection::vec(set_op(), 1..60),
        ) {
            let mut set = SequenceSet::new();
            let mut model = BTreeSet::new();
            for op in ops {
                match op {
                    SetOp::Insert(seq) => {
                        proptest::prop_assert_eq!(set.insert(seq), model.insert(seq));
                    }
                    SetOp::InsertRange(start, end) => {
                        set.insert_range(start, end);
                        model.extend(start..=end);
                    }
                    SetOp::Remove(seq) => {
                        proptest::prop_assert_eq!(set.remove(seq), model.remove(&seq));
                    }
                    SetOp::RemoveBelow(seq) => {
                        set.remove_below(seq);
                        model.retain(|&s| s >= seq);
                    }
                    SetOp::RemoveAbove(seq) => {
                        set.remove_above(seq);
                        model.retain(|&s| s <= seq);
                    }
                }
                proptest::prop_assert_eq!(set.len(), model.len() as u64);
                proptest::prop_assert_eq!(set.first(), model.first().copied());
                proptest::prop_assert_eq!(set.last(), model.last().copied());
                let runs: Vec<(u64, u64)> = set.ranges().collect();
                // Runs are disjoint and never touch (the compression is maximal).
                for pair in runs.windows(2) {
                    proptest::prop_assert!(pair[0].1 + 1 < pair[1].0, "{:?}", runs);
                }
            }
            proptest::prop_assert_eq!(
                set.iter().collect::<Vec<_>>(),
                model.into_iter().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn the_whole_sequence_space_is_one_run_without_overflow() {
        let mut set = SequenceSet::new();
        set.insert_range(0, u64::MAX);
        assert_eq!(set.len(), u64::MAX);
        assert!(set.contains(u64::MAX));
        assert!(set.remove(u64::MAX));
        assert!(!set.insert(0));
        set.remove_below(10);
        assert_eq!(set.first(), Some(10));
    }
}
