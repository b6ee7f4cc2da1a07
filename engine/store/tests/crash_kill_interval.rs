//! Kill test of the default interval policy's loss window: the child (`store-append-child`
//! in `interval` mode) prints `SEQ TS_NS` as soon as each `store` returns (buffered, not yet
//! written); the test SIGKILLs it at random moments, 10 times on one directory, and checks
//! after each restart that (a) what survived is exactly a prefix of what was stored — no hole,
//! nothing invented, every payload exact — and (b) every message acknowledged more than the
//! loss window before the kill survived. The window is the flush loop's 5 ms plus a scheduling
//! allowance for this loaded 2-core machine (`SCHEDULING_SLACK_MS`); the largest loss seen is
//! printed. Seed: NATRIUM_KILL_SEED.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::RealStorage;
use natrium_store::{StoreConfig, StreamStore};

const KILLS: u32 = 10;
const TEST_TIME_MAX: Duration = Duration::from_secs(8);
/// `WriterConfig::default().flush_interval_ms`.
const FLUSH_INTERVAL_MS: u64 = 5;
/// How long the flush thread may wait for a CPU on a machine shared with ~10 builders.
const SCHEDULING_SLACK_MS: u64 = 500;

fn payload(seq: u64) -> String {
    format!("kill-test payload {seq:>12}")
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64)
}

fn parse(line: &str) -> (u64, u64) {
    let mut parts = line.split_whitespace();
    let seq = parts
        .next()
        .and_then(|t| t.parse().ok())
        .expect("a sequence");
    let ts = parts
        .next()
        .and_then(|t| t.parse().ok())
        .expect("a timestamp");
    (seq, ts)
}

/// Runs the child, kills it after `lines_before_kill` lines; returns (stored, kill time).
fn run_and_kill(dir: &Path, lines_before_kill: u64) -> (Vec<(u64, u64)>, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_store-append-child"))
        .args([dir.as_os_str(), "1000000".as_ref(), "interval".as_ref()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn store-append-child");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let ready = lines.next().expect("child said nothing").expect("read");
    assert!(
        ready.starts_with("ready "),
        "unexpected first line {ready:?}"
    );
    let mut stored = Vec::new();
    while (stored.len() as u64) < lines_before_kill {
        match lines.next() {
            Some(Ok(line)) => stored.push(parse(&line)),
            _ => break,
        }
    }
    let killed_at = now_ns();
    child.kill().expect("SIGKILL");
    stored.extend(lines.map_while(Result::ok).map(|line| parse(&line)));
    child.wait().expect("reap");
    (stored, killed_at)
}

#[test]
fn sigkill_loses_at_most_the_flush_window() {
    let seed: u64 = std::env::var("NATRIUM_KILL_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| now_ns() | 1);
    println!("NATRIUM_KILL_SEED={seed}");
    let mut rng = seed;
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().join("stream");
    let started = Instant::now();
    let mut worst_loss_ms = 0.0f64;
    let mut kills = 0;
    while kills < KILLS && started.elapsed() < TEST_TIME_MAX {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let (stored, killed_at) = run_and_kill(&dir, 100 + rng % 5000);
        kills += 1;
        let store = FileStore::open(
            Arc::new(RealStorage::new()),
            &dir,
            FileStoreOptions {
                block_bytes_max: 16 * 1024,
                ..FileStoreOptions::default()
            },
            StoreConfig::default(),
        )
        .expect("reopen");
        let state = store.state();
        assert_eq!(
            state.msgs, state.last_seq,
            "round {kills}: a hole: {state:?}"
        );
        for seq in 1..=state.last_seq {
            let msg = store.load(seq).expect("a surviving message loads");
            assert_eq!(msg.payload, payload(seq).as_bytes(), "round {kills}: {seq}");
        }
        let window_ns = (FLUSH_INTERVAL_MS + SCHEDULING_SLACK_MS) * 1_000_000;
        for &(seq, acked_ns) in &stored {
            if seq > state.last_seq {
                let age_ms = killed_at.saturating_sub(acked_ns) as f64 / 1e6;
                worst_loss_ms = worst_loss_ms.max(age_ms);
                assert!(
                    acked_ns + window_ns > killed_at,
                    "round {kills}: {seq} stored {age_ms:.1} ms before the kill was lost"
                );
            }
        }
        drop(store);
    }
    println!("{kills} kills; oldest lost message was stored {worst_loss_ms:.1} ms before its kill");
    assert!(kills >= 5, "only {kills} kills fit in the time budget");
}
