//! Truncate, purge, compact and secure erase are crash-atomic: m1..m10 over several blocks, `remove(2)`,
//! then the operation, crashed at every mutating storage operation it performs (clean
//! failure; torn write with every un-fsynced change torn at sector granularity; and
//! un-fsynced directory operations surviving by a seed). The
//! reopened store is exactly the stream before the operation or exactly the one after it;
//! the acknowledged removal of 2 is never undone, and the store accepts writes. The open that
//! finishes an interrupted rewrite is itself crashed at each of its operations.
use std::path::Path;
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions, SyncPolicy, WriterConfig};
use natrium_store::io::{CrashMode, FaultPlan, FaultStorage, MemStorage, StorageHandle};
use natrium_store::{NewMsg, StoreConfig, StreamStore};

#[derive(Debug, Clone, Copy)]
enum Rewrite {
    Truncate(u64),
    Purge,
    Compact(u64),
    /// Secure erase: an in-place overwrite of the record, torn by the crash in half the cases.
    Erase(u64),
}

fn options() -> FileStoreOptions {
    FileStoreOptions {
        // About three 30-byte messages per block.
        block_bytes_max: 300,
        writer: WriterConfig {
            sync: SyncPolicy::Always,
            ..WriterConfig::default()
        },
        ..FileStoreOptions::default()
    }
}

fn payload(seq: u64) -> Vec<u8> {
    format!("payload of message {seq:010}").into_bytes()
}

fn open(storage: StorageHandle) -> natrium_store::Result<FileStore> {
    FileStore::open(storage, Path::new("/s"), options(), StoreConfig::default())
}

/// Stores m1..m10 and removes 2; `None` if the storage failed.
fn setup(storage: StorageHandle) -> Option<FileStore> {
    let mut store = open(storage).ok()?;
    for seq in 1..=10 {
        store.store(&NewMsg::new("t.x", &payload(seq)), seq).ok()?;
    }
    store.remove(2).ok()?;
    Some(store)
}

fn run(store: &mut FileStore, rewrite: Rewrite) -> natrium_store::Result<()> {
    match rewrite {
        Rewrite::Truncate(seq) => store.truncate(seq),
        Rewrite::Purge => store.purge().map(drop),
        Rewrite::Compact(seq) => store.compact(seq).map(drop),
        Rewrite::Erase(seq) => store.erase(seq).map(drop),
    }
}

/// `(live sequences, last_seq)` of a store.
fn contents(store: &FileStore) -> (Vec<u64>, u64) {
    let state = store.state();
    let live = (1..=state.last_seq)
        .filter(|&seq| match store.load(seq) {
            Ok(msg) => {
                assert_eq!(msg.payload, payload(seq), "{seq} altered");
                true
            }
            Err(_) => false,
        })
        .collect();
    (live, state.last_seq)
}

fn expected_after(rewrite: Rewrite) -> (Vec<u64>, u64) {
    let before: Vec<u64> = (1..=10).filter(|&seq| seq != 2).collect();
    match rewrite {
        Rewrite::Truncate(seq) => (before.into_iter().filter(|&s| s <= seq).collect(), seq),
        Rewrite::Purge => (Vec::new(), 10),
        Rewrite::Compact(seq) => (
            before.into_iter().filter(|&s| s >= seq).collect(),
            10.max(seq.saturating_sub(1)),
        ),
        Rewrite::Erase(seq) => (before.into_iter().filter(|&s| s != seq).collect(), 10),
    }
}

