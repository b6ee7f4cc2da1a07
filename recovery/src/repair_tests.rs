//! Repair and compaction tests: salvage keeps intact records and quarantines damage.

use super::*;
use crate::dir::recover_dir;
use crate::testkit::{StreamSpec, write_stream};

fn flip_in_block(dir: &Path, index: u32, at: usize) {
    let path = names::block_path(dir, index);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[at] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn salvage_into_a_new_directory_keeps_intact_records_and_quarantines_damage() {
    let dir = tempfile::tempdir().unwrap();
    write_stream(dir.path(), &StreamSpec::sample("S", 12, 4)).unwrap();
    flip_in_block(dir.path(), 2, HEADER_SIZE + 45);
    assert!(recover_dir(dir.path(), RecoveryMode::TruncateTornTail).is_err());
    let new_dir = dir.path().join("repaired");
    let report = repair(
        &natrium_io::RealStorage,
        dir.path(),
        &RepairTarget::Into(new_dir.clone()),
        RecoveryMode::Salvage,
    )
    .unwrap();
    assert_eq!(report.kept_records, 11);
    assert_eq!(report.quarantined.len(), 1);
    let q = &report.quarantined[0];
    assert_eq!(
        (q.block, q.start, q.seq_before, q.seq_after),
        (2, 32, None, Some(6))
    );
    assert_eq!(
        std::fs::read(&q.path).unwrap().len() as u64,
        q.end - q.start
    );
    let after = recover_dir(&new_dir, RecoveryMode::Strict).unwrap();
    assert!(after.is_clean(), "{:?}", after.disagreements);
    assert_eq!(after.state.msgs, 11);
    assert_eq!(after.state.deleted, vec![(5, 5)]);
    // The source directory is untouched.
    assert!(recover_dir(dir.path(), RecoveryMode::TruncateTornTail).is_err());
}

#[test]
fn torn_tail_repair_in_place_truncates_and_quarantines_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    write_stream(dir.path(), &StreamSpec::sample("S", 8, 4)).unwrap();
    let path = names::block_path(dir.path(), 2);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
    let report = repair(
        &natrium_io::RealStorage,
        dir.path(),
        &RepairTarget::InPlace,
        RecoveryMode::TruncateTornTail,
    )
    .unwrap();
    assert_eq!(report.kept_records, 7);
    assert_eq!(report.quarantined.len(), 1);
    let after = recover_dir(dir.path(), RecoveryMode::Strict).unwrap();
    assert!(after.is_clean());
    assert_eq!((after.state.msgs, after.state.last_seq), (7, 7));
}

#[test]
fn compaction_drops_deleted_messages_and_keeps_last_seq() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = StreamSpec::sample("S", 10, 4);
    spec.deletes = vec![1, 2, 6, 10];
    write_stream(dir.path(), &spec).unwrap();
    let before = recover_dir(dir.path(), RecoveryMode::Strict).unwrap();
    for cache in names::DERIVED_CACHES {
        std::fs::write(dir.path().join(cache), b"describes the old blocks").unwrap();
    }
    let report = compact(&natrium_io::RealStorage, dir.path()).unwrap();
    for cache in names::DERIVED_CACHES {
        assert!(
            !dir.path().join(cache).exists(),
            "{cache} survived a compaction"
        );
    }
    // 4 messages and 3 of the 4 tombstones go; the tombstone of seq 10 keeps last_seq.
    assert_eq!(report.dropped_records, 7);
    let after = recover_dir(dir.path(), RecoveryMode::Strict).unwrap();
    assert!(after.is_clean(), "{:?}", after.disagreements);
    // Everything but the last message's time survives; that time went with the message.
    let mut expected = before.state.clone();
    expected.last_ts_ns = after.state.last_ts_ns;
    assert_eq!(after.state, expected);
    assert_eq!(
        after
            .blocks
            .iter()
            .map(|b| b.scan.records as u64)
            .sum::<u64>(),
        7
    );
}
