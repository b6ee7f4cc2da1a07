//! Batched direct gets (ADR-31, nats-server 2.11+): `batch` messages from `seq` (or
//! `start_time`) on `next_by_subj`, and `multi_last`, the last message of every subject that
//! matches the listed filters, at or before `up_to_seq` / `up_to_time` (a consistent read of
//! several KV keys). Each message carries `Nats-Num-Pending` (matches left after it) and
//! `Nats-Last-Sequence` (the previous message sent); a `NATS/1.0 204 EOB` status with the same
//! headers (and, for `multi_last`, `Nats-UpTo-Sequence`, the bound to read again at) ends the
//! batch (checked against nats-server 2.15.1 with benches/parity).
//!
//! Limits: at most [`BATCH_MSGS_MAX`] messages and [`BATCH_BYTES_MAX`] bytes per request (a
//! client pages on with the EOB's pending count), and `multi_last` matches at most
//! [`MULTI_SUBJECTS_MAX`] subjects (more answer `413 Too Many Results`, as Go).

use std::time::UNIX_EPOCH;

use natrium_store::{StoredMsg, StreamStore};
use parking_lot::Mutex;
use serde::Deserialize;

use crate::api::Reply;
use crate::stream::Store;

/// Messages one batched request answers at most.
pub const BATCH_MSGS_MAX: usize = 10_000;
/// Payload and header bytes one batched request answers at most (Go's default is the
/// client's max_pending; natrium answers on the requester's task, so it keeps this smaller).
pub const BATCH_BYTES_MAX: usize = 16 << 20;
/// Subjects one `multi_last` request may match (Go's limit).
pub const MULTI_SUBJECTS_MAX: usize = 1024;

/// A direct get request with every field Go reads.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DirectRequest {
    #[serde(default)]
    pub seq: u64,
    #[serde(default)]
    pub last_by_subj: String,
    #[serde(default)]
    pub next_by_subj: String,
    #[serde(default)]
    pub batch: usize,
    #[serde(default)]
    pub max_bytes: usize,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub multi_last: Vec<String>,
    #[serde(default)]
    pub up_to_seq: u64,
    #[serde(default)]
    pub up_to_time: Option<String>,
}

impl DirectRequest {
    /// `start_time` as the first sequence stored at or after it (`None` when not set; an
    /// unreadable time is `Err`).
    pub fn start_seq(&self, store: &dyn StreamStore) -> Result<Option<u64>, ()> {
        match &self.start_time {
            None => Ok(None),
            Some(text) => Ok(Some(store.seq_from_time(epoch_ns(text)?))),
        }
    }
}

fn epoch_ns(text: &str) -> Result<u64, ()> {
    let time = natrium_router::timefmt::parse_rfc3339(text).ok_or(())?;
    let since = time.duration_since(UNIX_EPOCH).map_err(|_| ())?;
    Ok(u64::try_from(since.as_nanos()).unwrap_or(u64::MAX))
}

/// Builds one answered message: the stream's headers, `extra`, then the stored headers.
pub(crate) type Render<'a> = &'a dyn Fn(&StoredMsg, &[(&str, u64)]) -> Reply;

/// `batch` messages on `next_by_subj` from `seq` (or `start_time`).
pub(crate) fn batch(
    request: &DirectRequest,
    store: &Mutex<Store>,
    render: Render<'_>,
) -> Vec<Reply> {
    let filter = if request.next_by_subj.is_empty() {
        ">"
    } else {
        request.next_by_subj.as_str()
    };
    let start = {
        let store = store.lock();
        match request.start_seq(store.as_dyn()) {
            Ok(Some(seq)) => seq.max(request.seq),
            Ok(None) => request.seq.max(1),
            Err(()) => return vec![super::direct::bad_request()],
        }
    };
    let limit = request.batch.min(BATCH_MSGS_MAX);
    let max_bytes = match request.max_bytes {
        0 => BATCH_BYTES_MAX,
        bytes => bytes.min(BATCH_BYTES_MAX),
    };
    let mut pending = store.lock().as_dyn().num_pending(start, filter, false);
    let (mut replies, mut bytes, mut last, mut next) = (Vec::new(), 0, 0, start);
    while replies.len() < limit {
        // One lock per message: a long batch never holds the stream's writer off.
        let Ok(found) = store.lock().as_dyn().load_next(filter, next) else {
            break;
        };
        let size = found.payload.len() + found.headers.len() + found.subject.len();
        if !replies.is_empty() && bytes + size > max_bytes {
            break;
        }
        bytes += size;
        pending = pending.saturating_sub(1);
        replies.push(render(
            &found,
            &[("Nats-Num-Pending", pending), ("Nats-Last-Sequence", last)],
        ));
        last = found.seq;
        next = found.seq + 1;
    }
    if replies.is_empty() {
        return vec![super::direct::not_found()];
    }
    replies.push(end_of_batch(pending, last, None));
    replies
}

