//! Crash consistency on the fault-injecting storage: a scripted `sync: always` workload
//! (stores across several block rotations, removals, one secure erase, a checkpoint halfway)
//! is crashed at every mutating storage operation in turn. Five ways to die: the failing
//! operation simply fails; the failing write is torn (half lands); a torn prefix of the
//! un-fsynced bytes survives; a random subset of 64-byte pages of the un-fsynced bytes survives
//! (out-of-order writeback, the rest reading as zeros); the failing operation fails and each
//! un-fsynced directory operation (create, rename, unlink, mkdir) survives or not by a seed
//! (the torn-prefix way draws such a seed too). The in-memory disk then loses what a
//! power cut would, and the reopened store must hold every acknowledged message, none that was
//! acknowledged as removed, and nothing that was never written.
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions, SyncPolicy, WriterConfig};
use natrium_store::io::{CrashMode, FaultPlan, FaultStorage, MemStorage, StorageHandle};
use natrium_store::{NewMsg, StoreConfig, StreamStore};

const MESSAGES: u64 = 24;

fn options() -> FileStoreOptions {
    FileStoreOptions {
        block_bytes_max: 400,
        writer: WriterConfig {
            sync: SyncPolicy::Always,
            ..WriterConfig::default()
        },
        ..FileStoreOptions::default()
    }
}

/// The workload's options with every record sealed (and every scanned block authenticated).
fn encrypted_options() -> FileStoreOptions {
    FileStoreOptions {
        cipher: natrium_store::filestore::CipherKind::ChaCha20Poly1305,
        key: Some(b"crash test key".to_vec()),
        // Sealed records are 28 bytes longer: keep the rotations.
        block_bytes_max: 520,
        ..options()
    }
}

fn payload(seq: u64) -> Vec<u8> {
    format!("payload of message {seq}").into_bytes()
}

/// What the workload saw acknowledged before the crash.
#[derive(Default, Debug)]
struct Acked {
    stored: BTreeMap<u64, Vec<u8>>,
    removed: Vec<u64>,
    /// A removal that failed: it may or may not have happened.
    uncertain: Option<u64>,
}

/// Runs the workload until the first error; returns what was acknowledged.
fn workload(storage: StorageHandle, options: FileStoreOptions) -> Acked {
    let mut acked = Acked::default();
    let Ok(mut store) = FileStore::open(storage, Path::new("/s"), options, StoreConfig::default())
    else {
        return acked;
    };
    for seq in 1..=MESSAGES {
        let subject = format!("orders.{}", seq % 3);
        match store.store(&NewMsg::new(&subject, &payload(seq)), seq * 1000) {
            Ok((stored, _)) => {
                assert_eq!(stored, seq);
                acked.stored.insert(seq, payload(seq));
            }
            Err(_) => return acked,
        }
        // A checkpoint midway: later crashes reopen from a checkpoint that is stale.
        if seq == 10 && store.checkpoint(seq * 1000).is_err() {
            return acked;
        }
        if seq % 7 == 0 {
            let doomed = seq - 3;
            let result = if seq == 14 {
                store.erase(doomed)
            } else {
                store.remove(doomed)
            };
            match result {
                Ok(true) => acked.removed.push(doomed),
                Ok(false) => panic!("message {doomed} should have been there"),
                Err(_) => {
                    acked.uncertain = Some(doomed);
                    return acked;
                }
            }
        }
    }
    acked
}

fn check_after_crash(mem: &MemStorage, acked: &Acked, options: FileStoreOptions, case: &str) {
    let mut store = FileStore::open(
        Arc::new(mem.clone()),
        Path::new("/s"),
        options,
        StoreConfig::default(),
    )
    .unwrap_or_else(|error| panic!("{case}: reopen failed: {error}"));
    for (seq, body) in &acked.stored {
        if acked.removed.contains(seq) {
            assert!(store.load(*seq).is_err(), "{case}: removed {seq} came back");
            continue;
        }
        if acked.uncertain == Some(*seq) {
            if let Ok(msg) = store.load(*seq) {
                assert_eq!(&msg.payload, body, "{case}: half-removed {seq} was altered");
            }
            continue;
        }
        let msg = store
            .load(*seq)
            .unwrap_or_else(|error| panic!("{case}: acknowledged {seq} lost: {error}"));
        assert_eq!(&msg.payload, body, "{case}: {seq}");
    }
    let state = store.state();
    for seq in state.first_seq..=state.last_seq {
        if let Ok(msg) = store.load(seq) {
            assert!(seq <= MESSAGES, "{case}: invented {seq}");
            assert_eq!(msg.payload, payload(seq), "{case}: {seq} has foreign bytes");
        }
    }
    // The store must accept writes after recovery (a torn tail was cut cleanly).
    let (seq, _) = store
        .store(&NewMsg::new("after.crash", b"x"), 1)
        .unwrap_or_else(|error| panic!("{case}: append after reopen: {error}"));
    assert_eq!(store.load(seq).unwrap().payload, b"x", "{case}");
    store.close().unwrap();
}

