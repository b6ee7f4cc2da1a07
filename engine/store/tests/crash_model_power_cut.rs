//! Model-based crash test: the shared model's random histories run against a `sync: always`
//! FileStore whose every restart is a power cut — the store is dropped without `close` (no
//! checkpoint, no final flush) and the in-memory disk loses every byte and directory entry not
//! fsynced — and the reopened store must still agree with the model, because every operation
//! that returned had made its effect durable, per-message TTLs included (each record carries
//! its TTL, so expiries after the restart match the model's). Cases: 24, or
//! `NATRIUM_PROPTEST_CASES`.
mod common;

use common::file_harness::{FileHarness, Restart};
use common::model::{cases, check_ops, config_strategy, op_strategy};
use natrium_store::filestore::{FileStoreOptions, SyncPolicy, WriterConfig};
use proptest::prelude::*;

/// `sync: always` with small blocks; every restart is a power cut.
fn power_cut_harness() -> FileHarness {
    let options = FileStoreOptions {
        block_bytes_max: 2048,
        writer: WriterConfig {
            sync: SyncPolicy::Always,
            ..WriterConfig::default()
        },
        ..FileStoreOptions::default()
    };
    FileHarness::new(options, Restart::PowerCut)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn power_cuts_lose_nothing_that_returned(
        config in config_strategy(),
        ops in prop::collection::vec(op_strategy(), 1..60),
    ) {
        check_ops(&mut power_cut_harness(), config, &ops);
    }
}
