//! Corruption: bit flips and truncations of block files, of the checkpoint pair and of a
//! consumer-state file. Opening never panics; `Strict` reports any damage; the default
//! `TruncateTornTail` accepts (and reports) damage only in the last block; `Salvage` opens anyway and
//! keeps every intact record (only the damaged one is lost), loads never return altered bytes,
//! and a damaged checkpoint only costs a rescan.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use natrium_store::consumer::{ConsumerConfig, ConsumerStore, FileConsumerStore};
use natrium_store::filestore::{FileStore, FileStoreOptions, RecoveryMode};
use natrium_store::io::{MemStorage, OpenMode, Storage};
use natrium_store::{NewMsg, StoreConfig, StreamStore};

const MESSAGES: u64 = 60;

fn payload(seq: u64) -> Vec<u8> {
    format!("corruption test message {seq}").into_bytes()
}

fn open(mem: &MemStorage, mode: RecoveryMode) -> natrium_store::Result<FileStore> {
    let options = FileStoreOptions {
        block_bytes_max: 1024,
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

/// A closed store of `MESSAGES` messages over several blocks.
fn base(with_checkpoint: bool) -> MemStorage {
    let mem = MemStorage::new();
    let mut store = open(&mem, RecoveryMode::Strict).unwrap();
    for seq in 1..=MESSAGES {
        store
            .store(&NewMsg::new("c.d", &payload(seq)), seq)
            .unwrap();
    }
    store.close().unwrap();
    drop(store);
    if !with_checkpoint {
        mem.remove(Path::new("/s/stream.state")).unwrap();
    }
    mem
}

/// A copy of `mem` with `path` replaced by `bytes`.
fn copy_with(mem: &MemStorage, path: &Path, bytes: Vec<u8>) -> MemStorage {
    let copy = MemStorage::new();
    for file in mem.file_paths() {
        let dir = file.parent().unwrap();
        copy.create_dir_all(dir).unwrap();
        let content = if file == path {
            bytes.clone()
        } else {
            mem.file_content(&file).unwrap()
        };
        let handle = copy.open(&file, OpenMode::Create).unwrap();
        handle.write_at(&content, 0).unwrap();
        handle.sync().unwrap();
        copy.sync_dir(dir).unwrap();
    }
    copy
}

fn blocks(mem: &MemStorage) -> Vec<PathBuf> {
    let mut blocks: Vec<PathBuf> = mem
        .file_paths()
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "blk"))
        .collect();
    blocks.sort();
    blocks
}

/// Loads every sequence; each is either exact or an error. Returns how many loaded.
fn loadable(store: &FileStore) -> u64 {
    let mut count = 0;
    for seq in 1..=MESSAGES {
        if let Ok(msg) = store.load(seq) {
            assert_eq!(
                msg.payload,
                payload(seq),
                "altered bytes returned for {seq}"
            );
            count += 1;
        }
    }
    count
}

#[test]
fn bit_flips_in_a_sealed_block() {
    let mem = base(false);
    let all = blocks(&mem);
    assert!(all.len() >= 3, "{} blocks", all.len());
    let target = &all[1];
    let original = mem.file_content(target).unwrap();
    for at in (0..original.len()).step_by(5) {
        let mut bytes = original.clone();
        bytes[at] ^= 1 << (at % 8);
        let damaged = copy_with(&mem, target, bytes);
        assert!(
            open(&damaged, RecoveryMode::Strict).is_err(),
            "strict missed byte {at}"
        );
        assert!(
            open(&damaged, RecoveryMode::TruncateTornTail).is_err(),
            "byte {at}"
        );
        let store = open(&damaged, RecoveryMode::Salvage)
            .unwrap_or_else(|error| panic!("salvage failed at byte {at}: {error}"));
        let kept = loadable(&store);
        assert!(kept + 1 >= MESSAGES, "byte {at}: salvage kept only {kept}");
        let lost = store.state().lost.expect("salvage reports what it skipped");
        assert!(lost.bytes > 0, "byte {at}");
        for seq in 1..=MESSAGES {
            if store.load(seq).is_err() && !lost.msgs.is_empty() {
                assert!(
                    lost.msgs.contains(&seq),
                    "byte {at}: {seq} lost, not reported"
                );
            }
        }
        assert!(
            damaged
                .file_paths()
                .iter()
                .any(|p| p.starts_with("/s/quarantine")),
            "byte {at}: damage not quarantined"
        );
    }
}

