//! Consumer-state writes are crash-atomic: a consumer's `flush` crashed at every storage
//! operation it performs (clean failure; torn write with every un-fsynced change torn at
//! sector granularity; un-fsynced directory operations surviving by a seed) leaves, after the
//! reopen, exactly the state flushed before or the state being flushed, never a damaged one.
use std::path::Path;
use std::sync::Arc;

use natrium_format::ConsumerState;
use natrium_store::consumer::{ConsumerConfig, ConsumerStore};
use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::{FaultPlan, FaultStorage, MemStorage, StorageHandle};
use natrium_store::{NewMsg, StoreConfig, StreamStore};

fn open(storage: StorageHandle) -> natrium_store::Result<FileStore> {
    FileStore::open(
        storage,
        Path::new("/s"),
        FileStoreOptions::default(),
        StoreConfig::default(),
    )
}

/// A stream of 8 messages and consumer `w` with 1..=3 delivered and 1 acked, flushed (the
/// "before" state); then 4..=8 delivered and 1..=5 acked, not flushed yet.
fn setup(storage: StorageHandle) -> Option<(FileStore, Box<dyn ConsumerStore>, ConsumerState)> {
    let mut store = open(storage).ok()?;
    for ts in 1..=8u64 {
        store.store(&NewMsg::new("jobs", b"x"), ts).ok()?;
    }
    let mut consumer = store.consumer_store("w", ConsumerConfig::default()).ok()?;
    consumer.set_starting(1).ok()?;
    for seq in 1..=3u64 {
        consumer.update_delivered(seq, seq, 1, seq as i64).ok()?;
    }
    consumer.update_acks(1, 1).ok()?;
    consumer.flush().ok()?;
    let before = consumer.state();
    for seq in 4..=8u64 {
        consumer.update_delivered(seq, seq, 1, seq as i64).ok()?;
    }
    consumer.update_acks(5, 5).ok()?;
    Some((store, consumer, before))
}

fn reopened_state(mem: &MemStorage, case: &str) -> ConsumerState {
    let mut store =
        open(Arc::new(mem.clone())).unwrap_or_else(|error| panic!("{case}: reopen: {error}"));
    let consumer = store
        .consumer_store("w", ConsumerConfig::default())
        .unwrap_or_else(|error| panic!("{case}: consumer: {error}"));
    assert_eq!(consumer.damage(), None, "{case}: damaged consumer state");
    consumer.state()
}

#[test]
fn consumer_flush_is_crash_atomic() {
    let probe = FaultStorage::new(MemStorage::new(), FaultPlan::none());
    let (store, mut consumer, before) = setup(Arc::new(probe.clone())).unwrap();
    let first_op = probe.ops_attempted();
    consumer.flush().unwrap();
    let after = consumer.state();
    let last_op = probe.ops_attempted();
    assert_ne!(before, after);
    assert!(
        last_op > first_op + 2,
        "flush does {} ops",
        last_op - first_op
    );
    drop((consumer, store));
    for op in first_op..last_op {
        for (torn, seed) in [
            (false, None),
            (true, None),
            (false, Some(op)),
            (true, Some(!op)),
        ] {
            let mem = MemStorage::new();
            let faulty = FaultStorage::new(mem.clone(), FaultPlan::crash_at(op, torn));
            let (store, mut consumer, _) = setup(Arc::new(faulty.clone())).expect("setup");
            assert!(
                consumer.flush().is_err() && faulty.has_failed(),
                "op {op} not reached"
            );
            // Torn cases also tear every un-fsynced change at 16-byte sectors, in-place
            // overwrites included (a real disk writes back dirty sectors in any order).
            mem.power_cut(torn, op, seed, 16);
            drop((consumer, store));
            let case = format!("flush crashed at op {op}, torn {torn}, seed {seed:?}");
            let found = reopened_state(&mem, &case);
            assert!(
                found == before || found == after,
                "{case}: neither before {before:?} nor after {after:?}: {found:?}"
            );
        }
    }
}
