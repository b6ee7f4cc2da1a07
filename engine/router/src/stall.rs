//! The stall gate: a publisher that fills a subscriber's outbound buffer past its threshold
//! pauses briefly (at most [`STALL_MAX`] per batch) so a subscriber that is slower but still
//! draining is not cut off as a slow consumer, as the Go server's stall channel does. A
//! subscriber that drains nothing during [`STUCK_AFTER_MISSES`] pauses in a row is marked stuck
//! and no publisher waits on it again until it drains: a dead subscriber costs its publishers
//! at most about 100 ms in all; it then reaches its limit and is closed.
//!
//! The request travels in the publisher's [`crate::PublishBatch`]; the gate itself is shared
//! by the subscriber's writer (which calls [`StallGate::drained`]) and any publisher waiting.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Longest pause of one publisher's batch on one stalled subscriber.
pub const STALL_MAX: Duration = Duration::from_millis(20);

/// Pauses in a row without a drained write after which a subscriber counts as stuck.
pub const STUCK_AFTER_MISSES: u32 = 5;

/// One subscriber's gate: notified each time its writer completes a write.
#[derive(Debug, Default)]
pub struct StallGate {
    drained: Notify,
    stuck: AtomicBool,
    misses: AtomicU32,
    /// Publisher pauses on this subscriber so far (monitoring's per-connection `stalls`).
    stalls: AtomicU64,
}

impl StallGate {
    /// How many times a publisher paused on this subscriber.
    pub fn stalls(&self) -> u64 {
        self.stalls.load(Ordering::Relaxed)
    }

    /// Called by the subscriber's writer after each completed write: wakes stalled
    /// publishers and clears the stuck mark.
    pub fn drained(&self) {
        self.stuck.store(false, Ordering::Relaxed);
        self.misses.store(0, Ordering::Relaxed);
        self.drained.notify_waiters();
    }

    /// True when the subscriber drained nothing through [`STUCK_AFTER_MISSES`] pauses.
    pub fn is_stuck(&self) -> bool {
        self.stuck.load(Ordering::Relaxed)
    }

    /// Pauses until the subscriber drains a write or [`STALL_MAX`] passes; a subscriber that
    /// drained nothing through [`STUCK_AFTER_MISSES`] pauses is marked stuck.
    pub async fn wait(&self) {
        self.stalls.fetch_add(1, Ordering::Relaxed);
        let drained = self.drained.notified();
        if tokio::time::timeout(STALL_MAX, drained).await.is_err()
            && self.misses.fetch_add(1, Ordering::Relaxed) + 1 >= STUCK_AFTER_MISSES
        {
            self.stuck.store(true, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::PublishBatch;

    #[tokio::test]
    async fn a_subscriber_that_never_drains_becomes_stuck_until_it_drains() {
        let gate = Arc::new(StallGate::default());
        let mut batch = PublishBatch::new();
        for _ in 0..STUCK_AFTER_MISSES {
            batch.request_stall(&gate);
            let taken = batch.take_stall().expect("not stuck yet");
            taken.wait().await;
        }
        batch.request_stall(&gate);
        assert!(
            batch.take_stall().is_none(),
            "stuck: publishers no longer wait on it"
        );
        gate.drained();
        batch.request_stall(&gate);
        assert!(
            batch.take_stall().is_some(),
            "draining makes it eligible again"
        );
    }

    #[tokio::test]
    async fn wait_ends_when_the_writer_drains() {
        let gate = Arc::new(StallGate::default());
        let waiting = Arc::clone(&gate);
        let waiter = tokio::spawn(async move { waiting.wait().await });
        // The waiter is registered once the spawned task has polled; drain until it ends.
        while !waiter.is_finished() {
            gate.drained();
            tokio::task::yield_now().await;
        }
        waiter.await.expect("waiter");
        assert_eq!(gate.misses.load(Ordering::Relaxed), 0);
    }
}
