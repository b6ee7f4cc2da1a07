//! Short FileStore benchmarks (numbers and commands in docs/benchmarks/store.md, `## FileStore`).
//!
//! `cargo run --release -p natrium-store --example filestore_bench -- DIR [MESSAGES] [append|open|churn]`
//! (`append` only builds the store and keeps it; `open` then reopens it ten times; `churn`
//! only runs 6.)
//!
//! 1. append 128-byte payloads, buffered (interval sync policy), one writer;
//! 2. `sync: always` with 8 writers sharing fsyncs (group commit), for ~3 s (and 1, 64);
//! 3. `load_last` of one subject, repeated (hot);
//! 4. open without a checkpoint (full scan) and with one;
//! 5. index bytes per stored message;
//! 6. subject churn: MESSAGES unique subjects under a max_age that keeps about 1,000 live
//!    (KV keys that come and go): the subject table's slots stay near the live count.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use natrium_store::filestore::{FileStore, FileStoreOptions, SyncPolicy, WriterConfig};
use natrium_store::io::RealStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

const SUBJECTS: [&str; 4] = ["bench.a", "bench.b", "bench.c", "bench.d"];

fn open(dir: &Path, sync: SyncPolicy) -> FileStore {
    let options = FileStoreOptions {
        writer: WriterConfig {
            sync,
            ..WriterConfig::default()
        },
        ..FileStoreOptions::default()
    };
    FileStore::open(
        Arc::new(RealStorage::new()),
        dir,
        options,
        StoreConfig::default(),
    )
    .expect("open")
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir.join("blocks"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn append_buffered(dir: &Path, messages: u64, with_loads: bool) {
    let mut store = open(dir, SyncPolicy::default());
    let payload = [b'x'; 128];
    let started = Instant::now();
    for i in 0..messages {
        let subject = SUBJECTS[(i % 4) as usize];
        store
            .store(&NewMsg::new(subject, &payload), i)
            .expect("store");
    }
    let appended = started.elapsed();
    store.flush().expect("flush");
    let flushed = started.elapsed();
    let bytes = dir_bytes(dir);
    let rate = messages as f64 / appended.as_secs_f64();
    let with_sync = messages as f64 / flushed.as_secs_f64();
    println!(
        "append 128 B buffered: {messages} msgs in {appended:.2?} = {:.2} M msg/s; \
         incl. final fsync {flushed:.2?} = {:.2} M msg/s, {:.0} MB/s of block bytes",
        rate / 1e6,
        with_sync / 1e6,
        bytes as f64 / flushed.as_secs_f64() / 1e6
    );
    let index = store.index_bytes();
    println!(
        "index: {index} bytes for {messages} msgs = {:.1} B/msg (+ {} subjects)",
        index as f64 / messages as f64,
        store.state().num_subjects
    );
    if !with_loads {
        store.close().expect("close");
        return;
    }
    let started = Instant::now();
    let mut loads = 0u64;
    let load_count = 5_000_000u64;
    for _ in 0..load_count {
        let msg = store.load_last("bench.a").expect("load_last");
        loads += msg.seq & 1;
    }
    let elapsed = started.elapsed();
    println!(
        "load_last hot: {load_count} in {elapsed:.2?} = {:.2} M/s (checksum {loads})",
        load_count as f64 / elapsed.as_secs_f64() / 1e6
    );
    store.close().expect("close");
}

fn open_times(dir: &Path) {
    let bytes = dir_bytes(dir);
    let started = Instant::now();
    let store = open(dir, SyncPolicy::default());
    let elapsed = started.elapsed();
    assert!(store.opened_from_checkpoint());
    println!(
        "open with checkpoint: {} msgs in {elapsed:.2?}",
        store.state().msgs
    );
    drop(store);
    std::fs::remove_file(dir.join("stream.state")).expect("remove checkpoint");
    let started = Instant::now();
    let store = open(dir, SyncPolicy::default());
    let elapsed = started.elapsed();
    assert!(!store.opened_from_checkpoint());
    println!(
        "open without checkpoint (full scan): {} msgs, {:.0} MB in {elapsed:.2?} = {:.0} MB/s",
        store.state().msgs,
        bytes as f64 / 1e6,
        bytes as f64 / elapsed.as_secs_f64() / 1e6
    );
}

fn sync_always_writers(dir: &Path, writers: u64, run_for: Duration) {
    let store = open(dir, SyncPolicy::Always);
    let waiter = store.durable_waiter();
    let store = Arc::new(Mutex::new(store));
    let started = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|writer| {
            let store = Arc::clone(&store);
            let waiter = waiter.clone();
            std::thread::spawn(move || {
                let payload = [b'y'; 128];
                let mut count = 0u64;
                while started.elapsed() < run_for {
                    let ticket = {
                        let mut store = store.lock().expect("lock");
                        let subject = SUBJECTS[(writer % 4) as usize];
                        store
                            .store_deferred(&NewMsg::new(subject, &payload), count)
                            .expect("store")
                            .2
                    };
                    waiter.wait(ticket).expect("fsync");
                    count += 1;
                }
                count
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().expect("join")).sum();
    let elapsed = started.elapsed();
    println!(
        "sync always, {writers} writers: {total} acked msgs in {elapsed:.2?} = {:.0} msg/s",
        total as f64 / elapsed.as_secs_f64()
    );
}

fn subject_churn(dir: &Path, messages: u64) {
    const LIVE: u64 = 1_000;
    let options = FileStoreOptions::default();
    let config = StoreConfig {
        max_age_ns: Some(LIVE),
        ..StoreConfig::default()
    };
    let mut store =
        FileStore::open(Arc::new(RealStorage::new()), dir, options, config).expect("open");
    let payload = [b'z'; 16];
    for i in 1..=messages {
        let subject = format!("kv.bucket.key{i}");
        store
            .store(&NewMsg::new(&subject, &payload), i)
            .expect("store");
        store.expire(i).expect("expire");
    }
    println!(
        "subject churn: {messages} unique subjects, {} live at the end, {} subject table slots",
        store.state().num_subjects,
        store.subject_slots()
    );
    store.close().expect("close");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().expect("usage: filestore_bench DIR [MESSAGES]"));
    let messages: u64 = args
        .next()
        .map_or(2_000_000, |n| n.parse().expect("MESSAGES"));
    let only = args.next();
    if only.as_deref() != Some("open") {
        let _ = std::fs::remove_dir_all(&root);
    }
    if only.as_deref() == Some("open") {
        // Re-open the store left by a previous `append` run many times (profiling the open).
        for _ in 0..10 {
            let started = Instant::now();
            let store = open(&root.join("buffered"), SyncPolicy::default());
            println!(
                "open: {} msgs in {:.2?}",
                store.state().msgs,
                started.elapsed()
            );
        }
        return;
    }
    if only.as_deref() == Some("churn") {
        subject_churn(&root.join("churn"), messages);
        let _ = std::fs::remove_dir_all(&root);
        return;
    }
    if only.as_deref() == Some("append") {
        append_buffered(&root.join("buffered"), messages, false);
        return;
    }
    append_buffered(&root.join("buffered"), messages, true);
    open_times(&root.join("buffered"));
    sync_always_writers(&root.join("always8"), 8, Duration::from_secs(3));
    sync_always_writers(&root.join("always1"), 1, Duration::from_secs(2));
    sync_always_writers(&root.join("always64"), 64, Duration::from_secs(3));
    let _ = std::fs::remove_dir_all(&root);
}
