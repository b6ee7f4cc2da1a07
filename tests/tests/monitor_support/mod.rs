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
