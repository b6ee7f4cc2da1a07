//! Same-subject links between slots: each [`Slot`] holds the distance to the previous and the
//! next message of its subject as a `u32`, so removing a subject's first or last message
//! finds the new one in O(1) and per-subject limits never scan. A neighbour further than a
//! `u32` reaches (only after a gap of over four billion sequences from `skip_many` or
//! `store_raw`) is recorded in [`FarLinks`] and the slot holds [`LINK_FAR`].
use std::collections::BTreeMap;

use super::slots::{LINK_FAR, LINK_NONE, Slot};

/// The links too long for a slot's `u32`, by the sequence that holds them. Empty unless the
/// sequence space has a gap of over four billion.
#[derive(Debug, Default)]
pub struct FarLinks {
    prev: BTreeMap<u64, u64>,
    next: BTreeMap<u64, u64>,
}

/// A link value from `seq` to `neighbour`; records it in `far` when it does not fit.
fn encode(far: &mut BTreeMap<u64, u64>, seq: u64, neighbour: Option<u64>) -> u32 {
    far.remove(&seq);
    let Some(neighbour) = neighbour else {
        return LINK_NONE;
    };
    let distance = neighbour.abs_diff(seq);
    assert_ne!(distance, 0, "a message is not its own neighbour");
    match u32::try_from(distance) {
        Ok(distance) if distance != LINK_FAR => distance,
        _ => {
            far.insert(seq, neighbour);
            LINK_FAR
        }
    }
}

/// The sequence a link value of `seq` points at.
fn decode(far: &BTreeMap<u64, u64>, seq: u64, link: u32, forward: bool) -> Option<u64> {
    match link {
        LINK_NONE => None,
        LINK_FAR => Some(*far.get(&seq).expect("a far link is recorded")),
        distance if forward => Some(seq + u64::from(distance)),
        distance => Some(seq - u64::from(distance)),
    }
}

impl FarLinks {
    pub fn clear(&mut self) {
        self.prev.clear();
        self.next.clear();
    }

    /// The previous message of `slot`'s subject (`slot` is at `seq`).
    pub fn prev(&self, seq: u64, slot: &Slot) -> Option<u64> {
        decode(&self.prev, seq, slot.prev_link, false)
    }

    /// The next message of `slot`'s subject (`slot` is at `seq`).
    pub fn next(&self, seq: u64, slot: &Slot) -> Option<u64> {
        decode(&self.next, seq, slot.next_link, true)
    }

    /// Points `slot` (at `seq`) back at `prev`.
    pub fn set_prev(&mut self, seq: u64, slot: &mut Slot, prev: Option<u64>) {
        assert!(prev.is_none_or(|prev| prev < seq));
        slot.prev_link = encode(&mut self.prev, seq, prev);
    }

    /// Points `slot` (at `seq`) on to `next`.
    pub fn set_next(&mut self, seq: u64, slot: &mut Slot, next: Option<u64>) {
        assert!(next.is_none_or(|next| next > seq));
        slot.next_link = encode(&mut self.next, seq, next);
    }

    /// Forgets the far links of a removed message.
    pub fn forget(&mut self, seq: u64) {
        self.prev.remove(&seq);
        self.next.remove(&seq);
    }

    pub fn len(&self) -> usize {
        self.prev.len() + self.next.len()
    }
}
