//! Model-based property test of `FileStore` (in-memory storage, 4 KiB blocks, restarts that
//! close and reopen from the blocks): random histories against the `BTreeMap` model in
//! tests/common/model.rs, every query compared after every step. Cases: 32, or
//! `NATRIUM_PROPTEST_CASES`.
mod common;

use common::file_harness::{FileHarness, Restart};
use common::model::{cases, check_ops, config_strategy, op_strategy};
use natrium_store::filestore::FileStoreOptions;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(32), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn filestore_agrees_with_the_model(
        config in config_strategy(),
        ops in prop::collection::vec(op_strategy(), 1..60),
    ) {
        let options = FileStoreOptions {
            block_bytes_max: 4096,
            ..FileStoreOptions::default()
        };
        check_ops(&mut FileHarness::new(options, Restart::Close), config, &ops);
    }
}
