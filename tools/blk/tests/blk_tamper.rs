//! An encrypted record altered by someone who also recomputed its crc passes the crc scan but
//! fails AEAD authentication: `verify --key` names the file and offset. The key may come
//! from a file (`--key @path`).

mod common;
use common::*;

use natrium_format::layout::CRC_SIZE;
use natrium_format::names::block_path;
use natrium_recovery::testkit::record_offset;

#[test]
fn verify_with_key_catches_a_tampered_body_with_a_valid_crc() {
    let (temp, dir) = copy_fixture("good-aes");
    let path = block_path(&dir, 2);
    let mut bytes = std::fs::read(&path).unwrap();
    let start = record_offset(&bytes, 3).unwrap();
    let len = u32::from_le_bytes(bytes[start..start + 4].try_into().unwrap()) as usize;
    let end = start + len;
    bytes[end - CRC_SIZE - 20] ^= 0x01; // inside the ciphertext
    let crc = crc32fast::hash(&bytes[start..end - CRC_SIZE]);
    bytes[end - CRC_SIZE..end].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();

    let key_file = temp.path().join("key.hex");
    std::fs::write(&key_file, format!("{}\n", fixture_key_hex())).unwrap();
    let key_arg = format!("@{}", key_file.display());
    let dir = dir.to_str().unwrap();
    // Without the key only crcs are checked, and they all match.
    assert!(run(&["verify", dir]).status.success());
    let output = run(&["verify", dir, "--key", &key_arg]);
    assert_eq!(output.status.code(), Some(1));
    // The scan itself authenticates with the key: the tampered record is damage at its offset.
    let expected = format!("0000000002.blk: corrupt at offset {start}: authentication failed");
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
}

/// A plaintext message with a valid crc, appended to a block of an AES-GCM stream by someone
/// without the key, is damage to `verify --key` (the scan authenticates every record), never a
/// healthy store.
#[test]
fn verify_with_key_refuses_a_forged_plaintext_record() {
    use std::sync::Arc;

    use natrium_format::{CipherKind, Limits, RecordEncoder, RecordInput};
    use natrium_store::filestore::{FileStore, FileStoreOptions};
    use natrium_store::io::RealStorage;
    use natrium_store::{NewMsg, StoreConfig, StreamStore};

    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("secret");
    let key = b"0123456789abcdef0123456789abcdef".to_vec();
    let options = FileStoreOptions {
        name: "SECRET".into(),
        cipher: CipherKind::Aes256Gcm,
        key: Some(key.clone()),
        ..FileStoreOptions::default()
    };
    let storage = Arc::new(RealStorage::new());
    let mut store = FileStore::open(storage, &dir, options, StoreConfig::default()).unwrap();
    for i in 0..5u64 {
        store.store(&NewMsg::new("a.b", b"genuine"), i).unwrap();
    }
    store.close().unwrap();
    drop(store);
    let key_hex: String = key.iter().map(|byte| format!("{byte:02x}")).collect();
    let path = dir.to_str().unwrap();
    assert!(run(&["verify", path, "--key", &key_hex]).status.success());

    let block = block_path(&dir, 1);
    let mut record = Vec::new();
    let forged = RecordInput::message(6, 6, b"a.b", b"", b"forged");
    RecordEncoder::new(Limits::default(), false)
        .encode(&forged, None, &mut record)
        .unwrap();
    let mut bytes = std::fs::read(&block).unwrap();
    let offset = bytes.len();
    bytes.extend_from_slice(&record);
    std::fs::write(&block, &bytes).unwrap();

    let output = run(&["verify", path, "--key", &key_hex, "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["healthy"], false);
    let problems = report["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|problem| problem["offset"] == offset as u64),
        "the forged record's offset {offset} is named: {problems:?}"
    );
}
