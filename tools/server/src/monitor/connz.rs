//! `/connz`: client connections with nats-server's `Connz`/`ConnInfo` field names: open ones
//! (`state=open`, the default), recently closed ones kept by the broker's closed ring
//! (`state=closed`, with `stop` and `reason`), or both (`state=any`); one connection by
//! `cid`; those of one `user` or account (`acc`); user names on `auth=1`; subscriptions on
//! `subs=1` or `subs=detail`; Go's sort keys and rules (see [`sort`]); paging by `offset` and
//! `limit` (default 1024).

mod query;
mod sort;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use natrium_router::{ClientId, ClientSnapshot};
use serde::Serialize;

use super::subsz::{GLOBAL_ACCOUNT, SubDetail, is_zero};
use super::{MonitorState, Params, json_response};
use crate::timefmt;
use query::{ConnzQuery, StateFilter, Subscriptions};

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
    #[serde(skip_serializing_if = "Option::is_none")]
    stop: Option<String>,
    #[serde(skip_serializing_if = "str::is_empty")]
    reason: &'static str,
    rtt: String,
    uptime: String,
    idle: String,
    pending_bytes: u64,
    in_msgs: u64,
    out_msgs: u64,
    in_bytes: u64,
    out_bytes: u64,
    #[serde(skip_serializing_if = "is_zero")]
    stalls: u64,
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
    tls_cipher_suite: String,
    #[serde(skip_serializing_if = "is_false")]
    tls_first: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    authorized_user: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subscriptions_list: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subscriptions_list_detail: Vec<SubDetail>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

pub(super) async fn handle(State(state): State<Arc<MonitorState>>, params: Params) -> Response {
    state.count_request("/connz");
    let query = match query::decode(&params) {
        Ok(query) => query,
        Err(bad) => return bad.into_response(),
    };
    let now = SystemTime::now();
    let (total, mut clients) = gather(&state, &query);
    sort::sort(&mut clients, query.sort, now);
    let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let connections: Vec<ConnInfo> = clients
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|client| conn_info(client, now, &query))
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

/// The clients the query selects, and the `total` Go reports: every client in the asked-for
/// state and account, before the `cid` and `user` filters.
fn gather(state: &MonitorState, query: &ConnzQuery) -> (usize, Vec<ClientSnapshot>) {
    let registry = state.broker.clients();
    let with_subscriptions = query.subscriptions != Subscriptions::None;
    // natrium has only the global account. Go keeps no account name for a closed client of
    // the global account, so `acc=$G` selects open clients only, and an unknown account none.
    let account = query.account.as_deref();
    if account.is_some_and(|account| account != GLOBAL_ACCOUNT) {
        return (0, Vec::new());
    }
    let wants_open = query.state != StateFilter::Closed;
    let wants_closed = query.state != StateFilter::Open && account.is_none();
    let (total, mut clients) = if query.cid > 0 {
        let open_total = if wants_open { registry.len() } else { 0 };
        let closed_total = if wants_closed {
            registry.closed_len()
        } else {
            0
        };
        // An open connection first, then a closed one, as the Go server looks them up.
        let id = ClientId(query.cid);
        let open = wants_open
            .then(|| registry.snapshot(id, with_subscriptions))
            .flatten();
        let found = open.or_else(|| wants_closed.then(|| registry.closed_client(id)).flatten());
        (open_total + closed_total, found.into_iter().collect())
    } else {
        let (mut open, closed) = registry.listing(wants_open, wants_closed, with_subscriptions);
        open.extend(closed);
        (open.len(), open)
    };
    if let Some(user) = &query.user {
        clients.retain(|client| &client.authorized_user == user);
    }
    (total, clients)
}

fn since(later: SystemTime, earlier: SystemTime) -> Duration {
    later.duration_since(earlier).unwrap_or_default()
}

/// The RTT as Go prints it: to the microsecond below a millisecond, "0s" when not measured.
fn rtt_text(rtt_nanos: u64) -> String {
    let rtt = Duration::from_nanos(rtt_nanos);
    let shown = if rtt > Duration::from_micros(1) && rtt < Duration::from_millis(1) {
        Duration::from_micros(rtt_nanos / 1_000)
    } else {
        rtt
    };
    timefmt::go_duration(shown)
}

