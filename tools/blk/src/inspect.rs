//! `inspect`: blocks, sequences, subjects, sizes, deleted ranges and the checkpoint against the
//! blocks, as a table or one JSON object. Damage is shown, never fatal: the scan runs under
//! `Salvage`, which reads past damage without writing anything.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use natrium_format::Limits;
use natrium_recovery::dir::{
    BlockReport, Checkpoint, DisagreementKind, read_meta, recover_dir_visit,
};
use natrium_recovery::{RecoveryMode, StreamRecovery};
use serde::Serialize;

use crate::cli::InspectArgs;
use crate::key::cipher_for;
use crate::progress::ScanProgress;
use crate::report::{CheckpointJson, StreamJson};

#[derive(Debug, Serialize)]
struct InspectJson {
    stream: StreamJson,
    /// True when --key was given and matches (a wrong key exits 3 instead).
    key_checked: bool,
    /// Every block verified and the checkpoint does not contradict them.
    healthy: bool,
    blocks: Vec<BlockJson>,
    /// The stream state rebuilt from the blocks alone.
    state: StateJson,
    /// Records per subject, including messages deleted later.
    subjects: Vec<SubjectJson>,
    checkpoint: CheckpointJson,
}

#[derive(Debug, Serialize)]
struct BlockJson {
    index: u32,
    file: String,
    bytes: u64,
    records: u32,
    messages: u64,
    tombstones: u64,
    first_seq: u64,
    last_seq: u64,
    message_bytes: u64,
    healthy: bool,
    damaged: Vec<DamageJson>,
    torn_tail: Option<RangeJson>,
}

#[derive(Debug, Serialize)]
struct DamageJson {
    start: u64,
    end: u64,
    error: String,
    seq_before: Option<u64>,
    seq_after: Option<u64>,
}

#[derive(Debug, Serialize)]
struct RangeJson {
    start: u64,
    end: u64,
}

#[derive(Debug, Serialize)]
struct StateJson {
    first_seq: u64,
    last_seq: u64,
    msgs: u64,
    bytes: u64,
    /// Inclusive `[first, last]` ranges of deleted sequences.
    deleted: Vec<[u64; 2]>,
}

#[derive(Debug, Serialize)]
struct SubjectJson {
    subject: String,
    records: u64,
}

pub fn inspect(args: &InspectArgs) -> Result<bool> {
    let dir = &args.stream.dir;
    let _lock = crate::lock::lock(dir, crate::lock::Access::Read)?;
    // A wrong key is reported before the scan, which can take long on a large store.
    let key_checked = match &args.stream.key {
        Some(key) => cipher_for(&read_meta(dir)?, Some(key), false).map(|_| true)?,
        None => false,
    };
    let progress = ScanProgress::new(dir, "inspecting", 1)?;
    let mut subjects: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    let recovery = recover_dir_visit(dir, RecoveryMode::Salvage, &Limits::default(), |b, v| {
        progress.record(b, v);
        if !v.is_tombstone() {
            *subjects.entry(v.subject.to_vec()).or_default() += 1;
        }
    });
    progress.finish();
    let recovery = recovery?;
    if args.json {
        let json = inspect_json(&recovery, &subjects, key_checked);
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print!("{}", inspect_text(&recovery, &subjects, key_checked));
    }
    Ok(true)
}

fn inspect_json(
    recovery: &StreamRecovery,
    subjects: &BTreeMap<Vec<u8>, u64>,
    key_checked: bool,
) -> InspectJson {
    let s = &recovery.state;
    InspectJson {
        stream: StreamJson::new(&recovery.meta),
        key_checked,
        healthy: recovery.is_clean(),
        blocks: recovery.blocks.iter().map(block_json).collect(),
        state: StateJson {
            first_seq: s.first_seq,
            last_seq: s.last_seq,
            msgs: s.msgs,
            bytes: s.bytes,
            deleted: s.deleted.iter().map(|&(a, b)| [a, b]).collect(),
        },
        subjects: subjects
            .iter()
            .map(|(subject, &records)| SubjectJson {
                subject: String::from_utf8_lossy(subject).into_owned(),
                records,
            })
            .collect(),
        checkpoint: CheckpointJson::new(recovery),
    }
}

