//! Unit tests of FileStore internals on the in-memory storage.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::io::MemStorage;
use crate::store::StreamStore;
use crate::types::NewMsg;

fn small_blocks() -> FileStoreOptions {
    FileStoreOptions {
        block_bytes_max: 1024,
        ..FileStoreOptions::default()
    }
}

#[test]
fn blocks_rotate_and_load_by_sequence() {
    let mem = MemStorage::new();
    let mut store = FileStore::open(
        Arc::new(mem.clone()),
        Path::new("/s"),
        small_blocks(),
        StoreConfig::default(),
    )
    .unwrap();
    for i in 0..100u64 {
        let payload = format!("payload-{i}");
        store
            .store(&NewMsg::new("a.b", payload.as_bytes()), i)
            .unwrap();
    }
    assert!(store.block_count() > 3, "{} blocks", store.block_count());
    assert_eq!(store.load(57).unwrap().payload, b"payload-56");
    store.close().unwrap();
}

/// Unique subjects under max_age (or churning KV keys): the subject table is bounded by the
/// subjects live at once, not by every subject ever seen, and it stays so across a checkpoint
/// and a reopen (free slots round-trip with their ids).
#[test]
fn subject_table_shrinks_when_subjects_go() {
    let mem = MemStorage::new();
    let config = StoreConfig {
        max_age_ns: Some(1_000),
        ..StoreConfig::default()
    };
    let open = |mem: &MemStorage| {
        FileStore::open(
            Arc::new(mem.clone()),
            Path::new("/s"),
            small_blocks(),
            config.clone(),
        )
        .unwrap()
    };
    let mut store = open(&mem);
    let mut now_ns = 0;
    for i in 0..5_000u64 {
        now_ns += 100;
        let subject = format!("kv.key.{i}");
        store.store(&NewMsg::new(&subject, b"v"), now_ns).unwrap();
        store.expire(now_ns).unwrap();
    }
    // At most ten messages (and subjects) are younger than max_age at any time.
    assert!(store.subjects.live <= 11, "{} live", store.subjects.live);
    assert!(
        store.subjects.slots() <= 12,
        "{} slots",
        store.subjects.slots()
    );
    let last = store.load_last("kv.key.4999").unwrap();
    assert_eq!(last.payload, b"v");
    assert!(
        store.load_last("kv.key.10").is_err(),
        "an expired subject is gone"
    );
    store.checkpoint(now_ns).unwrap();
    store.close().unwrap();

    let mut store = open(&mem);
    assert!(
        store.subjects.slots() <= 12,
        "{} slots",
        store.subjects.slots()
    );
    assert_eq!(store.load_last("kv.key.4999").unwrap().seq, 5_000);
    // New subjects reuse the free slots; ids of live subjects are unchanged.
    for i in 0..20u64 {
        now_ns += 100;
        let subject = format!("kv.new.{i}");
        store.store(&NewMsg::new(&subject, b"w"), now_ns).unwrap();
        store.expire(now_ns).unwrap();
    }
    assert!(
        store.subjects.slots() <= 12,
        "{} slots",
        store.subjects.slots()
    );
    assert_eq!(store.load_last("kv.new.19").unwrap().payload, b"w");
    store.close().unwrap();
}

#[test]
fn removing_the_last_message_of_a_subject_frees_its_slot() {
    let mem = MemStorage::new();
    let mut store = FileStore::open(
        Arc::new(mem.clone()),
        Path::new("/s"),
        small_blocks(),
        StoreConfig::default(),
    )
    .unwrap();
    store.store(&NewMsg::new("a", b"1"), 1).unwrap();
    store.store(&NewMsg::new("b", b"2"), 2).unwrap();
    store.store(&NewMsg::new("a", b"3"), 3).unwrap();
    assert_eq!(store.subjects.slots(), 2);
    assert!(store.remove(2).unwrap());
    assert_eq!(store.subjects.id("b"), None, "b's name is released");
    store.store(&NewMsg::new("c", b"4"), 4).unwrap();
    assert_eq!(store.subjects.slots(), 2, "c took b's slot");
    assert_eq!(store.load_last("c").unwrap().seq, 4);
    assert_eq!(store.load_last("a").unwrap().seq, 3);
    let subjects = store.subjects_state(">");
    assert_eq!(subjects.keys().collect::<Vec<_>>(), ["a", "c"]);
    store.close().unwrap();
}
