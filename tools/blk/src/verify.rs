//! `verify`: every block under `Strict`, record bodies authenticated when a key is given, and
//! the checkpoint compared with the blocks. Healthy means no problem at all. Strict stops at
//! the first damaged record (its file, offset and exact cause are the first problem); then a
//! read-only `Salvage` pass lists every other damaged range and still compares the checkpoint.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use natrium_format::{CipherKind, ConsumerLimits, ConsumerState, Limits, RecordCipher, names};
use natrium_recovery::dir::{Checkpoint, DisagreementKind, read_meta, recover_dir_keyed};
use natrium_recovery::{RecoveryMode, StreamRecovery, error_offset};
use serde::Serialize;

use crate::cli::VerifyArgs;
use crate::inspect::describe_checkpoint;
use crate::key::cipher_for;
use crate::progress::ScanProgress;
use crate::report::{CheckpointJson, ProblemJson, StreamJson};

#[derive(Debug, Serialize)]
struct VerifyJson {
    /// True when `problems` is empty: exit code 0.
    healthy: bool,
    /// `null` when stream.meta itself could not be read.
    stream: Option<StreamJson>,
    /// Blocks and intact records checked; `null` when stream.meta could not be read.
    blocks: Option<u64>,
    records: Option<u64>,
    /// Whether record bodies were decrypted and authenticated (encrypted stream and --key).
    bodies_authenticated: bool,
    problems: Vec<ProblemJson>,
    /// `null` when stream.meta could not be read.
    checkpoint: Option<CheckpointJson>,
}

pub fn verify(args: &VerifyArgs) -> Result<bool> {
    let dir = &args.stream.dir;
    let _lock = crate::lock::lock(dir, crate::lock::Access::Read)?;
    let meta = match read_meta(dir) {
        Ok(meta) => meta,
        Err(error) => {
            let json = VerifyJson {
                healthy: false,
                stream: None,
                blocks: None,
                records: None,
                bodies_authenticated: false,
                problems: vec![damage_problem(error)?],
                checkpoint: None,
            };
            return Ok(emit(args, &json, None));
        }
    };
    let cipher = cipher_for(&meta, args.stream.key.as_ref(), false)?;
    let key = args.stream.key.as_ref().map(|key| key.0.as_slice());
    let (strict, mut problems) =
        scan(dir, RecoveryMode::Strict, cipher.as_ref(), key, "verifying")?;
    let recovery = match strict {
        Ok(recovery) => recovery,
        Err(error) => {
            let first = damage_problem(error)?;
            let (salvaged, authentication) = scan(
                dir,
                RecoveryMode::Salvage,
                cipher.as_ref(),
                key,
                "listing damage",
            )?;
            let salvaged = salvaged?;
            // The Salvage pass visited every record the Strict one did, and more.
            problems = authentication;
            problems.extend(damage_problems(&salvaged, &first));
            problems.insert(0, first);
            salvaged
        }
    };
    problems.extend(consumer_problems(dir));
    problems.extend(checkpoint_problems(dir, &recovery));
    let records: u64 = recovery
        .blocks
        .iter()
        .map(|b| u64::from(b.scan.records))
        .sum();
    let json = VerifyJson {
        healthy: problems.is_empty(),
        stream: Some(StreamJson::new(&meta)),
        blocks: Some(recovery.blocks.len() as u64),
        records: Some(records),
        bodies_authenticated: cipher.is_some(),
        problems,
        checkpoint: Some(CheckpointJson::new(&recovery)),
    };
    let encrypted = meta.cipher != CipherKind::None;
    Ok(emit(args, &json, Some((&recovery, encrypted))))
}

/// Scans every block under `mode` with a progress bar, authenticating each intact record's
/// body when there is a cipher. Returns the scan and the bodies that failed authentication.
/// One pass over every block under `mode`. With the stream's key the scanner authenticates
/// every record, tombstone and block header (`recover_dir_keyed`): an unsealed or forged
/// record is damage, not data. Each visited body is also decrypted, to report a bad tag with
/// its offset.
fn scan(
    dir: &Path,
    mode: RecoveryMode,
    cipher: Option<&RecordCipher>,
    key: Option<&[u8]>,
    label: &str,
) -> Result<(natrium_recovery::Result<StreamRecovery>, Vec<ProblemJson>)> {
    let mut problems = Vec::new();
    let mut scratch = Vec::new();
    let progress = ScanProgress::new(dir, label, 1)?;
    let key = key.filter(|_| cipher.is_some());
    let scanned = recover_dir_keyed(dir, mode, &Limits::default(), key, |b, v| {
        progress.record(b, v);
        if let Some(cipher) = cipher
            && let Err(error) = v.body(Some(cipher), &mut scratch)
        {
            let file = names::block_path(dir, b);
            let message = format!("{}: offset {}: {error}", file.display(), v.offset);
            let offset = Some(v.offset);
            problems.push(ProblemJson::new(
                "body_authentication",
                &file,
                offset,
                message,
            ));
        }
    });
    Ok((scanned, problems))
}

/// Largest consumer state file verified (the store's own bound on the file).
const CONSUMER_STATE_BYTES_MAX: u64 = 512 * 1024 * 1024;

