//! Kill test: a real child process (`store-append-child`, src/bin) appends with
//! `sync: always` to a FileStore on real files and prints each acknowledged sequence; the test
//! SIGKILLs it at random moments, 20 times on the same directory, and after each kill reopens
//! the store and checks that every acknowledged message is there with its exact payload and
//! that nothing was invented. The seed is printed; set NATRIUM_KILL_SEED to replay one run.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::RealStorage;
use natrium_store::{StoreConfig, StreamStore};

const KILLS: u32 = 20;
/// Upper bound on the whole test's wall time (house rule: a test stays under 10 s).
const TEST_TIME_MAX: Duration = Duration::from_secs(8);

fn payload(seq: u64) -> String {
    format!("kill-test payload {seq:>12}")
}

/// The sequence of a `SEQ TS_NS` line.
fn sequence_of(line: &str) -> u64 {
    let first = line.split_whitespace().next().unwrap_or_default();
    first.parse().expect("a sequence")
}

/// xorshift64*: deterministic from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Runs the child until it has acknowledged `acks_before_kill` more messages (plus a random
/// few microseconds), kills it, and returns every sequence it acknowledged.
fn run_child_and_kill(dir: &Path, acks_before_kill: u64, extra_us: u64) -> Vec<u64> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_store-append-child"))
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn store-append-child");
    let stdout = child.stdout.take().expect("child stdout");
    let mut lines = BufReader::new(stdout).lines();
    let ready = lines.next().expect("child said nothing").expect("read");
    assert!(
        ready.starts_with("ready "),
        "unexpected first line {ready:?}"
    );
    let mut acked = Vec::new();
    while (acked.len() as u64) < acks_before_kill {
        match lines.next() {
            Some(Ok(line)) => acked.push(sequence_of(&line)),
            _ => break,
        }
    }
    // Let it run into the middle of its next write or fsync.
    let spin_until = Instant::now() + Duration::from_micros(extra_us);
    while Instant::now() < spin_until {
        std::hint::spin_loop();
    }
    child.kill().expect("SIGKILL the child");
    // Lines printed before the kill are acknowledged too: drain the pipe to EOF.
    for line in lines {
        match line {
            Ok(line) => acked.push(sequence_of(&line)),
            Err(_) => break,
        }
    }
    child.wait().expect("reap the child");
    acked
}

fn verify(dir: &Path, acked: &[u64], round: u32) -> u64 {
    let mut store = FileStore::open(
        Arc::new(RealStorage::new()),
        dir,
        FileStoreOptions {
            block_bytes_max: 16 * 1024,
            ..FileStoreOptions::default()
        },
        StoreConfig::default(),
    )
    .unwrap_or_else(|error| panic!("round {round}: reopen failed: {error}"));
    for &seq in acked {
        let msg = store
            .load(seq)
            .unwrap_or_else(|error| panic!("round {round}: acknowledged {seq} lost: {error}"));
        assert_eq!(
            msg.payload,
            payload(seq).as_bytes(),
            "round {round}: seq {seq}"
        );
    }
    let state = store.state();
    assert_eq!(
        state.msgs, state.last_seq,
        "round {round}: no gaps expected: {state:?}"
    );
    for seq in 1..=state.last_seq {
        let msg = store
            .load(seq)
            .unwrap_or_else(|error| panic!("round {round}: {seq} unreadable: {error}"));
        assert_eq!(
            msg.payload,
            payload(seq).as_bytes(),
            "round {round}: invented {seq}"
        );
    }
    store.close().expect("close");
    state.last_seq
}

#[test]
fn sigkill_never_loses_an_acknowledged_message() {
    let seed = std::env::var("NATRIUM_KILL_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |elapsed| elapsed.as_nanos() as u64)
                | 1
        });
    println!("NATRIUM_KILL_SEED={seed}");
    let mut rng = Rng(seed);
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().join("stream");
    let started = Instant::now();
    let mut all_acked: Vec<u64> = Vec::new();
    let mut kills = 0;
    while kills < KILLS && started.elapsed() < TEST_TIME_MAX {
        let acks_before_kill = rng.next() % 40;
        let extra_us = rng.next() % 3000;
        let acked = run_child_and_kill(&dir, acks_before_kill, extra_us);
        kills += 1;
        all_acked.extend(&acked);
        let last_seq = verify(&dir, &all_acked, kills);
        assert!(
            all_acked.last().is_none_or(|&last| last <= last_seq),
            "round {kills}: last acknowledged beyond the stream"
        );
    }
    assert!(kills >= 5, "only {kills} kills fit in the time budget");
    assert!(
        !all_acked.is_empty(),
        "the child never acknowledged anything"
    );
}
