//! `/connz` sort keys with the Go server's directions: `cid` and `start` (the same order),
//! `uptime` and `reason` ascend; every other key descends, the largest first. `stop` and
//! `reason` apply to closed connections only. Sorting is stable over the cid order, so ties
//! keep ascending cids.

use std::cmp::Reverse;
use std::time::{Duration, SystemTime};

use natrium_router::ClientSnapshot;

/// nats-server's `/connz` sort options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::monitor) enum SortBy {
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
    Stop,
    Reason,
    Rtt,
}

impl SortBy {
    /// The key for a `sort=` value; `None` for one Go does not know.
    pub(super) fn parse(text: &str) -> Option<Self> {
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
            "stop" => Self::Stop,
            "reason" => Self::Reason,
            "rtt" => Self::Rtt,
            _ => return None,
        })
    }

    /// The key's name when it is valid for closed connections only.
    pub(super) fn closed_only(self) -> Option<&'static str> {
        match self {
            Self::Stop => Some("stop"),
            Self::Reason => Some("reason"),
            _ => None,
        }
    }
}

/// How long `client` has been (or was, until it closed) connected.
fn uptime(client: &ClientSnapshot, now: SystemTime) -> Duration {
    let end = client.stop.unwrap_or(now);
    client
        .start
        .and_then(|start| end.duration_since(start).ok())
        .unwrap_or_default()
}

/// Sorts `clients` by `by`; `now` is the request time (for `idle` and `uptime`).
pub(super) fn sort(clients: &mut [ClientSnapshot], by: SortBy, now: SystemTime) {
    clients.sort_by_key(|client| client.cid);
    let idle = |client: &ClientSnapshot| {
        client
            .last_activity
            .and_then(|last| now.duration_since(last).ok())
            .unwrap_or_default()
    };
    match by {
        SortBy::Cid => {}
        SortBy::Subs => clients.sort_by_key(|c| Reverse(c.subscriptions)),
        SortBy::Pending => clients.sort_by_key(|c| Reverse(c.pending_bytes)),
        SortBy::MsgsTo => clients.sort_by_key(|c| Reverse(c.out_msgs)),
        SortBy::MsgsFrom => clients.sort_by_key(|c| Reverse(c.in_msgs)),
        SortBy::BytesTo => clients.sort_by_key(|c| Reverse(c.out_bytes)),
        SortBy::BytesFrom => clients.sort_by_key(|c| Reverse(c.in_bytes)),
        SortBy::Last => clients.sort_by_key(|c| Reverse(c.last_activity)),
        SortBy::Idle => clients.sort_by_key(|c| Reverse(idle(c))),
        SortBy::Uptime => clients.sort_by_key(|c| uptime(c, now)),
        SortBy::Stop => clients.sort_by_key(|c| Reverse(c.stop)),
        SortBy::Reason => clients.sort_by_key(|c| c.reason),
        SortBy::Rtt => clients.sort_by_key(|c| Reverse(c.rtt_nanos)),
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

    fn cids(clients: &[ClientSnapshot]) -> Vec<u64> {
        clients.iter().map(|c| c.cid).collect()
    }

    #[test]
    fn sort_orders() {
        let now = SystemTime::now();
        let mut clients = vec![client(2, 5, 1), client(1, 1, 9), client(3, 3, 4)];
        sort(&mut clients, SortBy::Cid, now);
        assert_eq!(cids(&clients), [1, 2, 3]);
        sort(&mut clients, SortBy::Subs, now);
        assert_eq!(cids(&clients), [2, 3, 1]);
        sort(&mut clients, SortBy::MsgsTo, now);
        assert_eq!(cids(&clients), [1, 3, 2]);
        assert_eq!(SortBy::parse("start"), Some(SortBy::Cid));
        assert_eq!(SortBy::parse("bogus"), None);
    }

    #[test]
    fn closed_keys() {
        let now = SystemTime::now();
        let at = |seconds| Some(now - Duration::from_secs(seconds));
        let mut clients = vec![client(1, 0, 0), client(2, 0, 0), client(3, 0, 0)];
        for (client, (stop, reason)) in clients.iter_mut().zip([
            (30, "Stale Connection"),
            (10, "Client Closed"),
            (20, "Authentication Failure"),
        ]) {
            client.start = at(100);
            client.stop = at(stop);
            client.reason = reason;
        }
        sort(&mut clients, SortBy::Stop, now);
        assert_eq!(cids(&clients), [2, 3, 1], "latest stop first");
        sort(&mut clients, SortBy::Reason, now);
        assert_eq!(cids(&clients), [3, 2, 1], "reasons in alphabetical order");
        sort(&mut clients, SortBy::Uptime, now);
        assert_eq!(cids(&clients), [1, 3, 2], "shortest lifetime first");
    }
}
