//! The subscription index: given a literal subject, which subscriptions match.
//!
//! Three parts: the `trie` module (one level per token, `*` and `>` nodes, pruned on removal),
//! the shared bounded match-result cache of the `cache` module (exact: invalidated per filter on every change),
//! and the per-connection [`LastMatch`] (validated by a generation counter).
//!
//! # Concurrency model
//!
//! * The trie and its counters sit under one `parking_lot::RwLock`. Matching on a cache miss
//!   takes it shared; insert and remove take it exclusively.
//! * The shared cache sits under a second `RwLock`. A hit takes it shared, clones an `Arc` and
//!   allocates nothing; filling and invalidating take it exclusively.
//! * Lock order: trie, then cache. A writer holds the trie lock while it edits the trie, then
//!   takes the cache lock to invalidate the affected subjects and bumps the generation *inside*
//!   that cache critical section. A miss computes its result under the shared trie lock and
//!   notes the generation there, releases it, then caches the result only if the generation is
//!   unchanged when it holds the cache lock; a result computed before a change therefore
//!   either lands before the writer's invalidation (and is dropped by it) or is refused.
//! * [`LastMatch`] reads the generation *before* matching; since the generation moves only
//!   after the cache is invalidated, an entry stored with generation `g` was computed from a
//!   state no older than `g`.
//! * Match/miss counters are relaxed atomics (as in the Go server); insert/remove counters live
//!   under the trie lock. Statistics are a best-effort snapshot.
//! * No lock is held on return: callers (the [`crate::Broker`]) deliver to sinks with no
//!   sublist lock held, so a sink may subscribe or unsubscribe from inside `deliver`.

mod cache;
#[cfg(test)]
mod tests;
mod trie;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::RwLock;

use cache::MatchCache;
pub use cache::{CACHE_ENTRIES_AFTER_SWEEP_DEFAULT, CACHE_ENTRIES_MAX_DEFAULT, LastMatch};
use trie::Trie;

use crate::client::ClientId;
use crate::error::{Error, Result};
use crate::plugin::Sink;
use crate::subject;

/// One subscription, owned by a client, delivered through its sink.
pub struct Subscription {
    /// The client that owns it (for echo suppression and monitoring).
    pub client: ClientId,
    /// The protocol's own token for it (the NATS `sid`), echoed in each delivery.
    pub sid: Bytes,
    /// The subscription filter (wildcards allowed).
    pub subject: Bytes,
    /// The queue group, if any: each message goes to one member per group.
    pub queue: Option<Bytes>,
    /// Where matched messages go.
    pub sink: Arc<dyn Sink>,
    /// Messages delivered through this subscription (for auto-unsubscribe).
    pub delivered: AtomicU64,
    /// Auto-unsubscribe after this many deliveries; 0 means no limit.
    pub max_deliveries: AtomicU64,
}

impl Subscription {
    /// A new subscription with no delivery limit. Validates subject and queue name.
    pub fn new(
        client: ClientId,
        sid: Bytes,
        subject: Bytes,
        queue: Option<Bytes>,
        sink: Arc<dyn Sink>,
    ) -> Result<Self> {
        if !subject::is_valid_filter(&subject) {
            return Err(Error::InvalidSubject);
        }
        if let Some(queue) = &queue
            && !subject::is_valid_queue(queue)
        {
            return Err(Error::InvalidQueue);
        }
        Ok(Self {
            client,
            sid,
            subject,
            queue,
            sink,
            delivered: AtomicU64::new(0),
            max_deliveries: AtomicU64::new(0),
        })
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("client", &self.client)
            .field("sid", &self.sid)
            .field("subject", &self.subject)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

/// The members of one queue group that matched a subject.
#[derive(Debug, Default)]
pub struct QueueGroup {
    /// The group's name.
    pub name: Bytes,
    /// Its matching members; one of them receives each message.
    pub members: Vec<Arc<Subscription>>,
}

/// Every subscription matching one subject: plain ones each get the message; each queue group
/// gets it once.
#[derive(Debug, Default)]
pub struct MatchResult {
    /// Subscriptions without a queue group.
    pub plain: Vec<Arc<Subscription>>,
    /// Queue groups, each with its matching members.
    pub queues: Vec<QueueGroup>,
    /// Rotates the member chosen in each group, so load spreads across members.
    pub next_member: AtomicUsize,
}

impl MatchResult {
    /// True when nothing matched.
    pub fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.queues.is_empty()
    }

    /// Plain subscriptions plus queue groups: how many deliveries one publish makes (the Go
    /// server's fanout).
    pub fn fanout(&self) -> usize {
        self.plain.len() + self.queues.len()
    }

    /// Every matching subscription, counting each queue member.
    pub fn subscription_count(&self) -> usize {
        self.plain.len()
            + self
                .queues
                .iter()
                .map(|group| group.members.len())
                .sum::<usize>()
    }
}

/// Sublist statistics, with the Go server's `SublistStats` JSON names (`/subsz`, `/varz`).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct SublistStats {
    /// Live subscriptions.
    pub num_subscriptions: u32,
    /// Entries in the shared match cache.
    pub num_cache: u32,
    /// Subscriptions inserted since start.
    pub num_inserts: u64,
    /// Subscriptions removed since start.
    pub num_removes: u64,
    /// Calls to [`Sublist::matches`].
    pub num_matches: u64,
    /// Share of `num_matches` answered by the shared cache (0 to 1).
    pub cache_hit_rate: f64,
    /// Largest fanout among cached results.
    pub max_fanout: u32,
    /// Mean fanout over cached results.
    pub avg_fanout: f64,
}

