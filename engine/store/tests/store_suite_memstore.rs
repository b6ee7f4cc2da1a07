//! The shared store suite (tests/common/suite.rs) run against `MemStore`.
mod common;

use common::Harness;
use natrium_store::{MemStore, StoreConfig, StreamStore};

/// Opens fresh memory stores; a restart keeps the same store (nothing to persist).
struct MemHarness;

impl Harness for MemHarness {
    fn open(&mut self, config: StoreConfig) -> Box<dyn StreamStore> {
        Box::new(MemStore::new(config))
    }

    fn restart(&mut self, store: Box<dyn StreamStore>) -> Box<dyn StreamStore> {
        store
    }
}

store_suite!(MemHarness);
store_suite_edges!(MemHarness);
