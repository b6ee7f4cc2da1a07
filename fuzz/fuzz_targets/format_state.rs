//! Fuzzes the `stream.state` decoder (limits checked before allocating): no panic; decoded
//! state re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natrium_format::{StateLimits, StreamState};

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = StreamState::decode(data, &StateLimits::default()) {
        let mut out = Vec::new();
        state.encode(&mut out).expect("decoded state encodes");
        assert_eq!(out, data);
    }
});
