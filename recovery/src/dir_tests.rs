//! Directory-level recovery tests on generated stream directories.

use super::*;
use crate::testkit::{StreamSpec, write_stream};

#[test]
fn clean_directory_rebuilds_state_and_matches_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = StreamSpec::sample("S", 20, 6);
    spec.deletes = vec![3, 4, 20];
    write_stream(dir.path(), &spec).unwrap();
    let recovery = recover_dir(dir.path(), RecoveryMode::Strict).unwrap();
    assert!(recovery.is_clean(), "{:?}", recovery.disagreements);
    assert!(recovery.disagreements.is_empty());
    let state = &recovery.state;
    assert_eq!((state.first_seq, state.last_seq, state.msgs), (1, 20, 17));
    assert_eq!(state.deleted, vec![(3, 4), (20, 20)]);
    assert_eq!(recovery.blocks.len(), 4);
    assert_eq!(recovery.blocks.iter().map(|b| b.tombstones).sum::<u64>(), 3);
}

#[test]
fn a_checkpoint_that_contradicts_the_blocks_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_stream(dir.path(), &StreamSpec::sample("S", 10, 4)).unwrap();
    let path = dir.path().join(names::STREAM_STATE);
    let mut state =
        StreamState::decode(&std::fs::read(&path).unwrap(), &StateLimits::default()).unwrap();
    state.msgs = 99;
    let mut bytes = Vec::new();
    state.encode(&mut bytes).unwrap();
    std::fs::write(&path, bytes).unwrap();
    let recovery = recover_dir(dir.path(), RecoveryMode::Strict).unwrap();
    assert!(!recovery.is_clean());
    let d = &recovery.disagreements[0];
    assert_eq!(
        (d.what.as_str(), d.checkpoint.as_str(), d.blocks.as_str()),
        ("msgs", "99", "10")
    );
    assert_eq!(d.kind, DisagreementKind::Conflict);
}

#[test]
fn blocks_grown_after_the_checkpoint_are_stale_not_conflicting() {
    let dir = tempfile::tempdir().unwrap();
    write_stream(dir.path(), &StreamSpec::sample("S", 10, 4)).unwrap();
    let old = std::fs::read(dir.path().join(names::STREAM_STATE)).unwrap();
    write_stream(dir.path(), &StreamSpec::sample("S", 11, 4)).unwrap();
    std::fs::write(dir.path().join(names::STREAM_STATE), old).unwrap();
    let recovery = recover_dir(dir.path(), RecoveryMode::Strict).unwrap();
    assert!(!recovery.disagreements.is_empty());
    assert!(recovery.is_clean(), "{:?}", recovery.disagreements);
}
