//! Match-result caches: the sublist's shared, bounded [`MatchCache`] and the per-connection
//! one-entry [`LastMatch`].
//!
//! The shared cache maps a literal subject to its [`MatchResult`]. It is kept exact, like the
//! Go server's: inserting or removing a subscription drops every cached subject its filter
//! matches (one lookup for a literal filter, a scan of at most `cache_entries_max` keys for a
//! wildcard one). When full it is swept down to `cache_entries_after_sweep` entries (the Go
//! server uses 1024 and 256) before the next entry is added, so it never exceeds its limit.
//!
//! [`LastMatch`] is validated by the sublist's generation instead: any insert or removal
//! anywhere makes it miss once. It lives in one connection task and needs no lock.

use std::collections::HashMap;
use std::sync::Arc;

use super::{MatchResult, Sublist};
use crate::subject;

/// Default bound on the shared cache's entries (the Go server's `slCacheMax`).
pub const CACHE_ENTRIES_MAX_DEFAULT: usize = 1024;
/// Default size the shared cache is swept down to when full (the Go server's `slCacheSweep`).
pub const CACHE_ENTRIES_AFTER_SWEEP_DEFAULT: usize = 256;

/// The shared, bounded subject → result cache. Not thread-safe by itself.
pub(super) struct MatchCache {
    entries: HashMap<Box<[u8]>, Arc<MatchResult>>,
    /// Upper bound on `entries.len()`; 0 disables the cache.
    entries_max: usize,
    /// What a sweep leaves (less than `entries_max`).
    entries_after_sweep: usize,
}

impl MatchCache {
    pub(super) fn new(entries_max: usize) -> Self {
        // A sweep must free at least one slot; keep a quarter, as the Go defaults do.
        let entries_after_sweep = if entries_max == CACHE_ENTRIES_MAX_DEFAULT {
            CACHE_ENTRIES_AFTER_SWEEP_DEFAULT
        } else {
            entries_max / 4
        };
        Self {
            entries: HashMap::new(),
            entries_max,
            entries_after_sweep,
        }
    }

    pub(super) fn enabled(&self) -> bool {
        self.entries_max > 0
    }

    pub(super) fn entries_max(&self) -> usize {
        self.entries_max
    }

    /// The cached result for `subject`; allocates nothing.
    pub(super) fn get(&self, subject: &[u8]) -> Option<Arc<MatchResult>> {
        self.entries.get(subject).cloned()
    }

    /// Caches `result` for `subject`, sweeping first when full.
    pub(super) fn insert(&mut self, subject: &[u8], result: Arc<MatchResult>) {
        if !self.enabled() {
            return;
        }
        if self.entries.len() >= self.entries_max && !self.entries.contains_key(subject) {
            self.sweep();
        }
        self.entries.insert(subject.into(), result);
    }

    /// Drops arbitrary entries (hash order, effectively random) down to the sweep target.
    fn sweep(&mut self) {
        let mut excess = self.entries.len().saturating_sub(self.entries_after_sweep);
        self.entries.retain(|_, _| {
            if excess == 0 {
                return true;
            }
            excess -= 1;
            false
        });
    }

    /// Drops every cached subject that `filter` matches: their results are now stale.
    pub(super) fn invalidate(&mut self, filter: &[u8]) {
        if self.entries.is_empty() {
            return;
        }
        if subject::subject_is_literal(filter) {
            self.entries.remove(filter);
        } else {
            self.entries
                .retain(|cached, _| !subject::filter_matches(filter, cached));
        }
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// (largest, total) fanout over the cached results, for statistics.
    pub(super) fn fanout(&self) -> (usize, usize) {
        self.entries
            .values()
            .map(|result| result.fanout())
            .fold((0, 0), |(max, total), fanout| {
                (max.max(fanout), total + fanout)
            })
    }
}

/// A per-connection one-entry cache: most publishers send to the same subject again and again.
///
/// A hit costs a generation load and a subject comparison: no lock, no shared counter, no
/// reference-count change. Subjects longer than [`LastMatch::SUBJECT_BYTES_MAX`] are matched
/// but not remembered, which bounds the buffer.
#[derive(Debug, Default)]
pub struct LastMatch {
    generation: u64,
    subject: Vec<u8>,
    result: Option<Arc<MatchResult>>,
    /// False when `result` does not belong to `subject` (the subject was too long to keep).
    valid: bool,
}

impl LastMatch {
    /// Longest subject remembered.
    pub const SUBJECT_BYTES_MAX: usize = 256;

    /// An empty cache; the first lookup misses.
    pub fn new() -> Self {
        Self::default()
    }

    /// The match for `subject`, from this cache when nothing changed in `sublist` since it was
    /// stored, else from [`Sublist::matches`] (which has its own shared cache).
    pub fn get_or_match(&mut self, sublist: &Sublist, subject: &[u8]) -> Arc<MatchResult> {
        self.lookup(sublist, subject).clone()
    }

    /// Like [`LastMatch::get_or_match`], but borrows the result: a hit touches no shared
    /// cache line at all.
    pub fn lookup(&mut self, sublist: &Sublist, subject: &[u8]) -> &Arc<MatchResult> {
        // Read the generation before matching: if the sublist changes while we match, the
        // stored generation is already old and the next lookup matches again.
        let generation = sublist.generation();
        let hit = self.valid && self.generation == generation && self.subject == subject;
        if !hit {
            let result = sublist.matches(subject);
            self.subject.clear();
            self.valid = subject.len() <= Self::SUBJECT_BYTES_MAX;
            if self.valid {
                self.subject.extend_from_slice(subject);
                self.generation = generation;
            }
            self.result = Some(result);
        }
        self.result.get_or_insert_with(|| sublist.matches(subject))
    }

    /// Forgets the stored entry.
    pub fn clear(&mut self) {
        self.valid = false;
        self.result = None;
    }
}
