//! The `StreamStore` trait: what every stream store (memory, file) does, sans-IO in time.
//!
//! Time is injected: operations whose outcome depends on the clock take `now_ns` (nanoseconds
//! since the Unix epoch) from the caller, and nothing in a store reads a clock. The driver calls
//! [`StreamStore::expire`] when [`StreamStore::next_expiry_ns`] says so (like raft-rs `tick`),
//! which keeps stores deterministic and lets tests use a manual clock.
//!
//! Semantics shared by all implementations (the shared suite in `tests/common/` checks them):
//! - Filters are subject filters with `*` and `>` wildcards; `""` and `">"` match everything.
//! - Limits are enforced on every store, incrementally: discard-old removes the oldest messages
//!   (per subject first, then `max_msgs`, then `max_bytes`); discard-new refuses with
//!   [`Error::MaxMsgs`], [`Error::MaxBytes`] or [`Error::MaxMsgsPerSubject`].
//! - Age and TTL expiry happen only in `expire(now_ns)`: max age removes from the first message
//!   while `ts_ns + max_age_ns <= now_ns` (timestamps are assumed non-decreasing in sequence
//!   order, as in Go); a per-message TTL removes the message once `expires_ns <= now_ns`.
//! - Removing the last message keeps `last_seq`/`last_ts_ns`; only store, skip, truncate and
//!   a full purge move them.
//!
//! [`Error::MaxMsgs`]: crate::Error::MaxMsgs
//! [`Error::MaxBytes`]: crate::Error::MaxBytes
//! [`Error::MaxMsgsPerSubject`]: crate::Error::MaxMsgsPerSubject
use std::collections::BTreeMap;

use crate::Result;
use crate::consumer::{ConsumerConfig, ConsumerStore, MemConsumerStore};
use crate::types::{NewMsg, SimpleState, StoreConfig, StoredMsg, StreamState};

