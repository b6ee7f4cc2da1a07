//! The NATS front-end's settings, filled by the server binary from flags and configuration.
//!
//! Defaults are the Go nats-server's.

use std::time::Duration;

/// Everything the NATS front-end needs to know about the server it speaks for.
#[derive(Debug, Clone)]
pub struct NatsOptions {
    /// INFO `server_id`: 56 upper-case base32 characters, generated at start (an NKey public
    /// server key in the Go server).
    pub server_id: String,
    /// INFO `server_name`; defaults to `server_id`.
    pub server_name: String,
    /// INFO `version`: the nats-server version we are compatible with.
    pub version: String,
    /// INFO `go`: the Go server reports its Go version; natrium reports what it is built with.
    pub go: String,
    /// INFO `host`: the listen host.
    pub host: String,
    /// INFO `port`: the port actually bound.
    pub port: u16,
    /// Largest payload (headers + body) a client may publish; INFO `max_payload`.
    pub max_payload: u32,
    /// Longest protocol control line, in bytes.
    pub max_control_line: u32,
    /// Outbound bytes buffered for one client before it is a slow consumer.
    pub max_pending: u64,
    /// Client connections the server accepts at once; 0 means unlimited. Over it, a new
    /// connection gets `-ERR 'maximum connections exceeded'` and is closed.
    pub max_connections: u32,
    /// Subscriptions per connection; 0 means unlimited.
    pub max_subscriptions: u32,
    /// Interval of server PINGs.
    pub ping_interval: Duration,
    /// Outstanding server PINGs before the connection is closed as stale.
    pub ping_max: u32,
    /// A write that takes longer closes the client as a slow consumer.
    pub write_deadline: Duration,
    /// How long a new connection may take to send CONNECT when auth is required.
    pub auth_timeout: Duration,
    /// INFO `jetstream`.
    pub jetstream: bool,
    /// INFO `headers`: header support advertised.
    pub headers: bool,
    /// Lame-duck grace period: the time over which clients are closed in lame-duck mode.
    pub lame_duck_grace_period: Duration,
    /// Lame-duck duration: the time by which every client is closed in lame-duck mode.
    pub lame_duck_duration: Duration,
}

impl Default for NatsOptions {
    fn default() -> Self {
        Self {
            server_id: String::new(),
            server_name: String::new(),
            version: "2.10.0".to_owned(),
            go: "rust".to_owned(),
            host: "0.0.0.0".to_owned(),
            port: 4222,
            max_payload: 1024 * 1024,
            max_control_line: 4096,
            max_pending: 64 * 1024 * 1024,
            max_connections: 64 * 1024,
            max_subscriptions: 0,
            ping_interval: Duration::from_secs(120),
            ping_max: 2,
            write_deadline: Duration::from_secs(10),
            auth_timeout: Duration::from_secs(2),
            jetstream: false,
            headers: true,
            lame_duck_grace_period: Duration::from_secs(10),
            lame_duck_duration: Duration::from_secs(120),
        }
    }
}
