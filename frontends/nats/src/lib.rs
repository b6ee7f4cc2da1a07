//! natrium-nats: the NATS client protocol front-end.
//!
//! It parses the client protocol, runs one task per connection, speaks INFO/CONNECT, checks
//! credentials and permissions through `natrium-auth`, and delivers routed messages through a
//! per-connection sink. It implements [`natrium_router::Frontend`].
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod options;

pub use options::NatsOptions;
