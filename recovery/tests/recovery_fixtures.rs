//! The checked-in fixture stores (tests/fixtures/store/) behave as documented. After a
//! deliberate format change, rewrite them with
//! `NATRIUM_REGEN_FIXTURES=1 cargo test -p natrium-recovery --test recovery_fixtures regenerate`.

use std::path::{Path, PathBuf};

use natrium_format::names;
use natrium_recovery::dir::{Checkpoint, DisagreementKind};
use natrium_recovery::testkit::{fixture_spec, write_fixture_set, write_stream};
use natrium_recovery::{Error, RealStorage, RecoveryMode, RepairTarget, recover_dir, repair};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/store")
}

/// Regenerates the set when asked; otherwise checks that the checked-in `good` store is what
/// today's codecs write, byte for byte (a guard against silent format drift).
#[test]
fn regenerate_or_check_fixtures() {
    let root = fixtures();
    if std::env::var("NATRIUM_REGEN_FIXTURES").as_deref() == Ok("1") {
        let _ = std::fs::remove_dir_all(&root);
        write_fixture_set(&root).unwrap();
    }
    let fresh = tempfile::tempdir().unwrap();
    write_stream(fresh.path(), &fixture_spec()).unwrap();
    for index in 1..=4 {
        let checked_in = std::fs::read(names::block_path(&root.join("good"), index)).unwrap();
        let today = std::fs::read(names::block_path(fresh.path(), index)).unwrap();
        assert_eq!(
            checked_in, today,
            "block {index} differs from today's format"
        );
    }
}

#[test]
fn good_fixture_is_clean() {
    let good = fixtures().join("good");
    let recovery = recover_dir(&good, RecoveryMode::Strict).unwrap();
    assert!(recovery.is_clean(), "{:?}", recovery.disagreements);
    assert_eq!((recovery.state.msgs, recovery.state.last_seq), (21, 24));
}

#[test]
fn encrypted_fixture_scans_without_the_key() {
    let recovery = recover_dir(&fixtures().join("good-aes"), RecoveryMode::Strict).unwrap();
    assert!(recovery.is_clean());
    assert_eq!(recovery.state.msgs, 21);
}

