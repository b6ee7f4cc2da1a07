//! `verify` reads every consumer state file too (a damaged one fails the verification and is
//! named; `consumer-reset` sets it aside), and a missing checkpoint fails it as well.

mod common;
use common::*;

use natrium_format::ConsumerState;

#[test]
fn a_damaged_consumer_state_fails_verify() {
    let (_temp, dir) = copy_fixture("good");
    let consumers = dir.join("consumers");
    std::fs::create_dir_all(&consumers).unwrap();
    let state = ConsumerState {
        delivered_consumer_seq: 7,
        delivered_stream_seq: 9,
        ack_floor_consumer_seq: 5,
        ack_floor_stream_seq: 6,
        ..ConsumerState::default()
    };
    let mut bytes = Vec::new();
    state.encode(&mut bytes).unwrap();
    std::fs::write(consumers.join("intact.state"), &bytes).unwrap();
    let path = dir.to_str().unwrap();
    let output = run(&["verify", path]);
    assert!(output.status.success(), "{}", stderr(&output));

    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(consumers.join("flipped.state"), &bytes).unwrap();
    let output = run(&["verify", path, "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["healthy"], false);
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["kind"], "consumer_state");
    assert!(
        problems[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("consumers/flipped.state"),
        "{problems:?}"
    );
    let text = run(&["verify", path]);
    assert_eq!(text.status.code(), Some(1));
    assert!(
        stderr(&text).contains("flipped.state: consumer state damaged"),
        "{}",
        stderr(&text)
    );
}

/// `consumer-reset` moves a consumer's state to quarantine/ (bytes kept): `verify` passes
/// again, and an unknown or path-like name is refused.
#[test]
fn consumer_reset_sets_a_damaged_state_aside() {
    let (_temp, dir) = copy_fixture("good");
    let consumers = dir.join("consumers");
    std::fs::create_dir_all(&consumers).unwrap();
    std::fs::write(consumers.join("broken.state"), b"not a consumer state").unwrap();
    let path = dir.to_str().unwrap();
    assert_eq!(run(&["verify", path]).status.code(), Some(1));

    for bad in ["nobody", "../stream", "broken.state"] {
        let output = run(&["consumer-reset", path, bad]);
        assert_eq!(output.status.code(), Some(1), "{bad}: {}", stderr(&output));
    }
    let output = run(&["consumer-reset", path, "broken"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!consumers.join("broken.state").exists());
    let copy = dir.join("quarantine/consumer.broken.state.bad");
    assert_eq!(std::fs::read(copy).unwrap(), b"not a consumer state");
    let verify = run(&["verify", path]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

/// A stream without `stream.state` fails verification: nothing durable says where it ended,
/// so a lost last block would go unnoticed.
#[test]
fn a_missing_checkpoint_fails_verify() {
    let (_temp, dir) = copy_fixture("good");
    std::fs::remove_file(dir.join("stream.state")).unwrap();
    let output = run(&["verify", dir.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let kinds: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| problem["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["checkpoint_missing"]);
}
