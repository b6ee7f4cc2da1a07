//! A long stream does not hold one file descriptor per block: sealed blocks are opened on
//! demand through a cache bounded by `open_files_max`, both after a scan and after a checkpoint
//! open, while every message stays readable (buffered writes hold their block's handle only
//! until the flush thread has written them). (nextest runs each test in its own process, so
//! counting `/proc/self/fd` is exact.)
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::RealStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count())
}

#[test]
fn sealed_blocks_share_a_bounded_set_of_handles() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("long");
    let options = FileStoreOptions {
        block_bytes_max: 512,
        open_files_max: 4,
        ..FileStoreOptions::default()
    };
    let open = || {
        FileStore::open(
            Arc::new(RealStorage::new()),
            &dir,
            options.clone(),
            StoreConfig::default(),
        )
        .unwrap()
    };
    let before = open_fds();
    let mut store = open();
    for i in 1..=1000u64 {
        store
            .store(&NewMsg::new("long.s", format!("message {i}").as_bytes()), i)
            .unwrap();
    }
    assert!(store.block_count() > 100, "{} blocks", store.block_count());
    // Buffered chunks hold their block's handle until the flush thread has written them.
    store.flush().unwrap();
    for seq in (1..=1000u64).step_by(7) {
        assert_eq!(
            store.load(seq).unwrap().payload,
            format!("message {seq}").as_bytes()
        );
    }
    let during = open_fds();
    assert!(
        during <= before + 8,
        "{} descriptors open for {} blocks",
        during - before,
        store.block_count()
    );
    store.close().unwrap();
    drop(store);
    for _reopen in 0..2 {
        let store = open();
        for seq in (1..=1000u64).step_by(3) {
            assert_eq!(
                store.load(seq).unwrap().payload,
                format!("message {seq}").as_bytes()
            );
        }
        assert!(
            open_fds() <= before + 8,
            "{} descriptors after reopen",
            open_fds() - before
        );
        drop(store);
        std::fs::remove_file(dir.join("stream.state")).ok();
    }
}
