//! Helpers the `monitor_*` scenarios share: finding a connection in `/connz` and waiting for
//! a closed one to be recorded.
#![allow(dead_code, reason = "each scenario file uses a subset of the helpers")]

use std::time::{Duration, Instant};

use natrium_tests::http_json;
use serde_json::Value;

/// How long a closed connection may take to show up in `/connz?state=closed`.
pub const CLOSED_WAIT: Duration = Duration::from_secs(10);

/// Interval between `/connz` polls. Monitoring pushes nothing a test could await, and the
/// server records a close after reading the client's EOF, which no client event reports.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// The cid of the open connection named `name`.
pub fn cid_of(monitor: u16, name: &str) -> u64 {
    let connz = http_json(monitor, "/connz");
    let connections = connz["connections"].as_array().expect("connections");
    connections
        .iter()
        .find(|connection| connection["name"] == name)
        .and_then(|connection| connection["cid"].as_u64())
        .unwrap_or_else(|| panic!("no open connection named {name}: {connz}"))
}

/// Waits until connection `cid` is listed under `state=closed`; returns its entry, fetched
/// with `extra` query parameters (`&auth=1`, `&subs=detail`). Async, so that a dropped
/// client's connection task gets to run and close its socket meanwhile.
pub async fn wait_closed(monitor: u16, cid: u64, extra: &str) -> Value {
    let deadline = Instant::now() + CLOSED_WAIT;
    let path = format!("/connz?state=closed&cid={cid}{extra}");
    loop {
        let connz = http_json(monitor, &path);
        if connz["num_connections"] == 1 {
            return connz["connections"][0].clone();
        }
        assert!(
            Instant::now() < deadline,
            "connection {cid} never listed as closed: {connz}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// The `field` of each listed connection, in order, for `path`.
pub fn column(monitor: u16, path: &str, field: &str) -> Vec<Value> {
    let connz = http_json(monitor, path);
    connz["connections"]
        .as_array()
        .unwrap_or_else(|| panic!("connections in {connz}"))
        .iter()
        .map(|connection| connection[field].clone())
        .collect()
}

/// Waits until `/connz?state=closed` lists `count` connections.
pub async fn wait_closed_count(monitor: u16, count: usize) {
    let deadline = Instant::now() + CLOSED_WAIT;
    loop {
        let connz = http_json(monitor, "/connz?state=closed");
        if connz["total"] == count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never {count} closed connections: {connz}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Connects raw, sends `bytes`, and reads until the server closes the connection; returns
/// what it sent. The server records a closed connection before it closes the socket.
pub fn raw_until_closed(port: u16, bytes: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("raw connect");
    stream
        .set_read_timeout(Some(CLOSED_WAIT))
        .expect("read timeout");
    stream.write_all(bytes).expect("send");
    let mut received = Vec::new();
    // Bounded: a server that never closes fails the test at the read timeout.
    stream
        .take(1024 * 1024)
        .read_to_end(&mut received)
        .expect("read until the server closes");
    String::from_utf8_lossy(&received).into_owned()
}

/// A Go duration as `/connz` prints an RTT (`850ns`, `466µs`, `1.5ms`, `2s`).
pub fn parse_go_duration(text: &str) -> Duration {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or_else(|| panic!("unit in {text:?}"));
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .unwrap_or_else(|_| panic!("number in {text:?}"));
    let scale = match unit {
        "ns" => 1e-9,
        "µs" | "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        _ => panic!("unit {unit:?} in {text:?}"),
    };
    Duration::from_secs_f64(number * scale)
}
