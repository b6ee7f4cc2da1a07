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
    let expected = format!("0000000002.blk: offset {start}: authentication failed");
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
}
