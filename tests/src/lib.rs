//! Integration tests: real clients against a real natrium process.
//!
//! This library is the harness the test files share: [`ServerProcess`] starts the `natrium`
//! binary on a random loopback port, learns the ports from its log lines, and kills it (by its
//! PID) when dropped; [`http_get`] fetches a monitoring endpoint over a plain `TcpStream`.
//!
//! The binary is `$NATRIUM_BIN`, else `<target>/debug/natrium` (`$CARGO_TARGET_DIR` or the
//! workspace's `target/`). When it is missing, or older than a source file of the server or
//! of the crates it is built from, it is built once per test process with
//! `cargo build -p natrium-server --bin natrium`.
//!
//! Debugging: `NATRIUM_TEST_LOG=1` echoes the server's log, `NATRIUM_TEST_ARGS="-DV"` adds
//! flags to every server started.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod child;
pub mod tls;
pub mod websocket;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a server may take to print its ready lines (debug build, loaded 2-core box).
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(8);
/// The log line that carries the client port; tools and these tests read it.
pub const LISTENING_LINE: &str = "Listening for client connections on ";
/// The log line that carries the monitoring port.
pub const MONITOR_LINE: &str = "Starting http monitor on ";
/// Log lines kept per server, at most; a runaway log cannot exhaust the test's memory.
const LOG_LINES_MAX: usize = 100_000;
/// Largest HTTP response [`http_get`] reads.
const HTTP_RESPONSE_BYTES_MAX: u64 = 16 * 1024 * 1024;

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Directories (and files) whose changes make the `natrium` binary stale: the server and the
/// workspace crates it is built from.
const SERVER_SOURCES: &[&str] = &[
    "Cargo.lock",
    "tools/server",
    "tools/config",
    "frontends",
    "engine",
];
/// Files looked at when checking freshness, at most (the walk is bounded).
const SOURCE_FILES_MAX: usize = 10_000;

/// The newest modification time under `path` (recursively), or `None` when nothing is there.
fn newest_mtime(path: &Path, budget: &mut usize) -> Option<std::time::SystemTime> {
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_dir() {
        *budget = budget.saturating_sub(1);
        return metadata.modified().ok();
    }
    let mut newest = None;
    for entry in std::fs::read_dir(path).ok()?.flatten() {
        if *budget == 0 {
            break;
        }
        if entry.file_name() == "target" {
            continue;
        }
        newest = newest.max(newest_mtime(&entry.path(), budget));
    }
    newest
}

/// True when the binary is missing or older than any of the server's sources.
fn binary_is_stale(binary: &Path) -> bool {
    let Some(built) = std::fs::metadata(binary)
        .and_then(|meta| meta.modified())
        .ok()
    else {
        return true;
    };
    let root = workspace_root();
    let mut budget = SOURCE_FILES_MAX;
    SERVER_SOURCES
        .iter()
        .filter_map(|source| newest_mtime(&root.join(source), &mut budget))
        .any(|changed| changed > built)
}

/// The `natrium` binary; built (once per test process) when missing or older than its
/// sources.
pub fn natrium_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("NATRIUM_BIN") {
            return PathBuf::from(path);
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map(|dir| {
                if dir.is_absolute() {
                    dir
                } else {
                    workspace_root().join(dir)
                }
            })
            .unwrap_or_else(|| workspace_root().join("target"));
        let binary = target.join("debug").join("natrium");
        if binary_is_stale(&binary) {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "-p", "natrium-server", "--bin", "natrium"])
                .current_dir(workspace_root())
                .status()
                .expect("run cargo build for the natrium binary");
            assert!(status.success(), "cargo build -p natrium-server failed");
        }
        binary
    })
}

/// Log lines collected from a server's stderr, with a condition variable to wait on.
#[derive(Default)]
struct LogBook {
    lines: Mutex<Vec<String>>,
    changed: Condvar,
}

/// A running `natrium` process.
pub struct ServerProcess {
    child: Child,
    log: Arc<LogBook>,
    /// The client port read from the `Listening for client connections on` line.
    pub port: u16,
    /// The monitoring port, when `-m` or `http_port` enabled it.
    pub monitor_port: Option<u16>,
    /// The temporary directory holding the config file and the JetStream store.
    pub dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `natrium -a 127.0.0.1 -p -1 -sd <tmp> ARGS` and waits until it is ready.
    pub fn start(args: &[&str]) -> Self {
        Self::start_in(tempfile::tempdir().expect("temp dir"), args)
    }

