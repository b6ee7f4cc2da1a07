//! `/subsz` (and its alias `/subscriptionsz`): the subscription index's statistics, with
//! nats-server's `Subsz` field names (the sublist statistics flattened into the object).

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use natrium_router::sublist::SublistStats;
use serde::Serialize;

use super::{MonitorState, Params, json_response, query_int};
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
    json_response(&Subsz {
        server_id: state.description().server_id,
        now: timefmt::rfc3339(SystemTime::now()),
        stats: state.broker.sublist_stats(),
        total: 0,
        offset,
        limit,
    })
}
