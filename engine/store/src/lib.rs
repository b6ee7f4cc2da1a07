//! natrium-store: the stream store. A `StreamStore` trait with two implementations,
//! `FileStore` (durable block files) and `MemStore`, plus the consumer-state store.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod filestore;
pub mod io;
