//! The broker: routes one publish to the sinks of every matching subscription.
//!
//! Concurrency: the broker is shared (`Arc<Broker>`) by every connection task; it holds no
//! lock across a sink call longer than the sublist's read lock, and sinks never block.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::client::{ClientId, ClientRegistry};
use crate::error::Result;
use crate::plugin::{DeliveryOutcome, Message};
use crate::stats::ServerStats;
use crate::sublist::{MatchResult, Sublist, Subscription};

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

    /// Routes `message` from `publisher`. With `echo` false, the publisher's own
    /// subscriptions are skipped.
    pub fn publish(
        &self,
        publisher: ClientId,
        echo: bool,
        message: &Message<'_>,
    ) -> PublishOutcome {
        let matched = self.sublist.matches(message.subject);
        self.deliver(&matched, publisher, echo, message)
    }

    /// Delivers `message` to an already computed match (front-ends that cache matches per
    /// connection call this directly).
    pub fn deliver(
        &self,
        matched: &MatchResult,
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
            if subscription.sink.deliver(subscription, message) == DeliveryOutcome::Delivered {
                outcome.delivered += 1;
            }
        }
        let turn = matched.next_member.fetch_add(1, Ordering::Relaxed);
        for group in &matched.queues {
            let candidates = group.members.len();
            for offset in 0..candidates {
                let index = (turn + offset) % candidates;
                let Some(member) = group.members.get(index) else {
                    continue;
                };
                if !echo && member.client == publisher {
                    continue;
                }
                outcome.matched += 1;
                if member.sink.deliver(member, message) == DeliveryOutcome::Delivered {
                    outcome.delivered += 1;
                    break;
                }
            }
        }
        outcome
    }
}
