//! `dump`: stored messages one per line, as key=value text or JSON, filtered by sequence range
//! and subject. Two passes: the first rebuilds the deleted set, the second prints.

use std::fmt::Write as _;
use std::io::IsTerminal as _;

use anyhow::{Result, anyhow};
use natrium_format::subject::matches as subject_matches;
use natrium_format::{Limits, RecordCipher, RecordView};
use natrium_recovery::RecoveryMode;
use natrium_recovery::StreamRecovery;
use natrium_recovery::dir::{Checkpoint, read_meta, recover_dir_visit};

use crate::cli::DumpArgs;
use crate::key::cipher_for;
use crate::progress::ScanProgress;

fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

fn print_record(
    out: &mut impl std::io::Write,
    args: &DumpArgs,
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

pub fn dump(args: &DumpArgs) -> Result<bool> {
    let dir = &args.stream.dir;
    let _lock = crate::lock::lock(dir, crate::lock::Access::Read)?;
    // --salvage reads around damage (read-only); the default refuses mid-block damage.
    let mode = if args.salvage {
        RecoveryMode::Salvage
    } else {
        RecoveryMode::TruncateTornTail
    };
    // On a terminal the records themselves show progress, and a bar would tear through them.
    let mut progress = if std::io::stdout().is_terminal() {
        ScanProgress::hidden(dir, "indexing", 2)?
    } else {
        ScanProgress::new(dir, "indexing", 2)?
    };
    // A wrong or missing key is reported before the scans, which can take long.
    let wants_body = args.headers || args.payload;
    let cipher = cipher_for(&read_meta(dir)?, args.stream.key.as_ref(), wants_body)?;
    let limits = Limits::default();
    let first_pass = recover_dir_visit(dir, mode, &limits, |b, v| progress.record(b, v))?;
    let mut printer = Printer {
        args,
        deleted: deleted_ranges(&first_pass),
        cipher,
        scratch: Vec::new(),
        stdout: std::io::stdout().lock(),
        failure: None,
        closed: false,
    };
    progress.next_pass("dumping");
    recover_dir_visit(dir, mode, &limits, |b, view| {
        progress.record(b, view);
        printer.visit(view);
    })?;
    match printer.failure {
        Some(error) => Err(error),
        None => Ok(true),
    }
}

/// Sequences to show as deleted: those the blocks' tombstones delete, and, when the checkpoint
/// is readable, those it lists as deleted or below its first sequence. A sequence once deleted
/// is never live again (sequences are never reused), so a checkpoint's word stands even when a
/// damaged tombstone could not be read: salvage must not resurrect what it deleted.
fn deleted_ranges(recovery: &StreamRecovery) -> Vec<(u64, u64)> {
    let mut ranges = recovery.state.deleted.clone();
    if let Checkpoint::Read(state) = &recovery.checkpoint {
        ranges.extend(state.deleted.iter().copied());
        if state.first_seq > 1 {
            ranges.push((1, state.first_seq - 1));
        }
    }
    ranges
}

/// The second pass: filters records and prints them, remembering the first failure.
struct Printer<'a> {
    args: &'a DumpArgs,
    /// Deleted sequences as inclusive ranges, from the first pass.
    deleted: Vec<(u64, u64)>,
    cipher: Option<RecordCipher>,
    scratch: Vec<u8>,
    stdout: std::io::StdoutLock<'static>,
    failure: Option<anyhow::Error>,
    /// Stdout was closed (`| head`): the rest of the dump is skipped quietly.
    closed: bool,
}

impl Printer<'_> {
    fn wanted(&self, view: &RecordView<'_>, dead: bool) -> bool {
        let args = self.args;
        let in_range = args.from.is_none_or(|from| view.seq >= from)
            && args.to.is_none_or(|to| view.seq <= to);
        let subject_ok = args
            .subject
            .as_deref()
            .is_none_or(|filter| subject_matches(filter, &String::from_utf8_lossy(view.subject)));
        in_range && subject_ok && (args.all || !dead)
    }

    fn visit(&mut self, view: &RecordView<'_>) {
        let deleted = self
            .deleted
            .iter()
            .any(|&(a, b)| (a..=b).contains(&view.seq));
        let dead = view.is_tombstone() || deleted;
        if self.failure.is_some() || self.closed || !self.wanted(view, dead) {
            return;
        }
        let wants_body = self.args.headers || self.args.payload;
        let printed = if !wants_body || view.is_tombstone() {
            print_record(&mut self.stdout, self.args, view, dead, None)
        } else {
            match view.body(self.cipher.as_ref(), &mut self.scratch) {
                Ok(body) => {
                    let body = Some((body.headers, body.payload));
                    print_record(&mut self.stdout, self.args, view, dead, body)
                }
                Err(error) => {
                    let (seq, offset) = (view.seq, view.offset);
                    self.failure = Some(anyhow!("record {seq} at offset {offset}: {error}"));
                    Ok(())
                }
            }
        };
        // A closed pipe ends the dump quietly; other write errors are reported.
        if let Err(error) = printed {
            self.closed = true;
            if error.kind() != std::io::ErrorKind::BrokenPipe {
                self.failure = Some(error.into());
            }
        }
    }
}
