//! Recovery's own rewrites are crash-safe: `repair` (Salvage, in place) of a damaged stream
//! and `compact` of a clean one, run on the simulated disk and crashed at every mutating
//! storage operation they perform (a clean failure and a torn write; then either the process
//! dies and everything it wrote stays, page cache and all, or a power cut drops un-fsynced
//! bytes, keeps a torn prefix or scrambles pages, and lets each un-fsynced directory operation
//! survive or not by a seed). After each crash:
//! - every block file holds exactly its old bytes or exactly its rewritten bytes;
//! - a rescan (Salvage, with the checkpoint's deletions applied, as an open does) finds the
//!   same live messages, byte for byte, as before the rewrite: no intact message lost, no
//!   deleted message resurrected;
//! - whenever a block no longer holds damaged bytes, their quarantine copy is there, intact;
//! - once any block changed, no derived cache (`stream.index`, `ttl.state`) is left;
//! - the checkpoint still decodes;
//! - running the rewrite again finishes it: the blocks are those of an uninterrupted run, and
//!   that rerun, crashed in turn at each of its own operations, keeps all of the above.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use natrium_format::layout::block::HEADER_SIZE;
use natrium_format::{Limits, names};
use natrium_io::{CrashMode, FaultPlan, FaultStorage, MemStorage, Storage};
use natrium_recovery::dir::Checkpoint;
use natrium_recovery::repair::Quarantined;
use natrium_recovery::testkit::{StreamSpec, record_offset, write_stream_in};
use natrium_recovery::{RecoveryMode, RepairReport, RepairTarget, compact, recover_dir_in, repair};

const DIR: &str = "/s";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rewrite {
    Salvage,
    Compact,
}

fn dir() -> PathBuf {
    PathBuf::from(DIR)
}

fn run(storage: &dyn Storage, rewrite: Rewrite) -> natrium_recovery::Result<RepairReport> {
    match rewrite {
        Rewrite::Salvage => repair(
            storage,
            &dir(),
            &RepairTarget::InPlace,
            RecoveryMode::Salvage,
        ),
        Rewrite::Compact => compact(storage, &dir()),
    }
}

/// Flips one byte `into` bytes past the start of record `record` of block `index`.
fn damage(disk: &MemStorage, index: u32, record: usize, into: usize) {
    let path = names::block_path(&dir(), index);
    let mut bytes = disk.file_content(&path).unwrap();
    let at = record_offset(&bytes, record).unwrap() + into;
    bytes[at] ^= 0x10;
    disk.set_file_content(&path, bytes).unwrap();
}

/// The starting disk, fully durable. Salvage: m1..m12 in blocks of 4 records with m3 and m9
/// deleted (tombstones in block 4), then m6 damaged (block 2) and the tombstone of m3
/// damaged, so m3's deletion is known only to the checkpoint and repair must move m3 aside
/// (never resurrect it). Compact: the same stream with m2, m3, m6 and m12 deleted, clean.
/// Both get stale derived caches that a rewrite must remove.
fn setup(rewrite: Rewrite) -> MemStorage {
    let disk = MemStorage::new();
    let mut spec = StreamSpec::sample("S", 12, 4);
    spec.deletes = match rewrite {
        Rewrite::Salvage => vec![3, 9],
        Rewrite::Compact => vec![2, 3, 6, 12],
    };
    write_stream_in(&disk, &dir(), &spec).unwrap();
    if rewrite == Rewrite::Salvage {
        damage(&disk, 2, 1, 30);
        damage(&disk, 4, 0, 20);
    }
    for cache in names::DERIVED_CACHES {
        natrium_io::write_atomic(&disk, &dir().join(cache), b"describes old blocks").unwrap();
    }
    disk.snapshot()
}

