//! `recover` and `compact`: rewrite blocks through natrium-recovery (`repair`, `compact`).
//! Neither offers a progress hook, so when a bar is drawn the tool first scans the blocks
//! read-only with a byte bar, then shows a spinner while natrium-recovery rewrites them.

use std::path::Path;

use anyhow::{Context, Result};
use indicatif::ProgressBar;
use natrium_format::Limits;
use natrium_recovery::dir::{read_meta, recover_dir_visit};
use natrium_recovery::{RealStorage, RecoveryMode, RepairTarget};

use crate::cli::{RecoverArgs, RekeyArgs, StreamArgs};
use crate::key::KeyError;
use crate::key::cipher_for;
use crate::lock::{Access, lock};
use crate::progress::ScanProgress;

/// A `--key` given to a command that needs none is still checked, so a mistaken key is found
/// before anything is rewritten (exit 3).
fn check_key(stream: &StreamArgs) -> Result<()> {
    if let Some(key) = &stream.key {
        cipher_for(&read_meta(&stream.dir)?, Some(key), false)?;
    }
    Ok(())
}

/// When a bar is drawn: a read-only scan of every block under `mode` drives it by bytes, then
/// a spinner stands for the rewrite, which reports no progress. Off a terminal nothing is
/// scanned twice.
fn scan_then_spin(dir: &Path, mode: RecoveryMode, message: &str) -> Result<ProgressBar> {
    let progress = ScanProgress::new(dir, "scanning", 1)?;
    if progress.is_visible() {
        // Damage that stops this scan stops the rewrite the same way, and the rewrite's error
        // is the one reported (with its advice), so this one is dropped.
        let scanned = recover_dir_visit(dir, mode, &Limits::default(), |b, v| {
            progress.record(b, v);
        });
        drop(scanned);
    }
    Ok(progress.into_spinner(message))
}

pub fn recover(args: &RecoverArgs) -> Result<bool> {
    let (mode, name) = if args.salvage {
        (RecoveryMode::Salvage, "salvage")
    } else {
        (RecoveryMode::TruncateTornTail, "torn-tail")
    };
    let target = match &args.into {
        Some(dir) => RepairTarget::Into(dir.clone()),
        None => RepairTarget::InPlace,
    };
    let dir = &args.stream.dir;
    // In place the blocks are rewritten; into another directory the source is only read.
    let access = match target {
        RepairTarget::InPlace => Access::Rewrite,
        _ => Access::Read,
    };
    // The key first: a wrong key exits 3 before even the lock file is created.
    check_key(&args.stream)?;
    let _lock = lock(dir, access)?;
    let spinner = scan_then_spin(dir, mode, "rewriting blocks")?;
    let report = natrium_recovery::repair(&RealStorage, dir, &target, mode);
    spinner.finish_and_clear();
    let report = report
        .with_context(|| format!("{name} recovery failed (try --salvage for mid-block damage)"))?;
    println!(
        "{name} recovery into {}: kept {} records ({} bytes) in {} blocks",
        report.target.display(),
        report.kept_records,
        report.kept_bytes,
        report.blocks
    );
    for q in &report.quarantined {
        let lost = match (q.seq_before, q.seq_after) {
            (Some(a), Some(b)) if a == b => {
                format!("message {a}, deleted by a damaged tombstone, set aside, not resurrected")
            }
            (Some(a), Some(b)) if b > a + 1 => {
                format!("sequences {}..={} may be lost", a + 1, b - 1)
            }
            (Some(a), None) => format!("sequences after {a} in this block may be lost"),
            (None, Some(b)) => format!("sequences before {b} in this block may be lost"),
            _ => "no sequence lost between intact neighbours".to_owned(),
        };
        println!(
            "quarantined block {} bytes {}..{} -> {} ({lost})",
            q.block,
            q.start,
            q.end,
            q.path.display()
        );
    }
    let c = &report.checkpoint;
    println!(
        "checkpoint rewritten: first_seq {} last_seq {} msgs {}",
        c.first_seq, c.last_seq, c.msgs
    );
    Ok(true)
}

pub fn compact(args: &StreamArgs) -> Result<bool> {
    check_key(args)?;
    let _lock = lock(&args.dir, Access::Rewrite)?;
    // Compaction needs clean blocks, so its scan is `Strict` like the compaction's own.
    let spinner = scan_then_spin(&args.dir, RecoveryMode::Strict, "compacting blocks")?;
    let report = natrium_recovery::compact(&RealStorage, &args.dir);
    spinner.finish_and_clear();
    let report = report?;
    println!(
        "compacted {} blocks: dropped {} records, kept {} records ({} bytes)",
        report.blocks, report.dropped_records, report.kept_records, report.kept_bytes
    );
    Ok(true)
}

/// `rekey`: the old key must match (exit 3 otherwise) and a new key is required; the source
/// is only read (shared lock), the rotated stream goes into `--into`.
pub fn rekey(args: &RekeyArgs) -> Result<bool> {
    let dir = &args.stream.dir;
    let Some(old_key) = &args.stream.key else {
        return Err(KeyError("rekey needs --key, the stream's current key".to_owned()).into());
    };
    // A wrong old key exits 3 before anything is created.
    check_key(&args.stream)?;
    let _lock = lock(dir, Access::Read)?;
    let report = natrium_recovery::rekey(
        &natrium_recovery::RealStorage,
        dir,
        &args.into,
        &old_key.0,
        &args.new_key.0,
    )
    .context("key rotation failed (repair damage first with `recover`)")?;
    println!(
        "rekeyed into {}: {} records sealed again under the new key in {} blocks",
        report.target.display(),
        report.records,
        report.blocks
    );
    Ok(true)
}