fn conn_info(client: ClientSnapshot, now: SystemTime, query: &ConnzQuery) -> ConnInfo {
    let start = client.start.unwrap_or(now);
    let last_activity = client.last_activity.unwrap_or(start);
    // A closed connection's uptime and idle time stopped when it closed.
    let end = client.stop.unwrap_or(now);
    let (subscriptions_list, subscriptions_list_detail) =
        subscription_lists(&client, query.subscriptions);
    ConnInfo {
        cid: client.cid,
        kind: client.kind,
        client_type: client.client_type,
        ip: client
            .remote
            .map(|remote| remote.ip().to_string())
            .unwrap_or_default(),
        port: client.remote.map_or(0, |remote| remote.port()),
        start: timefmt::rfc3339(start),
        last_activity: timefmt::rfc3339(last_activity),
        stop: client.stop.map(timefmt::rfc3339),
        reason: client.reason,
        rtt: rtt_text(client.rtt_nanos),
        uptime: timefmt::uptime(since(end, start)),
        idle: timefmt::uptime(since(end, last_activity)),
        pending_bytes: client.pending_bytes,
        in_msgs: client.in_msgs,
        out_msgs: client.out_msgs,
        in_bytes: client.in_bytes,
        out_bytes: client.out_bytes,
        stalls: client.stalls,
        subscriptions: client.subscriptions,
        name: client.name,
        lang: client.lang,
        version: client.version,
        tls_version: client.tls_version,
        tls_cipher_suite: client.tls_cipher_suite,
        tls_first: client.tls_first,
        // As in nats-server, user names are shown only when asked for (`auth=1`); there is
        // no `account` because natrium has only the global account, which Go leaves out.
        authorized_user: if query.auth {
            client.authorized_user
        } else {
            String::new()
        },
        subscriptions_list,
        subscriptions_list_detail,
    }
}

/// `subscriptions_list` (subjects) or `subscriptions_list_detail`, as asked for.
fn subscription_lists(
    client: &ClientSnapshot,
    wanted: Subscriptions,
) -> (Vec<String>, Vec<SubDetail>) {
    let details = client.subscriptions_detail.iter().cloned();
    match wanted {
        Subscriptions::None => (Vec::new(), Vec::new()),
        Subscriptions::Subjects => (details.map(|detail| detail.subject).collect(), Vec::new()),
        Subscriptions::Detail => {
            // Go names the account in a closed connection's details only.
            let account = if client.stop.is_some() {
                GLOBAL_ACCOUNT
            } else {
                ""
            };
            let cid = client.cid;
            let list = details
                .map(|detail| SubDetail::new(detail, cid, account))
                .collect();
            (Vec::new(), list)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(text: &str) -> ConnzQuery {
        let params: std::collections::BTreeMap<String, String> = text
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        query::decode(&axum::extract::Query(params)).unwrap_or_else(|_| panic!("{text}"))
    }

    #[test]
    fn connection_fields() {
        let now = SystemTime::now();
        let mut client = ClientSnapshot {
            cid: 7,
            remote: Some("127.0.0.1:5555".parse().expect("address")),
            start: Some(now - Duration::from_secs(61)),
            rtt_nanos: 1_500_000,
            authorized_user: "alice".into(),
            ..ClientSnapshot::default()
        };
        let json = serde_json::to_value(conn_info(client.clone(), now, &query("")));
        let json = json.expect("json");
        assert_eq!(json["cid"], 7);
        assert_eq!(json["ip"], "127.0.0.1");
        assert_eq!(json["port"], 5555);
        assert_eq!(json["uptime"], "1m1s");
        assert_eq!(json["rtt"], "1.5ms");
        assert!(json.get("authorized_user").is_none());
        assert!(json.get("stop").is_none());
        client.stop = Some(now - Duration::from_secs(1));
        client.reason = "Client Closed";
        let json = serde_json::to_value(conn_info(client, now, &query("auth=1"))).expect("json");
        assert_eq!(json["authorized_user"], "alice");
        assert_eq!(json["uptime"], "1m0s", "frozen at the stop time");
        assert_eq!(json["reason"], "Client Closed");
    }

    #[test]
    fn rtt_as_go_prints_it() {
        assert_eq!(rtt_text(0), "0s");
        assert_eq!(rtt_text(466_123), "466µs");
        assert_eq!(rtt_text(1_500_000), "1.5ms");
    }
}
