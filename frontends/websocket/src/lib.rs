//! natrium-websocket: the WebSocket transport (RFC 6455) for any protocol front-end.
//!
//! [`WebSocketTransport`] implements `natrium_router::Transport`: on the WebSocket listener,
//! each connection is upgraded (TLS first for wss, through natrium-tls; then the HTTP/1.1
//! upgrade with the Go server's checks, [`handshake`], [`origin`]) and handed to the
//! protocol as a [`WebSocketStream`], a plain byte stream over frames ([`frame`], sans-IO).
//! The router and the protocols never see a frame; MQTT over WebSocket would take the same
//! stream. Settings ([`WebSocketSettings`]) mirror the nats-server `websocket {}` block.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod error;
pub mod frame;
pub mod handshake;
pub mod origin;
pub mod settings;
pub mod stream;
mod transport;

pub use error::{Error, Result};
pub use origin::Origins;
pub use settings::{HANDSHAKE_TIMEOUT_DEFAULT, WebSocketSettings};
pub use stream::WebSocketStream;
pub use transport::{CLIENT_TYPE, WebSocketTransport};
