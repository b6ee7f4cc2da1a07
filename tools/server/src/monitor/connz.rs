//! `/connz`: open client connections, with nats-server's `Connz`/`ConnInfo` field names,
//! its `state` filter (closed connections are not kept, so `state=closed` lists none),
//! its sort options (only `cid` and `start` ascend; the others descend, `uptime` ascends as
//! in Go), and its paging (`offset`, `limit` defaulting to 1024).

use std::cmp::Reverse;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use natrium_router::ClientSnapshot;
use serde::Serialize;

use super::{BadRequest, MonitorState, Params, json_response, query_bool, query_int};
use crate::timefmt;

/// The page size when `limit` is absent or not positive, as in nats-server.
const CONNECTION_LIST_SIZE_DEFAULT: i64 = 1024;

#[derive(Serialize)]
struct Connz {
    server_id: String,
    now: String,
    num_connections: usize,
    total: usize,
    offset: i64,
    limit: i64,
    connections: Vec<ConnInfo>,
}

#[derive(Serialize)]
struct ConnInfo {
    cid: u64,
    #[serde(skip_serializing_if = "str::is_empty")]
    kind: &'static str,
    #[serde(rename = "type", skip_serializing_if = "str::is_empty")]
    client_type: &'static str,
    ip: String,
    port: u16,
    start: String,
    last_activity: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    rtt: String,
    uptime: String,
    idle: String,
    pending_bytes: u64,
    in_msgs: u64,
    out_msgs: u64,
    in_bytes: u64,
    out_bytes: u64,
    subscriptions: u32,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    lang: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    tls_version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    authorized_user: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subscriptions_list: Vec<String>,
}

/// nats-server's `/connz` sort options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Cid,
    Subs,
    Pending,
    MsgsTo,
    MsgsFrom,
    BytesTo,
    BytesFrom,
    Last,
    Idle,
    Uptime,
    Rtt,
}

impl SortBy {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "" | "cid" | "start" => Self::Cid,
            "subs" => Self::Subs,
            "pending" => Self::Pending,
            "msgs_to" => Self::MsgsTo,
            "msgs_from" => Self::MsgsFrom,
            "bytes_to" => Self::BytesTo,
            "bytes_from" => Self::BytesFrom,
            "last" => Self::Last,
            "idle" => Self::Idle,
            "uptime" => Self::Uptime,
            "rtt" => Self::Rtt,
            _ => return None,
        })
    }
}

/// The decoded query.
struct ConnzQuery {
    sort: SortBy,
    subscriptions: bool,
    auth: bool,
    offset: i64,
    limit: i64,
    cid: u64,
    /// `state=closed`: natrium keeps no closed connections, so the list is empty.
    closed_only: bool,
}

/// Go's `state` parameter: `open` (default), `closed`, `any`/`all`.
fn decode_closed_only(params: &Params) -> Result<bool, BadRequest> {
    let text = params.get("state").map_or("", String::as_str);
    match text.to_ascii_lowercase().as_str() {
        "" | "open" | "any" | "all" => Ok(false),
        "closed" => Ok(true),
        _ => Err(BadRequest(format!("Error decoding state for {text}"))),
    }
}

fn decode(params: &Params) -> Result<ConnzQuery, BadRequest> {
    let sort_text = params.get("sort").map_or("", String::as_str);
    let Some(sort) = SortBy::parse(sort_text) else {
        return Err(BadRequest(format!("invalid sorting option: {sort_text}")));
    };
    let subscriptions = match params.get("subs").map(String::as_str) {
        Some(text) if text.eq_ignore_ascii_case("detail") => true,
        _ => query_bool(params, "subs")?,
    };
    let limit = query_int(params, "limit")?;
    Ok(ConnzQuery {
        sort,
        subscriptions,
        auth: query_bool(params, "auth")?,
        offset: query_int(params, "offset")?.max(0),
        limit: if limit > 0 {
            limit
        } else {
            CONNECTION_LIST_SIZE_DEFAULT
        },
        cid: u64::try_from(query_int(params, "cid")?).unwrap_or(0),
        closed_only: decode_closed_only(params)?,
    })
}

pub(super) async fn handle(State(state): State<Arc<MonitorState>>, params: Params) -> Response {
    state.count_request("/connz");
    let mut query = match decode(&params) {
        Ok(query) => query,
        Err(bad) => return bad.into_response(),
    };
    let now = SystemTime::now();
    let mut snapshots = state.broker.clients().snapshots(query.subscriptions);
    if query.closed_only {
        snapshots.clear();
    }
    if query.cid > 0 {
        snapshots.retain(|snapshot| snapshot.cid == query.cid);
        query.limit = 1;
    }
    sort(&mut snapshots, query.sort, now);
    let total = snapshots.len();
    let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let connections: Vec<ConnInfo> = snapshots
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|snapshot| conn_info(snapshot, now, query.auth))
        .collect();
    json_response(&Connz {
        server_id: state.description().server_id,
        now: timefmt::rfc3339(now),
        num_connections: connections.len(),
        total,
        offset: query.offset,
        limit: query.limit,
        connections,
    })
}

