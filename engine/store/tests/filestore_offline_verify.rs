//! What the FileStore writes is what the offline tooling reads: after removals, an erase,
//! skips, rotations and a clean close on real files, `natrium_recovery::recover_dir` (the
//! scanner `natrium-blk` uses) finds every block intact under `Strict`, rebuilds the same
//! counters and deleted ranges, and reports no disagreement with the checkpoint.
use std::sync::Arc;

use natrium_recovery::{RecoveryMode, recover_dir};
use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::RealStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

#[test]
fn recovery_agrees_with_the_filestore() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("stream");
    let options = FileStoreOptions {
        block_bytes_max: 2048,
        ..FileStoreOptions::default()
    };
    let mut store = FileStore::open(
        Arc::new(RealStorage::new()),
        &dir,
        options,
        StoreConfig::default(),
    )
    .unwrap();
    for i in 1..=120u64 {
        let subject = format!("verify.{}", i % 7);
        store
            .store(&NewMsg::new(&subject, format!("m{i}").as_bytes()), i)
            .unwrap();
    }
    for seq in [3, 4, 5, 50, 77] {
        assert!(store.remove(seq).unwrap());
    }
    assert!(store.erase(90).unwrap());
    store.skip_many(121, 10, 200).unwrap();
    store
        .store(&NewMsg::new("verify.last", b"tail"), 300)
        .unwrap();
    let ours = store.state_with_deleted();
    assert!(store.block_count() > 3);
    store.close().unwrap();
    drop(store);

    let report = recover_dir(&dir, RecoveryMode::Strict).unwrap();
    assert!(
        report.is_clean(),
        "disagreements: {:?}",
        report.disagreements
    );
    assert_eq!(report.state.first_seq, ours.first_seq);
    assert_eq!(report.state.last_seq, ours.last_seq);
    assert_eq!(report.state.msgs, ours.msgs);
    assert_eq!(report.state.bytes, ours.bytes);
    let theirs: Vec<u64> = report
        .state
        .deleted
        .iter()
        .flat_map(|&(first, last)| first..=last)
        .collect();
    assert_eq!(theirs, ours.deleted);
}
