//! Model-based crash test: the shared model's random histories run against a `sync: always`
//! FileStore whose every restart is a power cut — the store is dropped without `close` (no
//! checkpoint, no final flush) and the in-memory disk loses every byte and directory entry not
//! fsynced — and the reopened store must still agree with the model, because every operation
//! that returned had made its effect durable, per-message TTLs included (each record carries
//! its TTL, so expiries after the restart match the model's). Cases: 24, or
//! `NATRIUM_PROPTEST_CASES`.
mod common;

use std::path::Path;
use std::sync::Arc;

use common::Harness;
use common::model::{cases, check_ops, config_strategy, op_strategy};
use natrium_store::filestore::{FileStore, FileStoreOptions, SyncPolicy, WriterConfig};
use natrium_store::io::{CrashMode, MemStorage};
use natrium_store::{StoreConfig, StreamStore};
use proptest::prelude::*;

struct PowerCutHarness {
    storage: MemStorage,
}

impl PowerCutHarness {
    fn open_at(&mut self, config: StoreConfig) -> Box<dyn StreamStore> {
        let options = FileStoreOptions {
            block_bytes_max: 2048,
            writer: WriterConfig {
                sync: SyncPolicy::Always,
                ..WriterConfig::default()
            },
            ..FileStoreOptions::default()
        };
        let store = FileStore::open(
            Arc::new(self.storage.clone()),
            Path::new("/s"),
            options,
            config,
        )
        .expect("open after power cut");
        Box::new(store)
    }
}

impl Harness for PowerCutHarness {
    fn open(&mut self, config: StoreConfig) -> Box<dyn StreamStore> {
        self.storage = MemStorage::new();
        self.open_at(config)
    }

    fn crash_restart(&mut self, store: Box<dyn StreamStore>) -> Box<dyn StreamStore> {
        self.restart(store)
    }

    fn restart(&mut self, store: Box<dyn StreamStore>) -> Box<dyn StreamStore> {
        let config = store.config().clone();
        // The crash happens first: the dropped store's flush thread cannot save anything more.
        self.storage.crash(CrashMode::DropUnsynced);
        drop(store);
        self.open_at(config)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn power_cuts_lose_nothing_that_returned(
        config in config_strategy(),
        ops in prop::collection::vec(op_strategy(), 1..60),
    ) {
        check_ops(&mut PowerCutHarness { storage: MemStorage::new() }, config, &ops);
    }
}
