//! The registry of live clients, whatever protocol they speak, read by monitoring (`/connz`),
//! and a bounded ring of recently closed ones (`/connz?state=closed`, the Go server's closed
//! ring).
//!
//! Concurrency: one mutex around the live map and the closed ring, so a closing client moves
//! from one to the other atomically; taken on connect, on close and by monitoring, never on
//! the message path.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use parking_lot::Mutex;

use crate::sublist::Subscription;

/// Closed clients kept for monitoring, at most (Go's `DEFAULT_MAX_CLOSED_CLIENTS`); the
/// oldest is forgotten first.
pub const CLOSED_CLIENTS_MAX: usize = 10_000;

/// Subscriptions kept per closed client, at most, so the ring's memory is bounded even when
/// clients with many subscriptions come and go (the Go server keeps them all). 1024 is Go's
/// default page size for subscription lists (`DefaultSubListSize`).
pub const CLOSED_SUBSCRIPTIONS_MAX: usize = 1024;

/// A server-unique client id (`cid` in monitoring, `client_id` in INFO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub u64);

/// One subscription as `/connz?subs=detail` shows it (Go's `SubDetail`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionDetail {
    pub subject: String,
    /// The queue group; empty when none.
    pub queue: String,
    pub sid: String,
    /// Messages delivered through it.
    pub msgs: u64,
    /// The auto-unsubscribe limit; 0 when none.
    pub max: u64,
}

impl SubscriptionDetail {
    /// The detail of `subscription` now.
    pub fn of(subscription: &Subscription) -> Self {
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        Self {
            subject: text(&subscription.subject),
            queue: subscription.queue.as_deref().map(text).unwrap_or_default(),
            sid: text(&subscription.sid),
            msgs: subscription.delivered.load(Ordering::Relaxed),
            max: subscription.max_deliveries.load(Ordering::Relaxed),
        }
    }
}

/// A point-in-time view of one client, with the Go server's `/connz` vocabulary.
#[derive(Debug, Clone, Default)]
pub struct ClientSnapshot {
    pub cid: u64,
    /// `"Client"` for NATS clients, as the Go server reports.
    pub kind: &'static str,
    /// `"nats"`, `"mqtt"`, `"websocket"`.
    pub client_type: &'static str,
    pub remote: Option<SocketAddr>,
    pub start: Option<SystemTime>,
    pub last_activity: Option<SystemTime>,
    /// When the client closed; `None` while open.
    pub stop: Option<SystemTime>,
    /// Why it closed, in the Go server's words (`"Client Closed"`); empty while open.
    pub reason: &'static str,
    pub rtt_nanos: u64,
    pub pending_bytes: u64,
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub in_bytes: u64,
    pub out_bytes: u64,
    /// Times publishers paused for this client to drain its outbound buffer.
    pub stalls: u64,
    pub subscriptions: u32,
    /// The client's subscriptions; filled only when asked for (`subs=1`, `subs=detail`).
    pub subscriptions_detail: Vec<SubscriptionDetail>,
    pub name: String,
    pub lang: String,
    pub version: String,
    pub authorized_user: String,
    /// The TLS version (`"1.3"`), empty for a plain connection.
    pub tls_version: String,
    /// The TLS cipher suite's name, empty for a plain connection.
    pub tls_cipher_suite: String,
    /// True when the TLS handshake came before the protocol's greeting.
    pub tls_first: bool,
}

/// Implemented by each front-end's connection state so monitoring can look at it.
pub trait ClientView: Send + Sync {
    /// A snapshot; `with_subscriptions` asks for the subscription list too.
    fn snapshot(&self, with_subscriptions: bool) -> ClientSnapshot;
}

/// What the registry's mutex guards.
#[derive(Default)]
struct Clients {
    live: BTreeMap<ClientId, Arc<dyn ClientView>>,
    /// Oldest first; never longer than `closed_max`.
    closed: VecDeque<ClientSnapshot>,
}

/// Live clients by id, and the most recently closed ones.
pub struct ClientRegistry {
    clients: Mutex<Clients>,
    closed_max: usize,
}

impl Default for ClientRegistry {
    fn default() -> Self {
        Self::with_closed_max(CLOSED_CLIENTS_MAX)
    }
}

impl ClientRegistry {
    /// A registry that keeps the last `closed_max` closed clients (0 keeps none).
    pub fn with_closed_max(closed_max: usize) -> Self {
        Self {
            clients: Mutex::new(Clients::default()),
            closed_max,
        }
    }

    /// Registers a client; it stays visible until [`ClientRegistry::remove`] or
    /// [`ClientRegistry::close`].
    pub fn insert(&self, id: ClientId, view: Arc<dyn ClientView>) {
        self.clients.lock().live.insert(id, view);
    }

