//! One store per stream directory: a second open (here in the same process, on real files, so
//! the `flock` really conflicts) is refused while the first store is open, and succeeds once it
//! is closed — or once its process is gone, which the kill tests rely on.
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::RealStorage;
use natrium_store::{Error, StoreConfig, StreamStore};

#[test]
fn a_second_store_cannot_open_the_same_directory() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("locked");
    let open = || {
        FileStore::open(
            Arc::new(RealStorage::new()),
            &dir,
            FileStoreOptions::default(),
            StoreConfig::default(),
        )
    };
    let mut first = open().unwrap();
    match open() {
        Err(Error::Io {
            op: "lock", source, ..
        }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::WouldBlock);
        }
        other => panic!("second open must be refused, got {other:?}"),
    }
    first.close().unwrap();
    let mut second = open().expect("open after close");
    second.close().unwrap();
    drop(second);
    drop(first);
    let third = open().expect("open after drop");
    drop(third);
}
