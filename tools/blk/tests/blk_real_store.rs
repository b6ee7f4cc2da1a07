//! natrium-blk reads a directory written by the real FileStore (not the fixture writer): verify
//! passes, dump shows the live messages, the store's checkpoint agrees with the blocks, and a
//! compaction by the tool leaves a directory that verifies.

mod common;
use common::*;

use std::sync::Arc;

use natrium_format::{CipherKind, Compression};
use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::RealStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

#[test]
fn a_filestore_directory_verifies_and_dumps() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("ORDERS");
    let options = FileStoreOptions {
        name: "ORDERS".into(),
        block_bytes_max: 1024,
        compression: Compression::Snappy,
        cipher: CipherKind::ChaCha20Poly1305,
        key: Some(b"real store key".to_vec()),
        ..FileStoreOptions::default()
    };
    let mut store = FileStore::open(
        Arc::new(RealStorage::new()),
        &dir,
        options,
        StoreConfig::default(),
    )
    .unwrap();
    for i in 0..60u64 {
        let payload = format!("order {i} {}", "z".repeat(40));
        store
            .store(&NewMsg::new("orders.new", payload.as_bytes()), i)
            .unwrap();
    }
    assert!(store.remove(7).unwrap());
    assert!(store.remove(60).unwrap());
    store.checkpoint(1_000).unwrap();
    store.close().unwrap();
    drop(store);

    let path = dir.to_str().unwrap();
    let key: String = b"real store key"
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let verify = run(&["verify", path, "--key", &key]);
    assert!(
        verify.status.success(),
        "{}{}",
        stdout(&verify),
        stderr(&verify)
    );
    let inspect = stdout(&run(&["inspect", path]));
    assert!(inspect.contains("msgs 58"), "{inspect}");
    let dump = stdout(&run(&["dump", path, "--payload", "--key", &key]));
    assert_eq!(dump.lines().count(), 58, "{dump}");
    assert!(dump.contains("payload=\"order 0 zzzz"), "{dump}");
    assert!(!dump.contains("seq=7 "));

    let compact = run(&["compact", path]);
    assert!(compact.status.success(), "{}", stderr(&compact));
    assert!(stdout(&compact).contains("dropped"), "{}", stdout(&compact));
    // Reopening the store after a compaction is not asserted here: the store's stream.index
    // pairing check hashes stream.state including its trailing crc, which is the constant crc
    // residue (0x2144df1c) for every valid file, so the stale index is trusted (reported to the
    // store owner). The tool's side is checked: the compacted directory verifies.
    let verify = run(&["verify", path, "--key", &key]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert!(stdout(&run(&["inspect", path])).contains("msgs 58"));
}
