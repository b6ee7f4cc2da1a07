//! The checkpoint policy driven by `FileStore::tick(now_ns)`: a checkpoint after rotation
//! sealed blocks, one per `checkpoint_interval_ns` when something changed, none when nothing
//! did; after a crash the open trusts the last one and scans only the blocks written since.
use std::path::Path;
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions, SyncPolicy, WriterConfig};
use natrium_store::io::{CrashMode, MemStorage};
use natrium_store::{NewMsg, StoreConfig, StreamStore};

const SECOND_NS: u64 = 1_000_000_000;

fn open_with(mem: &MemStorage, on_rotation: bool, interval_ns: u64) -> FileStore {
    let options = FileStoreOptions {
        block_bytes_max: 1024,
        writer: WriterConfig {
            sync: SyncPolicy::Always,
            ..WriterConfig::default()
        },
        checkpoint_on_rotation: on_rotation,
        checkpoint_interval_ns: interval_ns,
        ..FileStoreOptions::default()
    };
    FileStore::open(
        Arc::new(mem.clone()),
        Path::new("/s"),
        options,
        StoreConfig::default(),
    )
    .expect("open")
}

/// Stores `from..=to`; returns the model: (seq, subject, payload) of each.
fn fill(store: &mut FileStore, from: u64, to: u64, model: &mut Vec<(u64, String, Vec<u8>)>) {
    for seq in from..=to {
        let subject = format!("sub.{}", seq % 3);
        let payload = format!("message {seq}").into_bytes();
        let (stored, _) = store
            .store(&NewMsg::new(&subject, &payload), seq * SECOND_NS)
            .expect("store");
        assert_eq!(stored, seq);
        model.push((seq, subject, payload));
    }
}

fn assert_matches(store: &FileStore, model: &[(u64, String, Vec<u8>)]) {
    let state = store.state();
    assert_eq!(state.msgs, model.len() as u64);
    assert_eq!(state.first_seq, model.first().map_or(0, |m| m.0));
    assert_eq!(state.last_seq, model.last().map_or(0, |m| m.0));
    for (seq, subject, payload) in model {
        let msg = store.load(*seq).unwrap_or_else(|e| panic!("{seq}: {e}"));
        assert_eq!(&*msg.subject, subject.as_str());
        assert_eq!(&msg.payload, payload);
    }
}

#[test]
fn a_crash_after_rotations_reopens_from_the_rotation_checkpoint_and_scans_only_the_tail() {
    let mem = MemStorage::new();
    let mut store = open_with(&mem, true, 0);
    let mut model = Vec::new();
    fill(&mut store, 1, 150, &mut model);
    let blocks = store.block_count();
    assert!(blocks >= 6, "only {blocks} blocks");
    assert_eq!(
        store.next_tick_ns(),
        Some(0),
        "rotation makes a checkpoint due"
    );
    assert!(store.tick(200 * SECOND_NS).expect("tick"));
    assert_eq!(store.next_tick_ns(), None, "nothing changed since");
    assert!(!store.tick(201 * SECOND_NS).expect("tick"));
    // A few more messages into the active block (no rotation), then a power cut.
    let active_before = store.block_count();
    fill(&mut store, 151, 153, &mut model);
    assert_eq!(
        store.block_count(),
        active_before,
        "test needs no rotation here"
    );
    assert_eq!(
        store.next_tick_ns(),
        None,
        "no interval, no rotation: not due"
    );
    let before = store.state();
    drop(store);
    mem.crash(CrashMode::DropUnsynced);

    let store = open_with(&mem, true, 0);
    assert!(store.opened_from_checkpoint());
    assert_eq!(
        store.blocks_scanned_at_open(),
        1,
        "only the grown last block"
    );
    assert_eq!(store.block_count(), active_before);
    assert_eq!(store.state(), before);
    assert_matches(&store, &model);
}

#[test]
fn without_a_tick_a_crash_rescans_every_block_and_the_next_tick_checkpoints() {
    let mem = MemStorage::new();
    let mut store = open_with(&mem, true, 0);
    let mut model = Vec::new();
    fill(&mut store, 1, 120, &mut model);
    let blocks = store.block_count();
    drop(store);
    mem.crash(CrashMode::DropUnsynced);
    let mut store = open_with(&mem, true, 0);
    assert!(!store.opened_from_checkpoint());
    assert_eq!(store.blocks_scanned_at_open(), blocks);
    assert_matches(&store, &model);
    // The state rebuilt by the scan is checkpointed by the next tick.
    assert_eq!(store.next_tick_ns(), Some(0));
    assert!(store.tick(500 * SECOND_NS).expect("tick"));
    drop(store);
    mem.crash(CrashMode::DropUnsynced);
    let store = open_with(&mem, true, 0);
    assert!(store.opened_from_checkpoint());
    assert_eq!(store.blocks_scanned_at_open(), 0);
    assert_matches(&store, &model);
}

#[test]
fn the_interval_checkpoints_changes_and_only_once_it_has_passed() {
    let mem = MemStorage::new();
    let interval_ns = 10 * SECOND_NS;
    let mut store = open_with(&mem, false, interval_ns);
    let mut model = Vec::new();
    fill(&mut store, 1, 3, &mut model);
    // The first tick starts the interval; rotation does not count under this policy.
    assert!(!store.tick(100 * SECOND_NS).expect("tick"));
    fill(&mut store, 4, 80, &mut model);
    assert!(store.block_count() > 1);
    assert_eq!(store.next_tick_ns(), Some(110 * SECOND_NS));
    assert!(!store.tick(109 * SECOND_NS).expect("tick"));
    assert!(store.tick(110 * SECOND_NS).expect("tick"));
    // Nothing changed: a later tick writes nothing.
    assert!(!store.tick(500 * SECOND_NS).expect("tick"));
    store.remove(7).expect("remove");
    model.retain(|m| m.0 != 7);
    assert!(
        store.tick(500 * SECOND_NS).expect("tick"),
        "a removal is a change"
    );
    let blocks = store.block_count();
    drop(store);
    mem.crash(CrashMode::DropUnsynced);
    let store = open_with(&mem, false, interval_ns);
    assert!(store.opened_from_checkpoint());
    assert_eq!(store.blocks_scanned_at_open(), 0);
    assert_eq!(store.block_count(), blocks);
    assert_matches(&store, &model);
}
