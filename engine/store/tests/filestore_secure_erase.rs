//! Secure erase: after `erase`, no byte of the message's payload or headers is left anywhere on
//! the (in-memory) disk, while a plain `remove` leaves them in place until the block goes; the
//! stream stays readable and reopenable around the erased record.
use std::path::Path;
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::MemStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

fn disk_contains(mem: &MemStorage, needle: &[u8]) -> bool {
    mem.file_paths().iter().any(|path| {
        let bytes = mem.file_content(path).unwrap_or_default();
        bytes.windows(needle.len()).any(|window| window == needle)
    })
}

#[test]
fn erase_leaves_no_payload_bytes_on_disk() {
    let mem = MemStorage::new();
    let open = || {
        FileStore::open(
            Arc::new(mem.clone()),
            Path::new("/s"),
            FileStoreOptions::default(),
            StoreConfig::default(),
        )
        .unwrap()
    };
    let mut store = open();
    store.store(&NewMsg::new("a", b"before"), 1).unwrap();
    let erased = NewMsg {
        headers: b"NATS/1.0\r\nCard: 4111-1111-1111-1111\r\n\r\n",
        ..NewMsg::new("a", b"erase-me-7d3f9a")
    };
    store.store(&erased, 2).unwrap();
    store
        .store(&NewMsg::new("a", b"removed-only-51c2"), 3)
        .unwrap();
    store.store(&NewMsg::new("a", b"after"), 4).unwrap();
    store.flush().unwrap();
    assert!(disk_contains(&mem, b"erase-me-7d3f9a"));
    assert!(store.erase(2).unwrap());
    assert!(store.remove(3).unwrap());
    store.flush().unwrap();
    assert!(!disk_contains(&mem, b"erase-me-7d3f9a"));
    assert!(!disk_contains(&mem, b"4111-1111"));
    assert!(
        disk_contains(&mem, b"removed-only-51c2"),
        "remove does not overwrite"
    );
    assert_eq!(store.load(4).unwrap().payload, b"after");
    store.close().unwrap();
    // Reopen both from the checkpoint and by scanning the blocks.
    let store = open();
    assert!(store.load(2).is_err());
    assert_eq!(store.load(1).unwrap().payload, b"before");
    drop(store);
    mem.file_paths()
        .iter()
        .filter(|path| path.ends_with("stream.state"))
        .for_each(|path| {
            let mut bytes = mem.file_content(path).unwrap();
            bytes[0] ^= 1;
            mem.set_file_content(path, bytes).unwrap();
        });
    let store = open();
    assert!(!store.opened_from_checkpoint());
    assert!(store.load(2).is_err());
    assert_eq!(store.state().msgs, 2);
}
