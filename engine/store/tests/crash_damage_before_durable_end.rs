//! The default recovery mode cuts only an unsynced torn tail. Damage before the durable end of
//! the last block (intact records follow it, or the checkpoint covered it) is salvaged around:
//! the damaged bytes go to `quarantine/`, the sequences they held are reported in
//! `state().lost`, every intact record (tombstones included) is kept, and no sequence is
//! reused. The block is rewritten without the damage, so the next open is clean.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions, RecoveryMode};
use natrium_store::io::MemStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

fn open(mem: &MemStorage) -> natrium_store::Result<FileStore> {
    let options = FileStoreOptions {
        recovery: RecoveryMode::TruncateTornTail,
        ..FileStoreOptions::default()
    };
    FileStore::open(
        Arc::new(mem.clone()),
        Path::new("/s"),
        options,
        StoreConfig::default(),
    )
}

fn payload(seq: u64) -> Vec<u8> {
    format!("payload number {seq:04}").into_bytes()
}

/// 10 messages, `remove(2)`, `close`: one block, records m1..m10 then the tombstone of 2.
fn closed_stream() -> (MemStorage, PathBuf) {
    let mem = MemStorage::new();
    let mut store = open(&mem).unwrap();
    for seq in 1..=10 {
        store
            .store(&NewMsg::new("d.e", &payload(seq)), seq)
            .unwrap();
    }
    assert!(store.remove(2).unwrap());
    store.close().unwrap();
    drop(store);
    let block = mem
        .file_paths()
        .into_iter()
        .find(|path| path.extension().is_some_and(|ext| ext == "blk"))
        .unwrap();
    (mem, block)
}

/// Flips the byte of the block at `at`, durably.
fn flip(mem: &MemStorage, block: &Path, at: usize) {
    let mut bytes = mem.file_content(block).unwrap();
    bytes[at] ^= 0x01;
    mem.set_file_content(block, bytes).unwrap();
}

fn live(store: &FileStore) -> Vec<u64> {
    (1..=store.state().last_seq)
        .filter(|&seq| store.load(seq).is_ok())
        .collect()
}

fn quarantined(mem: &MemStorage) -> bool {
    mem.file_paths()
        .iter()
        .any(|path| path.starts_with("/s/quarantine"))
}

#[test]
fn a_flipped_payload_byte_mid_block_is_salvaged_around() {
    let (mem, block) = closed_stream();
    let bytes = mem.file_content(&block).unwrap();
    let needle = payload(3);
    let at = bytes
        .windows(needle.len())
        .position(|window| window == needle.as_slice())
        .unwrap();
    flip(&mem, &block, at + 2);
    let mut store = open(&mem).unwrap();
    let state = store.state();
    assert_eq!(live(&store), [1, 4, 5, 6, 7, 8, 9, 10], "{state:?}");
    assert!(
        store.load(2).is_err(),
        "the acknowledged removal of 2 was undone"
    );
    assert_eq!(state.last_seq, 10);
    let lost = state.lost.expect("the damage is reported");
    assert_eq!(lost.msgs, [3]);
    assert!(lost.bytes > 0);
    assert!(quarantined(&mem), "the damaged bytes are kept");
    for seq in [1, 4, 10] {
        assert_eq!(store.load(seq).unwrap().payload, payload(seq));
    }
    let (seq, _) = store.store(&NewMsg::new("d.e", b"next"), 11).unwrap();
    assert_eq!(seq, 11, "sequence reused");
    store.close().unwrap();
    drop(store);
    // The block was rewritten without the damage: the next open is clean and agrees.
    let store = open(&mem).unwrap();
    assert!(store.state().lost.is_none(), "{:?}", store.state().lost);
    assert_eq!(live(&store), [1, 4, 5, 6, 7, 8, 9, 10, 11]);
}

#[test]
fn damage_in_the_last_records_before_the_checkpointed_end_is_reported() {
    let (mem, block) = closed_stream();
    let len = mem.file_content(&block).unwrap().len();
    // The tombstone of 2 is the last record (40 bytes): damage it, nothing intact follows.
    flip(&mem, &block, len - 10);
    let mut store = open(&mem).unwrap();
    let state = store.state();
    assert!(store.load(2).is_err(), "the removal of 2 was undone");
    assert_eq!(live(&store), [1, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert_eq!(state.last_seq, 10);
    let lost = state
        .lost
        .expect("damage before the durable end is reported");
    assert!(lost.bytes > 0);
    assert!(quarantined(&mem));
    let (seq, _) = store.store(&NewMsg::new("d.e", b"next"), 11).unwrap();
    assert_eq!(seq, 11);
}

#[test]
fn damage_in_the_last_message_before_the_checkpointed_end_is_reported() {
    let (mem, block) = closed_stream();
    let bytes = mem.file_content(&block).unwrap();
    let needle = payload(10);
    let at = bytes
        .windows(needle.len())
        .position(|window| window == needle.as_slice())
        .unwrap();
    flip(&mem, &block, at);
    let mut store = open(&mem).unwrap();
    let state = store.state();
    assert_eq!(live(&store), [1, 3, 4, 5, 6, 7, 8, 9]);
    assert!(store.load(2).is_err());
    assert_eq!(state.last_seq, 10, "sequence 10 would be reused");
    assert!(state.lost.expect("reported").msgs.contains(&10));
    let (seq, _) = store.store(&NewMsg::new("d.e", b"next"), 11).unwrap();
    assert_eq!(seq, 11);
}

/// The salvaging open crashed at each of its storage operations (un-fsynced directory
/// operations kept or dropped by a seed): the open after it still finds exactly the salvaged
/// stream, never the cut one.
#[test]
fn a_crash_during_the_salvage_loses_nothing_more() {
    use natrium_store::io::{CrashMode, FaultPlan, FaultStorage};
    let (mem, block) = closed_stream();
    let bytes = mem.file_content(&block).unwrap();
    let needle = payload(3);
    let at = bytes
        .windows(needle.len())
        .position(|window| window == needle.as_slice())
        .unwrap();
    flip(&mem, &block, at + 2);
    let open_on = |storage: natrium_store::io::StorageHandle| {
        FileStore::open(
            storage,
            Path::new("/s"),
            FileStoreOptions::default(),
            StoreConfig::default(),
        )
    };
    let probe = FaultStorage::new(mem.snapshot(), FaultPlan::none());
    drop(open_on(Arc::new(probe.clone())).unwrap());
    assert!(probe.ops_attempted() > 3);
    for op in 0..probe.ops_attempted() {
        for seed in [op, !op] {
            let disk = mem.snapshot();
            let faulty = FaultStorage::new(disk.clone(), FaultPlan::crash_at(op, op % 2 == 1));
            drop(open_on(Arc::new(faulty)));
            disk.crash_seeded(CrashMode::DropUnsynced, seed);
            let store = open_on(Arc::new(disk)).unwrap_or_else(|e| panic!("op {op}: {e}"));
            assert_eq!(
                live(&store),
                [1, 4, 5, 6, 7, 8, 9, 10],
                "op {op}, seed {seed}"
            );
            assert_eq!(store.state().last_seq, 10, "op {op}");
        }
    }
}
