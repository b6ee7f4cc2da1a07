//! `$JS.API.DIRECT.GET.<stream>` (JSON request: `seq`, `last_by_subj`, or `next_by_subj` from
//! `seq`) and `$JS.API.DIRECT.GET.<stream>.<subject>` (the last message on that subject), for
//! streams with `allow_direct`: the answer is the stored message itself, its headers prefixed
//! with `Nats-Stream`, `Nats-Subject`, `Nats-Sequence` and `Nats-Time-Stamp`, or a
//! `NATS/1.0 404 Message Not Found` status, as the Go server answers (KV gets use it).

//!
//! Direct gets are answered on the requester's own task, straight from the store, without the
//! API thread's queue and registry lock (as Go answers them outside its API queue): a KV get
//! is one store lookup and one reply. [`DirectIndex`] is how the requester's task finds the
//! store: the API thread republishes it after every stream change.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, UNIX_EPOCH};

use natrium_router::timefmt::rfc3339;
use natrium_router::{Broker, PublishBatch};
use parking_lot::{Mutex, RwLock};

use natrium_store::StoredMsg;

use crate::api::{MsgGetRequest, Reply};
use crate::direct_batch::DirectRequest;
use crate::service::Registry;
use crate::stream::Store;

/// The streams that allow direct gets, by name.
#[derive(Clone, Default)]
pub(crate) struct DirectIndex {
    stores: Arc<RwLock<HashMap<String, Arc<Mutex<Store>>>>>,
}

impl DirectIndex {
    /// Replaces the index with the registry's streams that have `allow_direct`.
    pub(crate) fn publish(&self, registry: &Registry) {
        let stores = registry
            .streams
            .values()
            .filter(|stream| stream.config.allow_direct)
            .map(|stream| (stream.config.name.clone(), Arc::clone(&stream.store)))
            .collect();
        *self.stores.write() = stores;
    }

    fn store(&self, name: &str) -> Option<Arc<Mutex<Store>>> {
        self.stores.read().get(name).cloned()
    }
}

/// Answers a direct get (`rest` follows `$JS.API.DIRECT.GET.`) on the caller's task, with
/// the caller's batch.
pub(crate) fn answer_inline(
    index: &DirectIndex,
    broker: &Weak<Broker>,
    batch: &mut PublishBatch,
    (rest, reply, body): (&str, &[u8], &[u8]),
) {
    let Some(broker) = broker.upgrade() else {
        return;
    };
    let (name, subject) = split(rest);
    let answers = match index.store(name) {
        Some(store) => answer(name, subject, body, &store),
        // Go does not listen on DIRECT.GET of such a stream: the requester gets no responders.
        None => vec![crate::api::no_responders(&format!(
            "$JS.API.DIRECT.GET.{rest}"
        ))],
    };
    for answer in answers {
        if let Reply::Message { headers, payload } = answer {
            crate::stream::publish_message(&broker, batch, reply, &headers, &payload);
        }
    }
}

fn split(rest: &str) -> (&str, Option<&str>) {
    match rest.split_once('.') {
        Some((name, subject)) => (name, Some(subject)),
        None => (rest, None),
    }
}

const NOT_FOUND: &[u8] = b"NATS/1.0 404 Message Not Found\r\n\r\n";
const BAD_REQUEST: &[u8] = b"NATS/1.0 408 Bad Request\r\n\r\n";

pub(crate) fn not_found() -> Reply {
    status(NOT_FOUND)
}

pub(crate) fn bad_request() -> Reply {
    status(BAD_REQUEST)
}

pub(crate) fn status(block: &[u8]) -> Reply {
    Reply::Message {
        headers: block.to_vec(),
        payload: Vec::new(),
    }
}

/// `rest` is what follows `DIRECT.GET.`: the stream name, then optionally a subject.
pub(crate) fn get(registry: &Registry, rest: &str, body: &[u8]) -> Reply {
    let (name, subject) = split(rest);
    match registry.streams.get(name) {
        // The API thread's path (a request the sink could not answer itself): one reply.
        Some(stream) if stream.config.allow_direct => answer(name, subject, body, &stream.store)
            .into_iter()
            .next()
            .unwrap_or_else(not_found),
        // Go does not listen on DIRECT.GET of such a stream: the requester gets no responders.
        _ => crate::api::no_responders(&format!("$JS.API.DIRECT.GET.{rest}")),
    }
}

