//! The five commands. Each returns `Ok(true)` on success, `Ok(false)` when it found damage
//! it has already reported, and `Err` for failures (a `KeyError` for key problems).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, Result, anyhow};
use natrium_format::{CipherKind, Limits, RecordCipher, RecordView, StreamKey, StreamMeta};
use natrium_recovery::dir::{Checkpoint, DisagreementKind, read_meta, recover_dir_visit};
use natrium_recovery::{RecoveryMode, RepairTarget, StreamRecovery, recover_dir};

use crate::KeyError;
use crate::args::Args;
use natrium_format::subject::matches as subject_matches;

/// The stream's cipher for reading bodies: `None` for an unencrypted stream. An encrypted
/// stream with no key is `Ok(None)` only when `required` is false.
fn cipher_for(
    meta: &StreamMeta,
    key: Option<&[u8]>,
    required: bool,
) -> Result<Option<RecordCipher>> {
    if meta.cipher == CipherKind::None {
        return Ok(None);
    }
    let Some(key) = key else {
        if required {
            return Err(KeyError(format!(
                "stream {:?} is encrypted ({:?}): pass --key to read message bodies",
                meta.name, meta.cipher
            ))
            .into());
        }
        return Ok(None);
    };
    let key = StreamKey::derive(key, meta.name.as_bytes());
    meta.check_key(Some(&key)).map_err(|_| {
        KeyError(format!(
            "wrong key: the --key given does not match the key of stream {:?}",
            meta.name
        ))
    })?;
    Ok(RecordCipher::new(meta.cipher, &key))
}

