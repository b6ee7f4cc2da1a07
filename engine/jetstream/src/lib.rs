//! natrium-jetstream: JetStream on the stream store. Streams belong to an account (the global
//! account `$G` until accounts exist) and live under
//! `<store_dir>/jetstream/<account>/streams/<name>/`, as in the Go server; the `$JS.API.>`
//! handlers answer with the Go server's JSON and error codes; a stream's subjects feed its
//! store through a bounded queue and a writer thread that acknowledges each publish once it is
//! durable (one group-commit fsync per batch). It depends on the router and the store, never
//! on a front-end: any publisher (NATS, MQTT next, internal) reaches a stream through the
//! router.
//!
//! Served today: `INFO`, `STREAM.CREATE/UPDATE/INFO/DELETE/NAMES/LIST/PURGE`,
//! `STREAM.MSG.GET/DELETE`, `DIRECT.GET` (by sequence, last or next by subject, and the
//! subject-in-subject form), publishing with PubAcks, `Nats-Expected-Stream`,
//! `Nats-Expected-Last-Sequence`, `Nats-Expected-Last-Subject-Sequence` and `Nats-Rollup`, and
//! consumers (`CONSUMER.CREATE/DURABLE.CREATE/INFO/DELETE/NAMES/LIST`): pull (`MSG.NEXT`) and
//! push (deliver subject, flow control, heartbeats), durable or ephemeral; enough for KV and
//! the object store; deduplication on `Nats-Msg-Id`; per-message TTL. Not yet: batch direct
//! get, snapshots, mirrors and sources. Retention: limits, interest and work queue.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

mod account;
mod advisory;
mod api;
pub mod config;
pub mod consumer;
mod dedup;
mod direct;
mod direct_batch;
pub mod errors;
mod gojson;
mod info;
pub mod monitor;
mod publish;
mod republish;
mod retention;
pub mod service;
mod sources;
pub mod stream;

pub use errors::ApiError;
pub use monitor::{JetStreamMonitor, JszOptions};
pub use natrium_store::filestore::SyncPolicy;
pub use service::{JetStream, JetStreamOptions};
