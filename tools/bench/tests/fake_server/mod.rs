//! A tiny in-process NATS server for natrium-bench's own tests: exact-subject and
//! single-token `*`-suffix matching, queue groups (round robin), `PING`/`PONG`, and an
//! optional fault (drop every Nth delivery) to prove that the bench reports loss.
//! It is deliberately naive; the bench is tested, not this.

#![allow(dead_code, clippy::unwrap_used)] // Test support: a panic here fails the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// Largest payload accepted, as announced in `INFO`.
const PAYLOAD_BYTES_MAX: usize = 1024 * 1024;

/// One subscription: its pattern, queue group, sid and the subscriber's socket.
struct Subscription {
    pattern: String,
    queue: Option<String>,
    sid: String,
    out: Arc<Mutex<TcpStream>>,
}

/// Shared state of the fake server.
#[derive(Default)]
struct State {
    subscriptions: Mutex<Vec<Subscription>>,
    deliveries: AtomicU64,
    round_robin: AtomicU64,
    drop_every: u64,
}

/// A running fake server; its threads end with the test process.
pub struct FakeServer {
    pub url: String,
}

impl FakeServer {
    /// Starts on a free loopback port; `drop_every` > 0 drops every Nth delivery.
    pub fn start(drop_every: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("nats://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            drop_every,
            ..State::default()
        });
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&state);
                thread::spawn(move || serve(stream, &state));
            }
        });
        Self { url }
    }
}

fn serve(stream: TcpStream, state: &State) {
    stream.set_nodelay(true).unwrap();
    let out = Arc::new(Mutex::new(stream.try_clone().unwrap()));
    out.lock()
        .unwrap()
        .write_all(b"INFO {\"server_id\":\"fake\",\"max_payload\":1048576,\"headers\":true}\r\n")
        .unwrap();
    let mut reader = BufReader::with_capacity(256 * 1024, stream);
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 {
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        line.clear();
        match words.first().map(String::as_str) {
            Some("PING") => out.lock().unwrap().write_all(b"PONG\r\n").unwrap(),
            Some("SUB") => subscribe(&words, &out, state),
            Some("PUB") => {
                let len: usize = words.last().unwrap().parse().unwrap();
                if len > PAYLOAD_BYTES_MAX {
                    // Like the Go server, answer -ERR; then swallow the rest (no RST, so the
                    // client surely reads the -ERR).
                    let error = b"-ERR 'Maximum Payload Violation'\r\n";
                    out.lock().unwrap().write_all(error).unwrap();
                    let _ = std::io::copy(&mut reader, &mut std::io::sink());
                    return;
                }
                let mut payload = vec![0; len + 2];
                if reader.read_exact(&mut payload).is_err() {
                    return;
                }
                let reply = (words.len() == 4).then(|| words[2].clone());
                publish(&words[1], reply.as_deref(), &payload[..len], state);
            }
            _ => {}
        }
    }
}

fn subscribe(words: &[String], out: &Arc<Mutex<TcpStream>>, state: &State) {
    let (queue, sid) = match words.len() {
        4 => (Some(words[2].clone()), words[3].clone()),
        _ => (None, words[2].clone()),
    };
    state.subscriptions.lock().unwrap().push(Subscription {
        pattern: words[1].clone(),
        queue,
        sid,
        out: Arc::clone(out),
    });
}

fn matches(pattern: &str, subject: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => subject
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.contains('.')),
        None => pattern == subject,
    }
}

fn publish(subject: &str, reply: Option<&str>, payload: &[u8], state: &State) {
    let subscriptions = state.subscriptions.lock().unwrap();
    let matching: Vec<&Subscription> = subscriptions
        .iter()
        .filter(|sub| matches(&sub.pattern, subject))
        .collect();
    let plain = matching.iter().filter(|sub| sub.queue.is_none());
    let grouped: Vec<&&Subscription> = matching.iter().filter(|sub| sub.queue.is_some()).collect();
    let picked = (!grouped.is_empty()).then(|| {
        let turn = state.round_robin.fetch_add(1, Ordering::Relaxed) as usize;
        grouped[turn % grouped.len()]
    });
    for sub in plain.chain(picked) {
        let count = state.deliveries.fetch_add(1, Ordering::Relaxed) + 1;
        if state.drop_every > 0 && count.is_multiple_of(state.drop_every) {
            continue;
        }
        let mut frame = match reply {
            Some(reply) => format!("MSG {subject} {} {reply} {}\r\n", sub.sid, payload.len()),
            None => format!("MSG {subject} {} {}\r\n", sub.sid, payload.len()),
        }
        .into_bytes();
        frame.extend_from_slice(payload);
        frame.extend_from_slice(b"\r\n");
        let _ = sub.out.lock().unwrap().write_all(&frame);
    }
}

/// Runs the natrium-bench binary with `args` plus `--url <url> --json`.
pub fn run_bench(url: &str, args: &[&str]) -> (Output, serde_json::Value) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_natrium-bench"))
        .args(args)
        .args(["--url", url, "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|error| panic!("bad JSON ({error}): {stdout} / {stderr}"));
    (output, report)
}
