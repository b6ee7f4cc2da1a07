//! Fuzzes the consumer-state decoder: no panic; decoded state re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natrium_format::{ConsumerLimits, ConsumerState};

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = ConsumerState::decode(data, &ConsumerLimits::default()) {
        let mut out = Vec::new();
        state.encode(&mut out).expect("decoded state encodes");
        assert_eq!(out, data);
    }
});