/// A stream's message store. Object safe: callers hold a `Box<dyn StreamStore>`.
pub trait StreamStore: Send {
    /// Appends `msg` with the next sequence and timestamp `now_ns`; returns `(seq, ts_ns)`.
    /// Refuses with a limit error under discard-new, [`crate::Error::MsgTooLarge`], or
    /// [`crate::Error::InvalidSubject`] for an empty or wildcard subject.
    fn store(&mut self, msg: &NewMsg<'_>, now_ns: u64) -> Result<(u64, u64)>;

    /// Appends `msg` at a given sequence and timestamp (mirrors, replication). `seq` must be
    /// above `last_seq`; the skipped sequences become gaps.
    fn store_raw(&mut self, msg: &NewMsg<'_>, seq: u64, ts_ns: u64) -> Result<()>;

    /// Consumes the next sequence without a message; returns it.
    fn skip(&mut self, now_ns: u64) -> Result<u64>;

    /// Consumes sequences `seq .. seq + count`, where `seq` must be `last_seq + 1`.
    fn skip_many(&mut self, seq: u64, count: u64, now_ns: u64) -> Result<()>;

    /// The message at `seq`: [`crate::Error::Eof`] past `last_seq`, else
    /// [`crate::Error::NotFound`] when it is gone.
    fn load(&self, seq: u64) -> Result<StoredMsg>;

    /// The first message at or after `start_seq` whose subject matches `filter`;
    /// [`crate::Error::Eof`] when there is none.
    fn load_next(&self, filter: &str, start_seq: u64) -> Result<StoredMsg>;

    /// The last message whose subject matches `filter`; [`crate::Error::NotFound`] if none.
    fn load_last(&self, filter: &str) -> Result<StoredMsg>;

    /// The last message at or before `start_seq`; [`crate::Error::Eof`] when there is none.
    fn load_prev(&self, start_seq: u64) -> Result<StoredMsg>;

    /// Removes the message at `seq`; false when there was none.
    fn remove(&mut self, seq: u64) -> Result<bool>;

    /// Removes the message at `seq` and overwrites its bytes; false when there was none.
    fn erase(&mut self, seq: u64) -> Result<bool>;

    /// Removes every message; `first_seq` becomes `last_seq + 1`. Returns how many went.
    fn purge(&mut self) -> Result<u64>;

    /// Removes messages matching `filter` (Go's `PurgeEx`): when `keep > 0`, all but the last
    /// `keep` matching messages; when `up_to_seq > 0`, only those with `seq < up_to_seq`.
    /// With both, the candidates are taken oldest first until `matching - keep` are gone.
    /// Returns how many went.
    ///
    /// Differences from Go, for the JetStream layer to bridge: Go refuses `up_to_seq > 1` with
    /// `keep > 0` (`ErrPurgeArgMismatch`); for a match-all filter Go turns `up_to_seq` into
    /// `compact(up_to_seq)` (which can move the next sequence past the end) and `keep` into
    /// `compact(last_seq - keep + 1)` (which keeps fewer than `keep` when there are gaps).
    /// Here purge_ex never moves sequences and `keep` counts messages.
    fn purge_ex(&mut self, filter: &str, up_to_seq: u64, keep: u64) -> Result<u64>;

    /// Removes every message with `seq < seq`; when `seq > last_seq + 1` the stream is emptied
    /// and continues at `seq` (`last_seq = seq - 1`). Returns how many went.
    fn compact(&mut self, seq: u64) -> Result<u64>;

    /// Removes every message with `seq > seq` and sets `last_seq = seq` (when lower);
    /// `last_ts_ns` becomes the timestamp of the newest remaining message at or below `seq`,
    /// or 0. `seq == 0` empties the stream and restarts it at 1.
    fn truncate(&mut self, seq: u64) -> Result<()>;

    /// Removes messages past their max age or TTL at `now_ns`; returns how many went.
    fn expire(&mut self, now_ns: u64) -> Result<u64>;

    /// When `expire` next has work to do, if ever. May be earlier than necessary after
    /// removals (the TTL wheel keeps a lower bound), never later.
    fn next_expiry_ns(&self) -> Option<u64>;

    /// Counters and bounds, without the list of deleted sequences. O(1).
    fn state(&self) -> StreamState;

    /// As [`StreamStore::state`], with `deleted` filled (ascending).
    fn state_with_deleted(&self) -> StreamState;

    /// Messages at or after `start_seq` matching `filter`.
    fn filtered_state(&self, start_seq: u64, filter: &str) -> SimpleState;

    /// Per-subject state of the subjects matching `filter`.
    fn subjects_state(&self, filter: &str) -> BTreeMap<String, SimpleState>;

    /// Per-subject message counts of the subjects matching `filter`.
    fn subjects_totals(&self, filter: &str) -> BTreeMap<String, u64>;

    /// Messages at or after `start_seq` matching `filter`; with `last_per_subject`, only the
    /// last message of each subject counts (when it is at or after `start_seq`).
    fn num_pending(&self, start_seq: u64, filter: &str, last_per_subject: bool) -> u64;

    /// The first message at or after `start_seq` matching any of `filters` (a consumer with
    /// several filter subjects); [`crate::Error::Eof`] when none, or when `filters` is empty.
    /// The default asks `load_next` once per filter.
    fn load_next_any(&self, filters: &[&str], start_seq: u64) -> Result<StoredMsg> {
        let mut best: Option<StoredMsg> = None;
        for filter in filters {
            match self.load_next(filter, start_seq) {
                Ok(msg) if best.as_ref().is_none_or(|best| msg.seq < best.seq) => best = Some(msg),
                Ok(_) | Err(crate::Error::Eof) => {}
                Err(error) => return Err(error),
            }
        }
        best.ok_or(crate::Error::Eof)
    }

    /// [`StreamStore::num_pending`] over the union of `filters` (overlapping filters count a
    /// message once). The default splits the union into its distinct subjects, which
    /// partition the messages.
    fn num_pending_any(&self, start_seq: u64, filters: &[&str], last_per_subject: bool) -> u64 {
        let mut subjects = std::collections::BTreeSet::new();
        for filter in filters {
            subjects.extend(self.subjects_totals(filter).into_keys());
        }
        subjects
            .iter()
            .map(|subject| self.num_pending(start_seq, subject, last_per_subject))
            .sum()
    }

    /// The first sequence whose timestamp is `>= ts_ns`; `last_seq + 1` when none.
    fn seq_from_time(&self, ts_ns: u64) -> u64;

    /// The limits in force.
    fn config(&self) -> &StoreConfig;

    /// Replaces the limits and enforces them (discard-old removals happen now; age limits at
    /// the next `expire`).
    fn update_config(&mut self, config: StoreConfig) -> Result<()>;

    /// Opens the state store of consumer `name` on this stream (Go's `ConsumerStore`). The
    /// default keeps it in memory, which is right for a memory stream; a durable store
    /// overrides it to persist under its directory (`FileConsumerStore::open_in`).
    fn consumer_store(
        &mut self,
        name: &str,
        config: ConsumerConfig,
    ) -> Result<Box<dyn ConsumerStore>> {
        if !crate::consumer::is_valid_name(name) {
            return Err(crate::Error::InvalidArgument {
                reason: "consumer name",
            });
        }
        Ok(Box::new(MemConsumerStore::new(config)))
    }

    /// Makes written data durable (no-op for memory).
    fn flush(&mut self) -> Result<()>;

    /// Flushes and closes; later writes fail with [`crate::Error::Closed`] (reads may too).
    fn close(&mut self) -> Result<()>;
}
