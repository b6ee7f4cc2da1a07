//! `/varz`: general server information and counters, with nats-server's `Varz` field names.
//! Durations are integer nanoseconds (Go's `time.Duration` in JSON), timeouts are float
//! seconds, times are RFC 3339 UTC.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::response::Response;
use natrium_router::ServerStats;
use serde::Serialize;

use super::{MonitorState, json_response, process};
use crate::timefmt;

/// The client protocol version (`proto`), as nats-server reports it.
const PROTOCOL_VERSION: u32 = 1;

/// Empty sub-objects for the features natrium does not run yet (cluster, gateway, ...).
#[derive(Serialize, Default)]
struct Empty {}

/// Go's `SlowConsumersStats` and `StaleConnectionStats`: counts by connection kind (natrium
/// has clients only).
#[derive(Serialize, Default)]
struct KindStats {
    clients: u64,
    routes: u64,
    gateways: u64,
    leafs: u64,
}

#[derive(Serialize)]
struct Varz {
    server_id: String,
    server_name: String,
    version: String,
    proto: u32,
    go: String,
    host: String,
    port: u16,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    auth_required: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    tls_required: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    tls_verify: bool,
    max_connections: u32,
    #[serde(skip_serializing_if = "is_zero")]
    max_subscriptions: u32,
    ping_interval: u64,
    ping_max: u32,
    http_host: String,
    http_port: u16,
    http_base_path: String,
    https_port: u16,
    #[serde(serialize_with = "go_float")]
    auth_timeout: f64,
    max_control_line: u32,
    max_payload: u32,
    max_pending: u64,
    cluster: Empty,
    gateway: Empty,
    leaf: Empty,
    mqtt: Empty,
    websocket: super::WebSocketDescription,
    jetstream: serde_json::Value,
    #[serde(serialize_with = "go_float")]
    tls_timeout: f64,
    write_deadline: u64,
    start: String,
    now: String,
    uptime: String,
    mem: u64,
    cores: usize,
    gomaxprocs: usize,
    cpu: f64,
    connections: u64,
    total_connections: u64,
    routes: u32,
    remotes: u32,
    leafnodes: u32,
    in_msgs: u64,
    in_bytes: u64,
    in_client_msgs: u64,
    in_client_bytes: u64,
    out_msgs: u64,
    out_bytes: u64,
    out_client_msgs: u64,
    out_client_bytes: u64,
    slow_consumers: u64,
    stale_connections: u64,
    stalled_clients: u64,
    subscriptions: u64,
    http_req_stats: BTreeMap<&'static str, u64>,
    config_load_time: String,
    config_digest: String,
    slow_consumer_stats: KindStats,
    stale_connection_stats: KindStats,
}

/// A float as Go's `encoding/json` writes it: a whole number without a fraction (`2`, not
/// `2.0`), so clients comparing the text see the same value.
fn go_float<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    // i64 holds every whole f64 of magnitude below 2^53 exactly; larger ones stay floats.
    const EXACT_MAX: f64 = 9_007_199_254_740_992.0;
    if value.fract() == 0.0 && value.abs() < EXACT_MAX {
        // Whole and below 2^53: the conversion is exact.
        return serializer.serialize_i64(*value as i64);
    }
    serializer.serialize_f64(*value)
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

pub(super) async fn handle(State(state): State<Arc<MonitorState>>) -> Response {
    state.count_request("/varz");
    json_response(&build(&state))
}