    /// Forgets a client without keeping a closed record.
    pub fn remove(&self, id: ClientId) {
        self.clients.lock().live.remove(&id);
    }

    /// Moves a client from the live map to the closed ring; `record` is its final snapshot
    /// (with `stop` and `reason` set). Also records clients that were never registered
    /// (refused before they were, as for too many connections).
    pub fn close(&self, id: ClientId, mut record: ClientSnapshot) {
        assert_eq!(record.cid, id.0, "a closed record names its own client");
        assert!(
            record.stop.is_some(),
            "a closed record carries its stop time"
        );
        record
            .subscriptions_detail
            .truncate(CLOSED_SUBSCRIPTIONS_MAX);
        let mut clients = self.clients.lock();
        clients.live.remove(&id);
        if self.closed_max == 0 {
            return;
        }
        if clients.closed.len() == self.closed_max {
            clients.closed.pop_front();
        }
        clients.closed.push_back(record);
        assert!(clients.closed.len() <= self.closed_max);
    }

    /// Number of live clients.
    pub fn len(&self) -> usize {
        self.clients.lock().live.len()
    }

    /// True when no client is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Snapshots of every live client, in id order. The lock is released before the views
    /// are asked for their snapshots.
    pub fn snapshots(&self, with_subscriptions: bool) -> Vec<ClientSnapshot> {
        let views: Vec<Arc<dyn ClientView>> = self.clients.lock().live.values().cloned().collect();
        views
            .iter()
            .map(|view| view.snapshot(with_subscriptions))
            .collect()
    }

    /// The live client `id`, if connected.
    pub fn snapshot(&self, id: ClientId, with_subscriptions: bool) -> Option<ClientSnapshot> {
        let view = self.clients.lock().live.get(&id).cloned()?;
        Some(view.snapshot(with_subscriptions))
    }

    /// Copies of the closed records, oldest first.
    pub fn closed(&self) -> Vec<ClientSnapshot> {
        self.clients.lock().closed.iter().cloned().collect()
    }

    /// Number of closed records kept.
    pub fn closed_len(&self) -> usize {
        self.clients.lock().closed.len()
    }

    /// The closed record of client `id`, if still kept.
    pub fn closed_client(&self, id: ClientId) -> Option<ClientSnapshot> {
        let clients = self.clients.lock();
        clients
            .closed
            .iter()
            .find(|record| record.cid == id.0)
            .cloned()
    }

    /// Snapshots of the live clients (when `open`) and copies of the closed records (when
    /// `closed`), taken under one lock so that a client closing meanwhile is listed once,
    /// live or closed.
    pub fn listing(
        &self,
        open: bool,
        closed: bool,
        with_subscriptions: bool,
    ) -> (Vec<ClientSnapshot>, Vec<ClientSnapshot>) {
        let clients = self.clients.lock();
        let views: Vec<Arc<dyn ClientView>> = if open {
            clients.live.values().cloned().collect()
        } else {
            Vec::new()
        };
        let records = if closed {
            clients.closed.iter().cloned().collect()
        } else {
            Vec::new()
        };
        drop(clients);
        let snapshots = views
            .iter()
            .map(|view| view.snapshot(with_subscriptions))
            .collect();
        (snapshots, records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(cid: u64) -> ClientSnapshot {
        ClientSnapshot {
            cid,
            stop: Some(SystemTime::now()),
            reason: "Client Closed",
            ..ClientSnapshot::default()
        }
    }

    #[test]
    fn closed_ring_keeps_the_newest() {
        let registry = ClientRegistry::with_closed_max(2);
        for cid in 1..=3 {
            registry.close(ClientId(cid), record(cid));
        }
        let cids: Vec<u64> = registry.closed().iter().map(|c| c.cid).collect();
        assert_eq!(cids, [2, 3]);
        assert_eq!(registry.closed_len(), 2);
        assert!(registry.closed_client(ClientId(1)).is_none(), "forgotten");
        assert_eq!(registry.closed_client(ClientId(3)).map(|c| c.cid), Some(3));
        let (open, closed) = registry.listing(true, true, false);
        assert_eq!((open.len(), closed.len()), (0, 2));
        let none = ClientRegistry::with_closed_max(0);
        none.close(ClientId(1), record(1));
        assert!(none.closed().is_empty());
    }

    #[test]
    fn closed_records_keep_a_bounded_subscription_list() {
        let registry = ClientRegistry::default();
        let mut closing = record(9);
        closing.subscriptions_detail =
            vec![SubscriptionDetail::default(); CLOSED_SUBSCRIPTIONS_MAX + 5];
        registry.close(ClientId(9), closing);
        let kept = &registry.closed()[0];
        assert_eq!(kept.subscriptions_detail.len(), CLOSED_SUBSCRIPTIONS_MAX);
    }
}
