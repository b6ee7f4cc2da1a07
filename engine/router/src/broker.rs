//! The broker: routes one publish to the sinks of every matching subscription.
//!
//! Delivery rules, as the Go server's: every plain subscription gets the message; each queue
//! group gets it once, at one member chosen round robin (the rotation lives in the shared
//! [`MatchResult`], so it spreads across publishers too), moving on to the next member when a
//! sink reports [`DeliveryOutcome::Dropped`]. With `echo` false the publisher's own
//! subscriptions, plain or queue, are skipped.
//!
//! Concurrency: the broker is shared (`Arc<Broker>`) by every connection task. It holds no
//! lock while it calls a sink: [`Sublist::matches`] returns an `Arc` with every lock released,
//! so a sink may subscribe or unsubscribe from inside `deliver`. Sinks never block.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::batch::PublishBatch;
use crate::client::{ClientId, ClientRegistry};
use crate::error::Result;
use crate::plugin::{DeliveryOutcome, Message};
use crate::stats::ServerStats;
use crate::sublist::{LastMatch, MatchResult, Sublist, SublistStats, Subscription};

/// Routes messages between clients.
#[derive(Default)]
pub struct Broker {
    sublist: Sublist,
    stats: ServerStats,
    clients: ClientRegistry,
    next_client_id: AtomicU64,
}

/// What one publish did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublishOutcome {
    /// Sinks that accepted the message.
    pub delivered: usize,
    /// Subscriptions that matched (delivered or dropped); 0 means "no responders".
    pub matched: usize,
}

