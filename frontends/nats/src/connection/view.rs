//! What monitoring (`/connz`) sees of a NATS connection: a [`ClientView`] over state the
//! connection task updates once per read batch, never per message.
//!
//! Concurrency: counters are relaxed atomics written by the connection task; the subscription
//! map and CONNECT metadata sit behind mutexes taken on SUB/UNSUB/CONNECT and by monitoring.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use bytes::Bytes;
use natrium_router::transport::Security;
use natrium_router::{ClientSnapshot, ClientView, Subscription, SubscriptionDetail};
use parking_lot::Mutex;

use crate::outbound::Outbound;

/// CONNECT metadata shown in monitoring.
#[derive(Debug, Clone, Default)]
pub struct ClientMetadata {
    pub name: String,
    pub lang: String,
    pub version: String,
    pub authorized_user: String,
}

/// The state of one connection shared with monitoring.
#[derive(Debug)]
pub struct ClientShared {
    pub cid: u64,
    pub remote: SocketAddr,
    pub start: SystemTime,
    pub outbound: Arc<Outbound>,
    pub in_msgs: AtomicU64,
    pub in_bytes: AtomicU64,
    pub rtt_nanos: AtomicU64,
    /// Nanoseconds since the Unix epoch of the last read batch (u64 lasts until 2554);
    /// nanoseconds, as the Go server reports, so `sort=last` orders clients active within
    /// the same second.
    pub last_activity_nanos: AtomicU64,
    pub metadata: Mutex<ClientMetadata>,
    /// The TLS session's version, cipher suite and client certificate, when secured.
    pub security: Option<Arc<Security>>,
    /// The client's subscriptions by sid.
    pub subscriptions: Mutex<HashMap<Bytes, Arc<Subscription>>>,
    /// What monitoring calls the client (`"nats"`, or the transport's `"websocket"`); set
    /// once, right after construction.
    client_type: std::sync::OnceLock<&'static str>,
}

/// Monitoring's name for a client that came through no special transport.
pub const NATS_CLIENT_TYPE: &str = "nats";

impl ClientShared {
    /// Fresh shared state for client `cid`.
    pub fn new(
        cid: u64,
        remote: SocketAddr,
        outbound: Arc<Outbound>,
        security: Option<Arc<Security>>,
    ) -> Self {
        Self {
            cid,
            remote,
            start: SystemTime::now(),
            outbound,
            in_msgs: AtomicU64::new(0),
            in_bytes: AtomicU64::new(0),
            rtt_nanos: AtomicU64::new(0),
            last_activity_nanos: AtomicU64::new(0),
            metadata: Mutex::new(ClientMetadata::default()),
            security,
            subscriptions: Mutex::new(HashMap::new()),
            client_type: std::sync::OnceLock::new(),
        }
    }

    /// Records what monitoring calls the client (once; a second call changes nothing).
    pub fn set_client_type(&self, client_type: &'static str) {
        let _ = self.client_type.set(client_type);
    }

    /// Records the time of the latest activity.
    pub fn touch(&self) {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let nanos = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        self.last_activity_nanos.store(nanos, Ordering::Relaxed);
    }
}

impl ClientView for ClientShared {
    fn snapshot(&self, with_subscriptions: bool) -> ClientSnapshot {
        let (pending_bytes, out_msgs, out_bytes) = self.outbound.counters();
        let metadata = self.metadata.lock().clone();
        let subscriptions = self.subscriptions.lock();
        let subscriptions_detail = if with_subscriptions {
            subscriptions
                .values()
                .map(|sub| SubscriptionDetail::of(sub))
                .collect()
        } else {
            Vec::new()
        };
        // Go reports this as a uint32; a connection is far from 2^32 subscriptions (memory runs
        // out first), so reaching it would be a counting bug.
        let subscription_count =
            u32::try_from(subscriptions.len()).expect("a connection's subscriptions fit u32");
        drop(subscriptions);
        let security = self.security.as_deref();
        let last_nanos = self.last_activity_nanos.load(Ordering::Relaxed);
        let last_activity = (last_nanos != 0)
            .then(|| SystemTime::UNIX_EPOCH + std::time::Duration::from_nanos(last_nanos));
        ClientSnapshot {
            cid: self.cid,
            kind: "Client",
            client_type: self.client_type.get().copied().unwrap_or(NATS_CLIENT_TYPE),
            remote: Some(self.remote),
            start: Some(self.start),
            last_activity: last_activity.or(Some(self.start)),
            rtt_nanos: self.rtt_nanos.load(Ordering::Relaxed),
            pending_bytes,
            in_msgs: self.in_msgs.load(Ordering::Relaxed),
            out_msgs,
            in_bytes: self.in_bytes.load(Ordering::Relaxed),
            out_bytes,
            stalls: self.outbound.stall.stalls(),
            subscriptions: subscription_count,
            subscriptions_detail,
            stop: None,
            reason: "",
            name: metadata.name,
            lang: metadata.lang,
            version: metadata.version,
            authorized_user: metadata.authorized_user,
            tls_version: security.map(|s| s.version.to_owned()).unwrap_or_default(),
            tls_cipher_suite: security
                .map(|s| s.cipher_suite.to_owned())
                .unwrap_or_default(),
            tls_first: security.is_some_and(|s| s.handshake_first),
        }
    }
}
