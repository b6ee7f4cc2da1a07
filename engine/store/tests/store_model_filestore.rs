//! Model-based property test of `FileStore` (in-memory storage, 4 KiB blocks, restarts that
//! close and reopen from the blocks): random histories against the `BTreeMap` model in
//! tests/common/model.rs, every query compared after every step. Cases: 32, or
//! `NATRIUM_PROPTEST_CASES`.
mod common;

use std::path::Path;
use std::sync::Arc;

use common::Harness;
use common::model::{cases, check_ops, config_strategy, op_strategy};
use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::MemStorage;
use natrium_store::{StoreConfig, StreamStore};
use proptest::prelude::*;

struct FileHarness {
    storage: MemStorage,
}

impl FileHarness {
    fn open_at(&mut self, config: StoreConfig) -> Box<dyn StreamStore> {
        let options = FileStoreOptions {
            block_bytes_max: 4096,
            ..FileStoreOptions::default()
        };
        let store = FileStore::open(
            Arc::new(self.storage.clone()),
            Path::new("/s"),
            options,
            config,
        )
        .expect("open file store");
        Box::new(store)
    }
}

impl Harness for FileHarness {
    fn open(&mut self, config: StoreConfig) -> Box<dyn StreamStore> {
        self.storage = MemStorage::new();
        self.open_at(config)
    }

    fn restart(&mut self, mut store: Box<dyn StreamStore>) -> Box<dyn StreamStore> {
        let config = store.config().clone();
        store.close().expect("close");
        drop(store);
        self.open_at(config)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(32), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn filestore_agrees_with_the_model(
        config in config_strategy(),
        ops in prop::collection::vec(op_strategy(), 1..60),
    ) {
        check_ops(&mut FileHarness { storage: MemStorage::new() }, config, &ops);
    }
}
