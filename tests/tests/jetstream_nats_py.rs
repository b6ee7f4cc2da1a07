//! JetStream through a second client library: nats-py, the Python NATS client, runs the
//! scenarios of tests/scripts/jetstream_nats_py.py against a real natrium process. One
//! scenario is a KV bucket (put/get, keys, watchers that see later changes); the other is a
//! durable pull consumer that fetches 50 messages in batches, in order, and acks them.
//!
//! The interpreter is the one of `target/python-venv`, made by scripts/python-env (pinned
//! nats-py). scripts/test runs that script before the tests; each test runs it again, which
//! is instant when the venv is ready and builds it when a plain `cargo test` finds none.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use natrium_tests::{ServerProcess, workspace_root};

/// How long scripts/python-env may take: an instant when the venv exists; creating it runs
/// pip against PyPI (and perhaps apt-get for python3-venv) on a slow machine.
const VENV_TIMEOUT: Duration = Duration::from_secs(600);
/// How long one scenario may run. The script bounds each await at 5 s and the scenario at
/// 20 s; this is the backstop for an interpreter that hangs outside its event loop.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(25);
/// Bytes kept of a child's stdout or stderr; the rest is read and dropped.
const OUTPUT_BYTES_MAX: u64 = 1024 * 1024;

/// What a finished child printed, and how it exited.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Reads all of `pipe` into a string (at most [`OUTPUT_BYTES_MAX`] kept) on a thread.
fn drain(pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut pipe = pipe;
        // A read error ends the output early; what was read is still worth showing.
        let _ = pipe.by_ref().take(OUTPUT_BYTES_MAX).read_to_end(&mut kept);
        let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        String::from_utf8_lossy(&kept).into_owned()
    })
}

/// Runs `command` to completion within `timeout`; kills it (by its PID) and fails the test
/// when it runs longer.
fn run_bounded(mut command: Command, timeout: Duration) -> Finished {
    let description = format!("{command:?}");
    let mut child: Child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("spawn {description}: {error}"));
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            // It may have exited just now; either way it is reaped here.
            let _ = child.kill();
            let _ = child.wait();
            let stdout = stdout.join().expect("stdout reader");
            let stderr = stderr.join().expect("stderr reader");
            panic!(
                "{description} did not finish within {timeout:?}\nstdout:\n{stdout}\n\
                 stderr:\n{stderr}"
            );
        }
        // A child's exit has no portable awaitable event in std; poll at a short interval.
        std::thread::sleep(Duration::from_millis(20));
    };
    Finished {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// The venv's interpreter, from the last line scripts/python-env prints (it creates the venv
/// when missing and does nothing otherwise).
fn python() -> PathBuf {
    let root = workspace_root();
    let mut command = Command::new(root.join("scripts").join("python-env"));
    command.current_dir(&root);
    let setup = run_bounded(command, VENV_TIMEOUT);
    assert!(
        setup.status.success(),
        "scripts/python-env failed ({}):\n{}",
        setup.status,
        setup.stderr
    );
    let interpreter = PathBuf::from(setup.stdout.lines().last().unwrap_or_default().trim());
    assert!(
        interpreter.is_file(),
        "scripts/python-env named no interpreter: {:?}\n{}",
        setup.stdout,
        setup.stderr
    );
    interpreter
}

/// Runs `scenario` of the nats-py script against a fresh natrium; asserts that it passed.
fn run_scenario(scenario: &str) {
    let python = python();
    let server = ServerProcess::start(&[]);
    let script = workspace_root()
        .join("tests")
        .join("scripts")
        .join("jetstream_nats_py.py");
    let mut command = Command::new(python);
    command
        .arg(&script)
        .arg(server.url())
        .arg(scenario)
        // No __pycache__ next to the checked-in script.
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let finished = run_bounded(command, SCENARIO_TIMEOUT);
    assert!(
        finished.status.success() && finished.stdout.trim() == format!("ok: {scenario}"),
        "nats-py scenario {scenario:?} failed ({})\nstdout:\n{}\nstderr:\n{}\nserver log:\n{}",
        finished.status,
        finished.stdout,
        finished.stderr,
        server.log_text()
    );
}

/// Bucket create, put/get, keys(), and `watchall` plus `watch(key)` that first replay the
/// latest entries and then see a put and a delete made after they started.
#[test]
fn kv_put_get_keys_and_watch() {
    run_scenario("kv");
}

/// A durable pull consumer fetches 50 acknowledged publishes in batches of 10, in order, acks
/// each, and its info then shows nothing pending and the ack floor at 50.
#[test]
fn durable_pull_consumer_fetches_fifty_in_order() {
    run_scenario("pull");
}
