//! [`PublishBatch`]: the per-batch state every publisher carries through [`crate::Broker`]'s
//! publish and every [`crate::Sink::deliver`] receives. Part of the plugin seam, so a NATS
//! connection, an MQTT session, a JetStream consumer or an internal publisher all get the same
//! two services, without thread-locals:
//!
//! - **deferred flushes**: a sink whose buffer a delivery made non-empty lists itself
//!   ([`PublishBatch::defer`]) instead of waking its writer; [`PublishBatch::finish`] flushes
//!   each listed sink once at the end of the batch (one signal, often one direct write, per
//!   subscriber per batch, as the Go server's `flushClients`);
//! - **publisher back-pressure**: a sink filling past its threshold asks the publisher to
//!   pause on its [`StallGate`] ([`PublishBatch::request_stall`]); the publisher takes the
//!   request after the batch ([`PublishBatch::take_stall`]) and waits, bounded.
//!
//! A publisher that does not batch (one message at a time) uses [`PublishBatch::unbatched`]:
//! sinks then wake their writers themselves, and it may still honour stall requests.
//!
//! Concurrency: a batch belongs to one publisher task and is never shared; it is passed by
//! `&mut` through the synchronous delivery path (no `.await` while it is borrowed).

use std::sync::Arc;

use crate::stall::StallGate;

/// Subscribers listed per batch; past it, sinks wake their writers directly.
pub const DEFERRED_FLUSHES_MAX: usize = 256;

/// A subscriber's outbound side that can be flushed at the end of a publisher's batch.
pub trait DeferredFlush: Send + Sync {
    /// Writes what is buffered now if that can be done without waiting, else wakes the
    /// subscriber's writer.
    fn flush_now(&self);
}

/// The state of one publisher's batch of publishes.
#[derive(Default)]
pub struct PublishBatch {
    /// False for an unbatched publisher: [`PublishBatch::defer`] refuses.
    batching: bool,
    deferred: Vec<Arc<dyn DeferredFlush>>,
    /// The first gate a sink asked this publisher to pause on during the batch.
    stall: Option<Arc<StallGate>>,
}

impl std::fmt::Debug for PublishBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishBatch")
            .field("batching", &self.batching)
            .field("deferred", &self.deferred.len())
            .field("stall", &self.stall.is_some())
            .finish()
    }
}

impl PublishBatch {
    /// A batch that collects deferred flushes until [`PublishBatch::finish`].
    pub fn new() -> Self {
        Self {
            batching: true,
            ..Self::default()
        }
    }

    /// For a publisher that publishes one message at a time: sinks wake their writers at
    /// once.
    pub fn unbatched() -> Self {
        Self::default()
    }

    /// Lists `sink` for the end-of-batch flush; false when this batch does not collect (or
    /// is full), and the caller must wake its writer itself.
    pub fn defer(&mut self, sink: Arc<dyn DeferredFlush>) -> bool {
        if !self.batching || self.deferred.len() >= DEFERRED_FLUSHES_MAX {
            return false;
        }
        self.deferred.push(sink);
        true
    }

    /// Flushes every listed sink, once each, and empties the list (keeping its capacity, so
    /// a steady publisher allocates nothing here).
    pub fn finish(&mut self) {
        for sink in self.deferred.drain(..) {
            sink.flush_now();
        }
    }

    /// Asks this publisher to pause on `gate` after the batch (the first request wins; a
    /// stuck subscriber's gate is ignored).
    pub fn request_stall(&mut self, gate: &Arc<StallGate>) {
        if self.stall.is_none() && !gate.is_stuck() {
            self.stall = Some(Arc::clone(gate));
        }
    }

    /// Takes the pause requested during the batch, if any.
    pub fn take_stall(&mut self) -> Option<Arc<StallGate>> {
        self.stall.take()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl DeferredFlush for Counting {
        fn flush_now(&self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn deferred_sinks_flush_once_at_finish() {
        let sink = Arc::new(Counting::default());
        let mut unbatched = PublishBatch::unbatched();
        assert!(
            !unbatched.defer(sink.clone()),
            "the caller wakes its writer"
        );
        let mut batch = PublishBatch::new();
        assert!(batch.defer(sink.clone()));
        assert!(batch.defer(sink.clone()));
        assert_eq!(sink.0.load(Ordering::Relaxed), 0);
        batch.finish();
        assert_eq!(sink.0.load(Ordering::Relaxed), 2);
        batch.finish();
        assert_eq!(sink.0.load(Ordering::Relaxed), 2, "finish empties the list");
        for _ in 0..DEFERRED_FLUSHES_MAX {
            assert!(batch.defer(sink.clone()));
        }
        assert!(!batch.defer(sink.clone()), "a full list refuses");
    }

    #[test]
    fn the_first_stall_request_wins_and_is_taken_once() {
        let first = Arc::new(StallGate::default());
        let second = Arc::new(StallGate::default());
        let mut batch = PublishBatch::new();
        batch.request_stall(&first);
        batch.request_stall(&second);
        assert!(
            batch
                .take_stall()
                .is_some_and(|gate| Arc::ptr_eq(&gate, &first))
        );
        assert!(batch.take_stall().is_none());
    }
}