#[test]
fn damage_in_the_last_block() {
    let mem = base(false);
    let last = blocks(&mem).pop().unwrap();
    let original = mem.file_content(&last).unwrap();
    for at in (0..original.len()).step_by(3) {
        let mut bytes = original.clone();
        bytes[at] ^= 0x80;
        // Each mode gets its own copy: recovery cuts and quarantines in place.
        let damaged = copy_with(&mem, &last, bytes.clone());
        assert!(
            open(&damaged, RecoveryMode::Strict).is_err(),
            "strict missed byte {at}"
        );
        // The default mode salvages around damage followed by intact records (reported and
        // quarantined), cuts only a damaged tail (the last record here: there is no
        // checkpoint to say it was durable), and refuses a damaged header.
        let damaged = copy_with(&mem, &last, bytes.clone());
        match open(&damaged, RecoveryMode::TruncateTornTail) {
            Ok(mut store) => {
                let kept = loadable(&store);
                let state = store.state();
                assert_eq!(state.msgs, kept, "byte {at}");
                assert!(
                    kept + 1 >= MESSAGES,
                    "byte {at}: only the damaged record goes"
                );
                let lost = state.lost.clone().expect("damage is reported");
                for seq in (1..=MESSAGES).filter(|&seq| store.load(seq).is_err()) {
                    let torn_last = seq == MESSAGES && state.last_seq == MESSAGES - 1;
                    assert!(lost.msgs.contains(&seq) || torn_last, "byte {at}: {seq}");
                }
                let (seq, _) = store.store(&NewMsg::new("c.d", b"next"), 0).unwrap();
                assert_eq!(seq, state.last_seq + 1, "byte {at}");
            }
            Err(_) => assert!(at < 32, "byte {at}: only header damage is refused"),
        }
        let damaged = copy_with(&mem, &last, bytes);
        let store = open(&damaged, RecoveryMode::Salvage).unwrap();
        assert!(loadable(&store) + 1 >= MESSAGES, "byte {at}");
    }
}

#[test]
fn truncations_of_the_last_block() {
    let mem = base(false);
    let last = blocks(&mem).pop().unwrap();
    let original = mem.file_content(&last).unwrap();
    let mut previous = 0;
    for len in (0..original.len()).rev().step_by(3) {
        let damaged = copy_with(&mem, &last, original[..len].to_vec());
        let store = open(&damaged, RecoveryMode::TruncateTornTail)
            .unwrap_or_else(|error| panic!("cut at {len}: {error}"));
        let kept = loadable(&store);
        let state = store.state();
        assert_eq!(state.msgs, kept, "cut at {len}");
        assert_eq!(state.last_seq, kept, "cut at {len}: a prefix survives");
        assert!(previous == 0 || kept <= previous, "cut at {len}");
        previous = kept;
        // The store continues after the cut.
        let mut store = store;
        let (seq, _) = store.store(&NewMsg::new("c.d", b"next"), 0).unwrap();
        assert_eq!(seq, kept + 1);
    }
}

#[test]
fn damaged_checkpoint_files_only_cost_a_rescan() {
    let mem = base(true);
    for name in ["/s/stream.state", "/s/stream.index"] {
        let path = Path::new(name);
        let original = mem.file_content(path).unwrap();
        for at in (0..original.len()).step_by(7) {
            let mut bytes = original.clone();
            bytes[at] ^= 0x04;
            let damaged = copy_with(&mem, path, bytes);
            let store = open(&damaged, RecoveryMode::Strict)
                .unwrap_or_else(|error| panic!("{name} byte {at}: {error}"));
            assert!(!store.opened_from_checkpoint(), "{name} byte {at} trusted");
            assert_eq!(loadable(&store), MESSAGES, "{name} byte {at}");
        }
        for len in [0, 1, original.len() / 2, original.len() - 1] {
            let damaged = copy_with(&mem, path, original[..len].to_vec());
            let store = open(&damaged, RecoveryMode::Strict).unwrap();
            assert!(!store.opened_from_checkpoint());
            assert_eq!(loadable(&store), MESSAGES);
        }
    }
}

