//! The FileStore reopens a directory whose offline rewrite crashed: a closed store (m1..m12 in
//! small blocks, m3, m6 and m9 removed) is compacted with `natrium_recovery::compact`, or,
//! after a byte of m5 is flipped, repaired in place with `natrium_recovery::repair(Salvage)`,
//! both on the simulated disk and crashed at every mutating storage operation (clean or torn
//! failure; then no power cut, or a power cut with un-fsynced directory operations surviving
//! by a seed). The reopened store (the default mode after compaction, `Salvage` after a
//! repair, as an operator would) holds exactly the live messages an uninterrupted rewrite
//! leaves, byte for byte, reports nothing lost, keeps `last_seq`, and stores the next
//! sequence after it. The crash-safety of every block and quarantine file is checked in
//! `recovery/tests/recovery_crash_rewrites.rs`; this test holds the store's open to it.
use std::path::Path;
use std::sync::Arc;

use natrium_recovery::{RepairTarget, compact, repair};
use natrium_store::filestore::{
    FileStore, FileStoreOptions, RecoveryMode, SyncPolicy, WriterConfig,
};
use natrium_store::io::{CrashMode, FaultPlan, FaultStorage, MemStorage, Storage};
use natrium_store::{NewMsg, StoreConfig, StreamStore};

const DIR: &str = "/s";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rewrite {
    Compact,
    Salvage,
}

fn payload(seq: u64) -> Vec<u8> {
    format!("payload of message {seq:010}").into_bytes()
}

fn open(disk: &MemStorage, recovery: RecoveryMode) -> natrium_store::Result<FileStore> {
    let options = FileStoreOptions {
        // About three 30-byte messages per block.
        block_bytes_max: 300,
        recovery,
        writer: WriterConfig {
            sync: SyncPolicy::Always,
            ..WriterConfig::default()
        },
        ..FileStoreOptions::default()
    };
    FileStore::open(
        Arc::new(disk.clone()),
        Path::new(DIR),
        options,
        StoreConfig::default(),
    )
}

/// The closed store, fully durable; for `Salvage`, with one byte of m5's payload flipped.
fn setup(rewrite: Rewrite) -> MemStorage {
    let disk = MemStorage::new();
    let mut store = open(&disk, RecoveryMode::TruncateTornTail).unwrap();
    for seq in 1..=12 {
        store
            .store(&NewMsg::new("t.x", &payload(seq)), seq)
            .unwrap();
    }
    for seq in [3, 6, 9] {
        assert!(store.remove(seq).unwrap());
    }
    store.close().unwrap();
    drop(store);
    if rewrite == Rewrite::Salvage {
        let needle = payload(5);
        let block = disk
            .file_paths()
            .into_iter()
            .find(|path| {
                path.extension().is_some_and(|ext| ext == "blk")
                    && disk
                        .file_content(path)
                        .unwrap()
                        .windows(needle.len())
                        .any(|window| window == needle.as_slice())
            })
            .unwrap();
        let mut bytes = disk.file_content(&block).unwrap();
        let at = bytes
            .windows(needle.len())
            .position(|window| window == needle.as_slice())
            .unwrap();
        bytes[at + 3] ^= 0x01;
        disk.set_file_content(&block, bytes).unwrap();
    }
    disk.snapshot()
}

fn run(storage: &dyn Storage, rewrite: Rewrite) -> natrium_recovery::Result<()> {
    let dir = Path::new(DIR);
    match rewrite {
        Rewrite::Compact => compact(storage, dir).map(drop),
        Rewrite::Salvage => {
            repair(storage, dir, &RepairTarget::InPlace, RecoveryMode::Salvage).map(drop)
        }
    }
}

fn mode(rewrite: Rewrite) -> RecoveryMode {
    match rewrite {
        Rewrite::Compact => RecoveryMode::TruncateTornTail,
        Rewrite::Salvage => RecoveryMode::Salvage,
    }
}

/// `(live sequences, last_seq)`, every live payload checked.
fn contents(store: &FileStore, case: &str) -> (Vec<u64>, u64) {
    let state = store.state();
    let live = (1..=state.last_seq)
        .filter(|&seq| match store.load(seq) {
            Ok(msg) => {
                assert_eq!(msg.payload, payload(seq), "{case}: {seq} altered");
                true
            }
            Err(_) => false,
        })
        .collect();
    (live, state.last_seq)
}

fn crash_everywhere(rewrite: Rewrite) {
    let start = setup(rewrite);
    let expected: (Vec<u64>, u64) = match rewrite {
        Rewrite::Compact => ((1..=12).filter(|s| ![3, 6, 9].contains(s)).collect(), 12),
        Rewrite::Salvage => ((1..=12).filter(|s| ![3, 5, 6, 9].contains(s)).collect(), 12),
    };
    let probe = FaultStorage::new(start.snapshot(), FaultPlan::none());
    run(&probe, rewrite).unwrap();
    let ops = probe.ops_attempted();
    assert!(ops > 6, "{rewrite:?}: only {ops} operations");
    for op in 0..ops {
        for variant in 0..4u64 {
            let disk = start.snapshot();
            let faulty = FaultStorage::new(disk.clone(), FaultPlan::crash_at(op, variant % 2 == 1));
            assert!(run(&faulty, rewrite).is_err(), "op {op} never reached");
            // Variants 0 and 1: the process died, every write kept; 2 and 3: a power cut.
            if variant >= 2 {
                disk.crash_seeded(CrashMode::DropUnsynced, op ^ variant);
            }
            let case = format!("{rewrite:?}, crash at op {op}, variant {variant}");
            let mut store = open(&disk, mode(rewrite))
                .unwrap_or_else(|error| panic!("{case}: reopen: {error}"));
            assert_eq!(contents(&store, &case), expected, "{case}");
            if rewrite == Rewrite::Compact {
                assert!(
                    store.state().lost.is_none(),
                    "{case}: {:?}",
                    store.state().lost
                );
            }
            let (seq, _) = store.store(&NewMsg::new("t.x", b"next"), 99).unwrap();
            assert_eq!(seq, 13, "{case}");
        }
    }
}

#[test]
fn the_store_reopens_an_interrupted_offline_compaction() {
    crash_everywhere(Rewrite::Compact);
}

#[test]
fn the_store_reopens_an_interrupted_offline_salvage() {
    crash_everywhere(Rewrite::Salvage);
}