impl Broker {
    /// A broker with no subscriptions.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A fresh server-unique client id (starting at 1).
    pub fn next_client_id(&self) -> ClientId {
        ClientId(self.next_client_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// The subscription index.
    pub fn sublist(&self) -> &Sublist {
        &self.sublist
    }

    /// Server-wide counters.
    pub fn stats(&self) -> &ServerStats {
        &self.stats
    }

    /// Live clients, for monitoring.
    pub fn clients(&self) -> &ClientRegistry {
        &self.clients
    }

    /// Adds a subscription.
    pub fn subscribe(&self, subscription: Arc<Subscription>) -> Result<()> {
        self.sublist.insert(subscription)
    }

    /// Removes a subscription; false if it was already gone.
    pub fn unsubscribe(&self, subscription: &Arc<Subscription>) -> bool {
        self.sublist.remove(subscription)
    }

    /// Removes many subscriptions at once (a closing connection); returns how many were there.
    pub fn unsubscribe_batch(&self, subscriptions: &[Arc<Subscription>]) -> usize {
        self.sublist.remove_batch(subscriptions)
    }

    /// The sublist's statistics (`/subsz`).
    pub fn sublist_stats(&self) -> SublistStats {
        self.sublist.stats()
    }

    /// Like [`Broker::publish`], through the connection's one-entry cache: a publisher that
    /// repeats a subject skips the shared cache (its lock and counters) entirely.
    pub fn publish_with(
        &self,
        last_match: &mut LastMatch,
        batch: &mut PublishBatch,
        publisher: ClientId,
        echo: bool,
        message: &Message<'_>,
    ) -> PublishOutcome {
        let matched = last_match.lookup(&self.sublist, message.subject);
        self.deliver(matched, batch, publisher, echo, message)
    }

    /// Routes `message` from `publisher`. With `echo` false, the publisher's own
    /// subscriptions are skipped. `batch` carries deferred flushes and stall requests
    /// (see [`PublishBatch`]); the caller finishes it.
    pub fn publish(
        &self,
        batch: &mut PublishBatch,
        publisher: ClientId,
        echo: bool,
        message: &Message<'_>,
    ) -> PublishOutcome {
        let matched = self.sublist.matches(message.subject);
        self.deliver(&matched, batch, publisher, echo, message)
    }

    /// Delivers `message` to an already computed match (front-ends that cache matches per
    /// connection call this directly).
    pub fn deliver(
        &self,
        matched: &MatchResult,
        batch: &mut PublishBatch,
        publisher: ClientId,
        echo: bool,
        message: &Message<'_>,
    ) -> PublishOutcome {
        let mut outcome = PublishOutcome::default();
        for subscription in &matched.plain {
            if !echo && subscription.client == publisher {
                continue;
            }
            outcome.matched += 1;
            let outcome_here = subscription.sink.deliver(subscription, message, batch);
            if outcome_here == DeliveryOutcome::Delivered {
                outcome.delivered += 1;
            }
        }
        if matched.queues.is_empty() {
            // No rotation to advance: plain-only publishes touch no shared atomic here.
            return outcome;
        }
        let turn = matched.next_member.fetch_add(1, Ordering::Relaxed);
        for group in &matched.queues {
            let members = &group.members;
            Self::deliver_to_group(
                members,
                turn,
                batch,
                (publisher, echo),
                message,
                &mut outcome,
            );
        }
        outcome
    }

    /// Offers `message` to the members of one group, starting at `turn`, until one sink takes
    /// it. Every member offered counts as matched.
    fn deliver_to_group(
        members: &[Arc<Subscription>],
        turn: usize,
        batch: &mut PublishBatch,
        (publisher, echo): (ClientId, bool),
        message: &Message<'_>,
        outcome: &mut PublishOutcome,
    ) {
        let Some(start) = turn.checked_rem(members.len()) else {
            return;
        };
        let rotated = members.iter().skip(start).chain(members.iter().take(start));
        for member in rotated {
            if !echo && member.client == publisher {
                continue;
            }
            outcome.matched += 1;
            if member.sink.deliver(member, message, batch) == DeliveryOutcome::Delivered {
                outcome.delivered += 1;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use bytes::Bytes;
    use parking_lot::Mutex;

    use super::*;
    use crate::plugin::Sink;

    /// Records deliveries; answers `outcome`. Optionally unsubscribes a subscription from
    /// inside `deliver`, as a sink hitting an auto-unsubscribe limit would.
    struct RecordingSink {
        outcome: DeliveryOutcome,
        delivered: Mutex<Vec<Bytes>>,
        unsubscribe_on_delivery: Mutex<Option<(Arc<Broker>, Arc<Subscription>)>>,
    }

    impl RecordingSink {
        fn new(outcome: DeliveryOutcome) -> Arc<Self> {
            Arc::new(Self {
                outcome,
                delivered: Mutex::new(Vec::new()),
                unsubscribe_on_delivery: Mutex::new(None),
            })
        }

        fn count(&self) -> usize {
            self.delivered.lock().len()
        }
    }

    impl Sink for RecordingSink {
        fn deliver(
            &self,
            subscription: &Subscription,
            _: &Message<'_>,
            _: &mut PublishBatch,
        ) -> DeliveryOutcome {
            self.delivered.lock().push(subscription.sid.clone());
            if let Some((broker, target)) = self.unsubscribe_on_delivery.lock().take() {
                broker.unsubscribe(&target);
            }
            self.outcome
        }
    }

    fn subscribe(
        broker: &Broker,
        client: u64,
        filter: &'static str,
        queue: Option<&'static str>,
        sink: Arc<RecordingSink>,
    ) -> Arc<Subscription> {
        let subscription = Subscription::new(
            ClientId(client),
            Bytes::from(format!("{client}-{filter}")),
            Bytes::from_static(filter.as_bytes()),
            queue.map(|name| Bytes::from_static(name.as_bytes())),
            sink,
        );
        let subscription = Arc::new(subscription.expect("valid"));
        broker.subscribe(subscription.clone()).expect("subscribe");
        subscription
    }

    fn message(subject: &'static str) -> Message<'static> {
        Message {
            payload_shared: None,
            subject: subject.as_bytes(),
            reply: b"",
            headers: None,
            payload: b"hi",
        }
    }

    #[test]
    fn queue_group_gets_one_copy_spread_round_robin() {
        let broker = Broker::new();
        let members: Vec<_> = (1..=3)
            .map(|_| RecordingSink::new(DeliveryOutcome::Delivered))
            .collect();
        for (index, sink) in members.iter().enumerate() {
            subscribe(&broker, index as u64 + 1, "work", Some("q"), sink.clone());
        }
        let plain = RecordingSink::new(DeliveryOutcome::Delivered);
        subscribe(&broker, 9, "work", None, plain.clone());
        for _ in 0..30 {
            let outcome = broker.publish(
                &mut PublishBatch::unbatched(),
                ClientId(100),
                true,
                &message("work"),
            );
            assert_eq!(
                outcome,
                PublishOutcome {
                    delivered: 2,
                    matched: 2
                }
            );
        }
        assert_eq!(plain.count(), 30);
        for sink in &members {
            assert_eq!(sink.count(), 10, "round robin spreads evenly");
        }
    }

    #[test]
    fn dropped_member_is_skipped_for_the_next() {
        let broker = Broker::new();
        let full = RecordingSink::new(DeliveryOutcome::Dropped);
        let healthy = RecordingSink::new(DeliveryOutcome::Delivered);
        subscribe(&broker, 1, "job.*", Some("q"), full.clone());
        subscribe(&broker, 2, "job.*", Some("q"), healthy.clone());
        for _ in 0..10 {
            let outcome = broker.publish(
                &mut PublishBatch::unbatched(),
                ClientId(100),
                true,
                &message("job.a"),
            );
            assert_eq!(outcome.delivered, 1);
        }
        assert_eq!(
            healthy.count(),
            10,
            "every message reached the healthy member"
        );
        assert_eq!(
            full.count(),
            5,
            "the full member was offered its turns only"
        );
        let everyone_full = Broker::new();
        subscribe(
            &everyone_full,
            1,
            "x",
            Some("q"),
            RecordingSink::new(DeliveryOutcome::Dropped),
        );
        subscribe(
            &everyone_full,
            2,
            "x",
            Some("q"),
            RecordingSink::new(DeliveryOutcome::Dropped),
        );
        let outcome = everyone_full.publish(
            &mut PublishBatch::unbatched(),
            ClientId(100),
            true,
            &message("x"),
        );
        assert_eq!(
            outcome,
            PublishOutcome {
                delivered: 0,
                matched: 2
            }
        );
    }

    #[test]
    fn echo_off_skips_own_plain_and_queue_subscriptions() {
        let broker = Broker::new();
        let own_plain = RecordingSink::new(DeliveryOutcome::Delivered);
        let own_queue = RecordingSink::new(DeliveryOutcome::Delivered);
        let other_queue = RecordingSink::new(DeliveryOutcome::Delivered);
        subscribe(&broker, 1, "e", None, own_plain.clone());
        subscribe(&broker, 1, "e", Some("q"), own_queue.clone());
        subscribe(&broker, 2, "e", Some("q"), other_queue.clone());
        for _ in 0..6 {
            broker.publish(
                &mut PublishBatch::unbatched(),
                ClientId(1),
                false,
                &message("e"),
            );
        }
        assert_eq!(own_plain.count(), 0);
        assert_eq!(own_queue.count(), 0);
        assert_eq!(other_queue.count(), 6);
        let outcome = broker.publish(
            &mut PublishBatch::unbatched(),
            ClientId(1),
            true,
            &message("e"),
        );
        assert_eq!(
            outcome.delivered, 2,
            "echo on: own plain plus one group member"
        );
        let alone = Broker::new();
        subscribe(
            &alone,
            1,
            "solo",
            None,
            RecordingSink::new(DeliveryOutcome::Delivered),
        );
        let outcome = alone.publish(
            &mut PublishBatch::unbatched(),
            ClientId(1),
            false,
            &message("solo"),
        );
        assert_eq!(
            outcome.matched, 0,
            "no responders for a publisher alone with echo off"
        );
    }

    #[test]
    fn sink_may_unsubscribe_during_delivery() {
        let broker = Broker::new();
        let sink = RecordingSink::new(DeliveryOutcome::Delivered);
        let subscription = subscribe(&broker, 1, "once", None, sink.clone());
        *sink.unsubscribe_on_delivery.lock() = Some((broker.clone(), subscription));
        // A deadlock (a sublist lock held across the sink call) must fail, not hang.
        let (done, finished) = mpsc::channel();
        let publisher = broker.clone();
        std::thread::spawn(move || {
            let mut last = LastMatch::new();
            let mut batch = PublishBatch::unbatched();
            let first =
                publisher.publish_with(&mut last, &mut batch, ClientId(2), true, &message("once"));
            let second =
                publisher.publish_with(&mut last, &mut batch, ClientId(2), true, &message("once"));
            let _ = done.send((first, second));
        });
        let (first, second) = finished
            .recv_timeout(Duration::from_secs(5))
            .expect("no deadlock");
        assert_eq!(first.delivered, 1);
        assert_eq!(second.matched, 0, "the LastMatch saw the unsubscribe");
        assert_eq!(broker.sublist_stats().num_subscriptions, 0);
    }

    #[test]
    fn unsubscribe_batch_removes_a_connection() {
        let broker = Broker::new();
        let sink = RecordingSink::new(DeliveryOutcome::Delivered);
        let all = [
            subscribe(&broker, 1, "a", None, sink.clone()),
            subscribe(&broker, 1, "b.>", Some("q"), sink.clone()),
        ];
        assert_eq!(broker.unsubscribe_batch(&all), 2);
        assert_eq!(
            broker
                .publish(
                    &mut PublishBatch::unbatched(),
                    ClientId(2),
                    true,
                    &message("b.c")
                )
                .matched,
            0
        );
    }
}