#[test]
fn every_crash_point_keeps_acknowledged_messages() {
    every_crash_point(options);
}

/// The same with every record sealed: recovery authenticates what it scans, and a torn or
/// scrambled sealed record is damage like any other.
#[test]
fn every_crash_point_keeps_acknowledged_messages_encrypted() {
    every_crash_point(encrypted_options);
}

fn every_crash_point(options: fn() -> FileStoreOptions) {
    let probe = FaultStorage::new(MemStorage::new(), FaultPlan::none());
    let complete = workload(Arc::new(probe.clone()), options());
    assert_eq!(complete.stored.len() as u64, MESSAGES);
    let total_ops = probe.ops_attempted();
    assert!(total_ops > 2 * MESSAGES, "only {total_ops} ops");
    // (torn write, what survives of un-fsynced bytes, whether un-fsynced directory operations
    // may survive too: each one independently, by a seed that changes with the crash point).
    let modes = [
        (false, CrashMode::DropUnsynced, false),
        (true, CrashMode::DropUnsynced, false),
        (true, CrashMode::KeepUnsyncedPrefix { bytes: 23 }, true),
        (
            false,
            CrashMode::ScrambleUnsyncedPages {
                seed: 0x5eed,
                page_bytes: 64,
            },
            false,
        ),
        (false, CrashMode::DropUnsynced, true),
    ];
    let mut crashes = 0;
    for op in 0..total_ops {
        for (torn, mode, seeded) in modes {
            let mem = MemStorage::new();
            let faulty = FaultStorage::new(mem.clone(), FaultPlan::crash_at(op, torn));
            let acked = workload(Arc::new(faulty.clone()), options());
            assert!(faulty.has_failed(), "op {op} never reached");
            if seeded {
                mem.crash_seeded(mode, op);
            } else {
                mem.crash(mode);
            }
            check_after_crash(
                &mem,
                &acked,
                options(),
                &format!("crash at op {op}, torn {torn}, {mode:?}, directory seed {seeded}"),
            );
            crashes += 1;
        }
    }
    assert_eq!(crashes, total_ops * modes.len() as u64);
}

/// The interval policy: only what an explicit `flush` covered is promised. Writes pile up
/// un-fsynced between flushes, so out-of-order page writeback leaves damage followed by intact
/// records in the last block; recovery keeps everything flushed and every intact record after
/// the damage, reports the hole, and invents nothing.
#[test]
fn interval_policy_keeps_everything_flushed_under_scrambled_writeback() {
    let options = || FileStoreOptions {
        block_bytes_max: 1500,
        ..FileStoreOptions::default()
    };
    let run = |storage: StorageHandle| -> u64 {
        let mut flushed = 0;
        let Ok(mut store) =
            FileStore::open(storage, Path::new("/s"), options(), StoreConfig::default())
        else {
            return flushed;
        };
        for seq in 1..=MESSAGES * 2 {
            let subject = format!("i.{}", seq % 2);
            if store
                .store(&NewMsg::new(&subject, &payload(seq)), seq)
                .is_err()
            {
                return flushed;
            }
            if seq % 9 == 0 {
                if store.flush().is_err() {
                    return flushed;
                }
                flushed = seq;
            }
        }
        flushed
    };
    let probe = FaultStorage::new(MemStorage::new(), FaultPlan::none());
    run(Arc::new(probe.clone()));
    for op in 0..probe.ops_attempted() {
        for seed in [1u64, 2, 3] {
            let mem = MemStorage::new();
            let faulty = FaultStorage::new(mem.clone(), FaultPlan::crash_at(op, false));
            let flushed = run(Arc::new(faulty));
            mem.crash(CrashMode::ScrambleUnsyncedPages {
                seed,
                page_bytes: 64,
            });
            let case = format!("interval, crash at op {op}, seed {seed}");
            let store = FileStore::open(
                Arc::new(mem.clone()),
                Path::new("/s"),
                options(),
                StoreConfig::default(),
            )
            .unwrap_or_else(|error| panic!("{case}: reopen: {error}"));
            let state = store.state();
            assert!(
                state.last_seq >= flushed,
                "{case}: lost flushed data: {state:?}"
            );
            // Unflushed records may survive past a damaged page (they are kept); a hole they
            // leave is reported, never silent.
            let lost = state.lost.clone().map(|lost| lost.msgs).unwrap_or_default();
            for seq in 1..=state.last_seq {
                match store.load(seq) {
                    Ok(msg) => assert_eq!(msg.payload, payload(seq), "{case}: {seq}"),
                    Err(error) => assert!(
                        seq > flushed && lost.contains(&seq),
                        "{case}: {seq}: {error}: {state:?}"
                    ),
                }
            }
        }
    }
}