/// The answers to a direct get on the stream `name`: one message or status, or a batch
/// ended by its EOB status.
fn answer(name: &str, subject: Option<&str>, body: &[u8], store: &Mutex<Store>) -> Vec<Reply> {
    let request = match subject {
        // The subject-in-subject form takes no body (Go: 408).
        Some(_) if !body.iter().all(u8::is_ascii_whitespace) => return vec![bad_request()],
        Some(subject) => DirectRequest {
            last_by_subj: subject.to_owned(),
            ..DirectRequest::default()
        },
        None => match parse_request(body) {
            Ok(request) => request,
            Err(block) => return vec![status(block)],
        },
    };
    let render = |found: &StoredMsg, extra: &[(&str, u64)]| render(name, found, extra);
    if !request.multi_last.is_empty() {
        return crate::direct_batch::multi_last(&request, store, &render);
    }
    if request.batch > 0 {
        return crate::direct_batch::batch(&request, store, &render);
    }
    let found = {
        let store = store.lock();
        let store = store.as_dyn();
        match request.start_seq(store) {
            Err(()) => return vec![bad_request()],
            Ok(Some(start)) => {
                let filter = Some(request.next_by_subj.as_str()).filter(|f| !f.is_empty());
                store.load_next(filter.unwrap_or(">"), start.max(request.seq))
            }
            Ok(None) => MsgGetRequest {
                seq: request.seq,
                last_by_subj: request.last_by_subj.clone(),
                next_by_subj: request.next_by_subj.clone(),
            }
            .find_in(store),
        }
    };
    match found {
        Ok(found) => vec![render(&found, &[])],
        Err(_) => vec![not_found()],
    }
}

/// A found message as a direct get answers it: the stream's headers, `extra`, then the
/// message's own headers.
fn render(name: &str, found: &StoredMsg, extra: &[(&str, u64)]) -> Reply {
    let time = rfc3339(UNIX_EPOCH + Duration::from_nanos(found.ts_ns));
    let mut headers = format!(
        "NATS/1.0\r\nNats-Stream: {name}\r\nNats-Subject: {}\r\nNats-Sequence: {}\r\n\
         Nats-Time-Stamp: {time}\r\n",
        found.subject, found.seq
    )
    .into_bytes();
    for (header, value) in extra {
        headers.extend_from_slice(format!("{header}: {value}\r\n").as_bytes());
    }
    // The stored headers follow, without their own status line and final blank line.
    let stored = String::from_utf8_lossy(&found.headers);
    for line in stored.split("\r\n").skip(1).filter(|line| !line.is_empty()) {
        headers.extend_from_slice(line.as_bytes());
        headers.extend_from_slice(b"\r\n");
    }
    headers.extend_from_slice(b"\r\n");
    Reply::Message {
        headers,
        payload: found.payload.clone(),
    }
}

/// The JSON request checked as Go checks it, each refusal with Go's status line.
fn parse_request(body: &[u8]) -> Result<DirectRequest, &'static [u8]> {
    const EMPTY: &[u8] = b"NATS/1.0 408 Empty Request\r\n\r\n";
    const MALFORMED: &[u8] = b"NATS/1.0 408 Malformed Request\r\n\r\n";
    if body.is_empty() {
        return Err(EMPTY);
    }
    let request = serde_json::from_slice::<DirectRequest>(body).map_err(|_| MALFORMED)?;
    let (by_seq, last, next) = (
        request.seq > 0,
        !request.last_by_subj.is_empty(),
        !request.next_by_subj.is_empty(),
    );
    let batched = request.batch > 0 || !request.multi_last.is_empty();
    if !(by_seq || last || next || batched || request.start_time.is_some()) {
        return Err(EMPTY);
    }
    if last && (by_seq || next) {
        return Err(BAD_REQUEST);
    }
    Ok(request)
}
