//! Model-based property test of `MemStore`: random histories of stores, removals, purges,
//! compactions, truncations, expiry and restarts against the `BTreeMap` model in
//! tests/common/model.rs, every query compared after every step. Cases: 64, or
//! `NATRIUM_PROPTEST_CASES`. Run twice: with the default chunks (one chunk holds every message
//! of a history) and with chunks of a few sequences that fill gaps of at most one, so that
//! chunk boundaries, sealed chunks and same-subject links across chunks are exercised.
mod common;

use common::Harness;
use common::model::{cases, check_ops, config_strategy, op_strategy};
use natrium_store::{MemStore, StoreConfig, StreamStore};
use proptest::prelude::*;

/// Opens memory stores; `chunk` is `(slots_max, gap_max)`, or the defaults when `None`.
struct MemHarness {
    chunk: Option<(usize, u64)>,
}

impl Harness for MemHarness {
    fn open(&mut self, config: StoreConfig) -> Box<dyn StreamStore> {
        match self.chunk {
            None => Box::new(MemStore::new(config)),
            Some((slots_max, gap_max)) => {
                Box::new(MemStore::with_chunk_shape(config, slots_max, gap_max))
            }
        }
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
        check_ops(&mut MemHarness { chunk: None }, config, &ops);
    }

    #[test]
    fn memstore_with_tiny_chunks_agrees_with_the_model(
        slots_max in 1..5usize,
        gap_max in 0..2u64,
        config in config_strategy(),
        ops in prop::collection::vec(op_strategy(), 1..60),
    ) {
        check_ops(&mut MemHarness { chunk: Some((slots_max, gap_max)) }, config, &ops);
    }
}
