//! JSON bodies of the API responses, with the Go server's field names and types: stream info
//! and state (RFC 3339 times, Go's zero time when empty), account info.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use natrium_router::timefmt::rfc3339;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::stream::Stream;

/// Go's zero `time.Time`, as it marshals it.
const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// `first_ts`/`last_ts`: a store timestamp (ns since the epoch), Go's zero time for 0.
fn timestamp(ns: u64) -> String {
    if ns == 0 {
        return GO_ZERO_TIME.to_owned();
    }
    rfc3339(UNIX_EPOCH + Duration::from_nanos(ns))
}

/// `state` of a stream info.
pub fn stream_state(stream: &Stream) -> Value {
    let state = stream.store.lock().as_dyn().state();
    let mut value = json!({
        "messages": state.msgs,
        "bytes": state.bytes,
        // Go's first sequence of a stream that never stored anything is 0.
        "first_seq": if state.last_seq == 0 { 0 } else { state.first_seq },
        "first_ts": timestamp(state.first_ts_ns),
        "last_seq": state.last_seq,
        "last_ts": timestamp(state.last_ts_ns),
        "consumer_count": stream.consumers.len(),
    });
    if let Some(fields) = value.as_object_mut() {
        if state.num_subjects > 0 {
            fields.insert("num_subjects".to_owned(), json!(state.num_subjects));
        }
        if state.num_deleted > 0 {
            fields.insert("num_deleted".to_owned(), json!(state.num_deleted));
        }
    }
    value
}

/// The `config`, `created`, `state` and `ts` of a stream, as every stream response has them.
pub fn stream_info(stream: &Stream) -> Value {
    let mut info = json!({
        "config": stream.config,
        "created": rfc3339(stream.created),
        "state": stream_state(stream),
        "ts": rfc3339(SystemTime::now()),
    });
    if !stream.sources.is_empty()
        && let Some(fields) = info.as_object_mut()
    {
        let mut sources: Vec<Value> = stream.sources.iter().map(|source| source.info()).collect();
        if stream.sources.iter().any(|source| source.mirror) {
            fields.insert("mirror".to_owned(), sources.remove(0));
        } else {
            fields.insert("sources".to_owned(), Value::Array(sources));
        }
    }
    info
}

/// Subjects one stream info lists at most (Go's `JSMaxSubjectDetails`).
const SUBJECT_DETAILS_MAX: usize = 100_000;

/// A `STREAM.INFO` request: the deleted sequences, and the message count per subject
/// matching `subjects_filter` (a page from `offset`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct InfoRequest {
    #[serde(default)]
    deleted_details: bool,
    #[serde(default)]
    subjects_filter: String,
    #[serde(default)]
    offset: usize,
}

/// A stream info with what the request asked for, and Go's paging of the subjects.
pub(crate) fn stream_info_detailed(stream: &Stream, request: &InfoRequest) -> Value {
    let mut info = stream_info(stream);
    let mut paging = json!({ "total": 0, "offset": 0, "limit": 0 });
    let store = stream.store.lock();
    let state = info.get_mut("state").and_then(Value::as_object_mut);
    if let Some(state) = state {
        if request.deleted_details {
            let deleted = store.as_dyn().state_with_deleted().deleted;
            if !deleted.is_empty() {
                state.insert("deleted".to_owned(), json!(deleted));
            }
        }
        if !request.subjects_filter.is_empty() {
            let totals = store.as_dyn().subjects_totals(&request.subjects_filter);
            if !totals.is_empty() {
                paging = json!({
                    "total": totals.len(),
                    "offset": request.offset,
                    "limit": SUBJECT_DETAILS_MAX,
                });
                let page: serde_json::Map<String, Value> = totals
                    .into_iter()
                    .skip(request.offset)
                    .take(SUBJECT_DETAILS_MAX)
                    .map(|(subject, count)| (subject, json!(count)))
                    .collect();
                if !page.is_empty() {
                    state.insert("subjects".to_owned(), Value::Object(page));
                }
            }
        }
    }
    drop(store);
    merge(paging, info)
}

/// Adds `fields` (an object) to `response` (an object).
pub fn merge(mut response: Value, fields: Value) -> Value {
    if let (Some(response), Value::Object(fields)) = (response.as_object_mut(), fields) {
        response.extend(fields);
    }
    response
}
