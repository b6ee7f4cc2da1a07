//! natrium-blk honours `stream.lock`: while a store has the stream open, `compact` and
//! in-place `recover` refuse and change nothing; the read-only verbs still read, with a
//! warning; once the store closes, the rewrite runs.

mod common;

use std::sync::Arc;

use common::{run, snapshot, stderr, stdout};
use natrium_store::filestore::{FileStore, FileStoreOptions, STREAM_LOCK};
use natrium_store::io::RealStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

#[test]
fn the_lock_file_name_is_the_stores() {
    assert_eq!(STREAM_LOCK, "stream.lock");
}

#[test]
fn rewrites_refuse_while_a_store_holds_the_stream() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("orders");
    let mut store = FileStore::open(
        Arc::new(RealStorage::new()),
        &dir,
        FileStoreOptions::default(),
        StoreConfig::default(),
    )
    .unwrap();
    for i in 0..10u64 {
        store.store(&NewMsg::new("orders.new", b"x"), i).unwrap();
    }
    assert!(store.remove(3).unwrap());
    store.flush().unwrap();
    let path = dir.to_str().unwrap();
    let before = snapshot(&dir);

    for args in [vec!["compact", path], vec!["recover", path]] {
        let output = run(&args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("stream.lock is held"),
            "{}",
            stderr(&output)
        );
        assert_eq!(snapshot(&dir), before, "{args:?} changed nothing");
    }
    let verify = run(&["verify", path]);
    assert!(
        stderr(&verify).contains("reading a live stream"),
        "{}",
        stderr(&verify)
    );
    let dump = run(&["dump", path]);
    assert_eq!(stdout(&dump).lines().count(), 9, "{}", stdout(&dump));

    store.close().unwrap();
    drop(store);
    let output = run(&["compact", path]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("kept 9 records"),
        "{}",
        stdout(&output)
    );
}