    /// Like [`ServerProcess::start`] with a configuration file holding `config` (`-c`).
    pub fn start_with_config(config: &str, args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("natrium.conf");
        std::fs::write(&path, config).expect("write config");
        let path = path.to_str().expect("utf-8 temp path").to_owned();
        let mut all = vec!["-c", path.as_str()];
        all.extend_from_slice(args);
        Self::start_in(dir, &all)
    }

    fn start_in(dir: tempfile::TempDir, args: &[&str]) -> Self {
        let store = dir.path().join("jetstream");
        let store = store.to_str().expect("utf-8 temp path").to_owned();
        let mut command = Command::new(natrium_binary());
        command.args(["-a", "127.0.0.1", "-sd", &store]);
        if !args
            .iter()
            .any(|arg| matches!(*arg, "-p" | "--port" | "-port"))
        {
            command.args(["-p", "-1"]);
        }
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn natrium");
        let (log, _reader) = collect_log(&mut child);
        let mut server = Self {
            child,
            log,
            port: 0,
            monitor_port: None,
            dir,
        };
        let Some(line) = server.wait_for_log(LISTENING_LINE, STARTUP_TIMEOUT) else {
            panic!("natrium did not start; log:\n{}", server.log_text());
        };
        server.port = port_after(&line, LISTENING_LINE).expect("port in the listening line");
        server.monitor_port = server
            .log_lines()
            .iter()
            .find_map(|line| port_after(line, MONITOR_LINE));
        assert!(
            server
                .wait_for_log("Server is ready", STARTUP_TIMEOUT)
                .is_some(),
            "natrium never became ready; log:\n{}",
            server.log_text()
        );
        server
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every log line so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lines.lock().expect("log lock").clone()
    }

    /// The log so far, one string (for assertion messages).
    pub fn log_text(&self) -> String {
        self.log_lines().join("\n")
    }

    /// Waits until a log line contains `needle`; returns that line.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> Option<String> {
        wait_for_line(&self.log, needle, timeout)
    }

    /// Sends a `--signal` command (`ldm`, `term`, `quit`, `reload`, `reopen`) to this server
    /// through the binary's own `--signal CMD=PID`.
    pub fn send_signal(&self, command: &str) {
        let status = Command::new(natrium_binary())
            .args(["--signal", &format!("{command}={}", self.pid())])
            .status()
            .expect("run natrium --signal");
        assert!(status.success(), "natrium --signal {command} failed");
    }

    /// Waits for the process to exit on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            // A child's exit has no portable awaitable event in std; poll at a short interval.
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        // The child may have exited already; either way it is reaped below.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts a thread that reads the child's stderr into a [`LogBook`]; the thread ends when the
/// child closes its stderr (at exit).
fn collect_log(child: &mut Child) -> (Arc<LogBook>, std::thread::JoinHandle<()>) {
    let log = Arc::new(LogBook::default());
    let stderr = child.stderr.take().expect("piped stderr");
    let book = Arc::clone(&log);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if std::env::var_os("NATRIUM_TEST_LOG").is_some() {
                eprintln!("{line}");
            }
            let mut lines = book.lines.lock().expect("log lock");
            if lines.len() < LOG_LINES_MAX {
                lines.push(line);
            }
            book.changed.notify_all();
        }
    });
    (log, reader)
}

fn wait_for_line(log: &LogBook, needle: &str, timeout: Duration) -> Option<String> {
    let deadline = Instant::now() + timeout;
    let mut lines = log.lines.lock().expect("log lock");
    loop {
        if let Some(line) = lines.iter().find(|line| line.contains(needle)) {
            return Some(line.clone());
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        lines = log.changed.wait_timeout(lines, left).expect("log lock").0;
    }
}

/// The port at the end of `HOST:PORT` after `marker` in `line`.
fn port_after(line: &str, marker: &str) -> Option<u16> {
    let (_, rest) = line.split_once(marker)?;
    rest.trim().rsplit(':').next()?.parse().ok()
}

/// How long [`run_binary`] lets a command that should exit by itself run.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(8);

/// Runs the binary with `args` to completion; returns its exit status and stderr. A binary
/// still running after [`RUN_TIMEOUT`] (a server that started when it should have refused)
/// is killed and the test fails, rather than hanging.
pub fn run_binary(args: &[&str]) -> (ExitStatus, String) {
    let mut child = Command::new(natrium_binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run natrium");
    let (log, reader) = collect_log(&mut child);
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let lines = log.lines.lock().expect("log lock").join("\n");
            panic!("natrium {args:?} did not exit within {RUN_TIMEOUT:?}; stderr:\n{lines}");
        }
        // A child's exit has no portable awaitable event in std; poll at a short interval.
        std::thread::sleep(Duration::from_millis(20));
    };
    // The child has exited, so its stderr is closed and the reader finishes with every line.
    reader.join().expect("stderr reader");
    let stderr = log.lines.lock().expect("log lock").join("\n");
    (status, stderr)
}

