//! Key rotation end to end: a FileStore written under key A (messages, a removal, a secure
//! erase, per-message TTL), rotated by `natrium_recovery::rekey` into a new directory under
//! key B, opens under B with the same messages, removals and sequences; key A no longer opens
//! it; the source directory is unchanged.
use std::path::Path;
use std::sync::Arc;

use natrium_format::CipherKind;
use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::MemStorage;
use natrium_store::types::MsgTtl;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

fn open(
    mem: &MemStorage,
    dir: &str,
    key: &[u8],
    cipher: CipherKind,
) -> natrium_store::Result<FileStore> {
    let options = FileStoreOptions {
        name: "ROTATE".into(),
        block_bytes_max: 700,
        cipher,
        key: Some(key.to_vec()),
        ..FileStoreOptions::default()
    };
    let config = StoreConfig {
        allow_msg_ttl: true,
        ..StoreConfig::default()
    };
    FileStore::open(Arc::new(mem.clone()), Path::new(dir), options, config)
}

#[test]
fn a_rotated_stream_opens_under_the_new_key_only() {
    for cipher in [CipherKind::Aes256Gcm, CipherKind::ChaCha20Poly1305] {
        let mem = MemStorage::new();
        let mut store = open(&mem, "/old", b"key A", cipher).unwrap();
        for ts in 1..=30u64 {
            let payload = format!("message {ts} {}", "x".repeat(40));
            store
                .store(&NewMsg::new("orders.new", payload.as_bytes()), ts)
                .unwrap();
        }
        let mut expiring = NewMsg::new("orders.ttl", b"short lived");
        expiring.ttl = MsgTtl::After { ttl_ns: 1_000_000 };
        store.store(&expiring, 31).unwrap();
        assert!(store.remove(3).unwrap());
        assert!(store.erase(7).unwrap());
        let before: Vec<_> = (1..=31u64).map(|seq| store.load(seq).ok()).collect();
        let state = store.state();
        store.close().unwrap();
        drop(store);
        let old_files: Vec<_> = mem
            .file_paths()
            .into_iter()
            .map(|path| (path.clone(), mem.file_content(&path)))
            .collect();

        let report = natrium_recovery::rekey(
            &mem,
            Path::new("/old"),
            Path::new("/new"),
            b"key A",
            b"key B",
        )
        .unwrap();
        assert!(report.blocks >= 3, "{cipher:?}: {report:?}");
        assert!(report.records >= 33, "{cipher:?}: {report:?}");
        for (path, content) in &old_files {
            assert_eq!(
                &mem.file_content(path),
                content,
                "{cipher:?}: {path:?} untouched"
            );
        }

        assert!(
            open(&mem, "/new", b"key A", cipher).is_err(),
            "{cipher:?}: old key"
        );
        let store = open(&mem, "/new", b"key B", cipher).unwrap();
        let after: Vec<_> = (1..=31u64).map(|seq| store.load(seq).ok()).collect();
        assert_eq!(after, before, "{cipher:?}");
        let rotated = store.state();
        assert_eq!(
            (
                rotated.msgs,
                rotated.first_seq,
                rotated.last_seq,
                rotated.deleted.clone()
            ),
            (
                state.msgs,
                state.first_seq,
                state.last_seq,
                state.deleted.clone()
            ),
            "{cipher:?}"
        );
        assert!(
            store.load(3).is_err() && store.load(7).is_err(),
            "{cipher:?}"
        );
        assert_eq!(
            store.load(31).unwrap().expires_ns,
            before[30].as_ref().unwrap().expires_ns
        );
    }
}

#[test]
fn a_wrong_old_key_changes_nothing() {
    let mem = MemStorage::new();
    let mut store = open(&mem, "/old", b"key A", CipherKind::Aes256Gcm).unwrap();
    store.store(&NewMsg::new("a", b"x"), 1).unwrap();
    store.close().unwrap();
    drop(store);
    let error = natrium_recovery::rekey(
        &mem,
        Path::new("/old"),
        Path::new("/new"),
        b"wrong",
        b"key B",
    )
    .unwrap_err();
    assert!(error.to_string().contains("key"), "{error}");
    assert!(
        mem.file_paths()
            .iter()
            .all(|path| !path.starts_with("/new")),
        "nothing created"
    );
}
