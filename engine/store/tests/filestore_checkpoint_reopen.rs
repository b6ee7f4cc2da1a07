//! FileStore reopen paths: block rotation survives a reopen; a clean close leaves a checkpoint
//! that the next open trusts (no block scan); appends after it are picked up by scanning only
//! the tail; a checkpoint that disagrees with the blocks (a block cut short, a damaged
//! `stream.index`) is ignored and the blocks are rescanned.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::{CrashMode, MemStorage};
use natrium_store::{NewMsg, StoreConfig, StreamStore};

fn open(mem: &MemStorage) -> FileStore {
    let options = FileStoreOptions {
        block_bytes_max: 2048,
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

fn fill(store: &mut FileStore, from: u64, to: u64) {
    for seq in from..=to {
        let payload = format!("message {seq}");
        let (stored, _) = store
            .store(
                &NewMsg::new(&format!("sub.{}", seq % 5), payload.as_bytes()),
                seq,
            )
            .unwrap();
        assert_eq!(stored, seq);
    }
}

fn assert_holds(store: &FileStore, from: u64, to: u64) {
    for seq in from..=to {
        let msg = store.load(seq).unwrap_or_else(|e| panic!("{seq}: {e}"));
        assert_eq!(msg.payload, format!("message {seq}").as_bytes());
        assert_eq!(&*msg.subject, format!("sub.{}", seq % 5));
    }
}

fn last_block(mem: &MemStorage) -> PathBuf {
    mem.file_paths()
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "blk"))
        .max()
        .expect("a block")
}

#[test]
fn clean_close_is_reopened_from_the_checkpoint() {
    let mem = MemStorage::new();
    let mut store = open(&mem);
    fill(&mut store, 1, 200);
    store.remove(17).unwrap();
    let blocks = store.block_count();
    assert!(blocks >= 5, "only {blocks} blocks");
    let before = store.state();
    store.close().unwrap();
    let store = open(&mem);
    assert!(store.opened_from_checkpoint());
    assert_eq!(store.block_count(), blocks);
    assert_eq!(store.state(), before);
    assert_holds(&store, 1, 16);
    assert_holds(&store, 18, 200);
    assert!(store.load(17).is_err());
    assert_eq!(store.load_last("sub.3").unwrap().seq, 198);
}

#[test]
fn appends_after_the_checkpoint_are_scanned_from_the_tail() {
    let mem = MemStorage::new();
    let mut store = open(&mem);
    fill(&mut store, 1, 100);
    store.close().unwrap();
    let mut store = open(&mem);
    fill(&mut store, 101, 180);
    store.remove(5).unwrap();
    store.flush().unwrap();
    let before = store.state();
    drop(store); // No close: the checkpoint is stale.
    mem.crash(CrashMode::DropUnsynced);
    let store = open(&mem);
    assert!(store.opened_from_checkpoint());
    assert_eq!(store.state(), before);
    assert_holds(&store, 6, 180);
    assert!(store.load(5).is_err());
}

#[test]
fn a_block_cut_short_forces_a_rescan() {
    let mem = MemStorage::new();
    let mut store = open(&mem);
    fill(&mut store, 1, 100);
    store.close().unwrap();
    let path = last_block(&mem);
    let mut bytes = mem.file_content(&path).unwrap();
    bytes.truncate(bytes.len() - 3); // Tears the last record.
    mem.set_file_content(&path, bytes).unwrap();
    let store = open(&mem);
    assert!(!store.opened_from_checkpoint());
    // The checkpoint proves 100 was durable: it is reported lost, and never reused.
    let state = store.state();
    assert_eq!(state.last_seq, 100);
    assert_eq!(state.lost.expect("lost reported").msgs, vec![100]);
    assert_holds(&store, 1, 99);
}

#[test]
fn a_damaged_index_forces_a_rescan() {
    let mem = MemStorage::new();
    let mut store = open(&mem);
    fill(&mut store, 1, 100);
    let before = store.state();
    store.close().unwrap();
    let path = Path::new("/s/stream.index");
    let mut bytes = mem.file_content(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    mem.set_file_content(path, bytes).unwrap();
    let store = open(&mem);
    assert!(!store.opened_from_checkpoint());
    assert_eq!(store.state(), before);
    assert_holds(&store, 1, 100);
}
