//! MemStore hot paths: appending 128-byte messages, and loading the last message of a subject
//! (the per-subject index answers without a scan), and a wildcard count over 100,000 subjects.
//! Also appends under a per-subject limit (a KV bucket's history) with 1,000 and 100,000 keys:
//! each append removes the key's oldest message, and finding the key's next-oldest must not
//! scan the stream, so both sizes should cost about the same per append. A scan would show as
//! a ratio near 100 between them. Short criterion runs:
//! `cargo bench -p natrium-benches --bench store_memstore`.
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use natrium_store::{MemStore, NewMsg, StoreConfig, StreamStore};

/// Distinct subjects in the load-last bench.
const SUBJECT_COUNT: usize = 1_000;
/// Distinct subjects (one message each) in the wildcard-count bench.
const WILDCARD_SUBJECTS: u64 = 100_000;
/// Messages stored before the load-last bench.
const PRELOAD_MSGS: u64 = 100_000;
/// Messages kept per key in the KV benches (JetStream KV's `history`).
const KV_HISTORY: u64 = 4;

fn append_128(c: &mut Criterion) {
    let payload = [0x5au8; 128];
    let mut group = c.benchmark_group("store_memstore");
    group.throughput(Throughput::Elements(1));
    group.bench_function("append_128B", |b| {
        // Bounded by max_msgs so the store (and the run's memory) stays the same size.
        let config = StoreConfig {
            max_msgs: Some(100_000),
            ..StoreConfig::default()
        };
        let mut store = MemStore::new(config);
        let mut now_ns = 0u64;
        b.iter(|| {
            now_ns += 1;
            let stored = store.store(&NewMsg::new("orders.eu.new", &payload), now_ns);
            black_box(stored.expect("store"))
        });
    });
    group.bench_function("load_last_by_subject", |b| {
        let mut store = MemStore::new(StoreConfig::default());
        let subjects: Vec<String> = (0..SUBJECT_COUNT)
            .map(|i| format!("sensor.{i}.temp"))
            .collect();
        for seq in 0..PRELOAD_MSGS {
            let subject = &subjects[seq as usize % SUBJECT_COUNT];
            store
                .store(&NewMsg::new(subject, &payload), seq)
                .expect("store");
        }
        let mut index = 0usize;
        b.iter(|| {
            index = (index + 1) % SUBJECT_COUNT;
            black_box(store.load_last(&subjects[index]).expect("load").seq)
        });
    });
    group.bench_function("num_pending_wildcard_100k_subjects", |b| {
        // The subject index answers a whole-stream wildcard count by visiting every subject:
        // this measures that walk (100,000 subjects, 1 in 10 matching).
        let mut store = MemStore::new(StoreConfig::default());
        for seq in 0..WILDCARD_SUBJECTS {
            let subject = format!("kv.{}.{seq}", seq % 10);
            store
                .store(&NewMsg::new(&subject, b"v"), seq)
                .expect("store");
        }
        b.iter(|| black_box(store.num_pending(0, "kv.3.*", false)));
    });
    group.finish();
}

/// Appends to a KV-like stream of `keys` keys, each already at `history` messages, so every
/// append removes that key's oldest message. Keys are written round-robin (a key's messages
/// are `keys` sequences apart, the worst case for finding a key's next-oldest by scanning) or
/// at random (the live messages end up scattered, which makes MemStore split sparse chunks).
fn kv_append(c: &mut Criterion) {
    let mut group = c.benchmark_group("store_memstore");
    group.throughput(Throughput::Elements(1));
    let runs = [
        (1_000u64, KV_HISTORY, false),
        (100_000, KV_HISTORY, false),
        (100_000, 1, false),
        (100_000, 1, true),
    ];
    for (keys, history, random) in runs {
        let order = if random { "_random" } else { "" };
        let name = format!("kv_append{order}_history_{history}_{keys}_keys");
        group.bench_function(name, |b| {
            let config = StoreConfig {
                max_msgs_per_subject: Some(history),
                ..StoreConfig::default()
            };
            let mut store = MemStore::new(config);
            let subjects: Vec<String> = (0..keys).map(|key| format!("$KV.b.{key}")).collect();
            let mut now_ns = 0u64;
            // xorshift64: a fixed, dependency-free sequence of random keys.
            let mut state = 0x9e37_79b9_7f4a_7c15u64;
            let mut put = |store: &mut MemStore, random: bool| {
                now_ns += 1;
                let key = if random {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state % keys
                } else {
                    now_ns % keys
                };
                let subject = &subjects[key as usize];
                store.store(&NewMsg::new(subject, b"value"), now_ns)
            };
            for _ in 0..keys * history {
                put(&mut store, false).expect("preload");
            }
            assert_eq!(store.state().msgs, keys * history);
            b.iter(|| black_box(put(&mut store, random).expect("store")));
            assert_eq!(store.state().msgs, keys * history);
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = append_128, kv_append
}
criterion_main!(benches);
