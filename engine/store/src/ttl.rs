//! `TtlWheel`: a hash wheel of per-message expiry times. Sans-IO: callers pass `now_ns`.
//!
//! An entry `(seq, expires_ns)` lives in slot `(expires_ns / tick_ns) % slot_count`, so adding
//! and removing are O(log k) in the slot's size k and the number of slots is fixed. Each slot
//! and the wheel keep a lower bound of the expiries they hold (exact after add, possibly stale
//! after remove, which only makes the driver wake early). `expired(now_ns)` visits only slots
//! whose bound is due.
//!
//! The wheel persists as `ttl.state` with the versioned, crc-checked encoding documented in
//! docs/formats/ttl.md (layout constants in [`layout`]). A wheel is a cache of what the blocks
//! say: on a bad or stale file the store rebuilds it from the messages.
use std::collections::BTreeMap;

use crate::{Error, Result};

/// Default tick: one second of expiry time per slot.
pub const TICK_NS_DEFAULT: u64 = 1_000_000_000;
/// Default number of slots (a revolution of about 68 minutes at the default tick).
pub const SLOT_COUNT_DEFAULT: u32 = 4096;
/// Upper bound on slots, checked before allocating (a decoded file cannot ask for more).
pub const SLOT_COUNT_MAX: u32 = 1 << 20;

/// Byte layout of the encoded wheel (all little-endian), see docs/formats/ttl.md.
pub mod layout {
    /// `b"NTTW"`.
    pub const MAGIC: [u8; 4] = *b"NTTW";
    pub const VERSION: u16 = 1;
    pub const MAGIC_OFFSET: usize = 0;
    pub const VERSION_OFFSET: usize = 4;
    /// Reserved, written as zero.
    pub const FLAGS_OFFSET: usize = 6;
    pub const TICK_NS_OFFSET: usize = 8;
    pub const SLOT_COUNT_OFFSET: usize = 16;
    /// Reserved, written as zero; keeps the u64 fields aligned.
    pub const RESERVED_OFFSET: usize = 20;
    pub const HIGH_SEQ_OFFSET: usize = 24;
    pub const ENTRY_COUNT_OFFSET: usize = 32;
    pub const HEADER_LEN: usize = 40;
    /// Each entry: seq u64, expires_ns u64.
    pub const ENTRY_LEN: usize = 16;
    /// crc32 (crc32fast) of every byte before it.
    pub const CRC_LEN: usize = 4;
    const _: () = assert!(ENTRY_COUNT_OFFSET + 8 == HEADER_LEN);
    const _: () = assert!(HIGH_SEQ_OFFSET + 8 == ENTRY_COUNT_OFFSET);
    const _: () = assert!(RESERVED_OFFSET + 4 == HIGH_SEQ_OFFSET);
    const _: () = assert!(SLOT_COUNT_OFFSET + 4 == RESERVED_OFFSET);
    const _: () = assert!(TICK_NS_OFFSET + 8 == SLOT_COUNT_OFFSET);
    const _: () = assert!(FLAGS_OFFSET + 2 == TICK_NS_OFFSET);
}

#[derive(Clone, Debug, Default)]
struct Slot {
    /// seq -> expires_ns.
    entries: BTreeMap<u64, u64>,
    /// Lower bound of the expiries in `entries` (`u64::MAX` when empty).
    lowest_ns: u64,
}

/// A hash wheel of `(seq, expires_ns)` entries.
#[derive(Clone, Debug)]
pub struct TtlWheel {
    tick_ns: u64,
    slots: Vec<Slot>,
    count: u64,
    /// Lower bound of every expiry in the wheel (`u64::MAX` when empty).
    lowest_ns: u64,
}

impl Default for TtlWheel {
    fn default() -> Self {
        Self::new(TICK_NS_DEFAULT, SLOT_COUNT_DEFAULT)
    }
}