fn build(state: &MonitorState) -> Varz {
    let description = state.description();
    let stats = state.broker.stats();
    let now = SystemTime::now();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let in_msgs = ServerStats::get(&stats.in_msgs);
    let in_bytes = ServerStats::get(&stats.in_bytes);
    let out_msgs = ServerStats::get(&stats.out_msgs);
    let out_bytes = ServerStats::get(&stats.out_bytes);
    let slow_consumers = ServerStats::get(&stats.slow_consumers);
    let stale_connections = ServerStats::get(&stats.stale_connections);
    Varz {
        server_id: description.server_id,
        server_name: description.server_name,
        version: description.version,
        proto: PROTOCOL_VERSION,
        go: concat!("natrium ", env!("CARGO_PKG_VERSION")).to_owned(),
        host: description.host,
        port: description.port,
        auth_required: description.auth_required,
        tls_required: description.tls_required,
        tls_verify: description.tls_verify,
        max_connections: description.max_connections,
        max_subscriptions: description.max_subscriptions,
        ping_interval: nanos(description.ping_interval),
        ping_max: description.ping_max,
        http_host: description.http_host,
        http_port: description.http_port,
        http_base_path: String::new(),
        https_port: 0,
        auth_timeout: description.auth_timeout.as_secs_f64(),
        max_control_line: description.max_control_line,
        max_payload: description.max_payload,
        max_pending: description.max_pending,
        cluster: Empty {},
        gateway: Empty {},
        leaf: Empty {},
        mqtt: Empty {},
        websocket: description.websocket.unwrap_or_default(),
        jetstream: state
            .jetstream
            .as_ref()
            .map_or_else(|| serde_json::json!({}), |jetstream| jetstream.varz()),
        tls_timeout: description.tls_timeout.as_secs_f64(),
        write_deadline: nanos(description.write_deadline),
        start: timefmt::rfc3339(state.start),
        now: timefmt::rfc3339(now),
        uptime: timefmt::uptime(now.duration_since(state.start).unwrap_or_default()),
        mem: process::resident_bytes(),
        cores,
        gomaxprocs: cores,
        cpu: state.cpu.lock().sample(),
        connections: ServerStats::get(&stats.connections),
        total_connections: ServerStats::get(&stats.total_connections),
        routes: 0,
        remotes: 0,
        leafnodes: 0,
        in_msgs,
        in_bytes,
        in_client_msgs: in_msgs,
        in_client_bytes: in_bytes,
        out_msgs,
        out_bytes,
        out_client_msgs: out_msgs,
        out_client_bytes: out_bytes,
        slow_consumers,
        stale_connections,
        stalled_clients: ServerStats::get(&stats.stalled_clients),
        subscriptions: state.broker.sublist().count() as u64,
        http_req_stats: state.requests.lock().clone(),
        config_load_time: timefmt::rfc3339(description.config_load_time.unwrap_or(state.start)),
        config_digest: String::new(),
        slow_consumer_stats: KindStats {
            clients: slow_consumers,
            ..Default::default()
        },
        stale_connection_stats: KindStats {
            clients: stale_connections,
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::ServerDescription;
    use natrium_router::Broker;

    #[test]
    fn fields_and_formats() {
        let broker = Broker::new();
        ServerStats::add(&broker.stats().in_msgs, 3);
        ServerStats::add(&broker.stats().total_connections, 2);
        let description = ServerDescription {
            server_id: "NID".into(),
            server_name: "srv".into(),
            port: 4222,
            ping_interval: Duration::from_secs(120),
            auth_timeout: Duration::from_secs(2),
            ..Default::default()
        };
        let start = SystemTime::now() - Duration::from_secs(62);
        let state = MonitorState::new(broker, description, start, None);
        let json = serde_json::to_value(build(&state)).expect("serializes");
        assert_eq!(json["server_id"], "NID");
        assert_eq!(json["server_name"], "srv");
        assert_eq!(json["port"], 4222);
        assert_eq!(json["proto"], 1);
        assert_eq!(json["ping_interval"], 120_000_000_000_u64);
        assert_eq!(json["auth_timeout"], 2.0);
        let text = serde_json::to_string(&build(&state)).expect("serializes");
        assert!(
            text.contains("\"auth_timeout\":2,"),
            "Go prints whole floats bare: {text}"
        );
        assert_eq!(json["stale_connection_stats"]["clients"], 0);
        assert_eq!(json["in_msgs"], 3);
        assert_eq!(json["total_connections"], 2);
        assert_eq!(json["uptime"], "1m2s");
        assert!(
            json.get("auth_required").is_none(),
            "omitted when false, as in Go"
        );
        assert!(json["mem"].as_u64().expect("mem") > 0);
        assert!(json["start"].as_str().expect("start").ends_with('Z'));
    }
}
