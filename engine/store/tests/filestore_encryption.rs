//! FileStore encryption and compression: records round-trip under both AEAD ciphers with and
//! without snappy; no plaintext reaches the disk; the wrong key is refused at open; a record
//! altered on disk (crc recomputed, so only the AEAD tag can notice) fails to load instead of
//! returning altered bytes; compression shrinks compressible payloads.
use std::path::Path;
use std::sync::Arc;

use natrium_store::filestore::{CipherKind, Compression, FileStore, FileStoreOptions};
use natrium_store::io::MemStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

const SECRET: &[u8] = b"attack at dawn, attack at dawn, attack at dawn, attack at dawn";

fn options(cipher: CipherKind, key: &[u8], compression: Compression) -> FileStoreOptions {
    FileStoreOptions {
        cipher,
        key: (cipher != CipherKind::None).then(|| key.to_vec()),
        compression,
        block_bytes_max: 4096,
        ..FileStoreOptions::default()
    }
}

fn open(mem: &MemStorage, options: FileStoreOptions) -> natrium_store::Result<FileStore> {
    FileStore::open(
        Arc::new(mem.clone()),
        Path::new("/s"),
        options,
        StoreConfig::default(),
    )
}

fn disk_contains(mem: &MemStorage, needle: &[u8]) -> bool {
    mem.file_paths().iter().any(|path| {
        let bytes = mem.file_content(path).unwrap_or_default();
        bytes.windows(needle.len()).any(|window| window == needle)
    })
}

fn disk_bytes(mem: &MemStorage) -> usize {
    mem.file_paths()
        .iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "blk"))
        .map(|path| mem.file_content(path).unwrap_or_default().len())
        .sum()
}

#[test]
fn encrypted_records_round_trip_and_stay_secret() {
    for cipher in [CipherKind::Aes256Gcm, CipherKind::ChaCha20Poly1305] {
        for compression in [Compression::None, Compression::Snappy] {
            let mem = MemStorage::new();
            let mut store = open(&mem, options(cipher, b"key-1", compression)).unwrap();
            for i in 0..50u64 {
                let msg = NewMsg {
                    headers: b"NATS/1.0\r\nX-Secret: attack at dawn\r\n\r\n",
                    ..NewMsg::new("secret.orders", SECRET)
                };
                store.store(&msg, i).unwrap();
            }
            store.close().unwrap();
            assert!(
                !disk_contains(&mem, b"attack at dawn"),
                "{cipher:?} {compression:?}"
            );
            let store = open(&mem, options(cipher, b"key-1", compression)).unwrap();
            let msg = store.load(50).unwrap();
            assert_eq!(msg.payload, SECRET);
            assert_eq!(msg.headers, b"NATS/1.0\r\nX-Secret: attack at dawn\r\n\r\n");
        }
    }
}

#[test]
fn wrong_or_missing_key_is_refused() {
    let mem = MemStorage::new();
    let mut store = open(
        &mem,
        options(CipherKind::Aes256Gcm, b"right", Compression::None),
    )
    .unwrap();
    store.store(&NewMsg::new("a", b"x"), 1).unwrap();
    store.close().unwrap();
    assert!(
        open(
            &mem,
            options(CipherKind::Aes256Gcm, b"wrong", Compression::None)
        )
        .is_err()
    );
    let mut keyless = options(CipherKind::Aes256Gcm, b"", Compression::None);
    keyless.key = None;
    assert!(open(&mem, keyless).is_err());
    // A plain open of an encrypted stream has no key either.
    assert!(open(&mem, options(CipherKind::None, b"", Compression::None)).is_err());
}

#[test]
fn tampering_is_detected_by_the_tag() {
    let mem = MemStorage::new();
    let opts = options(CipherKind::ChaCha20Poly1305, b"k", Compression::None);
    let mut store = open(&mem, opts.clone()).unwrap();
    store.store(&NewMsg::new("a.b", SECRET), 1).unwrap();
    store.close().unwrap();
    let block = Path::new("/s/blocks/0000000001.blk");
    let mut bytes = mem.file_content(block).unwrap();
    // Record at offset 32: header 36 + subject 3 + nonce 12, then ciphertext.
    let at = 32 + 36 + 3 + 12 + 5;
    bytes[at] ^= 1;
    let crc_at = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[32..crc_at]);
    bytes[crc_at..].copy_from_slice(&crc.to_le_bytes());
    mem.set_file_content(block, bytes).unwrap();
    let store = open(&mem, opts).unwrap();
    let error = store.load(1).expect_err("altered record must not load");
    assert!(error.to_string().contains("authentication"), "{error}");
}

#[test]
fn compression_shrinks_compressible_payloads() {
    let payload = vec![b'z'; 2000];
    let mut sizes = Vec::new();
    for compression in [Compression::None, Compression::Snappy] {
        let mem = MemStorage::new();
        let mut store = open(&mem, options(CipherKind::None, b"", compression)).unwrap();
        for i in 0..20 {
            store.store(&NewMsg::new("z", &payload), i).unwrap();
        }
        store.close().unwrap();
        let store = open(&mem, options(CipherKind::None, b"", compression)).unwrap();
        assert_eq!(store.load(20).unwrap().payload, payload);
        assert_eq!(store.state().bytes, 20 * (40 + 1 + 2000));
        sizes.push(disk_bytes(&mem));
    }
    assert!(sizes[1] * 10 < sizes[0], "sizes {sizes:?}");
}
