//! Group commit under `sync: always`: appends queued before an fsync share it. Deterministic
//! part: fifty deferred appends followed by one wait cost a handful of storage operations, not
//! two per message. Concurrent part: eight writers sharing one store through a mutex, each
//! waiting for its own ticket outside the lock, all get distinct sequences and every
//! acknowledged message is durable across a simulated power cut.
use std::path::Path;
use std::sync::{Arc, Mutex};

use natrium_store::filestore::{FileStore, FileStoreOptions, SyncPolicy, WriterConfig};
use natrium_store::io::{CrashMode, FaultPlan, FaultStorage, MemStorage};
use natrium_store::{NewMsg, StoreConfig, StreamStore};

fn always() -> FileStoreOptions {
    FileStoreOptions {
        writer: WriterConfig {
            sync: SyncPolicy::Always,
            ..WriterConfig::default()
        },
        ..FileStoreOptions::default()
    }
}

#[test]
fn queued_appends_share_one_fsync() {
    let mem = MemStorage::new();
    let counting = FaultStorage::new(mem.clone(), FaultPlan::none());
    // A long flush interval: only the wait below wakes the flush thread, so the count does
    // not depend on scheduling.
    let mut options = always();
    options.writer.flush_interval_ms = 60_000;
    let mut store = FileStore::open(
        Arc::new(counting.clone()),
        Path::new("/s"),
        options,
        StoreConfig::default(),
    )
    .unwrap();
    let waiter = store.durable_waiter();
    let before = counting.ops_attempted();
    let mut last_ticket = 0;
    for i in 0..50u64 {
        let (_, _, ticket) = store
            .store_deferred(&NewMsg::new("g", b"payload"), i)
            .unwrap();
        assert!(ticket > last_ticket);
        last_ticket = ticket;
    }
    waiter.wait(last_ticket).unwrap();
    let used = counting.ops_attempted() - before;
    assert!(used < 20, "{used} storage operations for 50 appends");
    drop(store);
    mem.crash(CrashMode::DropUnsynced);
    let store = FileStore::open(
        Arc::new(mem),
        Path::new("/s"),
        always(),
        StoreConfig::default(),
    )
    .unwrap();
    assert_eq!(store.state().msgs, 50);
}

#[test]
fn concurrent_writers_are_all_durable() {
    const WRITERS: u64 = 8;
    const EACH: u64 = 100;
    let mem = MemStorage::new();
    let store = FileStore::open(
        Arc::new(mem.clone()),
        Path::new("/s"),
        always(),
        StoreConfig::default(),
    )
    .unwrap();
    let waiter = store.durable_waiter();
    let store = Arc::new(Mutex::new(store));
    let handles: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = Arc::clone(&store);
            let waiter = waiter.clone();
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for i in 0..EACH {
                    let payload = format!("writer {writer} message {i}");
                    let (seq, _, ticket) = store
                        .lock()
                        .unwrap()
                        .store_deferred(&NewMsg::new("w", payload.as_bytes()), i)
                        .unwrap();
                    waiter.wait(ticket).unwrap();
                    acked.push((seq, payload));
                }
                acked
            })
        })
        .collect();
    let mut acked: Vec<(u64, String)> = handles
        .into_iter()
        .flat_map(|handle| handle.join().unwrap())
        .collect();
    acked.sort();
    acked.dedup_by_key(|(seq, _)| *seq);
    assert_eq!(acked.len() as u64, WRITERS * EACH);
    // Power cut without close: only fsynced bytes survive.
    drop(store);
    mem.crash(CrashMode::DropUnsynced);
    let store = FileStore::open(
        Arc::new(mem),
        Path::new("/s"),
        always(),
        StoreConfig::default(),
    )
    .unwrap();
    for (seq, payload) in &acked {
        assert_eq!(store.load(*seq).unwrap().payload, payload.as_bytes());
    }
}