fn describe_checkpoint(recovery: &StreamRecovery, out: &mut String) {
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

pub fn inspect(args: &Args) -> Result<bool> {
    let mut subjects: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    // Salvage reads past damage without writing anything, so inspect can show all of it.
    let recovery = recover_dir_visit(
        &args.dir,
        RecoveryMode::Salvage,
        &Limits::default(),
        |_, v| {
            if !v.is_tombstone() {
                *subjects.entry(v.subject.to_vec()).or_default() += 1;
            }
        },
    )?;
    let meta = &recovery.meta;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "stream {:?}: cipher {:?}, compression {:?}, block_bytes_max {}",
        meta.name, meta.cipher, meta.compression, meta.block_bytes_max
    );
    if let Some(key) = &args.key {
        cipher_for(meta, Some(key), false)?;
        out.push_str("key: matches the stream's key check\n");
    }
    out.push_str("block        bytes  records  msgs  tombstones  seqs          status\n");
    for b in &recovery.blocks {
        let status = if b.scan.is_clean() {
            "ok".to_owned()
        } else {
            let mut s = String::new();
            for d in &b.scan.damaged {
                let _ = write!(s, "damaged {}..{} ({}); ", d.start, d.end, d.error);
            }
            if let Some((start, end)) = b.scan.torn_tail {
                let _ = write!(s, "torn tail {start}..{end}");
            }
            s
        };
        let _ = writeln!(
            out,
            "{:<10} {:>7} {:>8} {:>5} {:>11}  {:<12}  {}",
            b.index,
            b.scan.len,
            b.scan.records,
            b.messages,
            b.tombstones,
            format!("{}..{}", b.first_seq, b.last_seq),
            status
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
    for (subject, count) in &subjects {
        let _ = writeln!(out, "  {} {count}", String::from_utf8_lossy(subject));
    }
    describe_checkpoint(&recovery, &mut out);
    print!("{out}");
    Ok(true)
}

pub fn verify(args: &Args) -> Result<bool> {
    let meta = read_meta(&args.dir)?;
    let cipher = cipher_for(&meta, args.key.as_deref(), false)?;
    let mut auth_failures = Vec::new();
    let mut scratch = Vec::new();
    let recovery = recover_dir_visit(
        &args.dir,
        RecoveryMode::Strict,
        &Limits::default(),
        |block, view| {
            if let Some(cipher) = &cipher
                && let Err(error) = view.body(Some(cipher), &mut scratch)
            {
                auth_failures.push((block, view.offset, error));
            }
        },
    )?;
    let mut out = String::new();
    let mut ok = true;
    for (block, offset, error) in &auth_failures {
        let path = natrium_format::names::block_path(&args.dir, *block);
        let _ = writeln!(out, "{}: offset {offset}: {error}", path.display());
        ok = false;
    }
    if matches!(recovery.checkpoint, Checkpoint::Unreadable(_))
        || recovery
            .disagreements
            .iter()
            .any(|d| d.kind == DisagreementKind::Conflict)
    {
        ok = false;
    }
    describe_checkpoint(&recovery, &mut out);
    let records: u64 = recovery
        .blocks
        .iter()
        .map(|b| u64::from(b.scan.records))
        .sum();
    if ok {
        let _ = writeln!(
            out,
            "ok: {} blocks, {records} records verified",
            recovery.blocks.len()
        );
        if meta.cipher != CipherKind::None && cipher.is_none() {
            out.push_str("note: encrypted bodies not authenticated (no --key given)\n");
        }
        print!("{out}");
    } else {
        eprint!("{out}");
    }
    Ok(ok)
}

fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

fn print_record(
    out: &mut impl std::io::Write,
    args: &Args,
    view: &RecordView<'_>,
    deleted: bool,
    body: Option<(&[u8], &[u8])>,
) -> std::io::Result<()> {
    let subject = String::from_utf8_lossy(view.subject);
    if args.json {
        let mut record = serde_json::json!({
            "seq": view.seq,
            "time_ns": view.timestamp_ns,
            "subject": subject,
            "bytes": view.message_bytes(),
            "tombstone": view.is_tombstone(),
            "deleted": deleted,
        });
        if let Some(ttl_ns) = view.ttl_ns {
            record["ttl_ns"] = ttl_ns.into();
        }
        if let Some((headers, payload)) = body {
            for (name, part, wanted) in [
                ("headers", headers, args.headers),
                ("payload", payload, args.payload),
            ] {
                if wanted {
                    record[name] = match std::str::from_utf8(part) {
                        Ok(text) => text.into(),
                        Err(_) => escape(part).into(),
                    };
                }
            }
        }
        return writeln!(out, "{record}");
    }
    let mut line = format!(
        "seq={} time_ns={} subject={} bytes={}",
        view.seq,
        view.timestamp_ns,
        subject,
        view.message_bytes()
    );
    if let Some(ttl_ns) = view.ttl_ns {
        let _ = write!(line, " ttl_ns={ttl_ns}");
    }
    if view.is_tombstone() {
        line.push_str(" tombstone");
    } else if deleted {
        line.push_str(" deleted");
    }
    if let Some((headers, payload)) = body {
        if args.headers {
            let _ = write!(line, " headers=\"{}\"", escape(headers));
        }
        if args.payload {
            let _ = write!(line, " payload=\"{}\"", escape(payload));
        }
    }
    writeln!(out, "{line}")
}

pub fn dump(args: &Args) -> Result<bool> {
    // --salvage reads around damage (read-only); the default refuses mid-block damage.
    let mode = if args.salvage {
        RecoveryMode::Salvage
    } else {
        RecoveryMode::TruncateTornTail
    };
    let first_pass = recover_dir(&args.dir, mode)?;
    let deleted = first_pass.state.deleted;
    let is_deleted = |seq: u64| deleted.iter().any(|&(a, b)| (a..=b).contains(&seq));
    let wants_body = args.headers || args.payload;
    let cipher = cipher_for(&first_pass.meta, args.key.as_deref(), wants_body)?;
    let mut scratch = Vec::new();
    let mut failure = None;
    let mut stdout = std::io::stdout().lock();
    let mut closed = false;
    recover_dir_visit(&args.dir, mode, &Limits::default(), |_, view| {
        let dead = view.is_tombstone() || is_deleted(view.seq);
        let in_range = args.from.is_none_or(|from| view.seq >= from)
            && args.to.is_none_or(|to| view.seq <= to);
        let subject_ok = args
            .subject
            .as_deref()
            .is_none_or(|filter| subject_matches(filter, &String::from_utf8_lossy(view.subject)));
        if failure.is_some() || closed || !in_range || !subject_ok || (dead && !args.all) {
            return;
        }
        let printed = if !wants_body || view.is_tombstone() {
            print_record(&mut stdout, args, view, dead, None)
        } else {
            match view.body(cipher.as_ref(), &mut scratch) {
                Ok(body) => {
                    let body = Some((body.headers, body.payload));
                    print_record(&mut stdout, args, view, dead, body)
                }
                Err(error) => {
                    let (seq, offset) = (view.seq, view.offset);
                    failure = Some(anyhow!("record {seq} at offset {offset}: {error}"));
                    Ok(())
                }
            }
        };
        // A closed pipe (`| head`) ends the dump quietly; other write errors are reported.
        if let Err(error) = printed {
            closed = true;
            if error.kind() != std::io::ErrorKind::BrokenPipe {
                failure = Some(error.into());
            }
        }
    })?;
    match failure {
        Some(error) => Err(error),
        None => Ok(true),
    }
}

pub fn recover(args: &Args) -> Result<bool> {
    let (mode, name) = if args.salvage {
        (RecoveryMode::Salvage, "salvage")
    } else {
        (RecoveryMode::TruncateTornTail, "torn-tail")
    };
    let target = match &args.into {
        Some(dir) => RepairTarget::Into(dir.clone()),
        None => RepairTarget::InPlace,
    };
    let report = natrium_recovery::repair(&args.dir, &target, mode)
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

pub fn compact(args: &Args) -> Result<bool> {
    let report = natrium_recovery::compact(&args.dir)?;
    println!(
        "compacted {} blocks: dropped {} records, kept {} records ({} bytes)",
        report.blocks, report.dropped_records, report.kept_records, report.kept_bytes
    );
    Ok(true)
}