/// What a reader takes the stream to be: every intact message (sequence -> record bytes) that
/// no intact tombstone and no readable checkpoint deletes.
fn live_messages(disk: &MemStorage) -> BTreeMap<u64, Vec<u8>> {
    let mut messages = BTreeMap::new();
    let mut tombstoned = Vec::new();
    let scan = recover_dir_in(
        disk,
        &dir(),
        RecoveryMode::Salvage,
        &Limits::default(),
        None,
        |_, view| {
            if view.is_tombstone() {
                tombstoned.push(view.seq);
            } else {
                messages.insert(view.seq, view.bytes.to_vec());
            }
        },
    )
    .unwrap();
    let Checkpoint::Read(checkpoint) = scan.checkpoint else {
        panic!("the checkpoint does not decode: {:?}", scan.checkpoint);
    };
    messages.retain(|seq, _| {
        let by_checkpoint = *seq < checkpoint.first_seq
            || checkpoint
                .deleted
                .iter()
                .any(|&(first, last)| (first..=last).contains(seq));
        !tombstoned.contains(seq) && !by_checkpoint
    });
    messages
}

fn blocks(disk: &MemStorage) -> BTreeMap<PathBuf, Vec<u8>> {
    disk.file_paths()
        .into_iter()
        .filter(|path| path.parent() == Some(&dir().join(names::BLOCKS_DIR)))
        .filter(|path| !path.to_string_lossy().ends_with(".tmp"))
        .map(|path| {
            let bytes = disk.file_content(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

/// The uninterrupted run: (blocks before, blocks after, what was quarantined, live messages).
struct Reference {
    blocks_before: BTreeMap<PathBuf, Vec<u8>>,
    blocks_after: BTreeMap<PathBuf, Vec<u8>>,
    quarantined: Vec<Quarantined>,
    live: BTreeMap<u64, Vec<u8>>,
    ops: u64,
}

fn reference(start: &MemStorage, rewrite: Rewrite) -> Reference {
    let disk = start.snapshot();
    let live = live_messages(&disk);
    let probe = FaultStorage::new(disk.clone(), FaultPlan::none());
    let report = run(&probe, rewrite).unwrap();
    let after = live_messages(&disk);
    assert_eq!(after, live, "{rewrite:?} changed the live messages");
    let reference = Reference {
        blocks_before: blocks(start),
        blocks_after: blocks(&disk),
        quarantined: report.quarantined,
        live,
        ops: probe.ops_attempted(),
    };
    assert_ne!(
        reference.blocks_before, reference.blocks_after,
        "nothing rewritten"
    );
    reference
}

/// Every block is old or new, damaged bytes are never gone without their quarantine copy,
/// caches are gone once a block changed, and the live messages are unchanged.
fn check(disk: &MemStorage, expected: &Reference, case: &str) {
    let found = blocks(disk);
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        expected.blocks_before.keys().collect::<Vec<_>>(),
        "{case}: block files"
    );
    let mut any_changed = false;
    for (path, bytes) in &found {
        let old = &expected.blocks_before[path];
        let changed = bytes != old;
        assert!(
            !changed || *bytes == expected.blocks_after[path],
            "{case}: {} is neither its old nor its rewritten bytes",
            path.display()
        );
        any_changed |= changed;
        let index = names::parse_block_file_name(&path.file_name().unwrap().to_string_lossy());
        for quarantined in expected
            .quarantined
            .iter()
            .filter(|q| Some(q.block) == index)
        {
            let range = &old[quarantined.start as usize..quarantined.end as usize];
            if changed {
                assert_eq!(
                    disk.file_content(&quarantined.path).as_deref(),
                    Some(range),
                    "{case}: {} rewritten without its quarantine copy {}",
                    path.display(),
                    quarantined.path.display()
                );
            }
        }
    }
    for cache in names::DERIVED_CACHES {
        let present = disk.exists(&dir().join(cache)).unwrap();
        assert!(
            !(any_changed && present),
            "{case}: {cache} outlived a block rewrite"
        );
    }
    assert_eq!(live_messages(disk), expected.live, "{case}: live messages");
}

/// What follows the failed operation, varied by case: the process dies and the machine stays
/// up (every write so far is kept, un-fsynced or not: a half-overwritten file stays half
/// overwritten), or a power cut: what survives of un-fsynced bytes, and whether un-fsynced
/// directory operations survive (all dropped, or each by a seed).
fn power_cut(disk: &MemStorage, op: u64, variant: u64) {
    if variant >= VARIANTS - 2 {
        return;
    }
    let mode = match variant % 3 {
        0 => CrashMode::DropUnsynced,
        1 => CrashMode::KeepUnsyncedPrefix { bytes: 7 },
        _ => CrashMode::ScrambleUnsyncedPages {
            seed: op,
            page_bytes: 16,
        },
    };
    match variant {
        0 => disk.crash(mode),
        _ => disk.crash_seeded(mode, op.wrapping_mul(31).wrapping_add(variant)),
    }
}

/// Crash variants per operation: clean and torn failure, each followed by four kinds of power
/// cut or by none.
const VARIANTS: u64 = 10;

fn crash_everywhere(rewrite: Rewrite) {
    let start = setup(rewrite);
    let expected = reference(&start, rewrite);
    if rewrite == Rewrite::Salvage {
        // m3 (orphaned), m6 (damaged) and the tombstone of m3 are moved aside.
        assert_eq!(expected.quarantined.len(), 3, "{:?}", expected.quarantined);
    }
    assert!(
        expected.ops > 6,
        "{rewrite:?}: only {} operations",
        expected.ops
    );
    // Coverage, shown with `--no-capture`.
    println!(
        "{rewrite:?}: {} storage operations, each crashed {VARIANTS} ways",
        expected.ops
    );
    for op in 0..expected.ops {
        for variant in 0..VARIANTS {
            let torn = variant % 2 == 1;
            let disk = start.snapshot();
            let faulty = FaultStorage::new(disk.clone(), FaultPlan::crash_at(op, torn));
            let result = run(&faulty, rewrite);
            assert!(
                faulty.has_failed() && result.is_err(),
                "op {op} never reached"
            );
            power_cut(&disk, op, variant);
            let case = format!("{rewrite:?}, crash at op {op}, variant {variant}");
            check(&disk, &expected, &case);
            if variant == 0 {
                crash_the_rerun(&disk, rewrite, &expected, &case);
            }
            // Running it again finishes the job.
            run(&disk, rewrite).unwrap_or_else(|error| panic!("{case}: rerun: {error}"));
            assert_eq!(blocks(&disk), expected.blocks_after, "{case}: rerun");
            check(&disk, &expected, &format!("{case}, rerun"));
        }
    }
}

/// Crashes the rerun that finishes an interrupted rewrite at each of its own mutating
/// operations (on a copy of the crashed disk, directory operations surviving by a seed); the
/// disk still passes [`check`], and one more run finishes the job.
fn crash_the_rerun(crashed: &MemStorage, rewrite: Rewrite, expected: &Reference, case: &str) {
    let probe = FaultStorage::new(crashed.snapshot(), FaultPlan::none());
    run(&probe, rewrite).unwrap_or_else(|error| panic!("{case}: rerun: {error}"));
    for op in 0..probe.ops_attempted() {
        let disk = crashed.snapshot();
        let faulty = FaultStorage::new(disk.clone(), FaultPlan::crash_at(op, op % 2 == 1));
        assert!(
            run(&faulty, rewrite).is_err(),
            "{case}: rerun op {op} never reached"
        );
        disk.crash_seeded(CrashMode::DropUnsynced, op);
        let case = format!("{case}, rerun crashed at op {op}");
        check(&disk, expected, &case);
        run(&disk, rewrite).unwrap_or_else(|error| panic!("{case}: third run: {error}"));
        assert_eq!(blocks(&disk), expected.blocks_after, "{case}: third run");
    }
}

#[test]
fn salvage_repair_is_crash_safe_at_every_storage_operation() {
    crash_everywhere(Rewrite::Salvage);
}

#[test]
fn compaction_is_crash_safe_at_every_storage_operation() {
    crash_everywhere(Rewrite::Compact);
}

/// The stream the tests start from really is damaged: a strict scan refuses it.
#[test]
fn the_salvage_scenario_starts_damaged() {
    let disk = setup(Rewrite::Salvage);
    let strict = recover_dir_in(
        &disk,
        Path::new(DIR),
        RecoveryMode::Strict,
        &Limits::default(),
        None,
        |_, _| {},
    );
    assert!(strict.is_err());
    assert!(
        blocks(&disk)
            .values()
            .all(|bytes| bytes.len() > HEADER_SIZE)
    );
}
