//! Fuzzes the block-header decoder: no panic; a header that decodes re-encodes identically.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natrium_format::BlockHeader;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = BlockHeader::decode(data) {
        let mut out = Vec::new();
        header.encode(&mut out);
        assert_eq!(Some(&out[..]), data.get(..out.len()));
    }
});
