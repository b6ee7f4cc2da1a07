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
    let stream = match stream_named(registry, name) {
        Ok(stream) if stream.config.allow_direct => stream,
        // Go does not listen on DIRECT.GET of such a stream: the requester gets no responders.
        _ => return crate::api::no_responders(&format!("$JS.API.DIRECT.GET.{rest}")),
    };
    let request = match subject {
        Some(subject) => MsgGetRequest {
            last_by_subj: subject.to_owned(),
            ..MsgGetRequest::default()
        },
        None => match parse_request(body) {
            Ok(request) => request,
            Err(block) => return status(block),
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

/// The JSON request checked as Go checks it, each refusal with Go's status line.
fn parse_request(body: &[u8]) -> Result<MsgGetRequest, &'static [u8]> {
    const EMPTY: &[u8] = b"NATS/1.0 408 Empty Request\r\n\r\n";
    const MALFORMED: &[u8] = b"NATS/1.0 408 Malformed Request\r\n\r\n";
    if body.is_empty() {
        return Err(EMPTY);
    }
    let request = serde_json::from_slice::<MsgGetRequest>(body).map_err(|_| MALFORMED)?;
    let (by_seq, last, next) = (
        request.seq > 0,
        !request.last_by_subj.is_empty(),
        !request.next_by_subj.is_empty(),
    );
    if !(by_seq || last || next) {
        return Err(EMPTY);
    }
    if last && (by_seq || next) {
        return Err(BAD_REQUEST);
    }
    Ok(request)
}
