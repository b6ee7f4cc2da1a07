//! Message deduplication on `Nats-Msg-Id` within the stream's `duplicate_window`, as the Go
//! server does it: a publish whose id was stored within the window is not stored again, and
//! its PubAck carries the first copy's sequence with `"duplicate": true`. Also the id of the
//! last stored message, for `Nats-Expected-Last-Msg-Id`.
//!
//! Owned by the stream's writer thread (the only writer), so it needs no lock. Rebuilt at
//! start from the messages stored within the window (their headers), as Go rebuilds it, so a
//! restart does not forget what was acknowledged. At most [`DEDUP_IDS_MAX`] ids are kept: past
//! that the oldest are forgotten early (logged), which bounds memory under an id flood.

use std::collections::{HashMap, VecDeque};

use natrium_store::StreamStore;

use crate::publish::header;

/// Ids remembered per stream.
pub const DEDUP_IDS_MAX: usize = 1 << 20;
/// Longest id kept (Go has no bound; a longer one is refused as a bad header).
pub const MSG_ID_LEN_MAX: usize = 1024;

/// A stream's recently seen message ids.
#[derive(Debug, Default)]
pub struct Dedup {
    /// id -> stream sequence of its first copy.
    seqs: HashMap<String, u64>,
    /// (timestamp ns, id), oldest first: what to forget when it leaves the window.
    order: VecDeque<(u64, String)>,
    /// `Nats-Msg-Id` of the last stored message ("" when it had none).
    last_msg_id: String,
}

impl Dedup {
    /// Rebuilds the window from the store: the ids of messages stored since `now - window`,
    /// and the last message's id.
    pub fn rebuild(store: &dyn StreamStore, window_ns: u64, now_ns: u64) -> Self {
        let mut dedup = Self::default();
        if let Ok(last) = store.load_prev(u64::MAX) {
            dedup.last_msg_id = msg_id(&last.headers).unwrap_or_default();
        }
        if window_ns == 0 {
            return dedup;
        }
        let mut seq = store.seq_from_time(now_ns.saturating_sub(window_ns));
        while let Ok(message) = store.load_next(">", seq) {
            if let Some(id) = msg_id(&message.headers) {
                dedup.record(&id, message.seq, message.ts_ns);
            }
            seq = message.seq + 1;
        }
        dedup
    }

    /// The sequence of an earlier copy of `id` still within the window.
    pub fn seen(&self, id: &str) -> Option<u64> {
        self.seqs.get(id).copied()
    }

    /// The id of the last stored message ("" when it had none).
    pub fn last_msg_id(&self) -> &str {
        &self.last_msg_id
    }

    /// A message was stored at `seq` with `id` (or without one).
    pub fn stored(&mut self, id: Option<&str>, seq: u64, ts_ns: u64) {
        self.last_msg_id = id.unwrap_or_default().to_owned();
        if let Some(id) = id {
            self.record(id, seq, ts_ns);
        }
    }

    fn record(&mut self, id: &str, seq: u64, ts_ns: u64) {
        if self.seqs.insert(id.to_owned(), seq).is_none() {
            self.order.push_back((ts_ns, id.to_owned()));
        }
        if self.order.len() > DEDUP_IDS_MAX {
            tracing::warn!(
                "more than {DEDUP_IDS_MAX} message ids in one duplicate window: the oldest are forgotten early"
            );
            self.forget_oldest();
        }
    }

    /// Forgets ids stored before `now - window`.
    pub fn expire(&mut self, window_ns: u64, now_ns: u64) {
        let horizon = now_ns.saturating_sub(window_ns);
        while self.order.front().is_some_and(|(ts, _)| *ts < horizon) {
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((_, id)) = self.order.pop_front() {
            self.seqs.remove(&id);
        }
    }
}

/// The `Nats-Msg-Id` of a header block, if any.
pub fn msg_id(headers: &[u8]) -> Option<String> {
    if headers.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(headers);
    header(&text, "Nats-Msg-Id")
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use natrium_store::{MemStore, NewMsg, StoreConfig};

    fn with_id(id: &str) -> Vec<u8> {
        format!("NATS/1.0\r\nNats-Msg-Id: {id}\r\n\r\n").into_bytes()
    }

    #[test]
    fn ids_are_seen_within_the_window_and_forgotten_after() {
        let mut dedup = Dedup::default();
        dedup.stored(Some("a"), 1, 1_000);
        dedup.stored(None, 2, 2_000);
        dedup.stored(Some("b"), 3, 3_000);
        assert_eq!(dedup.seen("a"), Some(1));
        assert_eq!(dedup.last_msg_id(), "b");
        dedup.expire(1_500, 3_000);
        assert_eq!(dedup.seen("a"), None, "stored before the window");
        assert_eq!(dedup.seen("b"), Some(3));
    }

    #[test]
    fn a_rebuild_reads_the_window_from_the_store() {
        let mut store = MemStore::new(StoreConfig::default());
        for (index, id) in ["old", "new", ""].iter().enumerate() {
            let headers = if id.is_empty() {
                Vec::new()
            } else {
                with_id(id)
            };
            let message = NewMsg {
                headers: &headers,
                ..NewMsg::new("s", b"x")
            };
            store
                .store(&message, 1_000 * (index as u64 + 1))
                .expect("store");
        }
        let dedup = Dedup::rebuild(&store, 1_500, 3_000);
        assert_eq!(dedup.seen("old"), None);
        assert_eq!(dedup.seen("new"), Some(2));
        assert_eq!(dedup.last_msg_id(), "", "the last message had no id");
    }
}
