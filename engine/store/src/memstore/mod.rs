//! `MemStore`: a `StreamStore` held entirely in memory.
//!
//! Messages live in a `BTreeMap` by sequence (gaps cost nothing, whatever `skip_many` or
//! `store_raw` does to the sequence space). Each message links to the previous and next
//! message of its subject, so removing a subject's first or last message updates the
//! [`SubjectIndex`] in O(log n) and per-subject limits never scan. Per-message TTLs sit in a
//! [`TtlWheel`]. Not shared: the owner wraps it in whatever lock it needs.
//!
//! `erase` zeroes the message's bytes before freeing them; copies already handed out by a load
//! belong to the caller and are not touched.
mod query;
mod stream;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::Result;
use crate::limits::LimitTarget;
use crate::subjects::SubjectIndex;
use crate::ttl::TtlWheel;
use crate::types::{StoreConfig, stored_msg_bytes};

/// One stored message. Sequence links are 0 when there is no neighbour.
#[derive(Debug)]
struct MemMsg {
    subject: Arc<str>,
    ts_ns: u64,
    /// Headers followed by payload: one allocation per message.
    data: Box<[u8]>,
    headers_len: u32,
    /// Absolute per-message expiry, if the message has a TTL.
    expires_ns: Option<u64>,
    prev_same_subject: u64,
    next_same_subject: u64,
}

impl MemMsg {
    fn stored_bytes(&self) -> u64 {
        let headers_len = self.headers_len as usize;
        stored_msg_bytes(
            self.subject.len(),
            headers_len,
            self.data.len() - headers_len,
        )
    }
}

/// The in-memory stream store.
#[derive(Debug, Default)]
pub struct MemStore {
    config: StoreConfig,
    msgs: BTreeMap<u64, MemMsg>,
    subjects: SubjectIndex,
    ttl: TtlWheel,
    bytes: u64,
    last_seq: u64,
    last_ts_ns: u64,
    closed: bool,
}

impl MemStore {
    /// An empty store whose first message will get sequence 1.
    pub fn new(config: StoreConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The first live sequence, or `last_seq + 1` when empty.
    fn first_seq(&self) -> u64 {
        self.msgs
            .keys()
            .next()
            .copied()
            .unwrap_or(self.last_seq.saturating_add(1))
    }

    /// Adds a message at `seq` (above `last_seq`) and links it into its subject.
    fn insert(
        &mut self,
        seq: u64,
        ts_ns: u64,
        subject: &str,
        data: Box<[u8]>,
        headers_len: u32,
        expires_ns: Option<u64>,
    ) {
        let (subject, previous) = self.subjects.add(subject, seq);
        let prev_same_subject = previous.unwrap_or(0);
        if let Some(prev) = self.msgs.get_mut(&prev_same_subject) {
            prev.next_same_subject = seq;
        }
        let msg = MemMsg {
            subject,
            ts_ns,
            data,
            headers_len,
            expires_ns,
            prev_same_subject,
            next_same_subject: 0,
        };
        if let Some(expires_ns) = expires_ns {
            self.ttl.add(seq, expires_ns);
        }
        self.bytes += msg.stored_bytes();
        self.msgs.insert(seq, msg);
        self.last_seq = seq;
        self.last_ts_ns = ts_ns;
    }

    /// Removes the message at `seq`, unlinking it from its subject; zeroes its bytes first
    /// when `secure`. False when there was none.
    fn remove_msg(&mut self, seq: u64, secure: bool) -> bool {
        let Some(mut msg) = self.msgs.remove(&seq) else {
            return false;
        };
        self.bytes = self.bytes.saturating_sub(msg.stored_bytes());
        let (prev, next) = (msg.prev_same_subject, msg.next_same_subject);
        if let Some(prev_msg) = self.msgs.get_mut(&prev) {
            prev_msg.next_same_subject = next;
        }
        if let Some(next_msg) = self.msgs.get_mut(&next) {
            next_msg.prev_same_subject = prev;
        }
        self.subjects.remove(
            &msg.subject,
            seq,
            |_| (next != 0).then_some(next),
            |_| (prev != 0).then_some(prev),
        );
        if let Some(expires_ns) = msg.expires_ns {
            self.ttl.remove(seq, expires_ns);
        }
        if secure {
            msg.data.fill(0);
            // Keeps the zeroing from being optimised away as a dead store before the drop.
            std::hint::black_box(&msg.data);
        }
        true
    }

    /// Empties the store, keeping `last_seq`.
    fn clear(&mut self) -> u64 {
        let removed = self.msgs.len() as u64;
        self.msgs.clear();
        self.subjects.clear();
        self.ttl.clear();
        self.bytes = 0;
        removed
    }

    fn check_open(&self) -> Result<()> {
        if self.closed {
            Err(crate::Error::Closed)
        } else {
            Ok(())
        }
    }
}

impl LimitTarget for MemStore {
    fn msgs(&self) -> u64 {
        self.msgs.len() as u64
    }

