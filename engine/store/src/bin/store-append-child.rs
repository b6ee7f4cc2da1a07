//! `store-append-child DIR [MESSAGES_MAX] [always|interval]`: the child process of the kill
//! tests (tests/crash_kill_child.rs, tests/crash_kill_interval.rs). Opens (recovering) the
//! FileStore in DIR with the given sync policy (default `always`), then appends messages whose
//! payload is derived from their sequence and prints `SEQ TS_NS` for each acknowledged one
//! (TS_NS: wall-clock nanoseconds when `store` returned), flushing stdout after each, until
//! MESSAGES_MAX (default 100000) or until it is killed. Under `always` a line means "fsynced";
//! under `interval` it means "accepted into the write buffer".
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use natrium_store::filestore::{FileStore, FileStoreOptions, SyncPolicy, WriterConfig};
use natrium_store::io::RealStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

/// The payload the kill test expects for `seq`.
fn payload(seq: u64) -> String {
    format!("kill-test payload {seq:>12}")
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: store-append-child DIR [MESSAGES_MAX] [always|interval]")?,
    );
    let messages_max: u64 = match args.next() {
        Some(text) => text.parse().map_err(|_| "MESSAGES_MAX must be a number")?,
        None => 100_000,
    };
    let sync = match args.next().as_deref() {
        None | Some("always") => SyncPolicy::Always,
        Some("interval") => SyncPolicy::default(),
        Some(_) => return Err("the policy is `always` or `interval`".into()),
    };
    let options = FileStoreOptions {
        // Small blocks so kills also land around rotations.
        block_bytes_max: 16 * 1024,
        writer: WriterConfig {
            sync,
            ..WriterConfig::default()
        },
        ..FileStoreOptions::default()
    };
    let mut store = FileStore::open(
        Arc::new(RealStorage::new()),
        &dir,
        options,
        StoreConfig::default(),
    )
    .map_err(|error| format!("open: {error}"))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "ready {}", store.state().last_seq).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    for _ in 0..messages_max {
        let seq = store.state().last_seq + 1;
        let now_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| {
                u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
            });
        let subject = format!("kill.{}", seq % 4);
        let (stored, _) = store
            .store(&NewMsg::new(&subject, payload(seq).as_bytes()), now_ns)
            .map_err(|error| format!("store: {error}"))?;
        let acked_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| {
                u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
            });
        writeln!(out, "{stored} {acked_ns}").map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    store.close().map_err(|error| format!("close: {error}"))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("store-append-child: {error}");
            ExitCode::FAILURE
        }
    }
}
