//! natrium-store: the stream store. A `StreamStore` trait with two implementations,
//! `FileStore` (durable block files) and `MemStore`, plus the consumer-state store.
//!
//! The core is sans-IO with time injected (see [`store`]): sequence assignment, tombstones,
//! the TTL wheel, the per-subject index and retention are state machines taking `now_ns`.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod consumer;
pub mod error;
pub mod filestore;
pub mod io;
pub mod limits;
pub mod memstore;
pub mod seqset;
pub mod store;
pub mod subject;
pub mod subjects;
pub mod ttl;
pub mod types;

pub use error::{Error, Result};
pub use memstore::MemStore;
pub use store::StreamStore;
pub use types::{
    DELETED_LIST_MAX, DiscardPolicy, LostData, MsgTtl, NewMsg, SimpleState, StoreConfig, StoredMsg,
    StreamState, stored_msg_bytes,
};

/// Property-test case count: `NATRIUM_PROPTEST_CASES` when set, else `default`.
#[cfg(test)]
pub(crate) fn proptest_cases(default: u32) -> u32 {
    std::env::var("NATRIUM_PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
