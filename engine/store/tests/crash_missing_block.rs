//! A block file that disappears is lost data, never a healthy store: 24 messages in three
//! blocks of 8. Deleting the middle block leaves a gap in the block indexes; deleting the last
//! one leaves the blocks shorter than the durable high-water mark (the checkpoint's
//! `last_seq`). `Strict` refuses both; the default mode and `Salvage` open, report the lost
//! sequences in `state().lost`, and never reuse a sequence.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions, RecoveryMode};
use natrium_store::io::{MemStorage, Storage};
use natrium_store::{NewMsg, StoreConfig, StreamStore};

const MESSAGES: u64 = 24;

fn open(mem: &MemStorage, mode: RecoveryMode) -> natrium_store::Result<FileStore> {
    let options = FileStoreOptions {
        // 32 + 8 * 71 = 600: eight 30-byte messages per block.
        block_bytes_max: 620,
        recovery: mode,
        ..FileStoreOptions::default()
    };
    FileStore::open(
        Arc::new(mem.clone()),
        Path::new("/s"),
        options,
        StoreConfig::default(),
    )
}

/// 24 messages in three blocks, closed (so `stream.state` holds `last_seq` = 24).
fn three_blocks() -> (MemStorage, Vec<PathBuf>) {
    let mem = MemStorage::new();
    let mut store = open(&mem, RecoveryMode::Strict).unwrap();
    for ts in 1..=MESSAGES {
        store.store(&NewMsg::new("a", &[ts as u8; 30]), ts).unwrap();
    }
    assert_eq!(store.block_count(), 3);
    store.close().unwrap();
    drop(store);
    let mut blocks: Vec<PathBuf> = mem
        .file_paths()
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "blk"))
        .collect();
    blocks.sort();
    (mem, blocks)
}

fn check(missing: usize, expect_lost: std::ops::RangeInclusive<u64>) {
    for mode in [
        RecoveryMode::Strict,
        RecoveryMode::TruncateTornTail,
        RecoveryMode::Salvage,
    ] {
        let (mem, blocks) = three_blocks();
        mem.remove(&blocks[missing]).unwrap();
        let case = format!("block {missing} missing, {mode:?}");
        let opened = open(&mem, mode);
        if mode == RecoveryMode::Strict {
            assert!(opened.is_err(), "{case}: opened");
            continue;
        }
        let mut store = opened.unwrap_or_else(|error| panic!("{case}: {error}"));
        let state = store.state();
        assert_eq!(state.msgs, 16, "{case}: {state:?}");
        assert_eq!(state.last_seq, MESSAGES, "{case}: last_seq went back");
        let lost = state
            .lost
            .unwrap_or_else(|| panic!("{case}: lost not reported"));
        for seq in expect_lost.clone() {
            assert!(lost.msgs.contains(&seq), "{case}: {seq} not reported");
        }
        let (seq, _) = store.store(&NewMsg::new("a", b"next"), 99).unwrap();
        assert_eq!(seq, MESSAGES + 1, "{case}: sequence reused");
    }
}

#[test]
fn a_missing_middle_block_is_reported() {
    check(1, 9..=16);
}

#[test]
fn a_missing_last_block_keeps_last_seq_and_is_reported() {
    check(2, 17..=24);
}

/// Without any checkpoint the gap in the block indexes alone gives it away.
#[test]
fn a_missing_middle_block_is_reported_without_checkpoint() {
    let (mem, blocks) = three_blocks();
    mem.remove(&blocks[1]).unwrap();
    mem.remove(Path::new("/s/stream.state")).unwrap();
    assert!(open(&mem, RecoveryMode::Strict).is_err());
    let store = open(&mem, RecoveryMode::TruncateTornTail).unwrap();
    let state = store.state();
    assert_eq!(state.last_seq, MESSAGES);
    let lost = state.lost.expect("lost reported");
    assert_eq!(lost.msgs, (9..=16).collect::<Vec<_>>());
}