#[test]
fn damaged_consumer_state_is_reported_not_panicked() {
    let mem = MemStorage::new();
    let storage = Arc::new(mem.clone());
    let path = Path::new("/s/consumers/c1.state");
    let mut consumer =
        FileConsumerStore::open(storage.clone(), path, ConsumerConfig::default()).unwrap();
    consumer.set_starting(1).unwrap();
    for seq in 1..=20u64 {
        consumer.update_delivered(seq, seq, 1, seq as i64).unwrap();
    }
    for seq in (1..=20u64).step_by(3) {
        consumer.update_acks(seq, seq).unwrap();
    }
    consumer.flush().unwrap();
    let good = consumer.state();
    drop(consumer);
    let original = mem.file_content(path).unwrap();
    for at in 0..original.len() {
        let mut bytes = original.clone();
        bytes[at] ^= 0x01;
        mem.set_file_content(path, bytes).unwrap();
        let result = FileConsumerStore::open(storage.clone(), path, ConsumerConfig::default());
        assert!(result.is_err(), "flip at {at} went unnoticed");
    }
    for len in 0..original.len() {
        mem.set_file_content(path, original[..len].to_vec())
            .unwrap();
        let result = FileConsumerStore::open(storage.clone(), path, ConsumerConfig::default());
        assert!(result.is_err(), "cut at {len} went unnoticed");
    }
    mem.set_file_content(path, original).unwrap();
    let reopened = FileConsumerStore::open(storage, path, ConsumerConfig::default()).unwrap();
    assert_eq!(reopened.state(), good);
}

/// Through the stream store (default mode), a damaged consumer state does not fail: that
/// consumer starts over, says why, its bytes are quarantined, and the next flush writes a
/// clean file. `Strict` still refuses it.
#[test]
fn damaged_consumer_state_starts_the_consumer_over() {
    let mem = base(false);
    let mut store = open(&mem, RecoveryMode::TruncateTornTail).unwrap();
    let mut consumer = store
        .consumer_store("c1", ConsumerConfig::default())
        .unwrap();
    consumer.set_starting(1).unwrap();
    consumer.update_delivered(1, 1, 1, 1).unwrap();
    consumer.flush().unwrap();
    drop(consumer);
    let path = Path::new("/s/consumers/c1.state");
    let mut bytes = mem.file_content(path).unwrap();
    bytes[20] ^= 0x40;
    mem.set_file_content(path, bytes).unwrap();
    store.close().unwrap();
    drop(store);

    let mut strict = open(&mem, RecoveryMode::Strict).unwrap();
    assert!(
        strict
            .consumer_store("c1", ConsumerConfig::default())
            .is_err()
    );
    strict.close().unwrap();
    drop(strict);

    let mut store = open(&mem, RecoveryMode::TruncateTornTail).unwrap();
    let mut consumer = store
        .consumer_store("c1", ConsumerConfig::default())
        .expect("a damaged consumer state does not fail the open");
    assert!(consumer.damage().is_some());
    assert!(consumer.state().pending.is_empty());
    assert!(
        mem.file_content(Path::new("/s/quarantine/consumer.c1.state.bad"))
            .is_some()
    );
    consumer.flush().unwrap();
    drop(consumer);
    let consumer = store
        .consumer_store("c1", ConsumerConfig::default())
        .unwrap();
    assert!(consumer.damage().is_none(), "the flush wrote a clean file");
    assert_eq!(loadable(&store), MESSAGES, "the stream is unaffected");
}
