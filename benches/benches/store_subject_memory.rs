//! Memory of the per-subject index and of MemStore, per stored message, measured with a
//! counting global allocator (stats_alloc): 1,000,000 messages over 10 and over 100,000
//! distinct subjects. Then a KV-like stream (`max_msgs_per_subject` 1) after 1,000,000 updates
//! of 100,000 keys picked at random, where the live messages end up scattered over the
//! sequence space: what each live message costs there. Prints two tables; run with
//! `cargo bench -p natrium-benches --bench store_subject_memory`.
use std::alloc::System;

use natrium_store::subjects::SubjectIndex;
use natrium_store::{MemStore, NewMsg, StoreConfig, StreamStore};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Messages stored per measurement.
const MSG_COUNT: u64 = 1_000_000;
/// Keys of the KV measurement.
const KV_KEYS: u64 = 100_000;

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
    kv_random_updates();
}

/// 1,000,000 updates of random keys under history 1: each update removes the key's previous
/// message wherever it is, so the live messages are scattered.
fn kv_random_updates() {
    let subjects: Vec<String> = (0..KV_KEYS)
        .map(|key| format!("$KV.bucket.{key:06}"))
        .collect();
    let payload = [0u8; 128];
    // xorshift64: a fixed, dependency-free sequence of keys.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let (store, bytes) = live_bytes(|| {
        let config = StoreConfig {
            max_msgs_per_subject: Some(1),
            ..StoreConfig::default()
        };
        let mut store = MemStore::new(config);
        for now_ns in 1..=MSG_COUNT {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let subject = &subjects[(state % KV_KEYS) as usize];
            store
                .store(&NewMsg::new(subject, &payload), now_ns)
                .expect("store");
        }
        store
    });
    let live = store.state().msgs;
    println!();
    println!("| KV keys | updates | live messages | live heap bytes | bytes per live message |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {KV_KEYS} | {MSG_COUNT} | {live} | {bytes} | {:.1} |",
        bytes as f64 / live as f64
    );
    println!(
        "<!-- MemStore::heap_bytes estimate (without bodies): {}, span {}..={} -->",
        store.heap_bytes(),
        store.state().first_seq,
        store.state().last_seq
    );
}

fn report(subject_count: u64, what: &str, bytes: u64) {
    println!(
        "| {subject_count} | {what} | {bytes} | {:.2} | {:.1} |",
        bytes as f64 / MSG_COUNT as f64,
        bytes as f64 / subject_count as f64
    );
}
