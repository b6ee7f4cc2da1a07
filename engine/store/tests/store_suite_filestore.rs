//! The shared store suite (tests/common/suite.rs) run against `FileStore` on the in-memory
//! storage, with small blocks so rotation happens; a restart closes the store and reopens it
//! from what it wrote.
mod common;

use std::path::Path;
use std::sync::Arc;

use common::Harness;
use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::MemStorage;
use natrium_store::{StoreConfig, StreamStore};

struct FileHarness {
    storage: MemStorage,
    opened: u32,
}

impl FileHarness {
    fn new() -> Self {
        Self {
            storage: MemStorage::new(),
            opened: 0,
        }
    }

    fn open_at(&mut self, config: StoreConfig) -> Box<dyn StreamStore> {
        let options = FileStoreOptions {
            block_bytes_max: 4096,
            ..FileStoreOptions::default()
        };
        let dir = format!("/stream-{}", self.opened);
        let store = FileStore::open(
            Arc::new(self.storage.clone()),
            Path::new(&dir),
            options,
            config,
        )
        .expect("open file store");
        Box::new(store)
    }
}

impl Harness for FileHarness {
    fn open(&mut self, config: StoreConfig) -> Box<dyn StreamStore> {
        self.opened += 1;
        self.open_at(config)
    }

    fn restart(&mut self, mut store: Box<dyn StreamStore>) -> Box<dyn StreamStore> {
        let config = store.config().clone();
        store.close().expect("close");
        drop(store);
        self.open_at(config)
    }
}

store_suite!(FileHarness::new());
store_suite_edges!(FileHarness::new());