fn crash_everywhere(rewrite: Rewrite) {
    let probe = FaultStorage::new(MemStorage::new(), FaultPlan::none());
    let mut store = setup(Arc::new(probe.clone())).unwrap();
    let before_ops = probe.ops_attempted();
    let before = contents(&store);
    run(&mut store, rewrite).unwrap();
    let after = contents(&store);
    assert_eq!(
        after,
        expected_after(rewrite),
        "{rewrite:?} without a crash"
    );
    let total_ops = probe.ops_attempted();
    drop(store);
    assert!(total_ops > before_ops + 2, "{rewrite:?}: {total_ops} ops");
    for op in before_ops..total_ops {
        for (torn, seed) in [
            (false, None),
            (true, None),
            (false, Some(op)),
            (true, Some(!op)),
        ] {
            let mem = MemStorage::new();
            let faulty = FaultStorage::new(mem.clone(), FaultPlan::crash_at(op, torn));
            let mut store = setup(Arc::new(faulty.clone())).expect("setup never fails");
            let result = run(&mut store, rewrite);
            assert!(
                faulty.has_failed() && result.is_err(),
                "op {op} never reached"
            );
            // Torn cases also tear every un-fsynced change at 16-byte sectors, in-place
            // overwrites included (a real disk writes back dirty sectors in any order).
            mem.power_cut(torn, op, seed, 16);
            drop(store);
            let case = format!("{rewrite:?}, crash at op {op}, torn {torn}, seed {seed:?}");
            if !torn && seed.is_none() {
                crash_during_recovery(&mem, &before, &after, &case);
            }
            let mut store = open(Arc::new(mem.clone()))
                .unwrap_or_else(|error| panic!("{case}: reopen: {error}"));
            let found = contents(&store);
            assert!(
                found == before || found == after,
                "{case}: neither before {before:?} nor after {after:?}: {found:?}"
            );
            // No sequence is lost; a torn, never-acknowledged tail may be cut, and its bytes
            // are reported (docs/durability.md, torn tail).
            assert!(
                store
                    .state()
                    .lost
                    .as_ref()
                    .is_none_or(|lost| lost.msgs.is_empty()),
                "{case}: {:?}",
                store.state().lost
            );
            let (seq, _) = store.store(&NewMsg::new("t.x", b"next"), 99).unwrap();
            assert_eq!(seq, found.1 + 1, "{case}");
            drop(store);
            // A second open (recovery may have finished the operation) agrees.
            let store = open(Arc::new(mem.clone())).unwrap();
            assert_eq!(store.state().last_seq, found.1 + 1, "{case}: second open");
        }
    }
}

/// Crashes the open that finishes the interrupted rewrite at each of its mutating operations
/// (on a copy of the disk); the open after that still finds `before` or `after`.
fn crash_during_recovery(
    mem: &MemStorage,
    before: &(Vec<u64>, u64),
    after: &(Vec<u64>, u64),
    case: &str,
) {
    let probe = FaultStorage::new(mem.snapshot(), FaultPlan::none());
    drop(open(Arc::new(probe.clone())).unwrap());
    for op in 0..probe.ops_attempted() {
        let disk = mem.snapshot();
        let faulty = FaultStorage::new(disk.clone(), FaultPlan::crash_at(op, false));
        drop(open(Arc::new(faulty)));
        disk.crash_seeded(CrashMode::DropUnsynced, op);
        let store = open(Arc::new(disk))
            .unwrap_or_else(|error| panic!("{case}, recovery crashed at {op}: {error}"));
        let found = contents(&store);
        assert!(
            &found == before || &found == after,
            "{case}, recovery crashed at {op}: {found:?}"
        );
    }
}

/// A torn overwrite of an erased record used to make the next full scan refuse its block.
#[test]
fn secure_erase_in_a_sealed_block_is_crash_atomic() {
    crash_everywhere(Rewrite::Erase(4));
}

#[test]
fn secure_erase_in_the_active_block_is_crash_atomic() {
    crash_everywhere(Rewrite::Erase(10));
}

#[test]
fn truncate_is_crash_atomic() {
    crash_everywhere(Rewrite::Truncate(8));
}

#[test]
fn truncate_into_an_earlier_block_is_crash_atomic() {
    crash_everywhere(Rewrite::Truncate(3));
}

#[test]
fn purge_is_crash_atomic() {
    crash_everywhere(Rewrite::Purge);
}

#[test]
fn compact_is_crash_atomic() {
    crash_everywhere(Rewrite::Compact(6));
}

#[test]
fn compact_past_the_end_is_crash_atomic() {
    crash_everywhere(Rewrite::Compact(15));
}

/// `stream.intent` is only ever replaced atomically, so one that does not decode is damage:
/// refused unless the mode is `Salvage`, which ignores it.
#[test]
fn a_damaged_intent_is_refused_except_by_salvage() {
    use natrium_store::filestore::RecoveryMode;
    use natrium_store::io::{OpenMode, Storage};
    let mem = MemStorage::new();
    let mut store = setup(Arc::new(mem.clone())).unwrap();
    store.close().unwrap();
    drop(store);
    let path = Path::new("/s/stream.intent");
    let file = mem.open(path, OpenMode::Create).unwrap();
    file.write_at(b"NATRINTN not really an intent", 0).unwrap();
    file.sync().unwrap();
    mem.sync_dir(Path::new("/s")).unwrap();
    for (mode, opens) in [
        (RecoveryMode::Strict, false),
        (RecoveryMode::TruncateTornTail, false),
        (RecoveryMode::Salvage, true),
    ] {
        let options = FileStoreOptions {
            recovery: mode,
            ..options()
        };
        let result = FileStore::open(
            Arc::new(mem.clone()),
            Path::new("/s"),
            options,
            StoreConfig::default(),
        );
        assert_eq!(result.is_ok(), opens, "{mode:?}");
    }
}
