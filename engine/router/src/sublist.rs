//! The subscription index: given a literal subject, which subscriptions match.
//!
//! PLACEHOLDER INDEX: a linear scan with the reference matcher, correct but O(n). The API is
//! final; the trie with `*`/`>` nodes and the generation-invalidated match cache replace the
//! internals.
//!
//! Concurrency: one `RwLock`; matching takes the read lock, insert/remove the write lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::RwLock;

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
}

/// The subscription index.
#[derive(Default)]
pub struct Sublist {
    subscriptions: RwLock<Vec<Arc<Subscription>>>,
    generation: AtomicU64,
}

impl Sublist {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a subscription.
    pub fn insert(&self, subscription: Arc<Subscription>) -> Result<()> {
        self.subscriptions.write().push(subscription);
        self.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Removes a subscription (by identity). Returns false if it was not there.
    pub fn remove(&self, subscription: &Arc<Subscription>) -> bool {
        let mut subscriptions = self.subscriptions.write();
        let before = subscriptions.len();
        subscriptions.retain(|existing| !Arc::ptr_eq(existing, subscription));
        let removed = subscriptions.len() != before;
        if removed {
            self.generation.fetch_add(1, Ordering::Release);
        }
        removed
    }

    /// Every subscription matching the literal `subject`.
    pub fn matches(&self, subject: &[u8]) -> Arc<MatchResult> {
        let mut result = MatchResult::default();
        for subscription in self.subscriptions.read().iter() {
            if !subject::filter_matches(&subscription.subject, subject) {
                continue;
            }
            match &subscription.queue {
                None => result.plain.push(subscription.clone()),
                Some(name) => match result.queues.iter_mut().find(|group| &group.name == name) {
                    Some(group) => group.members.push(subscription.clone()),
                    None => result.queues.push(QueueGroup {
                        name: name.clone(),
                        members: vec![subscription.clone()],
                    }),
                },
            }
        }
        Arc::new(result)
    }

    /// Changes on every insert and remove; a cached [`MatchResult`] is valid while it holds.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Number of subscriptions.
    pub fn count(&self) -> usize {
        self.subscriptions.read().len()
    }
}
