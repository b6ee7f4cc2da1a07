//! natrium-store: the stream store. A `StreamStore` trait with two implementations,
//! `FileStore` (durable block files) and `MemStore`, plus the consumer-state store.
//!
//! The core is sans-IO with time injected (see [`store`]): every operation whose outcome
//! depends on the clock takes `now_ns` from the caller, and expiry runs only in
//! `StreamStore::expire(now_ns)` when `next_expiry_ns` says so. Map:
//!
//! | module | owns |
//! |---|---|
//! | [`store`], [`types`], [`error`] | the trait and its semantics, value types, `Error` |
//! | [`subject`] | subject validation and wildcard matching (no router dependency) |
//! | [`subjects`] | `SubjectIndex`: per-subject count and first/last sequence |
//! | [`seqset`] | `SequenceSet`: range-compressed sequences (tombstones, deletions) |
//! | [`ttl`] | `TtlWheel`: per-message expiries, persisted as `ttl.state` |
//! | [`limits`] | admission (discard-new) and discard-old removals, shared by both stores |
//! | [`memstore`] | `MemStore` |
//! | [`filestore`], [`io`] | `FileStore` and the storage trait it writes through |
//! | [`consumer`] | `ConsumerStore`: memory and file consumer state |
//!
//! The shared behaviour suite and the model-based property test live in `tests/common/` and
//! run against every store (`tests/store_suite_*.rs`, `tests/store_model_*.rs`).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod consumer;
pub mod error;
pub mod filestore;
pub mod io;
pub mod limits;
pub mod memstore;
pub mod seqset;
pub mod store;
/// Subject validation and filter matching, shared with the offline tool through the format crate.
pub use natrium_format::subject;
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