fn block_json(b: &BlockReport) -> BlockJson {
    BlockJson {
        index: b.index,
        file: b.path.display().to_string(),
        bytes: b.scan.len,
        records: b.scan.records,
        messages: b.messages,
        tombstones: b.tombstones,
        first_seq: b.first_seq,
        last_seq: b.last_seq,
        message_bytes: b.bytes,
        healthy: b.scan.is_clean(),
        damaged: b
            .scan
            .damaged
            .iter()
            .map(|d| DamageJson {
                start: d.start,
                end: d.end,
                error: d.error.to_string(),
                seq_before: d.seq_before,
                seq_after: d.seq_after,
            })
            .collect(),
        torn_tail: b
            .scan
            .torn_tail
            .map(|(start, end)| RangeJson { start, end }),
    }
}

fn inspect_text(
    recovery: &StreamRecovery,
    subjects: &BTreeMap<Vec<u8>, u64>,
    key_checked: bool,
) -> String {
    let meta = &recovery.meta;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "stream {:?}: cipher {:?}, compression {:?}, block_bytes_max {}",
        meta.name, meta.cipher, meta.compression, meta.block_bytes_max
    );
    if key_checked {
        out.push_str("key: matches the stream's key check\n");
    }
    out.push_str("block        bytes  records  msgs  tombstones  seqs          status\n");
    for b in &recovery.blocks {
        let _ = writeln!(
            out,
            "{:<10} {:>7} {:>8} {:>5} {:>11}  {:<12}  {}",
            b.index,
            b.scan.len,
            b.scan.records,
            b.messages,
            b.tombstones,
            format!("{}..{}", b.first_seq, b.last_seq),
            block_status(b)
        );
    }
    let s = &recovery.state;
    let _ = writeln!(
        out,
        "state (from blocks): first_seq {} last_seq {} msgs {} bytes {} deleted {}",
        s.first_seq,
        s.last_seq,
        s.msgs,
        s.bytes,
        ranges(&s.deleted)
    );
    out.push_str("subjects (records, including later deleted):\n");
    for (subject, count) in subjects {
        let _ = writeln!(out, "  {} {count}", String::from_utf8_lossy(subject));
    }
    describe_checkpoint(recovery, &mut out);
    out
}

fn block_status(b: &BlockReport) -> String {
    if b.scan.is_clean() {
        return "ok".to_owned();
    }
    let mut status = String::new();
    for d in &b.scan.damaged {
        let _ = write!(status, "damaged {}..{} ({}); ", d.start, d.end, d.error);
    }
    if let Some((start, end)) = b.scan.torn_tail {
        let _ = write!(status, "torn tail {start}..{end}");
    }
    status
}

/// The checkpoint against the blocks, one line per finding (shared with `verify`).
pub fn describe_checkpoint(recovery: &StreamRecovery, out: &mut String) {
    match &recovery.checkpoint {
        Checkpoint::Missing => out.push_str("checkpoint: missing (state rebuilt from blocks)\n"),
        Checkpoint::Unreadable(error) => {
            let _ = writeln!(out, "checkpoint: unreadable: stream.state: {error}");
        }
        Checkpoint::Read(_) if recovery.disagreements.is_empty() => {
            out.push_str("checkpoint: matches the blocks\n");
        }
        Checkpoint::Read(_) => {
            for d in &recovery.disagreements {
                let kind = match d.kind {
                    DisagreementKind::Stale => "stale",
                    DisagreementKind::Conflict => "CONFLICT",
                };
                let _ = writeln!(
                    out,
                    "checkpoint {kind}: {}: checkpoint={} blocks={}",
                    d.what, d.checkpoint, d.blocks
                );
            }
        }
    }
}

fn ranges(deleted: &[(u64, u64)]) -> String {
    let parts: Vec<String> = deleted
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    format!("[{}]", parts.join(", "))
}
