//! `natrium-blk dump`: ranges, subject filters, JSON, headers and payloads (plain and
//! encrypted), deleted messages hidden unless --all.

mod common;
use common::*;

#[test]
fn dump_filters_and_prints_payloads() {
    let good = fixture("good");
    let output = run(&[
        "dump",
        good.to_str().unwrap(),
        "--from",
        "3",
        "--to",
        "8",
        "--payload",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let seqs: Vec<&str> = text
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    // 5 and 6 are deleted.
    assert_eq!(seqs, ["seq=3", "seq=4", "seq=7", "seq=8"]);
    assert!(
        text.contains("subject=orders.0 bytes=61 payload=\"payload 3 xxx\""),
        "{text}"
    );
}

#[test]
fn dump_json_subject_filter_and_all() {
    let good = fixture("good");
    let output = run(&[
        "dump",
        good.to_str().unwrap(),
        "--subject",
        "orders.2",
        "--json",
        "--all",
    ]);
    assert!(output.status.success());
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8);
    assert!(lines.iter().all(|l| l["subject"] == "orders.2"));
    let deleted: Vec<u64> = lines
        .iter()
        .filter(|l| l["deleted"] == true)
        .map(|l| l["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(deleted, [5, 17]);
}

#[test]
fn dump_of_an_encrypted_store_needs_the_right_key() {
    let aes = fixture("good-aes");
    let dir = aes.to_str().unwrap();
    let output = run(&[
        "dump",
        dir,
        "--from",
        "10",
        "--to",
        "10",
        "--headers",
        "--payload",
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("pass --key"));
    let key = fixture_key_hex();
    let args = [
        "dump",
        dir,
        "--from",
        "10",
        "--to",
        "10",
        "--headers",
        "--payload",
        "--key",
        &key,
    ];
    let output = run(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("headers=\"NATS/1.0\\r\\nTrace: on\\r\\n\\r\\n\""),
        "{text}"
    );
    assert!(text.contains("payload=\"payload 10 xxx\""), "{text}");
    // Metadata needs no key.
    assert!(run(&["dump", dir]).status.success());
}

#[test]
fn dump_refuses_mid_block_damage_unless_salvaging() {
    let dir = fixture("bitflip");
    let dir = dir.to_str().unwrap();
    let output = run(&["dump", dir]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("0000000002.blk: corrupt at offset 177"));
    let output = run(&["dump", dir, "--salvage"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 20);
    assert!(!text.contains("seq=11 "));
}

/// `dump --salvage` reads around a damaged tombstone without showing the message it deleted
/// as live: the checkpoint still lists it as deleted.
#[test]
fn salvage_dump_does_not_resurrect_a_message_whose_tombstone_is_damaged() {
    let (_temp, dir) = copy_fixture("good");
    let block = dir.join("blocks/0000000004.blk");
    let mut bytes = std::fs::read(&block).unwrap();
    let header = natrium_format::layout::block::HEADER_SIZE;
    bytes[header + 20] ^= 0x01;
    std::fs::write(&block, &bytes).unwrap();
    let output = run(&["dump", dir.to_str().unwrap(), "--salvage"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let listed: Vec<String> = stdout(&output)
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    assert!(!listed.contains(&"seq=5".to_owned()), "{listed:?}");
    assert!(listed.contains(&"seq=4".to_owned()) && listed.contains(&"seq=7".to_owned()));
    assert_eq!(listed.len(), 21, "{listed:?}");
}
