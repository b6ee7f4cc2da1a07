//! Memory of the per-subject index and of MemStore, per stored message, measured with a
//! counting global allocator (stats_alloc): 1,000,000 messages over 10 and over 100,000
//! distinct subjects. Prints a table; run with
//! `cargo bench -p natrium-benches --bench store_subject_memory`.
use std::alloc::System;

use natrium_store::subjects::SubjectIndex;
use natrium_store::{MemStore, NewMsg, StoreConfig, StreamStore};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Messages stored per measurement.
const MSG_COUNT: u64 = 1_000_000;

/// Live heap bytes held after `build` returns what it built (allocated minus freed).
/// stats_alloc already counts a realloc's growth in `bytes_allocated` (and its shrinkage in
/// `bytes_deallocated`); `bytes_reallocated` is the same change again, so it is not added.
fn live_bytes<T>(build: impl FnOnce() -> T) -> (T, u64) {
    let region = Region::new(GLOBAL);
    let built = build();
    let stats = region.change();
    let live = stats
        .bytes_allocated
        .checked_sub(stats.bytes_deallocated)
        .expect("what was built is still alive");
    (built, live as u64)
}

fn subject(index: u64) -> String {
    format!("telemetry.device.{index:06}.temp")
}

fn main() {
    // `cargo bench` passes `--bench`; the measurement takes no options.
    println!("| subjects | structure | live heap bytes | bytes per message | bytes per subject |");
    println!("|---:|---|---:|---:|---:|");
    for subject_count in [10u64, 100_000] {
        let subjects: Vec<String> = (0..subject_count).map(subject).collect();
        let (index, index_bytes) = live_bytes(|| {
            let mut index = SubjectIndex::new();
            for seq in 1..=MSG_COUNT {
                let subject = &subjects[(seq % subject_count) as usize];
                index
                    .add(subject, seq)
                    .expect("far below the subject limit");
            }
            index
        });
        report(subject_count, "SubjectIndex", index_bytes);
        println!(
            "<!-- SubjectIndex::heap_bytes estimate: {} -->",
            index.heap_bytes()
        );
        drop(index);
        let payload = [0u8; 128];
        let (store, store_bytes) = live_bytes(|| {
            let mut store = MemStore::new(StoreConfig::default());
            for seq in 1..=MSG_COUNT {
                let subject = &subjects[(seq % subject_count) as usize];
                store
                    .store(&NewMsg::new(subject, &payload), seq)
                    .expect("store");
            }
            store
        });
        report(
            subject_count,
            "MemStore (128 B payloads, all of it)",
            store_bytes,
        );
        println!(
            "<!-- MemStore::heap_bytes estimate (without bodies): {} -->",
            store.heap_bytes()
        );
        assert_eq!(store.state().msgs, MSG_COUNT);
    }
}

fn report(subject_count: u64, what: &str, bytes: u64) {
    println!(
        "| {subject_count} | {what} | {bytes} | {:.2} | {:.1} |",
        bytes as f64 / MSG_COUNT as f64,
        bytes as f64 / subject_count as f64
    );
}
