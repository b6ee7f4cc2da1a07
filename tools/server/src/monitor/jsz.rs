//! `/jsz`: JetStream's usage, configuration and, when asked (`accounts`, `streams`,
//! `consumers`, `config`), its streams and consumers, in the Go server's shape. With
//! JetStream off it answers `disabled: true`, as Go does.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use natrium_jetstream::JszOptions;
use serde_json::json;

use super::{MonitorState, Params, json_response, query_bool};

pub(super) async fn handle(State(state): State<Arc<MonitorState>>, params: Params) -> Response {
    state.count_request("/jsz");
    let mut options = JszOptions::default();
    for (name, flag) in [
        ("accounts", &mut options.accounts),
        ("streams", &mut options.streams),
        ("consumers", &mut options.consumers),
        ("config", &mut options.config),
    ] {
        match query_bool(&params, name) {
            Ok(value) => *flag = value,
            Err(bad) => return bad.into_response(),
        }
    }
    let server_id = state.description().server_id;
    match &state.jetstream {
        Some(jetstream) => json_response(&jetstream.jsz(&server_id, options)),
        None => json_response(&json!({
            "server_id": server_id,
            "now": crate::timefmt::rfc3339(SystemTime::now()),
            "disabled": true,
            "config": {"max_memory": 0, "max_storage": 0},
            "memory": 0,
            "storage": 0,
            "reserved_memory": 0,
            "reserved_storage": 0,
            "accounts": 0,
            "ha_assets": 0,
            "api": {"level": 0, "total": 0, "errors": 0},
            "streams": 0,
            "consumers": 0,
            "messages": 0,
            "bytes": 0,
        })),
    }
}
