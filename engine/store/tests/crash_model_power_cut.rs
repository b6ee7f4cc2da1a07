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
use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;

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

/// Histories of up to this many operations: long enough that most rotate blocks and many
/// prune front blocks (the test prints the fractions and holds a floor).
const OPS_MAX: usize = 160;

#[test]
fn power_cuts_lose_nothing_that_returned() {
    let config = ProptestConfig {
        cases: cases(24),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let seen = RefCell::new((0u32, 0u32, 0u32));
    let histories = (
        config_strategy(),
        prop::collection::vec(op_strategy(), 1..OPS_MAX),
    );
    let result = runner.run(&histories, |(config, ops)| {
        let mut harness = power_cut_harness();
        check_ops(&mut harness, config, &ops);
        let coverage = harness.coverage();
        let mut seen = seen.borrow_mut();
        seen.0 += 1;
        seen.1 += u32::from(coverage.rotated);
        seen.2 += u32::from(coverage.pruned);
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    let (histories, rotated, pruned) = seen.into_inner();
    eprintln!(
        "power-cut model: {histories} histories, {rotated} rotated blocks ({:.0} %), \
         {pruned} pruned front blocks ({:.0} %)",
        100.0 * f64::from(rotated) / f64::from(histories),
        100.0 * f64::from(pruned) / f64::from(histories)
    );
    assert!(
        2 * rotated > histories,
        "most histories must rotate blocks: {rotated} of {histories}"
    );
}
