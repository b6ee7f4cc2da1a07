//! Fuzzes the block scanner in every recovery mode: no panic, and the intact records it
//! reports lie inside the input without overlapping each other or any damaged region.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use natrium_recovery::{RecoveryMode, ScanOptions, scan_block};

fuzz_target!(|data: &[u8]| {
    for mode in [RecoveryMode::Strict, RecoveryMode::TruncateTornTail, RecoveryMode::Salvage] {
        for last in [false, true] {
            let mut options = ScanOptions::new(mode, Path::new("fuzz.blk"), last);
            options.resync_bytes_max = 1 << 16;
            let mut ranges = Vec::new();
            let result = scan_block(data, &options, |view| {
                ranges.push((view.offset, view.offset + view.bytes.len() as u64));
            });
            if let Ok(scan) = result {
                for pair in ranges.windows(2) {
                    assert!(pair[0].1 <= pair[1].0);
                }
                assert!(ranges.last().is_none_or(|r| r.1 <= data.len() as u64));
                for damage in &scan.damaged {
                    assert!(ranges.iter().all(|r| r.1 <= damage.start || r.0 >= damage.end));
                }
            }
        }
    }
});
