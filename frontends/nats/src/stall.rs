//! The stall gate: a publisher that fills a subscriber's outbound buffer past half of
//! `max_pending` pauses briefly (at most [`STALL_MAX`] per read batch) so a subscriber that is
//! slower but still draining is not cut off as a slow consumer, as the Go server's stall
//! channel does. A subscriber that drains nothing during [`STUCK_AFTER_MISSES`] pauses in a
//! row is marked stuck and no publisher waits on it again until it drains: a dead subscriber
//! costs its publishers at most about 100 ms in all; it then reaches `max_pending` and is
//! closed.
//!
//! Concurrency: `Sink::deliver` runs synchronously on the publisher's task, so the gate to
//! wait on is handed back through a thread-local slot that the publisher's connection task
//! clears before and takes after each synchronous batch of frames (no `.await` in between,
//! so the slot cannot be seen by another task).

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Longest pause of one publisher's read batch on one stalled subscriber.
pub const STALL_MAX: Duration = Duration::from_millis(20);

/// Pauses in a row without a drained chunk after which a subscriber counts as stuck.
pub const STUCK_AFTER_MISSES: u32 = 5;

/// One subscriber's gate: notified each time its writer finishes a chunk.
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

    /// Called by the writer after each completed write: wakes stalled publishers.
    pub fn drained(&self) {
        self.stuck.store(false, Ordering::Relaxed);
        self.misses.store(0, Ordering::Relaxed);
        self.drained.notify_waiters();
    }
}

thread_local! {
    /// The first gate a publisher hit during its current batch.
    static STALLED: RefCell<Option<Arc<StallGate>>> = const { RefCell::new(None) };
}

/// Asks the publisher running on this thread to pause on `gate` after its batch.
pub fn request(gate: &Arc<StallGate>) {
    if gate.stuck.load(Ordering::Relaxed) {
        return;
    }
    STALLED.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = Some(Arc::clone(gate));
        }
    });
}

/// Forgets any request left on this thread (before a batch).
pub fn clear() {
    STALLED.with(|slot| slot.borrow_mut().take());
}

/// Takes the request made during the batch that just ran on this thread.
pub fn take() -> Option<Arc<StallGate>> {
    STALLED.with(|slot| slot.borrow_mut().take())
}

/// Pauses until `gate`'s subscriber drains a chunk or [`STALL_MAX`] passes; a subscriber
/// that drained nothing through [`STUCK_AFTER_MISSES`] pauses is marked stuck.
pub async fn wait(gate: Arc<StallGate>) {
    gate.stalls.fetch_add(1, Ordering::Relaxed);
    let drained = gate.drained.notified();
    if tokio::time::timeout(STALL_MAX, drained).await.is_err()
        && gate.misses.fetch_add(1, Ordering::Relaxed) + 1 >= STUCK_AFTER_MISSES
    {
        gate.stuck.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_per_batch_and_first_gate_wins() {
        let first = Arc::new(StallGate::default());
        let second = Arc::new(StallGate::default());
        clear();
        request(&first);
        request(&second);
        assert!(take().is_some_and(|gate| Arc::ptr_eq(&gate, &first)));
        assert!(take().is_none());
        request(&second);
        clear();
        assert!(take().is_none());
    }

    #[tokio::test]
    async fn a_subscriber_that_never_drains_becomes_stuck_until_it_drains() {
        let gate = Arc::new(StallGate::default());
        for _ in 0..STUCK_AFTER_MISSES {
            clear();
            request(&gate);
            let taken = take().expect("not stuck yet");
            wait(taken).await;
        }
        clear();
        request(&gate);
        assert!(take().is_none(), "stuck: publishers no longer wait on it");
        gate.drained();
        request(&gate);
        assert!(take().is_some(), "draining makes it eligible again");
    }

    #[tokio::test]
    async fn wait_ends_when_the_writer_drains() {
        let gate = Arc::new(StallGate::default());
        let waiter = tokio::spawn(wait(gate.clone()));
        // The waiter is registered once the spawned task has polled; drain until it ends.
        while !waiter.is_finished() {
            gate.drained();
            tokio::task::yield_now().await;
        }
        waiter.await.unwrap();
        assert_eq!(gate.misses.load(Ordering::Relaxed), 0);
    }
}