/// Every `consumers/<name>.state` that does not decode (bad magic, crc, version or bounds):
/// the store would start that consumer over (or refuse the open under `Strict`).
fn consumer_problems(dir: &Path) -> Vec<ProblemJson> {
    let consumers = dir.join(names::CONSUMERS_DIR);
    let Ok(entries) = std::fs::read_dir(&consumers) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "state"))
        .collect();
    paths.sort();
    let mut problems = Vec::new();
    for path in paths {
        let damage = match std::fs::metadata(&path) {
            Ok(meta) if meta.len() > CONSUMER_STATE_BYTES_MAX => Some(format!(
                "{} bytes, over the {CONSUMER_STATE_BYTES_MAX}-byte bound",
                meta.len()
            )),
            Ok(_) => match std::fs::read(&path) {
                Ok(bytes) => ConsumerState::decode(&bytes, &ConsumerLimits::default())
                    .err()
                    .map(|error| error.to_string()),
                Err(error) => Some(error.to_string()),
            },
            Err(error) => Some(error.to_string()),
        };
        if let Some(damage) = damage {
            let message = format!("{}: consumer state damaged: {damage}", path.display());
            problems.push(ProblemJson::new("consumer_state", &path, None, message));
        }
    }
    problems
}

/// Every damaged range and torn tail the Salvage pass found, except the place `first` (the
/// Strict pass's report, with the exact cause) already names.
fn damage_problems(recovery: &StreamRecovery, first: &ProblemJson) -> Vec<ProblemJson> {
    let mut problems = Vec::new();
    for block in &recovery.blocks {
        let file = block.path.display();
        for d in &block.scan.damaged {
            let message = format!("{file}: corrupt at offset {}: {}", d.start, d.error);
            let problem = ProblemJson::new("corrupt_block", &block.path, Some(d.start), message);
            problems.push(problem);
        }
        if let Some((start, end)) = block.scan.torn_tail {
            let message = format!(
                "{file}: torn tail at offset {start} ({} bytes)",
                end - start
            );
            let problem = ProblemJson::new("torn_tail", &block.path, Some(start), message);
            problems.push(problem);
        }
    }
    problems.retain(|p| (&p.file, p.offset) != (&first.file, first.offset));
    problems
}

/// Damage in a file becomes a problem; anything else (an unreadable directory, a limit) is an
/// error of the run, reported on stderr.
fn damage_problem(error: natrium_recovery::Error) -> Result<ProblemJson> {
    use natrium_recovery::Error as E;
    let message = error.to_string();
    match error {
        E::Corrupt { file, offset, .. } => Ok(ProblemJson::new(
            "corrupt_block",
            &file,
            Some(offset),
            message,
        )),
        E::Format { file, cause } => Ok(ProblemJson::new(
            "corrupt_file",
            &file,
            error_offset(&cause),
            message,
        )),
        other => Err(other.into()),
    }
}

fn checkpoint_problems(dir: &Path, recovery: &StreamRecovery) -> Vec<ProblemJson> {
    let file = dir.join(names::STREAM_STATE);
    if let Checkpoint::Missing = &recovery.checkpoint {
        // Without it nothing durable says where the stream ended: a lost last block, or a
        // tail cut after a crash, would look like a healthy stream. The store writes one at
        // every close and on its checkpoint policy, so its absence is worth a look.
        let message = format!(
            "{}: missing: the blocks cannot be checked against the durable end of the stream \
             (a lost last block would go unnoticed)",
            file.display()
        );
        return vec![ProblemJson::new("checkpoint_missing", &file, None, message)];
    }
    if let Checkpoint::Unreadable(error) = &recovery.checkpoint {
        let message = format!("checkpoint: unreadable: stream.state: {error}");
        let offset = error_offset(error);
        return vec![ProblemJson::new(
            "checkpoint_unreadable",
            &file,
            offset,
            message,
        )];
    }
    recovery
        .disagreements
        .iter()
        .filter(|d| d.kind == DisagreementKind::Conflict)
        .map(|d| {
            let message = format!(
                "checkpoint CONFLICT: {}: checkpoint={} blocks={}",
                d.what, d.checkpoint, d.blocks
            );
            ProblemJson::new("checkpoint_conflict", &file, None, message)
        })
        .collect()
}

/// Prints the report (JSON on stdout; text on stdout when healthy, stderr otherwise) and
/// returns whether the store is healthy. `recovery` is `None` when stream.meta was unreadable.
fn emit(args: &VerifyArgs, json: &VerifyJson, recovery: Option<(&StreamRecovery, bool)>) -> bool {
    if args.json {
        // Serialising plain structs of strings and numbers cannot fail.
        let text = serde_json::to_string_pretty(json).expect("serialisable report");
        println!("{text}");
        return json.healthy;
    }
    let mut out = String::new();
    for problem in &json.problems {
        // Conflicts and an unreadable checkpoint are printed by `describe_checkpoint` below.
        if !matches!(
            problem.kind,
            "checkpoint_conflict" | "checkpoint_unreadable"
        ) {
            out.push_str(&problem.message);
            out.push('\n');
        }
    }
    if let Some((recovery, encrypted)) = recovery {
        describe_checkpoint(recovery, &mut out);
        if json.healthy {
            let blocks = json.blocks.unwrap_or_default();
            let records = json.records.unwrap_or_default();
            let _ = writeln!(out, "ok: {blocks} blocks, {records} records verified");
            if encrypted && !json.bodies_authenticated {
                out.push_str("note: encrypted bodies not authenticated (no --key given)\n");
            }
        }
    }
    if json.healthy {
        print!("{out}");
    } else {
        eprint!("{out}");
    }
    json.healthy
}
