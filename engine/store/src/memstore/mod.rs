//! `MemStore`: a `StreamStore` held entirely in memory.
//!
//! Messages live in [`Slots`]: dense chunks indexed by sequence, 40 bytes a message plus its
//! body (see slots.rs for how gaps from `skip_many` / `store_raw` stay cheap). A slot names
//! its subject by a 4-byte [`SubjectId`](crate::subjects::SubjectId) of the [`SubjectIndex`]
//! and links to the previous and next message of its subject (links.rs), so removing a
//! subject's first or last message updates the index in O(1) and per-subject limits never
//! scan. Per-message TTLs sit in a [`TtlWheel`], and their expiry in a side map, so messages
//! without a TTL pay nothing for them. Not shared: the owner wraps it in whatever lock it
//! needs.
//!
//! `erase` zeroes the message's bytes before freeing them; copies already handed out by a load
//! belong to the caller and are not touched.
mod links;
mod query;
mod slots;
mod stream;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use self::links::FarLinks;
use self::slots::{ChunkShape, LINK_NONE, Slot, Slots};
use crate::Result;
use crate::limits::LimitTarget;
use crate::subjects::SubjectIndex;
use crate::ttl::TtlWheel;
use crate::types::{StoreConfig, stored_msg_bytes};

/// The in-memory stream store.
#[derive(Debug, Default)]
pub struct MemStore {
    config: StoreConfig,
    slots: Slots,
    subjects: SubjectIndex,
    links: FarLinks,
    /// Created by the first message with a TTL: an empty wheel is 128 KiB of slots, which a
    /// stream without TTLs (most of them) should not pay.
    ttl: Option<TtlWheel>,
    /// Absolute expiry of each message that has a per-message TTL, by sequence.
    expiries: BTreeMap<u64, u64>,
    bytes: u64,
    last_seq: u64,
    last_ts_ns: u64,
    closed: bool,
}

impl MemStore {
    /// An empty store whose first message will get sequence 1.
    pub fn new(config: StoreConfig) -> Self {
        Self::with_shape(config, ChunkShape::default())
    }

    /// A store whose chunks hold at most `slots_max` sequences and fill gaps of at most
    /// `gap_max`. For tests that exercise chunk boundaries with few messages; not a tuning
    /// knob (the defaults are what the memory figures were measured with).
    #[doc(hidden)]
    pub fn with_chunk_shape(config: StoreConfig, slots_max: usize, gap_max: u64) -> Self {
        Self::with_shape(config, ChunkShape { slots_max, gap_max })
    }

    fn with_shape(config: StoreConfig, shape: ChunkShape) -> Self {
        Self {
            config,
            slots: Slots::new(shape),
            ..Self::default()
        }
    }

    /// The first live sequence, or `last_seq + 1` when empty.
    fn first_seq(&self) -> u64 {
        self.slots
            .first()
            .map_or(self.last_seq.saturating_add(1), |(seq, _)| seq)
    }

    /// The bytes `slot` counts for.
    fn stored_bytes(&self, slot: &Slot) -> u64 {
        let headers_len = slot.headers_len as usize;
        let subject_len = self.subjects.subject(slot.subject).len();
        stored_msg_bytes(subject_len, headers_len, slot.data.len() - headers_len)
    }

    /// Adds a message at `seq` (above `last_seq`) and links it into its subject. Fails only
    /// when the subject index is full, before anything changed.
    fn insert(
        &mut self,
        seq: u64,
        ts_ns: u64,
        subject: &str,
        data: Box<[u8]>,
        headers_len: u32,
        expires_ns: Option<u64>,
    ) -> Result<()> {
        assert!(
            seq > self.last_seq,
            "messages are added above the last sequence"
        );
        assert!(headers_len as usize <= data.len());
        let (id, previous) = self.subjects.add(subject, seq)?;
        if let Some(previous) = previous {
            let prev_slot = self.slots.get_mut(previous);
            let prev_slot = prev_slot.expect("a subject's last message is stored");
            self.links.set_next(previous, prev_slot, Some(seq));
        }
        let mut slot = Slot {
            ts_ns,
            data,
            subject: id,
            headers_len,
            prev_link: LINK_NONE,
            next_link: LINK_NONE,
        };
        self.links.set_prev(seq, &mut slot, previous);
        if let Some(expires_ns) = expires_ns {
            let ttl = self.ttl.get_or_insert_with(TtlWheel::default);
            ttl.add(seq, expires_ns);
            self.expiries.insert(seq, expires_ns);
        }
        self.bytes += self.stored_bytes(&slot);
        self.slots.push(seq, slot);
        self.last_seq = seq;
        self.last_ts_ns = ts_ns;
        Ok(())
    }

    /// Removes the message at `seq`, unlinking it from its subject; zeroes its bytes first
    /// when `secure`. False when there was none.
    fn remove_msg(&mut self, seq: u64, secure: bool) -> bool {
        let Some(mut slot) = self.slots.take(seq) else {
            return false;
        };
        let stored_bytes = self.stored_bytes(&slot);
        self.bytes = self
            .bytes
            .checked_sub(stored_bytes)
            .expect("bytes count every message");
        let (prev, next) = (self.links.prev(seq, &slot), self.links.next(seq, &slot));
        self.links.forget(seq);
        if let Some(prev) = prev {
            let prev_slot = self
                .slots
                .get_mut(prev)
                .expect("a linked message is stored");
            self.links.set_next(prev, prev_slot, next);
        }
        if let Some(next) = next {
            let next_slot = self
                .slots
                .get_mut(next)
                .expect("a linked message is stored");
            self.links.set_prev(next, next_slot, prev);
        }
        self.subjects.remove(slot.subject, seq, |_| next, |_| prev);
        if let Some(expires_ns) = self.expiries.remove(&seq) {
            let ttl = self
                .ttl
                .as_mut()
                .expect("a message with an expiry is in the wheel");
            assert!(ttl.remove(seq, expires_ns), "the wheel holds every expiry");
        }
        if secure {
            slot.data.fill(0);
            // Keeps the zeroing from being optimised away as a dead store before the drop.
            std::hint::black_box(&slot.data);
        }
        true
    }

    /// Empties the store, keeping `last_seq`.
    fn clear(&mut self) -> u64 {
        let removed = self.slots.len();
        self.slots.clear();
        self.subjects.clear();
        self.links.clear();
        self.ttl = None;
        self.expiries.clear();
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

    /// Estimated heap bytes of the message slots, the subject index and the side maps (not the
    /// message bodies, which are one allocation each).
    pub fn heap_bytes(&self) -> usize {
        // A B-tree entry of two u64s, nodes about two-thirds full.
        let side = (self.expiries.len() + self.links.len()) * 16 * 3 / 2;
        self.slots.heap_bytes() + self.subjects.heap_bytes() + side
    }
}

impl LimitTarget for MemStore {
    fn msgs(&self) -> u64 {
        self.slots.len()
    }

    fn bytes(&self) -> u64 {
        self.bytes
    }

    fn subject_msgs(&self, subject: &str) -> u64 {
        self.subjects.get(subject).map_or(0, |info| info.msgs)
    }

    fn subject_first_bytes(&self, subject: &str) -> Option<u64> {
        let info = self.subjects.get(subject)?;
        self.slots
            .get(info.first_seq)
            .map(|slot| self.stored_bytes(slot))
    }

    fn remove_first(&mut self) -> Result<bool> {
        let first = self.slots.first().map(|(seq, _)| seq);
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