/// The last message of each subject matching `multi_last`, at or before the upper bound,
/// in sequence order.
pub(crate) fn multi_last(
    request: &DirectRequest,
    store: &Mutex<Store>,
    render: Render<'_>,
) -> Vec<Reply> {
    let guard = store.lock();
    let store = guard.as_dyn();
    let up_to = match (&request.up_to_time, request.up_to_seq) {
        (Some(text), _) => match epoch_ns(text) {
            // The first sequence after the time, less one.
            Ok(ns) => store.seq_from_time(ns.saturating_add(1)).saturating_sub(1),
            Err(()) => return vec![super::direct::bad_request()],
        },
        (None, 0) => store.state().last_seq,
        (None, seq) => seq,
    };
    let mut subjects = std::collections::BTreeSet::new();
    for filter in &request.multi_last {
        for subject in store.subjects_state(filter).into_keys() {
            subjects.insert(subject);
            if subjects.len() > MULTI_SUBJECTS_MAX {
                return vec![super::direct::status(
                    b"NATS/1.0 413 Too Many Results\r\n\r\n",
                )];
            }
        }
    }
    let mut lasts: Vec<u64> = subjects
        .iter()
        .filter_map(|subject| last_at_or_before(store, subject, up_to))
        .collect();
    lasts.sort_unstable();
    if lasts.is_empty() {
        return vec![super::direct::not_found()];
    }
    let limit = match request.batch {
        0 => BATCH_MSGS_MAX,
        batch => batch.min(BATCH_MSGS_MAX),
    };
    let mut pending = lasts.len() as u64;
    let (mut replies, mut last) = (Vec::new(), 0);
    for seq in lasts.into_iter().take(limit) {
        let Ok(found) = store.load(seq) else {
            continue;
        };
        pending -= 1;
        replies.push(render(
            &found,
            &[("Nats-Num-Pending", pending), ("Nats-Last-Sequence", last)],
        ));
        last = seq;
    }
    replies.push(end_of_batch(pending, last, Some(up_to)));
    replies
}

/// The sequence of `subject`'s last message at or before `up_to`.
fn last_at_or_before(store: &dyn StreamStore, subject: &str, up_to: u64) -> Option<u64> {
    let state = store.filtered_state(0, subject);
    if state.msgs == 0 || state.first_seq > up_to {
        return None;
    }
    if state.last_seq <= up_to {
        return Some(state.last_seq);
    }
    // Walk the subject's messages up to the bound (a point-in-time read of a key's history).
    let (mut best, mut next) = (None, state.first_seq);
    while let Ok(found) = store.load_next(subject, next) {
        if found.seq > up_to {
            break;
        }
        best = Some(found.seq);
        next = found.seq + 1;
    }
    best
}

/// The `204 EOB` status ending a batch.
fn end_of_batch(pending: u64, last: u64, up_to: Option<u64>) -> Reply {
    let mut headers = format!(
        "NATS/1.0 204 EOB\r\nNats-Num-Pending: {pending}\r\nNats-Last-Sequence: {last}\r\n"
    );
    if let Some(up_to) = up_to {
        headers.push_str(&format!("Nats-UpTo-Sequence: {up_to}\r\n"));
    }
    headers.push_str("\r\n");
    super::direct::status(headers.as_bytes())
}
