//! `/subsz` (and its alias `/subscriptionsz`): the subscription index's statistics, with
//! nats-server's `Subsz` field names (the sublist statistics flattened into the object), and
//! with `subs=1` the page (`offset`, `limit`) of subscriptions as `subscriptions_list`;
//! `test=SUBJECT` narrows the list to the subscriptions a publish to SUBJECT would match.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use natrium_router::sublist::{SublistStats, Subscription};
use natrium_router::{SubscriptionDetail, subject};
use serde::Serialize;

use super::{BadRequest, MonitorState, Params, json_response, query_bool, query_int};
use crate::timefmt;

/// The page size when `limit` is absent, as in nats-server.
const SUBSCRIPTION_LIST_SIZE_DEFAULT: i64 = 1024;

#[derive(Serialize)]
struct Subsz {
    server_id: String,
    now: String,
    #[serde(flatten)]
    stats: SublistStats,
    total: u64,
    offset: i64,
    limit: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subscriptions_list: Vec<SubDetail>,
}

/// One subscription, with nats-server's `SubDetail` field names (also `/connz?subs=detail`).
#[derive(Serialize)]
pub(super) struct SubDetail {
    #[serde(skip_serializing_if = "str::is_empty")]
    account: &'static str,
    subject: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    qgroup: String,
    sid: String,
    msgs: u64,
    #[serde(skip_serializing_if = "is_zero")]
    max: u64,
    cid: u64,
}

pub(super) fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// natrium has one account; the Go server names its default one `$G`.
pub(super) const GLOBAL_ACCOUNT: &str = "$G";

impl SubDetail {
    fn of(subscription: &Subscription) -> Self {
        Self::new(
            SubscriptionDetail::of(subscription),
            subscription.client.0,
            GLOBAL_ACCOUNT,
        )
    }

    /// `detail` of client `cid`; `account` is empty where the Go server leaves it out.
    pub(super) fn new(detail: SubscriptionDetail, cid: u64, account: &'static str) -> Self {
        Self {
            account,
            subject: detail.subject,
            qgroup: detail.queue,
            sid: detail.sid,
            msgs: detail.msgs,
            max: detail.max,
            cid,
        }
    }
}

/// The subscriptions `/subsz` lists: all of them, or those matching the `test` subject, in
/// client then sid order so that pages are stable.
fn listed(state: &MonitorState, test: Option<&str>) -> Vec<Arc<Subscription>> {
    let mut subscriptions = match test {
        Some(test) => {
            let matched = state.broker.sublist().matches(test.as_bytes());
            let queued = matched.queues.iter().flat_map(|group| group.members.iter());
            matched.plain.iter().chain(queued).cloned().collect()
        }
        None => state.broker.sublist().subscriptions(),
    };
    subscriptions.sort_by(|a, b| (a.client, &a.sid).cmp(&(b.client, &b.sid)));
    subscriptions
}

/// The page `[offset, offset + limit)` of `subscriptions` as details.
fn page(subscriptions: &[Arc<Subscription>], offset: i64, limit: i64) -> Vec<SubDetail> {
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    let count = usize::try_from(limit).unwrap_or(0);
    subscriptions
        .iter()
        .skip(start)
        .take(count)
        .map(|subscription| SubDetail::of(subscription))
        .collect()
}

pub(super) async fn handle(State(state): State<Arc<MonitorState>>, params: Params) -> Response {
    state.count_request("/subsz");
    let offset = match query_int(&params, "offset") {
        Ok(offset) => offset.max(0),
        Err(bad) => return bad.into_response(),
    };
    let limit = match query_int(&params, "limit") {
        Ok(limit) if limit > 0 => limit,
        Ok(_) => SUBSCRIPTION_LIST_SIZE_DEFAULT,
        Err(bad) => return bad.into_response(),
    };
    let with_list = match query_bool(&params, "subs") {
        Ok(with_list) => with_list,
        Err(bad) => return bad.into_response(),
    };
    let test = params
        .get("test")
        .map(String::as_str)
        .filter(|t| !t.is_empty());
    if let Some(test) = test
        && !subject::is_valid_literal(test.as_bytes())
    {
        return BadRequest(format!(
            "Invalid test subject, must be valid publish subject: {test}"
        ))
        .into_response();
    }
    let (total, subscriptions_list) = if with_list {
        let subscriptions = listed(&state, test);
        (
            subscriptions.len() as u64,
            page(&subscriptions, offset, limit),
        )
    } else {
        (0, Vec::new())
    };
    json_response(&Subsz {
        server_id: state.description().server_id,
        now: timefmt::rfc3339(SystemTime::now()),
        stats: state.broker.sublist_stats(),
        total,
        offset,
        limit,
        subscriptions_list,
    })
}