/// Sends a `$JS.API` request (any JSON body, or empty) and parses the JSON answer; panics when
/// no answer comes within 5 seconds or it is not JSON.
pub async fn js_request(
    client: &async_nats::Client,
    subject: &str,
    body: &str,
) -> serde_json::Value {
    let reply = tokio::time::timeout(
        Duration::from_secs(5),
        client.request(subject.to_owned(), body.to_owned().into()),
    )
    .await
    .expect("in time")
    .expect("request");
    serde_json::from_slice(&reply.payload).expect("JSON")
}

/// Waits until the server has processed everything `client` sent before this call.
///
/// `Client::flush` only flushes the client's socket; it is not a round trip. A request to a
/// subject nobody serves is: the server answers it with a "no responders" status on the same
/// connection, after every earlier SUB and PUB of that connection took effect. It works for
/// `no_echo` clients too.
pub async fn barrier(client: &async_nats::Client) {
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        client.request("natrium.tests.barrier", bytes::Bytes::new()),
    )
    .await
    .expect("barrier round trip in time");
    match answer {
        Err(error) if error.kind() == async_nats::RequestErrorKind::NoResponders => {}
        other => panic!("barrier expected no responders, got {other:?}"),
    }
}

/// `options` with an event callback that forwards every client event (connected,
/// disconnected, lame duck, server errors...) to the returned channel, so a test can await
/// the event it expects instead of sleeping.
pub fn with_events(
    options: async_nats::ConnectOptions,
) -> (
    async_nats::ConnectOptions,
    tokio::sync::mpsc::UnboundedReceiver<async_nats::Event>,
) {
    let (sender, events) = tokio::sync::mpsc::unbounded_channel();
    let options = options.event_callback(move |event| {
        let sender = sender.clone();
        async move {
            // The test may have stopped listening; a dropped event is then of no interest.
            let _ = sender.send(event);
        }
    });
    (options, events)
}

/// A raw HTTP/1.0 GET on loopback; returns the status code and the body.
pub fn http_get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to monitor");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("send request");
    let mut response = String::new();
    stream
        .take(HTTP_RESPONSE_BYTES_MAX)
        .read_to_string(&mut response)
        .expect("read response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("header/body separator");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status code");
    (status, body.to_owned())
}

/// [`http_get`] of a JSON endpoint, parsed; panics unless the status is 200.
pub fn http_json(port: u16, path: &str) -> serde_json::Value {
    let (status, body) = http_get(port, path);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).expect("JSON body")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_from_log_lines() {
        let line = "[12] 2026/11/22 04:26:45.123456 [INF] Listening for client connections on \
                    127.0.0.1:40001";
        assert_eq!(port_after(line, LISTENING_LINE), Some(40001));
        let line = "[12] ... [INF] Starting http monitor on [::1]:8222";
        assert_eq!(port_after(line, MONITOR_LINE), Some(8222));
        assert_eq!(port_after("nothing here", LISTENING_LINE), None);
    }

    #[test]
    fn newest_mtime_walks_directories_within_budget() {
        let dir = tempfile::tempdir().expect("temp dir");
        let nested = dir.path().join("a").join("b");
        std::fs::create_dir_all(&nested).expect("dirs");
        std::fs::write(nested.join("file.rs"), "x").expect("write");
        let file_time = std::fs::metadata(nested.join("file.rs"))
            .and_then(|meta| meta.modified())
            .expect("mtime");
        let mut budget = 10;
        assert_eq!(newest_mtime(dir.path(), &mut budget), Some(file_time));
        assert_eq!(budget, 9, "one file visited");
        assert_eq!(newest_mtime(&dir.path().join("missing"), &mut budget), None);
        assert!(binary_is_stale(&dir.path().join("no-binary")));
    }

    #[test]
    fn waits_for_lines() {
        let log = LogBook::default();
        log.lines.lock().expect("lock").push("hello world".into());
        assert_eq!(
            wait_for_line(&log, "world", Duration::ZERO).as_deref(),
            Some("hello world")
        );
        assert!(wait_for_line(&log, "absent", Duration::from_millis(10)).is_none());
    }
}
