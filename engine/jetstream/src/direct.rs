//! `$JS.API.DIRECT.GET.<stream>` (JSON request: `seq`, `last_by_subj`, or `next_by_subj` from
//! `seq`) and `$JS.API.DIRECT.GET.<stream>.<subject>` (the last message on that subject), for
//! streams with `allow_direct`: the answer is the stored message itself, its headers prefixed
//! with `Nats-Stream`, `Nats-Subject`, `Nats-Sequence` and `Nats-Time-Stamp`, or a
//! `NATS/1.0 404 Message Not Found` status, as the Go server answers (KV gets use it).

use std::time::{Duration, UNIX_EPOCH};

use natrium_router::timefmt::rfc3339;

use crate::api::{MsgGetRequest, Reply, stream_named};
use crate::service::Registry;

const NOT_FOUND: &[u8] = b"NATS/1.0 404 Message Not Found\r\n\r\n";
const BAD_REQUEST: &[u8] = b"NATS/1.0 408 Bad Request\r\n\r\n";

fn status(block: &[u8]) -> Reply {
    Reply::Message {
        headers: block.to_vec(),
        payload: Vec::new(),
    }
}

/// `rest` is what follows `DIRECT.GET.`: the stream name, then optionally a subject.
pub(crate) fn get(registry: &Registry, rest: &str, body: &[u8]) -> Reply {
    let (name, subject) = match rest.split_once('.') {
        Some((name, subject)) => (name, Some(subject)),
        None => (rest, None),
    };
    let Ok(stream) = stream_named(registry, name) else {
        return status(NOT_FOUND);
    };
    if !stream.config.allow_direct {
        return status(NOT_FOUND);
    }
    let request = match subject {
        Some(subject) => MsgGetRequest {
            last_by_subj: subject.to_owned(),
            ..MsgGetRequest::default()
        },
        None => match serde_json::from_slice::<MsgGetRequest>(body) {
            Ok(request) => request,
            Err(_) => return status(BAD_REQUEST),
        },
    };
    let Ok(found) = request.find(stream) else {
        return status(NOT_FOUND);
    };
    let time = rfc3339(UNIX_EPOCH + Duration::from_nanos(found.ts_ns));
    let mut headers = format!(
        "NATS/1.0\r\nNats-Stream: {name}\r\nNats-Subject: {}\r\nNats-Sequence: {}\r\n\
         Nats-Time-Stamp: {time}\r\n",
        found.subject, found.seq
    )
    .into_bytes();
    // The stored headers follow, without their own status line and final blank line.
    let stored = String::from_utf8_lossy(&found.headers);
    for line in stored.split("\r\n").skip(1).filter(|line| !line.is_empty()) {
        headers.extend_from_slice(line.as_bytes());
        headers.extend_from_slice(b"\r\n");
    }
    headers.extend_from_slice(b"\r\n");
    Reply::Message {
        headers,
        payload: found.payload,
    }
}
