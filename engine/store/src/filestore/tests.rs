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
fn entries_stay_32_bytes_and_blocks_rotate() {
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
