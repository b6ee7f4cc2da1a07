//! In an encrypted stream every record, tombstone and block header is authenticated with the
//! stream key: bytes appended by someone without the key (a plaintext message or tombstone
//! with a valid crc, a tombstone with a made-up tag) are damage, never data, and a block header
//! altered with its crc recomputed is refused. A secure erase re-seals the erased body, so the
//! erased record still authenticates and the next scan accepts the block.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use natrium_format::record::{Limits, RecordEncoder, RecordInput};
use natrium_store::filestore::{CipherKind, FileStore, FileStoreOptions, RecoveryMode};
use natrium_store::io::{MemStorage, Storage};
use natrium_store::{NewMsg, StoreConfig, StreamStore};

const CIPHERS: [CipherKind; 2] = [CipherKind::Aes256Gcm, CipherKind::ChaCha20Poly1305];

fn open(
    mem: &MemStorage,
    cipher: CipherKind,
    mode: RecoveryMode,
) -> natrium_store::Result<FileStore> {
    let options = FileStoreOptions {
        cipher,
        key: Some(b"the stream key".to_vec()),
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

fn payload(seq: u64) -> Vec<u8> {
    format!("sealed payload {seq}").into_bytes()
}

/// Ten messages, `remove(2)`, closed: one block.
fn stream(cipher: CipherKind) -> (MemStorage, PathBuf) {
    let mem = MemStorage::new();
    let mut store = open(&mem, cipher, RecoveryMode::TruncateTornTail).unwrap();
    for seq in 1..=10 {
        store
            .store(&NewMsg::new("x.y", &payload(seq)), seq)
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

/// Appends `input` encoded without any key (crc valid) to `block`, durably.
fn append_forged(mem: &MemStorage, block: &Path, input: &RecordInput<'_>, encrypted_flag: bool) {
    let mut record = Vec::new();
    RecordEncoder::new(Limits::default(), false)
        .encode(input, None, &mut record)
        .unwrap();
    if encrypted_flag {
        // A tombstone claiming to be sealed: a made-up nonce and tag as its body.
        record = forged_sealed_tombstone(input.seq);
    }
    let mut bytes = mem.file_content(block).unwrap();
    bytes.extend_from_slice(&record);
    mem.set_file_content(block, bytes).unwrap();
}

/// A tombstone record with the encrypted flag and 28 bytes of made-up nonce and tag.
fn forged_sealed_tombstone(seq: u64) -> Vec<u8> {
    let body = [0x5au8; 28];
    let total = (36 + body.len() + 4) as u32;
    let mut record = Vec::new();
    record.extend_from_slice(&total.to_le_bytes());
    record.extend_from_slice(&(1u16 | 4).to_le_bytes()); // tombstone | encrypted
    record.extend_from_slice(&0u16.to_le_bytes());
    record.extend_from_slice(&seq.to_le_bytes());
    record.extend_from_slice(&7i64.to_le_bytes());
    record.extend_from_slice(&[0u8; 8]);
    let crc = crc32fast::hash(&record);
    record.extend_from_slice(&crc.to_le_bytes());
    record.extend_from_slice(&body);
    let crc = crc32fast::hash(&record);
    record.extend_from_slice(&crc.to_le_bytes());
    record
}

#[test]
fn a_plaintext_message_appended_without_the_key_is_not_data() {
    for cipher in CIPHERS {
        let (mem, block) = stream(cipher);
        let forged = RecordInput::message(11, 11, b"x.y", b"", b"forged");
        append_forged(&mem, &block, &forged, false);
        let store = open(&mem, cipher, RecoveryMode::TruncateTornTail).unwrap();
        assert!(
            store.load(11).is_err(),
            "{cipher:?}: a forged message loads"
        );
        assert_eq!(store.state().last_seq, 10, "{cipher:?}");
        assert_eq!(store.state().msgs, 9, "{cipher:?}");
    }
}

#[test]
fn a_forged_tombstone_does_not_delete() {
    for cipher in CIPHERS {
        for sealed_flag in [false, true] {
            let (mem, block) = stream(cipher);
            let forged = RecordInput::tombstone(3, 7, b"");
            append_forged(&mem, &block, &forged, sealed_flag);
            let store = open(&mem, cipher, RecoveryMode::TruncateTornTail).unwrap();
            let case = format!("{cipher:?}, encrypted flag {sealed_flag}");
            assert_eq!(store.load(3).unwrap().payload, payload(3), "{case}");
            assert_eq!(store.state().msgs, 9, "{case}");
        }
    }
}

#[test]
fn an_altered_block_header_is_refused() {
    for cipher in CIPHERS {
        let (mem, block) = stream(cipher);
        let mut bytes = mem.file_content(&block).unwrap();
        bytes[17] ^= 1; // compression byte
        let crc = crc32fast::hash(&bytes[..28]);
        bytes[28..32].copy_from_slice(&crc.to_le_bytes());
        mem.set_file_content(&block, bytes).unwrap();
        mem.remove(Path::new("/s/stream.state")).unwrap();
        for mode in [RecoveryMode::Strict, RecoveryMode::TruncateTornTail] {
            assert!(
                open(&mem, cipher, mode).is_err(),
                "{cipher:?} {mode:?}: an altered header was accepted"
            );
        }
    }
}

#[test]
fn an_erased_record_still_authenticates_at_the_next_scan() {
    for cipher in CIPHERS {
        let mem = MemStorage::new();
        let mut store = open(&mem, cipher, RecoveryMode::Strict).unwrap();
        for seq in 1..=10 {
            store
                .store(&NewMsg::new("x.y", &payload(seq)), seq)
                .unwrap();
        }
        assert!(store.erase(4).unwrap());
        store.close().unwrap();
        drop(store);
        mem.remove(Path::new("/s/stream.state")).unwrap();
        let store = open(&mem, cipher, RecoveryMode::Strict)
            .unwrap_or_else(|error| panic!("{cipher:?}: {error}"));
        assert!(store.load(4).is_err());
        assert_eq!(store.load(5).unwrap().payload, payload(5));
        assert_eq!(store.state().msgs, 9);
    }
}

/// The checked-in `good-aes` fixture predates authenticated headers (flag clear, plaintext
/// tombstones): it still opens, its tombstones still count, and new records go to a new,
/// authenticated block rather than into the old one.
#[test]
fn a_stream_written_before_authenticated_headers_still_opens() {
    use natrium_store::io::RealStorage;
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/store/good-aes");
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("s");
    std::fs::create_dir_all(dir.join("blocks")).unwrap();
    for name in [
        "stream.meta",
        "blocks/0000000001.blk",
        "blocks/0000000002.blk",
    ] {
        std::fs::copy(fixture.join(name), dir.join(name)).unwrap();
    }
    let blocks = ["blocks/0000000003.blk", "blocks/0000000004.blk"];
    for name in blocks {
        std::fs::copy(fixture.join(name), dir.join(name)).unwrap();
    }
    let options = || FileStoreOptions {
        name: "FIXTURE".into(),
        cipher: CipherKind::Aes256Gcm,
        key: Some(natrium_recovery::testkit::FIXTURE_KEY.to_vec()),
        compression: natrium_store::filestore::Compression::Snappy,
        recovery: RecoveryMode::Strict,
        ..FileStoreOptions::default()
    };
    let open_real = || {
        FileStore::open(
            Arc::new(RealStorage::new()),
            &dir,
            options(),
            StoreConfig::default(),
        )
    };
    let mut store = open_real().unwrap();
    assert_eq!(store.state().msgs, 21);
    assert!(store.load(5).is_err(), "a legacy tombstone counts");
    assert!(store.load(7).is_ok());
    assert_eq!(
        store.block_count(),
        5,
        "the open rotated to a new, authenticated block"
    );
    let (seq, _) = store.store(&NewMsg::new("x.y", b"new"), 1).unwrap();
    let header = std::fs::read(dir.join("blocks/0000000005.blk")).unwrap();
    assert_eq!(header[10] & 1, 1, "block 5 is authenticated");
    store.close().unwrap();
    drop(store);
    std::fs::remove_file(dir.join("stream.state")).unwrap();
    let store = open_real().unwrap();
    assert_eq!(store.load(seq).unwrap().payload, b"new");
    assert_eq!(store.state().msgs, 22);
}

/// A whole block file forged without the key, with an old-style (unauthenticated) header and a
/// plaintext tombstone, appended after a checkpoint that covers the genuine blocks: the open
/// scans only the new block, and must still refuse it.
#[test]
fn a_forged_block_with_an_old_style_header_is_refused() {
    use natrium_format::block::BlockHeader;
    for cipher in CIPHERS {
        let (mem, block) = stream(cipher);
        let forged_path = block.with_file_name("0000000002.blk");
        let mut bytes = Vec::new();
        let compression = natrium_store::filestore::Compression::None;
        BlockHeader::new(2, cipher, compression).encode(&mut bytes);
        RecordEncoder::new(Limits::default(), false)
            .encode(&RecordInput::tombstone(3, 7, b""), None, &mut bytes)
            .unwrap();
        let file = mem
            .open(&forged_path, natrium_store::io::OpenMode::Create)
            .unwrap();
        file.write_at(&bytes, 0).unwrap();
        file.sync().unwrap();
        mem.sync_dir(forged_path.parent().unwrap()).unwrap();
        for mode in [RecoveryMode::Strict, RecoveryMode::TruncateTornTail] {
            if let Ok(store) = open(&mem, cipher, mode) {
                assert!(
                    store.load(3).is_ok(),
                    "{cipher:?} {mode:?}: forged tombstone"
                );
                assert_ne!(mode, RecoveryMode::Strict, "{cipher:?}: strict accepted it");
            }
        }
    }
}