    fn bytes(&self) -> u64 {
        self.bytes
    }

    fn subject_msgs(&self, subject: &str) -> u64 {
        self.subjects.get(subject).map_or(0, |info| info.msgs)
    }

    fn subject_first_bytes(&self, subject: &str) -> Option<u64> {
        let info = self.subjects.get(subject)?;
        self.msgs.get(&info.first_seq).map(MemMsg::stored_bytes)
    }

    fn remove_first(&mut self) -> Result<bool> {
        let first = self.msgs.keys().next().copied();
        Ok(first.is_some_and(|seq| self.remove_msg(seq, false)))
    }

    fn remove_first_of_subject(&mut self, subject: &str) -> Result<bool> {
        let first = self.subjects.get(subject).map(|info| info.first_seq);
        Ok(first.is_some_and(|seq| self.remove_msg(seq, false)))
    }

    fn subjects_over(&self, max: u64) -> Vec<String> {
        self.subjects
            .iter()
            .filter(|(_, info)| info.msgs > max)
            .map(|(s, _)| s.to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StreamStore;
    use crate::types::{DELETED_LIST_MAX, NewMsg};

    #[test]
    fn the_end_of_the_sequence_space_is_an_error_not_a_panic() {
        let mut store = MemStore::new(StoreConfig::default());
        store
            .store_raw(&NewMsg::new("a", b"x"), u64::MAX, 1)
            .expect("raw at the end");
        assert!(matches!(
            store.store(&NewMsg::new("a", b"y"), 2),
            Err(crate::Error::Limit { .. })
        ));
        assert!(store.skip(3).is_err());
        let state = store.state_with_deleted();
        assert_eq!(
            (state.first_seq, state.last_seq, state.msgs),
            (u64::MAX, u64::MAX, 1)
        );
        assert!(state.deleted.is_empty());
    }

    #[test]
    fn a_huge_gap_is_counted_exactly_and_listed_up_to_the_bound() {
        let mut store = MemStore::new(StoreConfig::default());
        store.store(&NewMsg::new("a", b"x"), 1).expect("store");
        store.skip_many(2, 1 << 40, 2).expect("skip");
        store.store(&NewMsg::new("a", b"y"), 3).expect("store");
        let state = store.state_with_deleted();
        assert_eq!(state.num_deleted, 1 << 40);
        assert_eq!(state.deleted.len(), DELETED_LIST_MAX);
        assert_eq!(state.deleted.first(), Some(&2));
    }

    #[test]
    fn a_ttl_expiring_at_the_epoch_is_kept_and_fires() {
        let config = StoreConfig {
            allow_msg_ttl: true,
            ..StoreConfig::default()
        };
        let mut store = MemStore::new(config);
        let msg = NewMsg {
            ttl: crate::MsgTtl::After { ttl_ns: 0 },
            ..NewMsg::new("a", b"")
        };
        store.store(&msg, 0).expect("store");
        assert_eq!(store.load(1).expect("load").expires_ns, Some(0));
        assert_eq!(store.next_expiry_ns(), Some(0));
        assert_eq!(store.expire(0).expect("expire"), 1);
        assert_eq!(store.state().msgs, 0);
    }
}