#[test]
fn bitflip_fixture_fails_with_file_and_offset_and_salvages() {
    let dir = fixtures().join("bitflip");
    match recover_dir(&dir, RecoveryMode::TruncateTornTail) {
        Err(Error::Corrupt { file, offset, .. }) => {
            assert!(
                file.ends_with("blocks/0000000002.blk"),
                "{}",
                file.display()
            );
            assert!(offset > 32);
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    let salvaged = recover_dir(&dir, RecoveryMode::Salvage).unwrap();
    assert_eq!(salvaged.state.msgs, 20);
    let damage = &salvaged.blocks[1].scan.damaged;
    assert_eq!(damage.len(), 1);
    assert_eq!(
        (damage[0].seq_before, damage[0].seq_after),
        (Some(10), Some(12))
    );
    let out = tempfile::tempdir().unwrap();
    let target = RepairTarget::Into(out.path().join("s"));
    let report = repair(&RealStorage, &dir, &target, RecoveryMode::Salvage).unwrap();
    assert_eq!(report.quarantined.len(), 1);
    assert!(
        recover_dir(&out.path().join("s"), RecoveryMode::Strict)
            .unwrap()
            .is_clean()
    );
}

#[test]
fn torn_fixture_recovers_by_default_and_fails_strict() {
    let dir = fixtures().join("torn");
    assert!(recover_dir(&dir, RecoveryMode::Strict).is_err());
    let recovery = recover_dir(&dir, RecoveryMode::TruncateTornTail).unwrap();
    let last = recovery.blocks.last().unwrap();
    assert!(last.scan.torn_tail.is_some());
    assert_eq!(last.scan.records, 2);
}

#[test]
fn badcheckpoint_fixture_reports_an_unreadable_checkpoint() {
    let recovery = recover_dir(&fixtures().join("badcheckpoint"), RecoveryMode::Strict).unwrap();
    assert!(matches!(recovery.checkpoint, Checkpoint::Unreadable(_)));
    assert!(!recovery.is_clean());
    assert_eq!(recovery.state.msgs, 21);
}

/// A block file missing from the middle of the index range fails verification, with or
/// without a checkpoint naming it (`natrium-blk verify` relies on `is_clean`).
#[test]
fn a_missing_block_fails_verification() {
    for keep_checkpoint in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        write_stream(dir.path(), &fixture_spec()).unwrap();
        std::fs::remove_file(names::block_path(dir.path(), 2)).unwrap();
        if !keep_checkpoint {
            std::fs::remove_file(dir.path().join(names::STREAM_STATE)).unwrap();
        }
        let recovery = recover_dir(dir.path(), RecoveryMode::TruncateTornTail).unwrap();
        assert!(!recovery.is_clean(), "checkpoint {keep_checkpoint}");
        assert_eq!(
            recovery.missing_blocks,
            vec![2],
            "checkpoint {keep_checkpoint}"
        );
        // What `natrium-blk verify` checks.
        assert!(
            recovery
                .disagreements
                .iter()
                .any(|d| d.what == "block 2" && d.kind == DisagreementKind::Conflict),
            "checkpoint {keep_checkpoint}: {:?}",
            recovery.disagreements
        );
    }
}

/// With the key, a plaintext record appended to an encrypted stream (valid crc, no tag) is
/// damage; without it only the crc can be checked.
#[test]
fn with_the_key_a_forged_record_is_damage() {
    use natrium_format::{CipherKind, Limits, RecordEncoder, RecordInput};
    use natrium_recovery::recover_dir_keyed;
    use natrium_recovery::testkit::FIXTURE_KEY;
    let dir = tempfile::tempdir().unwrap();
    let mut spec = fixture_spec();
    spec.cipher = CipherKind::ChaCha20Poly1305;
    spec.key = FIXTURE_KEY.to_vec();
    write_stream(dir.path(), &spec).unwrap();
    let strict = |key: Option<&[u8]>| {
        recover_dir_keyed(
            dir.path(),
            RecoveryMode::Strict,
            &Limits::default(),
            key,
            |_, _| {},
        )
    };
    assert!(strict(Some(FIXTURE_KEY)).unwrap().is_clean());
    assert!(
        strict(Some(b"wrong key")).is_err(),
        "a wrong key is refused"
    );
    let last = names::block_path(dir.path(), 4);
    let mut bytes = std::fs::read(&last).unwrap();
    RecordEncoder::new(Limits::default(), false)
        .encode(&RecordInput::tombstone(7, 1, b""), None, &mut bytes)
        .unwrap();
    std::fs::write(&last, bytes).unwrap();
    assert!(
        strict(None).is_ok(),
        "without the key the crc is all there is"
    );
    assert!(
        matches!(strict(Some(FIXTURE_KEY)), Err(Error::Corrupt { .. })),
        "a forged tombstone passed"
    );
}

/// A tombstone whose body is damaged is quarantined by salvage, but the message it deleted
/// stays deleted: the checkpoint lists it, and sequences are never reused, so the repaired
/// stream does not resurrect it (issue 7: `dump --salvage` showed it live).
#[test]
fn salvage_does_not_resurrect_what_a_damaged_tombstone_deleted() {
    let dir = tempfile::tempdir().unwrap();
    write_stream(dir.path(), &fixture_spec()).unwrap();
    let before = recover_dir(dir.path(), RecoveryMode::Strict).unwrap();
    assert_eq!(before.state.deleted, vec![(5, 6), (17, 17)]);
    // Block 4 holds only the tombstones; flip a byte inside the first one.
    let block = names::block_path(dir.path(), 4);
    let mut bytes = std::fs::read(&block).unwrap();
    let header = natrium_format::layout::block::HEADER_SIZE;
    bytes[header + 20] ^= 0x01;
    std::fs::write(&block, &bytes).unwrap();

    let report = repair(
        &RealStorage,
        dir.path(),
        &RepairTarget::InPlace,
        RecoveryMode::Salvage,
    )
    .unwrap();
    // The damaged tombstone, and message 5 it deleted, moved aside (not kept, not dropped).
    assert_eq!(report.quarantined.len(), 2, "{report:?}");
    assert!(
        report
            .quarantined
            .iter()
            .any(|q| q.seq_before == Some(5) && q.seq_after == Some(5)),
        "{report:?}"
    );
    assert_eq!(report.checkpoint.deleted, vec![(5, 6), (17, 17)]);
    assert_eq!(report.checkpoint.msgs, before.state.msgs);
    let after = recover_dir(dir.path(), RecoveryMode::Strict).unwrap();
    assert_eq!(after.state.deleted, vec![(5, 6), (17, 17)]);
    assert_eq!(after.state.msgs, before.state.msgs);
}
