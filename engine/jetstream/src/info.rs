//! JSON bodies of the API responses, with the Go server's field names and types: stream info
//! and state (RFC 3339 times, Go's zero time when empty), account info.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use natrium_router::timefmt::rfc3339;
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
        "first_seq": state.first_seq,
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

/// Adds `fields` (an object) to `response` (an object).
pub fn merge(mut response: Value, fields: Value) -> Value {
    if let (Some(response), Value::Object(fields)) = (response.as_object_mut(), fields) {
        response.extend(fields);
    }
    response
}
