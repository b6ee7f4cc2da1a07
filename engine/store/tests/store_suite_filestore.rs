//! The shared store suite (tests/common/suite.rs) run against `FileStore` on the in-memory
//! storage, with small blocks so rotation happens; a restart closes the store and reopens it
//! from what it wrote.
mod common;

use common::file_harness::{FileHarness, Restart};
use natrium_store::filestore::FileStoreOptions;

/// 4 KiB blocks, so the suite's stores rotate; restarts close cleanly.
fn harness() -> FileHarness {
    let options = FileStoreOptions {
        block_bytes_max: 4096,
        ..FileStoreOptions::default()
    };
    FileHarness::new(options, Restart::Close)
}

store_suite!(harness());
store_suite_edges!(harness());
