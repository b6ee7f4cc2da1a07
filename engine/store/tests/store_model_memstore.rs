//! Model-based property test of `MemStore`: random histories of stores, removals, purges,
//! compactions, truncations, expiry and restarts against the `BTreeMap` model in
//! tests/common/model.rs, every query compared after every step. Cases: 64, or
//! `NATRIUM_PROPTEST_CASES`.
mod common;

use common::Harness;
use common::model::{cases, check_ops, config_strategy, op_strategy};
use natrium_store::{MemStore, StoreConfig, StreamStore};
use proptest::prelude::*;

struct MemHarness;

impl Harness for MemHarness {
    fn open(&mut self, config: StoreConfig) -> Box<dyn StreamStore> {
        Box::new(MemStore::new(config))
    }

    fn restart(&mut self, store: Box<dyn StreamStore>) -> Box<dyn StreamStore> {
        store
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn memstore_agrees_with_the_model(
        config in config_strategy(),
        ops in prop::collection::vec(op_strategy(), 1..60),
    ) {
        check_ops(&mut MemHarness, config, &ops);
    }
}
