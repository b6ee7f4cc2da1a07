//! Server-wide counters read by monitoring (`/varz`).
//!
//! Concurrency: plain relaxed atomics; readers take a snapshot field by field and accept that
//! the fields are not mutually consistent, as the Go server does.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared by every connection of the server.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Messages received from clients.
    pub in_msgs: AtomicU64,
    /// Bytes (headers + payload) received from clients.
    pub in_bytes: AtomicU64,
    /// Messages delivered to clients.
    pub out_msgs: AtomicU64,
    /// Bytes (headers + payload) delivered to clients.
    pub out_bytes: AtomicU64,
    /// Connections closed because they could not keep up.
    pub slow_consumers: AtomicU64,
    /// Connections closed because they left too many server PINGs unanswered.
    pub stale_connections: AtomicU64,
    /// Times a publisher paused for a subscriber whose outbound buffer was filling up.
    pub stalled_clients: AtomicU64,
    /// Connections currently open.
    pub connections: AtomicU64,
    /// Connections accepted since start.
    pub total_connections: AtomicU64,
}

impl ServerStats {
    /// Adds `n` to `counter` (relaxed).
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Reads `counter` (relaxed).
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
