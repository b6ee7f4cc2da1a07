//! `inspect --json` and `verify --json` on a directory written by the real FileStore: stdout is
//! one JSON document (no progress, nothing on stderr) with the stream's real values; after a
//! byte is flipped in a record of each of two blocks, verify exits 1 and names both block
//! files with the records' offsets and the checkpoint conflicts, and inspect shows the damaged
//! range in those two blocks only.

mod common;
use common::*;

use std::path::Path;
use std::sync::Arc;

use natrium_format::layout::CRC_SIZE;
use natrium_format::{CipherKind, Compression};
use natrium_recovery::testkit::record_offset;
use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::RealStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};
use serde_json::{Value, json};

const KEY: &[u8] = b"json report key";
const MESSAGES: u64 = 40;

fn write_store(dir: &Path) {
    let options = FileStoreOptions {
        name: "ORDERS".into(),
        block_bytes_max: 1024,
        compression: Compression::Snappy,
        cipher: CipherKind::ChaCha20Poly1305,
        key: Some(KEY.to_vec()),
        ..FileStoreOptions::default()
    };
    let storage = Arc::new(RealStorage::new());
    let mut store = FileStore::open(storage, dir, options, StoreConfig::default()).unwrap();
    for i in 0..MESSAGES {
        let subject = if i % 2 == 0 { "orders.eu" } else { "orders.us" };
        let payload = format!("order {i} {}", "q".repeat(30));
        store
            .store(&NewMsg::new(subject, payload.as_bytes()), i)
            .unwrap();
    }
    assert!(store.remove(7).unwrap());
    store.checkpoint(1_000).unwrap();
    store.close().unwrap();
}

/// Runs the tool and parses stdout as one JSON document; stderr must stay empty (no progress
/// bar off a terminal, no text report).
fn run_json(args: &[&str], code: i32) -> Value {
    let output = run(args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}: {}",
        stderr(&output)
    );
    assert!(output.stderr.is_empty(), "{args:?}: {}", stderr(&output));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{args:?}: not JSON ({error}): {}", stdout(&output)))
}