impl TtlWheel {
    /// A wheel of `slot_count` slots of `tick_ns` each (both clamped to at least 1 and
    /// `slot_count` to [`SLOT_COUNT_MAX`]).
    pub fn new(tick_ns: u64, slot_count: u32) -> Self {
        let slot_count = slot_count.clamp(1, SLOT_COUNT_MAX);
        let empty = Slot {
            entries: BTreeMap::new(),
            lowest_ns: u64::MAX,
        };
        Self {
            tick_ns: tick_ns.max(1),
            slots: vec![empty; slot_count as usize],
            count: 0,
            lowest_ns: u64::MAX,
        }
    }

    fn slot_index(&self, expires_ns: u64) -> usize {
        ((expires_ns / self.tick_ns) % self.slots.len() as u64) as usize
    }

    /// Number of entries.
    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds the expiry of `seq`. A sequence is added once: re-adding it with another expiry
    /// leaves the old entry too (remove it first).
    pub fn add(&mut self, seq: u64, expires_ns: u64) {
        let index = self.slot_index(expires_ns);
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        if slot.entries.insert(seq, expires_ns).is_none() {
            self.count += 1;
        }
        slot.lowest_ns = slot.lowest_ns.min(expires_ns);
        self.lowest_ns = self.lowest_ns.min(expires_ns);
    }

    /// Removes the entry of `seq` added with `expires_ns`; false when absent.
    pub fn remove(&mut self, seq: u64, expires_ns: u64) -> bool {
        let index = self.slot_index(expires_ns);
        let Some(slot) = self.slots.get_mut(index) else {
            return false;
        };
        if slot.entries.get(&seq) == Some(&expires_ns) {
            slot.entries.remove(&seq);
            self.count -= 1;
            if slot.entries.is_empty() {
                slot.lowest_ns = u64::MAX;
            }
            if self.count == 0 {
                self.lowest_ns = u64::MAX;
            }
            return true;
        }
        false
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        for slot in &mut self.slots {
            slot.entries.clear();
            slot.lowest_ns = u64::MAX;
        }
        self.count = 0;
        self.lowest_ns = u64::MAX;
    }

    /// The earliest time at which `expired` may return something, if any entry exists.
    pub fn next_expiry_ns(&self) -> Option<u64> {
        (self.count > 0).then_some(self.lowest_ns)
    }

    /// Removes and returns every `(seq, expires_ns)` with `expires_ns <= now_ns`, by seq
    /// within a slot.
    pub fn expired(&mut self, now_ns: u64) -> std::vec::IntoIter<(u64, u64)> {
        let mut due = Vec::new();
        if self.count == 0 || self.lowest_ns > now_ns {
            return due.into_iter();
        }
        let mut lowest = u64::MAX;
        for slot in &mut self.slots {
            if slot.lowest_ns <= now_ns {
                slot.entries.retain(|&seq, &mut expires_ns| {
                    let is_due = expires_ns <= now_ns;
                    if is_due {
                        due.push((seq, expires_ns));
                    }
                    !is_due
                });
                slot.lowest_ns = slot.entries.values().copied().min().unwrap_or(u64::MAX);
            }
            lowest = lowest.min(slot.lowest_ns);
        }
        self.count -= due.len() as u64;
        self.lowest_ns = lowest;
        due.into_iter()
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.slots
            .iter()
            .flat_map(|slot| slot.entries.iter().map(|(&s, &e)| (s, e)))
    }

