//! Fuzzes the `stream.meta` decoder: no panic; decoded meta re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natrium_format::StreamMeta;

fuzz_target!(|data: &[u8]| {
    if let Ok(meta) = StreamMeta::decode(data) {
        let mut out = Vec::new();
        meta.encode(&mut out).expect("decoded meta encodes");
        assert_eq!(out, data);
    }
});
