//! natrium-blk reads a directory written by the real FileStore (not the fixture writer): verify
//! passes, dump shows the live messages, the store's checkpoint agrees with the blocks, and the
//! store reopens a directory the tool compacted.

mod common;
use common::*;

use std::sync::Arc;

use natrium_format::{CipherKind, Compression};
use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::RealStorage;
use natrium_store::{MsgTtl, NewMsg, StoreConfig, StreamStore};

#[test]
fn a_filestore_directory_verifies_dumps_and_reopens_after_compaction() {
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
    let open = || {
        let storage = Arc::new(RealStorage::new());
        let config = StoreConfig {
            allow_msg_ttl: true,
            ..StoreConfig::default()
        };
        FileStore::open(storage, &dir, options.clone(), config).unwrap()
    };
    let mut store = open();
    for i in 0..60u64 {
        let payload = format!("order {i} {}", "z".repeat(40));
        store
            .store(&NewMsg::new("orders.new", payload.as_bytes()), i)
            .unwrap();
    }
    let mut expiring = NewMsg::new("orders.expiring", b"soon gone");
    expiring.ttl = MsgTtl::After { ttl_ns: 5_000 };
    store.store(&expiring, 100).unwrap();
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
    assert!(inspect.contains("msgs 59"), "{inspect}");
    let dump = stdout(&run(&["dump", path, "--payload", "--key", &key]));
    assert_eq!(dump.lines().count(), 59, "{dump}");
    assert!(
        dump.lines()
            .any(|line| line.contains("seq=61 ") && line.contains("ttl_ns=5000")),
        "the per-message TTL is shown: {dump}"
    );
    let json = stdout(&run(&[
        "dump", path, "--json", "--from", "61", "--key", &key,
    ]));
    assert!(json.contains("\"ttl_ns\":5000"), "{json}");
    assert!(dump.contains("payload=\"order 0 zzzz"), "{dump}");
    assert!(!dump.contains("seq=7 "));

    let compact = run(&["compact", path]);
    assert!(compact.status.success(), "{}", stderr(&compact));
    assert!(stdout(&compact).contains("dropped"), "{}", stdout(&compact));
    // The store reopens the compacted directory: the tool deleted the store's derived caches
    // (stream.index), so the store rescans the rewritten blocks.
    assert!(!dir.join("stream.index").exists());
    let verify = run(&["verify", path, "--key", &key]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let mut store = open();
    let state = store.state();
    assert_eq!((state.msgs, state.first_seq, state.last_seq), (59, 1, 61));
    let expected = format!("order 8 {}", "z".repeat(40));
    assert_eq!(store.load(9).unwrap().payload, expected.as_bytes());
    assert!(store.load(7).is_err());
    store.close().unwrap();
}