    /// Encodes the wheel; `high_seq` is the last stream sequence it covers, so a loader knows
    /// which newer messages to add from the blocks.
    pub fn encode(&self, high_seq: u64) -> Vec<u8> {
        let body_len = layout::HEADER_LEN + self.count as usize * layout::ENTRY_LEN;
        let mut out = Vec::with_capacity(body_len + layout::CRC_LEN);
        out.extend_from_slice(&layout::MAGIC);
        out.extend_from_slice(&layout::VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&self.tick_ns.to_le_bytes());
        let slots = u32::try_from(self.slots.len()).expect("the slot count is bounded at build");
        out.extend_from_slice(&slots.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&high_seq.to_le_bytes());
        out.extend_from_slice(&self.count.to_le_bytes());
        let mut entries: Vec<(u64, u64)> = self.iter().collect();
        entries.sort_unstable();
        for (seq, expires_ns) in entries {
            out.extend_from_slice(&seq.to_le_bytes());
            out.extend_from_slice(&expires_ns.to_le_bytes());
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes bytes from [`TtlWheel::encode`]; returns the wheel and its `high_seq`.
    /// Never panics; any damage is [`Error::Decode`].
    pub fn decode(bytes: &[u8]) -> Result<(Self, u64)> {
        let fail = |reason: String| Error::Decode {
            what: "ttl wheel",
            reason,
        };
        if bytes.len() < layout::HEADER_LEN + layout::CRC_LEN {
            return Err(fail(format!(
                "{} bytes is shorter than a header",
                bytes.len()
            )));
        }
        let (body, crc_bytes) = bytes.split_at(bytes.len() - layout::CRC_LEN);
        let stored_crc = u32::from_le_bytes(array(crc_bytes, 0).map_err(fail)?);
        let computed_crc = crc32fast::hash(body);
        if stored_crc != computed_crc {
            return Err(fail(format!(
                "crc {stored_crc:#010x}, expected {computed_crc:#010x}"
            )));
        }
        if body.get(..4) != Some(&layout::MAGIC[..]) {
            return Err(fail("bad magic".into()));
        }
        let version = u16::from_le_bytes(array(body, layout::VERSION_OFFSET).map_err(fail)?);
        if version != layout::VERSION {
            return Err(fail(format!(
                "version {version}, expected {}",
                layout::VERSION
            )));
        }
        let tick_ns = u64::from_le_bytes(array(body, layout::TICK_NS_OFFSET).map_err(fail)?);
        let slot_count = u32::from_le_bytes(array(body, layout::SLOT_COUNT_OFFSET).map_err(fail)?);
        let high_seq = u64::from_le_bytes(array(body, layout::HIGH_SEQ_OFFSET).map_err(fail)?);
        let count = u64::from_le_bytes(array(body, layout::ENTRY_COUNT_OFFSET).map_err(fail)?);
        if tick_ns == 0 || slot_count == 0 || slot_count > SLOT_COUNT_MAX {
            return Err(fail(format!("tick {tick_ns} ns, {slot_count} slots")));
        }
        let entries = body.get(layout::HEADER_LEN..).unwrap_or_default();
        if (entries.len() / layout::ENTRY_LEN) as u64 != count
            || entries.len() % layout::ENTRY_LEN != 0
        {
            return Err(fail(format!("{count} entries in {} bytes", entries.len())));
        }
        let mut wheel = Self::new(tick_ns, slot_count);
        for entry in entries.chunks_exact(layout::ENTRY_LEN) {
            let seq = u64::from_le_bytes(array(entry, 0).map_err(fail)?);
            let expires_ns = u64::from_le_bytes(array(entry, 8).map_err(fail)?);
            wheel.add(seq, expires_ns);
        }
        Ok((wheel, high_seq))
    }
}

/// `N` bytes of `bytes` at `offset`, or why not.
fn array<const N: usize>(bytes: &[u8], offset: usize) -> std::result::Result<[u8; N], String> {
    bytes
        .get(offset..offset.saturating_add(N))
        .and_then(|slice| slice.try_into().ok())
        .ok_or_else(|| format!("truncated at offset {offset}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_at_their_time_and_not_before() {
        let mut wheel = TtlWheel::new(10, 8);
        wheel.add(1, 100);
        wheel.add(2, 105);
        wheel.add(3, 1_000);
        assert_eq!(wheel.next_expiry_ns(), Some(100));
        assert_eq!(wheel.expired(99).count(), 0);
        let mut due: Vec<_> = wheel.expired(105).collect();
        due.sort_unstable();
        assert_eq!(due, vec![(1, 100), (2, 105)]);
        assert_eq!(wheel.len(), 1);
        assert_eq!(wheel.next_expiry_ns(), Some(1_000));
        assert_eq!(wheel.expired(1_000).collect::<Vec<_>>(), vec![(3, 1_000)]);
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_expiry_ns(), None);
    }

    #[test]
    fn entries_a_revolution_apart_share_a_slot_but_expire_separately() {
        // 8 slots of 10 ns: 15 and 95 land in the same slot.
        let mut wheel = TtlWheel::new(10, 8);
        wheel.add(1, 15);
        wheel.add(2, 95);
        assert_eq!(wheel.expired(20).collect::<Vec<_>>(), vec![(1, 15)]);
        assert_eq!(wheel.next_expiry_ns(), Some(95));
        assert_eq!(wheel.expired(95).collect::<Vec<_>>(), vec![(2, 95)]);
    }

    #[test]
    fn removed_entries_never_expire() {
        let mut wheel = TtlWheel::new(10, 8);
        wheel.add(1, 50);
        wheel.add(2, 60);
        assert!(wheel.remove(1, 50));
        assert!(!wheel.remove(1, 50));
        assert!(!wheel.remove(2, 61));
        assert_eq!(wheel.expired(1_000).collect::<Vec<_>>(), vec![(2, 60)]);
    }

    #[test]
    fn encoding_round_trips_and_detects_damage() {
        let mut wheel = TtlWheel::new(1_000, 64);
        for seq in 1..=50u64 {
            wheel.add(seq, seq * 777);
        }
        let bytes = wheel.encode(50);
        let (decoded, high_seq) = TtlWheel::decode(&bytes).expect("decodes");
        assert_eq!(high_seq, 50);
        let mut original: Vec<_> = wheel.iter().collect();
        let mut restored: Vec<_> = decoded.iter().collect();
        original.sort_unstable();
        restored.sort_unstable();
        assert_eq!(original, restored);
        for index in 0..bytes.len() {
            let mut damaged = bytes.clone();
            if let Some(byte) = damaged.get_mut(index) {
                *byte ^= 0x40;
            }
            assert!(
                TtlWheel::decode(&damaged).is_err(),
                "flip at {index} accepted"
            );
        }
        for len in 0..bytes.len() {
            assert!(
                TtlWheel::decode(&bytes[..len]).is_err(),
                "truncation to {len} accepted"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: crate::proptest_cases(256),
            failure_persistence: None,
            ..Default::default()
        })]

        #[test]
        fn decode_never_panics_on_arbitrary_bytes(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
        ) {
            let _ = TtlWheel::decode(&bytes);
        }

        #[test]
        fn decode_checks_counts_behind_a_valid_crc(
            count in 0u64..1_000,
            slots in proptest::prelude::any::<u32>(),
        ) {
            // A header claiming entries it does not have, resealed so the crc passes.
            let mut bytes = TtlWheel::new(10, 4).encode(0);
            bytes.truncate(layout::HEADER_LEN);
            bytes[layout::SLOT_COUNT_OFFSET..layout::SLOT_COUNT_OFFSET + 4]
                .copy_from_slice(&slots.to_le_bytes());
            bytes[layout::ENTRY_COUNT_OFFSET..layout::HEADER_LEN]
                .copy_from_slice(&count.to_le_bytes());
            let crc = crc32fast::hash(&bytes);
            bytes.extend_from_slice(&crc.to_le_bytes());
            let accepted = TtlWheel::decode(&bytes).is_ok();
            proptest::prop_assert_eq!(
                accepted,
                count == 0 && (1..=SLOT_COUNT_MAX).contains(&slots)
            );
        }
    }
}