fn key_hex() -> String {
    KEY.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn json_reports_of_a_real_store_before_and_after_flipped_bytes() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("ORDERS");
    write_store(&dir);
    let path = dir.to_str().unwrap();
    let key = key_hex();

    let inspect = run_json(&["inspect", path, "--json", "--key", &key], 0);
    assert_eq!(
        inspect["stream"],
        json!({"name": "ORDERS", "cipher": "chacha20_poly1305", "compression": "snappy",
               "block_bytes_max": 1024})
    );
    assert_eq!(inspect["key_checked"], json!(true));
    assert_eq!(inspect["healthy"], json!(true));
    let state = &inspect["state"];
    assert_eq!(
        (&state["first_seq"], &state["last_seq"], &state["msgs"]),
        (&json!(1), &json!(MESSAGES), &json!(MESSAGES - 1))
    );
    assert_eq!(state["deleted"], json!([[7, 7]]));
    assert_eq!(
        inspect["subjects"],
        json!([{"subject": "orders.eu", "records": 20}, {"subject": "orders.us", "records": 20}])
    );
    assert_eq!(inspect["checkpoint"]["status"], json!("matches"));
    let blocks = inspect["blocks"].as_array().unwrap();
    let files = std::fs::read_dir(dir.join("blocks")).unwrap().count();
    assert!(blocks.len() > 1, "1024-byte blocks rotate: {inspect}");
    assert_eq!(blocks.len(), files);
    let records: u64 = blocks.iter().map(|b| b["records"].as_u64().unwrap()).sum();
    assert!(blocks.iter().all(|b| b["healthy"] == json!(true)));

    let verify = run_json(&["verify", path, "--json", "--key", &key], 0);
    assert_eq!(verify["healthy"], json!(true));
    assert_eq!(verify["problems"], json!([]));
    assert_eq!(verify["blocks"], json!(files));
    assert_eq!(verify["records"], json!(records));
    assert_eq!(verify["bodies_authenticated"], json!(true));
    assert_eq!(verify["stream"]["name"], json!("ORDERS"));

    // Flip one byte inside the body of the third record of the first block, and of the
    // second record of the second block.
    let first = flip_a_record_byte(blocks[0]["file"].as_str().unwrap(), 2);
    let second = flip_a_record_byte(blocks[1]["file"].as_str().unwrap(), 1);

    let verify = run_json(&["verify", path, "--json", "--key", &key], 1);
    assert_eq!(verify["healthy"], json!(false));
    assert_eq!(verify["blocks"], json!(files));
    assert_eq!(
        verify["records"],
        json!(records - 2),
        "all but the two damaged"
    );
    let problems = verify["problems"].as_array().unwrap();
    // The first damage with Strict's exact cause, then the rest, then the checkpoint.
    for (problem, damage) in problems.iter().zip([&first, &second]) {
        assert_eq!(problem["kind"], json!("corrupt_block"), "{verify}");
        assert_eq!(problem["file"], json!(damage.file));
        assert_eq!(problem["offset"], json!(damage.record_start));
        let message = problem["message"].as_str().unwrap();
        let expected = format!(
            "corrupt at offset {}: checksum mismatch",
            damage.record_start
        );
        assert!(message.contains(&expected), "{message}");
    }
    let conflicts = &problems[2..];
    assert!(!conflicts.is_empty(), "{verify}");
    for conflict in conflicts {
        assert_eq!(conflict["kind"], json!("checkpoint_conflict"), "{verify}");
        assert_eq!(conflict["file"], json!(format!("{path}/stream.state")));
        assert_eq!(conflict["offset"], json!(null));
    }
    let index = &blocks[0]["index"];
    assert!(
        conflicts.iter().any(|c| c["message"]
            .as_str()
            .unwrap()
            .contains(&format!("CONFLICT: block {index} crc"))),
        "the checkpoint's crc of the first block no longer matches: {verify}"
    );
    assert_eq!(verify["checkpoint"]["status"], json!("disagrees"));
    // The text report names the same places on stderr.
    let text = run(&["verify", path, "--key", &key]);
    assert_eq!(text.status.code(), Some(1));
    for problem in problems {
        let message = problem["message"].as_str().unwrap();
        assert!(stderr(&text).contains(message), "{}", stderr(&text));
    }

    let inspect = run_json(&["inspect", path, "--json"], 0);
    assert_eq!(inspect["healthy"], json!(false));
    assert_eq!(inspect["key_checked"], json!(false));
    let blocks = inspect["blocks"].as_array().unwrap();
    for (block, damage) in blocks.iter().zip([&first, &second]) {
        let damaged = block["damaged"].as_array().unwrap();
        assert_eq!(damaged.len(), 1, "{inspect}");
        assert_eq!(damaged[0]["start"], json!(damage.record_start));
        assert!(damaged[0]["end"].as_u64().unwrap() > damage.flipped);
        assert_eq!(block["healthy"], json!(false));
    }
    assert!(blocks[2..].iter().all(|b| b["healthy"] == json!(true)));
}

/// Where a byte was flipped.
struct Flip {
    file: String,
    record_start: u64,
    flipped: u64,
}

/// Flips one byte of the body of record `n` (0-based) of a block file.
fn flip_a_record_byte(file: &str, n: usize) -> Flip {
    let mut bytes = std::fs::read(file).unwrap();
    let start = record_offset(&bytes, n).unwrap();
    let len = u32::from_le_bytes(bytes[start..start + 4].try_into().unwrap()) as usize;
    let flipped = start + len - CRC_SIZE - 5;
    bytes[flipped] ^= 0x40;
    std::fs::write(file, &bytes).unwrap();
    Flip {
        file: file.to_owned(),
        record_start: start as u64,
        flipped: flipped as u64,
    }
}
