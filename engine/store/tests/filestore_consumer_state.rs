//! A FileStore hands out file-backed consumer-state stores under its own directory
//! (`consumers/<name>.state`): what a consumer flushed is there after the stream reopens, and
//! unsafe consumer names are refused.
use std::path::Path;
use std::sync::Arc;

use natrium_store::consumer::ConsumerConfig;
use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::MemStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

#[test]
fn consumer_state_persists_with_the_stream() {
    let mem = MemStorage::new();
    let open = || {
        FileStore::open(
            Arc::new(mem.clone()),
            Path::new("/s"),
            FileStoreOptions::default(),
            StoreConfig::default(),
        )
        .unwrap()
    };
    let mut store = open();
    for i in 1..=5u64 {
        store.store(&NewMsg::new("orders", b"x"), i).unwrap();
    }
    let mut consumer = store
        .consumer_store("worker", ConsumerConfig::default())
        .unwrap();
    consumer.set_starting(1).unwrap();
    for seq in 1..=5u64 {
        consumer.update_delivered(seq, seq, 1, seq as i64).unwrap();
    }
    consumer.update_acks(2, 2).unwrap();
    consumer.flush().unwrap();
    let saved = consumer.state();
    drop(consumer);
    assert!(
        store
            .consumer_store("../escape", ConsumerConfig::default())
            .is_err()
    );
    store.close().unwrap();
    drop(store);
    assert!(
        mem.file_content(Path::new("/s/consumers/worker.state"))
            .is_some()
    );
    let mut store = open();
    let consumer = store
        .consumer_store("worker", ConsumerConfig::default())
        .unwrap();
    assert_eq!(consumer.state(), saved);
}