/// The subscription index. See the module doc for its concurrency model.
pub struct Sublist {
    trie: RwLock<Trie>,
    cache: RwLock<MatchCache>,
    generation: AtomicU64,
    matches_total: AtomicU64,
    /// Matches the shared cache did not answer; hits are `matches_total - cache_misses`, so a
    /// hit touches one shared counter instead of two.
    cache_misses: AtomicU64,
    /// Seeds the queue rotation of each freshly computed result, so that results rebuilt after
    /// every change (or with no cache) do not all start at their first member.
    rotation_seed: AtomicUsize,
    /// Fixed at construction: lets the matcher skip the cache lock when there is no cache.
    cache_enabled: bool,
    /// Shared by every subject that matches nothing, so misses on empty subjects allocate once.
    empty: Arc<MatchResult>,
}

impl Default for Sublist {
    fn default() -> Self {
        Self::with_cache_entries_max(CACHE_ENTRIES_MAX_DEFAULT)
    }
}

impl std::fmt::Debug for Sublist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sublist")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

fn u32_saturating(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl Sublist {
    /// An empty index with the default shared cache (1024 entries).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index whose shared cache holds at most `cache_entries_max` subjects; 0 turns
    /// the shared cache off.
    pub fn with_cache_entries_max(cache_entries_max: usize) -> Self {
        Self {
            trie: RwLock::new(Trie::default()),
            cache: RwLock::new(MatchCache::new(cache_entries_max)),
            generation: AtomicU64::new(0),
            matches_total: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            rotation_seed: AtomicUsize::new(0),
            cache_enabled: cache_entries_max > 0,
            empty: Arc::new(MatchResult::default()),
        }
    }

    /// The bound on the shared cache's entries (0: no cache).
    pub fn cache_entries_max(&self) -> usize {
        self.cache.read().entries_max()
    }

    /// Adds a subscription. Its filter and queue name are checked again here (the fields are
    /// public), as the Go server's `Insert` does. Adding the same `Arc` twice keeps one.
    pub fn insert(&self, subscription: Arc<Subscription>) -> Result<()> {
        if !subject::is_valid_filter(&subscription.subject) {
            return Err(Error::InvalidSubject);
        }
        if let Some(queue) = &subscription.queue
            && !subject::is_valid_queue(queue)
        {
            return Err(Error::InvalidQueue);
        }
        let filter = subscription.subject.clone();
        let mut trie = self.trie.write();
        if trie.insert(subscription) {
            self.invalidate(|cache| cache.invalidate(&filter));
        }
        Ok(())
    }

    /// Removes a subscription (by identity). Returns false if it was not there.
    pub fn remove(&self, subscription: &Arc<Subscription>) -> bool {
        let mut trie = self.trie.write();
        let removed = trie.remove(subscription);
        if removed {
            self.invalidate(|cache| cache.invalidate(&subscription.subject));
        }
        removed
    }

    /// Removes many subscriptions under one lock (a closing connection); returns how many
    /// were present. A large batch clears the shared cache instead of scanning it per filter.
    pub fn remove_batch(&self, subscriptions: &[Arc<Subscription>]) -> usize {
        // Past this many filters, one clear is cheaper than a cache scan per filter.
        const PER_FILTER_INVALIDATION_MAX: usize = 8;
        let mut trie = self.trie.write();
        let removed: Vec<&Arc<Subscription>> = subscriptions
            .iter()
            .filter(|subscription| trie.remove(subscription))
            .collect();
        if !removed.is_empty() {
            self.invalidate(|cache| {
                if removed.len() > PER_FILTER_INVALIDATION_MAX {
                    cache.clear();
                } else {
                    removed
                        .iter()
                        .for_each(|subscription| cache.invalidate(&subscription.subject));
                }
            });
        }
        removed.len()
    }

    /// Runs `edit` on the cache, then bumps the generation inside the same critical section.
    /// Callers hold the trie's write lock (lock order: trie, then cache).
    fn invalidate(&self, edit: impl FnOnce(&mut MatchCache)) {
        let mut cache = self.cache.write();
        edit(&mut cache);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Every subscription matching `subject`, whose tokens are all taken literally: a `*` or
    /// `>` token in a published subject is ordinary text (Go's rule), so it matches `*` and
    /// `>` filters as any token would. A cache hit allocates nothing.
    pub fn matches(&self, subject: &[u8]) -> Arc<MatchResult> {
        self.matches_total.fetch_add(1, Ordering::Relaxed);
        if !self.cache_enabled {
            self.cache_misses.fetch_add(1, Ordering::Relaxed);
            return self.match_uncached(subject).0;
        }
        if let Some(hit) = self.cache.read().get(subject) {
            return hit;
        }
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
        let (result, generation) = self.match_uncached(subject);
        let mut cache = self.cache.write();
        if self.generation.load(Ordering::Acquire) == generation {
            cache.insert(subject, result.clone());
        }
        result
    }

    /// Walks the trie (no cache) and notes the generation the result belongs to.
    fn match_uncached(&self, subject: &[u8]) -> (Arc<MatchResult>, u64) {
        let mut result = MatchResult::default();
        let trie = self.trie.read();
        trie.collect(subject, &mut result);
        // Read under the trie lock: writers bump it while holding that lock exclusively.
        let generation = self.generation.load(Ordering::Acquire);
        drop(trie);
        if !result.queues.is_empty() {
            result.next_member =
                AtomicUsize::new(self.rotation_seed.fetch_add(1, Ordering::Relaxed));
        }
        let result = if result.is_empty() {
            self.empty.clone()
        } else {
            Arc::new(result)
        };
        (result, generation)
    }

    /// Every subscription, in no particular order (monitoring's `/subsz?subs=1`).
    pub fn subscriptions(&self) -> Vec<Arc<Subscription>> {
        let trie = self.trie.read();
        let mut all = Vec::with_capacity(trie.count);
        trie.for_each(|subscription| all.push(subscription.clone()));
        all
    }

    /// Changes on every insert and remove; a cached [`MatchResult`] is valid while it holds.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Number of subscriptions.
    pub fn count(&self) -> usize {
        self.trie.read().count
    }

    /// A statistics snapshot, computed as the Go server's `Sublist.Stats` does (fanout over
    /// the cached results).
    pub fn stats(&self) -> SublistStats {
        let (num_subscriptions, num_inserts, num_removes) = {
            let trie = self.trie.read();
            (u32_saturating(trie.count), trie.inserts, trie.removes)
        };
        let (cached, (max_fanout, total_fanout)) = {
            let cache = self.cache.read();
            (cache.len(), cache.fanout())
        };
        // Matches first: misses counted after that load can only lower the hit count, never
        // raise it past the truth (the counters are best-effort, as in the Go server).
        let num_matches = self.matches_total.load(Ordering::Relaxed);
        let misses = self.cache_misses.load(Ordering::Relaxed);
        let hits = num_matches.saturating_sub(misses);
        let ratio = |part: u64, whole: u64| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        SublistStats {
            num_subscriptions,
            num_cache: u32_saturating(cached),
            num_inserts,
            num_removes,
            num_matches,
            cache_hit_rate: ratio(hits, num_matches),
            max_fanout: u32_saturating(max_fanout),
            avg_fanout: ratio(total_fanout as u64, cached as u64),
        }
    }
}
