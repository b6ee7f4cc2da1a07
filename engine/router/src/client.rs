//! The registry of live clients, whatever protocol they speak, read by monitoring (`/connz`).
//!
//! Concurrency: one mutex around a map; taken on connect, on close and by monitoring, never on
//! the message path.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::Mutex;

/// A server-unique client id (`cid` in monitoring, `client_id` in INFO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub u64);

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
    pub rtt_nanos: u64,
    pub pending_bytes: u64,
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub in_bytes: u64,
    pub out_bytes: u64,
    pub subscriptions: u32,
    /// Subjects of the client's subscriptions; filled only when asked for (`subs=1`).
    pub subscriptions_list: Vec<String>,
    pub name: String,
    pub lang: String,
    pub version: String,
    pub authorized_user: String,
    pub tls_version: String,
}

/// Implemented by each front-end's connection state so monitoring can look at it.
pub trait ClientView: Send + Sync {
    /// A snapshot; `with_subscriptions` asks for the subscription list too.
    fn snapshot(&self, with_subscriptions: bool) -> ClientSnapshot;
}

/// Live clients by id.
#[derive(Default)]
pub struct ClientRegistry {
    clients: Mutex<BTreeMap<ClientId, Arc<dyn ClientView>>>,
}

impl ClientRegistry {
    /// Registers a client; it stays visible until [`ClientRegistry::remove`].
    pub fn insert(&self, id: ClientId, view: Arc<dyn ClientView>) {
        self.clients.lock().insert(id, view);
    }

    /// Forgets a client (on close).
    pub fn remove(&self, id: ClientId) {
        self.clients.lock().remove(&id);
    }

    /// Number of live clients.
    pub fn len(&self) -> usize {
        self.clients.lock().len()
    }

    /// True when no client is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Snapshots of every live client, in id order. The lock is released before the views
    /// are asked for their snapshots.
    pub fn snapshots(&self, with_subscriptions: bool) -> Vec<ClientSnapshot> {
        let views: Vec<Arc<dyn ClientView>> = self.clients.lock().values().cloned().collect();
        views
            .iter()
            .map(|view| view.snapshot(with_subscriptions))
            .collect()
    }
}
