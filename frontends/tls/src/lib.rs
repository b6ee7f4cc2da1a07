//! natrium-tls: the TLS transport (rustls, no OpenSSL) for any protocol front-end.
//!
//! [`TlsTransport`] implements `natrium_router::Transport`: NATS gets Go's order (INFO in
//! plain text, then the handshake), or `handshake_first`; a protocol without a greeting
//! (MQTT) gets the handshake first from the listener. Settings ([`TlsSettings`]) mirror the
//! nats-server `tls {}` block; files are read with bounds ([`load`]) and re-read on reload;
//! client certificates yield the names `verify_and_map` needs ([`names`]).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod error;
pub mod load;
pub mod names;
mod replay;
pub mod settings;
pub mod suites;
#[cfg(feature = "test-pki")]
pub mod test_pki;
mod transport;

pub use error::{Error, Result};
pub use settings::{
    FALLBACK_DELAY_DEFAULT, HandshakeFirst, TIMEOUT_DEFAULT, TlsSettings, TlsVersion,
};
pub use transport::TlsTransport;

/// Checks `settings` and every file they name, as a start would (for `-t` and reloads).
pub fn check(settings: &TlsSettings) -> Result<()> {
    load::server_config(settings).map(|_| ())
}
