//! Per-message TTLs survive a crash: each record carries its TTL, so messages stored after the
//! last `ttl.state` still expire at their time after a power cut; a checkpointed open with a
//! missing `ttl.state` reads the TTLs back from the records.
use std::path::Path;
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions, SyncPolicy, WriterConfig};
use natrium_store::io::{CrashMode, MemStorage};
use natrium_store::{MsgTtl, NewMsg, StoreConfig, StreamStore};

const SECOND_NS: u64 = 1_000_000_000;
const BASE_NS: u64 = 1_000 * SECOND_NS;

fn open(mem: &MemStorage) -> FileStore {
    let options = FileStoreOptions {
        block_bytes_max: 1024,
        writer: WriterConfig {
            sync: SyncPolicy::Always,
            ..WriterConfig::default()
        },
        checkpoint_interval_ns: 0,
        ..FileStoreOptions::default()
    };
    let config = StoreConfig {
        allow_msg_ttl: true,
        ..StoreConfig::default()
    };
    FileStore::open(Arc::new(mem.clone()), Path::new("/s"), options, config).expect("open")
}

/// Stores `from..=to` at `BASE_NS + seq`; every third message lives `seq` seconds, the others
/// only under the stream's limits. Returns the expiries `(seq, expires_ns)` it set.
fn fill(store: &mut FileStore, from: u64, to: u64) -> Vec<(u64, u64)> {
    let mut expiries = Vec::new();
    for seq in from..=to {
        let ts_ns = BASE_NS + seq;
        let payload = format!("message {seq}");
        let mut msg = NewMsg::new("kv.key", payload.as_bytes());
        if seq % 3 == 0 {
            msg.ttl = MsgTtl::After {
                ttl_ns: seq * SECOND_NS,
            };
            expiries.push((seq, ts_ns + seq * SECOND_NS));
        }
        assert_eq!(store.store(&msg, ts_ns).expect("store").0, seq);
    }
    expiries
}

/// Drives expiry through every expiry time and checks each message goes exactly then.
fn assert_expires_on_time(store: &mut FileStore, expiries: &[(u64, u64)], last_seq: u64) {
    assert_eq!(
        store.next_expiry_ns(),
        expiries.iter().map(|e| e.1).min(),
        "the earliest expiry is known after the reopen"
    );
    let mut live: Vec<u64> = (1..=last_seq).collect();
    for &(seq, expires_ns) in expiries {
        assert_eq!(
            store.expire(expires_ns - 1).expect("expire"),
            0,
            "{seq} early"
        );
        assert!(store.load(seq).is_ok(), "{seq} gone before its time");
        assert_eq!(store.expire(expires_ns).expect("expire"), 1, "{seq} late");
        assert!(store.load(seq).is_err(), "{seq} outlived its TTL");
        live.retain(|&s| s != seq);
    }
    assert_eq!(store.next_expiry_ns(), None);
    assert_eq!(store.state().msgs, live.len() as u64);
    for seq in live {
        assert!(store.load(seq).is_ok(), "{seq} has no TTL and must stay");
    }
}

#[test]
fn ttls_stored_after_the_last_flush_survive_a_power_cut() {
    let mem = MemStorage::new();
    let mut store = open(&mem);
    let mut expiries = fill(&mut store, 1, 20);
    store.flush().expect("flush"); // ttl.state covers 1..=20
    expiries.extend(fill(&mut store, 21, 45));
    drop(store);
    mem.crash(CrashMode::DropUnsynced);

    let mut store = open(&mem);
    assert!(expiries.iter().any(|e| e.0 > 20));
    assert_expires_on_time(&mut store, &expiries, 45);
}

#[test]
fn a_checkpointed_open_without_ttl_state_reads_ttls_from_the_records() {
    let mem = MemStorage::new();
    let mut store = open(&mem);
    let expiries = fill(&mut store, 1, 60);
    assert!(store.block_count() > 3);
    assert!(store.tick(BASE_NS).expect("tick"), "rotation checkpoint");
    drop(store);
    mem.crash(CrashMode::DropUnsynced);
    // The TTL cache is gone (deleted or damaged beyond decoding: both read as absent).
    let ttl_state = Path::new("/s").join(natrium_format::names::TTL_STATE);
    mem.set_file_content(&ttl_state, b"garbage".to_vec())
        .expect("overwrite");

    let mut store = open(&mem);
    assert!(store.opened_from_checkpoint());
    assert!(store.blocks_scanned_at_open() < store.block_count());
    assert_expires_on_time(&mut store, &expiries, 60);
}

#[test]
fn a_full_rescan_takes_ttls_from_the_records() {
    let mem = MemStorage::new();
    let mut store = open(&mem);
    let expiries = fill(&mut store, 1, 30);
    drop(store); // never flushed, never checkpointed: no ttl.state at all
    mem.crash(CrashMode::DropUnsynced);
    let mut store = open(&mem);
    assert!(!store.opened_from_checkpoint());
    assert_expires_on_time(&mut store, &expiries, 30);
}

#[test]
fn sequences_reused_after_truncate_do_not_inherit_old_ttls() {
    let mem = MemStorage::new();
    let mut store = open(&mem);
    let expiries = fill(&mut store, 1, 12); // TTLs on 3, 6, 9, 12
    store.flush().expect("flush"); // ttl.state lists 9 and 12
    store.truncate(7).expect("truncate");
    for seq in 8..=12 {
        let payload = format!("again {seq}");
        let msg = NewMsg::new("kv.key", payload.as_bytes());
        assert_eq!(
            store.store(&msg, BASE_NS + 100 + seq).expect("store").0,
            seq
        );
    }
    drop(store);
    mem.crash(CrashMode::DropUnsynced);

    let mut store = open(&mem);
    let kept: Vec<(u64, u64)> = expiries.into_iter().filter(|e| e.0 <= 7).collect();
    assert_eq!(kept.len(), 2);
    assert_expires_on_time(&mut store, &kept, 12);
}