fn since(now: SystemTime, then: Option<SystemTime>) -> Duration {
    then.and_then(|then| now.duration_since(then).ok())
        .unwrap_or_default()
}

fn sort(snapshots: &mut [ClientSnapshot], by: SortBy, now: SystemTime) {
    match by {
        SortBy::Cid => snapshots.sort_by_key(|s| s.cid),
        SortBy::Subs => snapshots.sort_by_key(|s| Reverse(s.subscriptions)),
        SortBy::Pending => snapshots.sort_by_key(|s| Reverse(s.pending_bytes)),
        SortBy::MsgsTo => snapshots.sort_by_key(|s| Reverse(s.out_msgs)),
        SortBy::MsgsFrom => snapshots.sort_by_key(|s| Reverse(s.in_msgs)),
        SortBy::BytesTo => snapshots.sort_by_key(|s| Reverse(s.out_bytes)),
        SortBy::BytesFrom => snapshots.sort_by_key(|s| Reverse(s.in_bytes)),
        SortBy::Last => snapshots.sort_by_key(|s| Reverse(s.last_activity)),
        SortBy::Idle => snapshots.sort_by_key(|s| Reverse(since(now, s.last_activity))),
        SortBy::Uptime => snapshots.sort_by_key(|s| since(now, s.start)),
        SortBy::Rtt => snapshots.sort_by_key(|s| Reverse(s.rtt_nanos)),
    }
}

fn conn_info(snapshot: ClientSnapshot, now: SystemTime, auth: bool) -> ConnInfo {
    let start = snapshot.start.unwrap_or(now);
    let last_activity = snapshot.last_activity.unwrap_or(start);
    ConnInfo {
        cid: snapshot.cid,
        kind: snapshot.kind,
        client_type: snapshot.client_type,
        ip: snapshot
            .remote
            .map(|remote| remote.ip().to_string())
            .unwrap_or_default(),
        port: snapshot.remote.map_or(0, |remote| remote.port()),
        start: timefmt::rfc3339(start),
        last_activity: timefmt::rfc3339(last_activity),
        rtt: if snapshot.rtt_nanos == 0 {
            String::new()
        } else {
            timefmt::go_duration(Duration::from_nanos(snapshot.rtt_nanos))
        },
        uptime: timefmt::uptime(since(now, Some(start))),
        idle: timefmt::uptime(since(now, Some(last_activity))),
        pending_bytes: snapshot.pending_bytes,
        in_msgs: snapshot.in_msgs,
        out_msgs: snapshot.out_msgs,
        in_bytes: snapshot.in_bytes,
        out_bytes: snapshot.out_bytes,
        subscriptions: snapshot.subscriptions,
        name: snapshot.name,
        lang: snapshot.lang,
        version: snapshot.version,
        tls_version: snapshot.tls_version,
        // As in nats-server, user names are shown only when asked for (`auth=1`).
        authorized_user: if auth {
            snapshot.authorized_user
        } else {
            String::new()
        },
        subscriptions_list: snapshot.subscriptions_list,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(cid: u64, subscriptions: u32, out_msgs: u64) -> ClientSnapshot {
        ClientSnapshot {
            cid,
            subscriptions,
            out_msgs,
            ..ClientSnapshot::default()
        }
    }

    #[test]
    fn sort_orders() {
        let now = SystemTime::now();
        let mut clients = vec![client(2, 5, 1), client(1, 1, 9), client(3, 3, 4)];
        sort(&mut clients, SortBy::Cid, now);
        assert_eq!(clients.iter().map(|c| c.cid).collect::<Vec<_>>(), [1, 2, 3]);
        sort(&mut clients, SortBy::Subs, now);
        assert_eq!(clients.iter().map(|c| c.cid).collect::<Vec<_>>(), [2, 3, 1]);
        sort(&mut clients, SortBy::MsgsTo, now);
        assert_eq!(clients.iter().map(|c| c.cid).collect::<Vec<_>>(), [1, 3, 2]);
        assert_eq!(SortBy::parse("start"), Some(SortBy::Cid));
        assert_eq!(SortBy::parse("bogus"), None);
    }

    #[test]
    fn connection_fields() {
        let now = SystemTime::now();
        let mut snapshot = client(7, 2, 0);
        snapshot.remote = Some("127.0.0.1:5555".parse().expect("address"));
        snapshot.start = Some(now - Duration::from_secs(61));
        snapshot.rtt_nanos = 1_500_000;
        snapshot.authorized_user = "alice".into();
        let json = serde_json::to_value(conn_info(snapshot.clone(), now, false)).expect("json");
        assert_eq!(json["cid"], 7);
        assert_eq!(json["ip"], "127.0.0.1");
        assert_eq!(json["port"], 5555);
        assert_eq!(json["uptime"], "1m1s");
        assert_eq!(json["rtt"], "1.5ms");
        assert!(json.get("authorized_user").is_none());
        let json = serde_json::to_value(conn_info(snapshot, now, true)).expect("json");
        assert_eq!(json["authorized_user"], "alice");
    }
}
