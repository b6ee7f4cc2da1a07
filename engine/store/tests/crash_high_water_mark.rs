//! The last sequence never goes back after a power cut, whatever front blocks were pruned:
//! block 1 holds m1..m3 and the tombstone of 3, the tombstone of 1 starts block 2, removing 2
//! empties block 1 and deletes it. The record that carried `last_seq` = 3 went with it, so the
//! store must have made the high-water mark durable elsewhere before the unlink.
use std::path::Path;
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions, SyncPolicy, WriterConfig};
use natrium_store::io::{CrashMode, MemStorage, Storage};
use natrium_store::{NewMsg, StoreConfig, StreamStore};

fn open(mem: &MemStorage) -> FileStore {
    let options = FileStoreOptions {
        // 32 header + 3 * 71 (m1..m3) + 40 (tombstone of 3) = 285: the tombstone of 1 rotates.
        block_bytes_max: 300,
        writer: WriterConfig {
            sync: SyncPolicy::Always,
            ..WriterConfig::default()
        },
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

fn prune_front_block(checkpoint_first: bool) {
    let mem = MemStorage::new();
    let mut store = open(&mem);
    for ts in 1..=3u64 {
        store.store(&NewMsg::new("a", &[7u8; 30]), ts).unwrap();
    }
    if checkpoint_first {
        // A checkpoint that lists block 1: stale once it is pruned.
        store.checkpoint(3).unwrap();
    }
    assert!(store.remove(3).unwrap());
    assert!(store.remove(1).unwrap());
    assert_eq!(
        store.block_count(),
        2,
        "the tombstone of 1 must start block 2"
    );
    assert!(store.remove(2).unwrap());
    assert_eq!(store.block_count(), 1, "block 1 is pruned");
    assert_eq!(store.state().last_seq, 3);
    // The unlink of block 1 reached the disk (a directory change may be written back
    // without an fsync), and nothing else un-fsynced did.
    mem.sync_dir(Path::new("/s/blocks")).unwrap();
    mem.crash(CrashMode::DropUnsynced);
    drop(store);

    let mut store = open(&mem);
    let state = store.state();
    assert_eq!(state.last_seq, 3, "last_seq went back: {state:?}");
    assert_eq!(state.msgs, 0, "{state:?}");
    assert_eq!(state.first_seq, 4, "{state:?}");
    let (seq, _) = store.store(&NewMsg::new("a", b"next"), 9).unwrap();
    assert_eq!(seq, 4, "sequence reused");
}

#[test]
fn pruning_the_block_carrying_last_seq_keeps_it_without_checkpoint() {
    prune_front_block(false);
}

#[test]
fn pruning_the_block_carrying_last_seq_keeps_it_with_a_stale_checkpoint() {
    prune_front_block(true);
}

/// The same history crashed at every storage operation (directory operations surviving or
/// not by a seed): no acknowledged sequence is ever handed out again, no acknowledged removal
/// is undone.
#[test]
fn a_crash_at_any_point_of_the_prune_never_reuses_a_sequence() {
    use natrium_store::io::{FaultPlan, FaultStorage};
    // Returns (highest acknowledged sequence, acknowledged removals).
    let run = |storage: natrium_store::io::StorageHandle| -> (u64, Vec<u64>) {
        let mut acked = (0, Vec::new());
        let options = FileStoreOptions {
            block_bytes_max: 300,
            writer: WriterConfig {
                sync: SyncPolicy::Always,
                ..WriterConfig::default()
            },
            ..FileStoreOptions::default()
        };
        let Ok(mut store) =
            FileStore::open(storage, Path::new("/s"), options, StoreConfig::default())
        else {
            return acked;
        };
        for ts in 1..=3u64 {
            match store.store(&NewMsg::new("a", &[7u8; 30]), ts) {
                Ok((seq, _)) => acked.0 = seq,
                Err(_) => return acked,
            }
        }
        for seq in [3, 1, 2] {
            match store.remove(seq) {
                Ok(true) => acked.1.push(seq),
                _ => return acked,
            }
        }
        acked
    };
    let probe = FaultStorage::new(MemStorage::new(), FaultPlan::none());
    assert_eq!(run(Arc::new(probe.clone())), (3, vec![3, 1, 2]));
    for op in 0..probe.ops_attempted() {
        for seed in [None, Some(op), Some(!op)] {
            let mem = MemStorage::new();
            let faulty = FaultStorage::new(mem.clone(), FaultPlan::crash_at(op, false));
            let (acked_seq, removed) = run(Arc::new(faulty));
            match seed {
                Some(seed) => mem.crash_seeded(CrashMode::DropUnsynced, seed),
                None => mem.crash(CrashMode::DropUnsynced),
            }
            let case = format!("crash at op {op}, seed {seed:?}");
            let mut store = open(&mem);
            assert!(
                store.state().last_seq >= acked_seq,
                "{case}: {:?}",
                store.state()
            );
            for seq in &removed {
                assert!(store.load(*seq).is_err(), "{case}: removal of {seq} undone");
            }
            let (next, _) = store.store(&NewMsg::new("a", b"next"), 9).unwrap();
            assert!(next > acked_seq, "{case}: sequence {next} reused");
        }
    }
}
