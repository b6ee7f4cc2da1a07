//! A JetStream store directory (`-sd`/`store_dir`, its `jetstream/` or one account's
//! directory) instead of one stream's: `inspect` and `verify` run on every stream in it, each
//! named with its account and the configuration in its `stream.json` first.
//!
//! Layout (as the Go server's): `<store_dir>/jetstream/<account>/streams/<stream>/`, each
//! stream directory holding `stream.json` (configuration, creation time) and, for a file
//! stream, the store's files (`stream.meta`, `blocks/`, ...). Memory streams keep nothing on
//! disk (as in Go, they do not outlive the server).
//!
//! Text output: a `== stream <account>/<name> ==` line with the storage and subjects, then
//! the verb's usual report. `--json`: a sequence of JSON values (one per line for the stream
//! headers, then the verb's own object), which `jq` reads as a stream:
//! `{"jetstream_stream": {"account", "name", "dir", "config"}}` before each report.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::cli::{InspectArgs, StreamArgs, VerifyArgs};

/// Largest `stream.json` read (the server writes a few KiB).
const STREAM_JSON_BYTES_MAX: u64 = 1 << 20;
/// Streams listed at most (a directory with more is refused rather than walked forever).
const STREAMS_MAX: usize = 100_000;

/// One stream found in a JetStream store directory.
#[derive(Debug)]
pub struct FoundStream {
    pub account: String,
    pub name: String,
    pub dir: PathBuf,
    /// `stream.json`'s `config`, or why it could not be read.
    pub config: Result<Value, String>,
}

impl FoundStream {
    /// True when the store's files are there (a file stream).
    fn has_store(&self) -> bool {
        self.dir.join("stream.meta").exists()
    }
}

/// The streams of `dir` when it is a JetStream store directory (the store dir, its
/// `jetstream/`, or one account's directory), in account and name order; `None` when it is
/// something else (a stream directory is handled by the verbs themselves).
pub fn streams_in(dir: &Path) -> Result<Option<Vec<FoundStream>>> {
    if dir.join("stream.meta").exists() {
        return Ok(None);
    }
    let accounts: Vec<(String, PathBuf)> = if dir.join("jetstream").is_dir() {
        subdirs(&dir.join("jetstream"))?
    } else if dir.join("streams").is_dir() {
        let account = dir
            .file_name()
            .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
        vec![(account, dir.to_path_buf())]
    } else if subdirs(dir)?
        .iter()
        .any(|(_, path)| path.join("streams").is_dir())
    {
        subdirs(dir)?
    } else {
        return Ok(None);
    };
    let mut found = Vec::new();
    for (account, account_dir) in accounts {
        let streams_dir = account_dir.join("streams");
        if !streams_dir.is_dir() {
            continue;
        }
        for (name, stream_dir) in subdirs(&streams_dir)? {
            if found.len() == STREAMS_MAX {
                anyhow::bail!("more than {STREAMS_MAX} streams under {}", dir.display());
            }
            let config = read_config(&stream_dir);
            found.push(FoundStream {
                account: account.clone(),
                name,
                dir: stream_dir,
                config,
            });
        }
    }
    Ok(Some(found))
}

/// Subdirectories of `dir`, by name.
fn subdirs(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            out.push((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            ));
        }
    }
    out.sort();
    Ok(out)
}

/// `stream.json`'s configuration, read with a size limit.
fn read_config(stream_dir: &Path) -> Result<Value, String> {
    let path = stream_dir.join("stream.json");
    let size = std::fs::metadata(&path)
        .map_err(|error| format!("{}: {error}", path.display()))?
        .len();
    if size > STREAM_JSON_BYTES_MAX {
        return Err(format!(
            "{}: {size} bytes, over the {STREAM_JSON_BYTES_MAX} read",
            path.display()
        ));
    }
    let text = std::fs::read(&path).map_err(|error| format!("{}: {error}", path.display()))?;
    let value: Value = serde_json::from_slice(&text)
        .map_err(|error| format!("{}: not JSON: {error}", path.display()))?;
    Ok(value.get("config").cloned().unwrap_or(value))
}

/// The line (text) or value (JSON) naming a stream before its report.
fn header(stream: &FoundStream, as_json: bool) -> String {
    if as_json {
        let config = match &stream.config {
            Ok(config) => config.clone(),
            Err(error) => json!({ "error": error }),
        };
        let value = json!({ "jetstream_stream": {
            "account": stream.account,
            "name": stream.name,
            "dir": stream.dir.display().to_string(),
            "config": config,
        }});
        return value.to_string();
    }
    let summary = match &stream.config {
        Ok(config) => format!(
            "{} storage, subjects {}",
            config["storage"].as_str().unwrap_or("file"),
            config["subjects"]
        ),
        Err(error) => format!("configuration unreadable: {error}"),
    };
    format!(
        "== stream {}/{} ({summary}) ==",
        stream.account, stream.name
    )
}

/// Runs `verb` on every stream; healthy when every run was.
fn each(
    streams: &[FoundStream],
    as_json: bool,
    mut verb: impl FnMut(StreamArgs) -> Result<bool>,
    key: &StreamArgs,
) -> Result<bool> {
    let mut healthy = true;
    for stream in streams {
        println!("{}", header(stream, as_json));
        healthy &= stream.config.is_ok();
        if !stream.has_store() {
            if !as_json {
                println!("no store files (stream.json only)");
            }
            continue;
        }
        let args = StreamArgs {
            dir: stream.dir.clone(),
            key: key.key.clone(),
        };
        healthy &= verb(args)?;
    }
    Ok(healthy)
}

/// `inspect` on every stream of a JetStream store directory.
pub fn inspect(streams: &[FoundStream], args: &InspectArgs) -> Result<bool> {
    let verb = |stream| {
        crate::inspect::inspect(&InspectArgs {
            stream,
            json: args.json,
        })
    };
    each(streams, args.json, verb, &args.stream)
}

/// `verify` on every stream of a JetStream store directory.
pub fn verify(streams: &[FoundStream], args: &VerifyArgs) -> Result<bool> {
    let verb = |stream| {
        crate::verify::verify(&VerifyArgs {
            stream,
            json: args.json,
        })
    };
    each(streams, args.json, verb, &args.stream)
}
