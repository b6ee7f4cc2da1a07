//! `Slots`: MemStore's messages by sequence, in dense chunks.
//!
//! A chunk is a run of consecutive sequences in a `Vec<Option<Slot>>` (sequence `base + i` at
//! index `i`), at most [`ChunkShape::slots_max`] long; chunks sit in a `BTreeMap` by base. A
//! lookup is one descent of that small map and an index, and a message costs its 40-byte
//! [`Slot`] instead of a B-tree entry (key, value and the half-empty nodes that ascending
//! inserts leave).
//!
//! Gaps: a gap opened by skips or `store_raw` is filled with empty slots (`None`, the same 40
//! bytes) only up to [`ChunkShape::gap_max`]; past that the next message starts a new chunk,
//! so a gap of 2^40 sequences costs one chunk, not 2^40 slots. A removed message leaves an
//! empty slot; when fewer than one slot in [`ChunkShape::sparse_ratio`] of a chunk is live, the
//! chunk is split into pieces around its live runs (gaps of at most `gap_max` kept). So memory
//! is bounded per live message whatever the removal pattern (a KV bucket whose old keys pin
//! one message each in otherwise dead chunks): at most `sparse_ratio` slots (160 B) plus a
//! share of a chunk's map entry, about what a B-tree entry costs. Each split costs the chunk's
//! length once, and a piece must lose half its messages before it can be split again, so the
//! work is O(1) amortised per removal.
//!
//! Beyond that, memory is bounded by a few chunks, not by the message count: only the newest
//! chunk has growth slack (it doubles up to `slots_max`; a chunk is shrunk to fit when a newer
//! one starts), and a stream trimmed from the front sheds its dead slots by splits.
use std::collections::BTreeMap;

use crate::subjects::SubjectId;

/// Sequences per chunk: 160 KiB of slots. Large enough that the chunk map (one entry per
/// chunk) costs nothing per message, small enough that a chunk's dead front or growth slack
/// is negligible next to the memory of a stream that fills several chunks.
pub const CHUNK_SLOTS_MAX: usize = 4096;

/// Longest run of empty slots kept inside a chunk, from skips, `store_raw` or removals. An empty
/// slot costs 40 bytes and a chunk's map entry about 70, so a gap of two or more slots is
/// cheaper as a chunk boundary. It also sets how sparse a chunk may get before it is split
/// ([`ChunkShape::sparse_ratio`]).
pub const GAP_SLOTS_MAX: u64 = 1;

/// Capacity of a new chunk: most streams that stop early are small.
const CHUNK_CAPACITY_MIN: usize = 4;

/// Link value for "no neighbour" (a real neighbour is at least one sequence away).
pub const LINK_NONE: u32 = 0;
/// Link value for a neighbour too far for a `u32` distance: the sequence is in `FarLinks`.
pub const LINK_FAR: u32 = u32::MAX;

/// One stored message.
#[derive(Debug)]
pub struct Slot {
    pub ts_ns: u64,
    /// Headers followed by payload: one allocation per message.
    pub data: Box<[u8]>,
    pub subject: SubjectId,
    pub headers_len: u32,
    /// Distance back to the previous message of the same subject ([`LINK_NONE`], [`LINK_FAR`]).
    pub prev_link: u32,
    /// Distance on to the next message of the same subject ([`LINK_NONE`], [`LINK_FAR`]).
    pub next_link: u32,
}

// The per-message memory figure in docs/benchmarks/store.md rests on this size, and an empty
// slot must cost no more than a full one (the boxed body's non-null pointer is the niche).
const _: () = assert!(size_of::<Option<Slot>>() == 40);

/// How sequences are cut into chunks. Tests use tiny shapes to exercise chunk boundaries.
#[derive(Clone, Copy, Debug)]
pub struct ChunkShape {
    pub slots_max: usize,
    pub gap_max: u64,
}

impl ChunkShape {
    /// A chunk longer than this many slots per live one is split. The pieces of a split hold at
    /// most `gap_max + 1` slots per live one, half of this, so a piece must lose half its
    /// messages before it is split again (what makes splitting O(1) amortised).
    pub fn sparse_ratio(&self) -> usize {
        2 * (self.gap_max as usize + 1)
    }
}

impl Default for ChunkShape {
    fn default() -> Self {
        Self {
            slots_max: CHUNK_SLOTS_MAX,
            gap_max: GAP_SLOTS_MAX,
        }
    }
}

/// A run of consecutive sequences. Never empty: `slots[head]` and the last slot are live.
#[derive(Debug)]
struct Chunk {
    slots: Vec<Option<Slot>>,
    /// Index of the first live slot; every slot before it is empty.
    head: usize,
    /// Live slots.
    live: usize,
}

impl Chunk {
    fn last_index(&self) -> usize {
        self.slots.len() - 1
    }

    /// Makes room for `len` slots, doubling up to `slots_max` (only the newest chunk grows, so
    /// the doubling slack is bounded by one chunk).
    fn reserve_for(&mut self, len: usize, slots_max: usize) {
        assert!(
            len <= slots_max,
            "a chunk holds at most slots_max sequences"
        );
        let capacity = self.slots.capacity();
        if len > capacity {
            let target = len.max(capacity * 2).min(slots_max);
            self.slots.reserve_exact(target - self.slots.len());
        }
    }
}

/// Messages by sequence.
#[derive(Debug, Default)]
pub struct Slots {
    chunks: BTreeMap<u64, Chunk>,
    /// Live slots in all chunks.
    len: u64,
    shape: ChunkShape,
}

impl Slots {
    pub fn new(shape: ChunkShape) -> Self {
        assert!(shape.slots_max > 0, "a chunk holds at least one sequence");
        // Keeps `sparse_ratio` and the slots it allows per live message small.
        assert!(
            shape.gap_max <= u64::from(u16::MAX),
            "gaps inside a chunk are short"
        );
        Self {
            chunks: BTreeMap::new(),
            len: 0,
            shape,
        }
    }

    /// Live messages.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }

    /// Adds the message at `seq`, above every sequence pushed before.
    pub fn push(&mut self, seq: u64, slot: Slot) {
        let slots_max = self.shape.slots_max;
        self.len += 1;
        if let Some((&base, chunk)) = self.chunks.iter_mut().next_back() {
            let last = base + chunk.last_index() as u64;
            assert!(seq > last, "sequences are pushed in ascending order");
            let offset = seq - base;
            if seq - last - 1 <= self.shape.gap_max && offset < slots_max as u64 {
                // Below slots_max, so the offset fits a usize.
                let offset = offset as usize;
                chunk.reserve_for(offset + 1, slots_max);
                chunk.slots.resize_with(offset, || None);
                chunk.slots.push(Some(slot));
                chunk.live += 1;
                return;
            }
            // Sealed: nothing is pushed to it again.
            chunk.slots.shrink_to_fit();
        }
        let mut slots = Vec::with_capacity(CHUNK_CAPACITY_MIN.min(slots_max));
        slots.push(Some(slot));
        let chunk = Chunk {
            slots,
            head: 0,
            live: 1,
        };
        assert!(self.chunks.insert(seq, chunk).is_none());
    }

    /// The chunk that would hold `seq`, and `seq`'s index in it when it is in range.
    fn locate(&self, seq: u64) -> Option<(&Chunk, usize)> {
        let (&base, chunk) = self.chunks.range(..=seq).next_back()?;
        let index = usize::try_from(seq - base).ok()?;
        (index < chunk.slots.len()).then_some((chunk, index))
    }

    pub fn get(&self, seq: u64) -> Option<&Slot> {
        let (chunk, index) = self.locate(seq)?;
        chunk.slots.get(index)?.as_ref()
    }

    pub fn get_mut(&mut self, seq: u64) -> Option<&mut Slot> {
        let (&base, chunk) = self.chunks.range_mut(..=seq).next_back()?;
        let index = usize::try_from(seq - base).ok()?;
        chunk.slots.get_mut(index)?.as_mut()
    }

    /// Removes and returns the message at `seq`. Drops its chunk when that was the chunk's
    /// last live message; otherwise keeps the chunk's first and last slots live.
    pub fn take(&mut self, seq: u64) -> Option<Slot> {
        let (&base, chunk) = self.chunks.range_mut(..=seq).next_back()?;
        let index = usize::try_from(seq - base).ok()?;
        let slot = chunk.slots.get_mut(index)?.take()?;
        self.len -= 1;
        chunk.live -= 1;
        if chunk.live == 0 {
            self.chunks.remove(&base);
            return Some(slot);
        }
        if index == chunk.head {
            // A live slot follows: the last one is live and is not this one.
            let next_live = chunk.slots.iter().skip(index + 1).position(Option::is_some);
            chunk.head = index + 1 + next_live.expect("a chunk with live slots has a last one");
        }
        if index == chunk.last_index() {
            while chunk.slots.last().is_some_and(Option::is_none) {
                chunk.slots.pop();
            }
        }
        assert!(chunk.head <= chunk.last_index());
        if chunk.slots.len() > chunk.live * self.shape.sparse_ratio() {
            self.split(base);
        }
        Some(slot)
    }

    /// Replaces the chunk at `base` by pieces around its live runs: a run of more than
    /// `gap_max` empty slots becomes a boundary. Each piece is allocated at its exact length.
    fn split(&mut self, base: u64) {
        let chunk = self
            .chunks
            .remove(&base)
            .expect("the chunk being split exists");
        let mut pieces = Vec::new();
        // The piece being built: its base, the index of its first slot, and its length so far.
        let mut piece: Option<(u64, usize, usize)> = None;
        for (index, slot) in chunk.slots.iter().enumerate().skip(chunk.head) {
            if slot.is_none() {
                continue;
            }
            let seq = base + index as u64;
            match piece {
                Some((piece_base, _, ref mut len))
                    if seq - (piece_base + *len as u64) <= self.shape.gap_max =>
                {
                    *len = (seq - piece_base) as usize + 1;
                }
                _ => {
                    pieces.extend(piece);
                    piece = Some((seq, index, 1));
                }
            }
        }
        pieces.extend(piece);
        let mut slots = chunk.slots.into_iter();
        let (mut consumed, mut live_total) = (0, 0);
        for (piece_base, first, len) in pieces {
            let mut piece_slots = Vec::with_capacity(len);
            piece_slots.extend(slots.by_ref().skip(first - consumed).take(len));
            consumed = first + len;
            let live = piece_slots.iter().flatten().count();
            let piece = Chunk {
                slots: piece_slots,
                head: 0,
                live,
            };
            assert!(piece.slots.len() <= live * (self.shape.gap_max as usize + 1));
            live_total += live;
            assert!(self.chunks.insert(piece_base, piece).is_none());
        }
        assert_eq!(live_total, chunk.live, "every live slot went to a piece");
    }

    /// The first live message.
    pub fn first(&self) -> Option<(u64, &Slot)> {
        let (&base, chunk) = self.chunks.first_key_value()?;
        let slot = chunk.slots.get(chunk.head)?.as_ref();
        Some((
            base + chunk.head as u64,
            slot.expect("a chunk's head slot is live"),
        ))
    }

    /// The last live message.
    pub fn last(&self) -> Option<(u64, &Slot)> {
        let (&base, chunk) = self.chunks.last_key_value()?;
        let slot = chunk.slots.last()?.as_ref();
        let seq = base + chunk.last_index() as u64;
        Some((seq, slot.expect("a chunk's last slot is live")))
    }

    /// Live messages at or after `from`, ascending.
    pub fn range(&self, from: u64) -> impl Iterator<Item = (u64, &Slot)> + '_ {
        // The chunk holding `from`, if any, starts at or below it.
        let start = self
            .chunks
            .range(..=from)
            .next_back()
            .map_or(from, |(&base, _)| base);
        self.chunks.range(start..).flat_map(move |(&base, chunk)| {
            let len = chunk.slots.len() as u64;
            // A chunk starting after `from` is visited whole.
            let skip = from.saturating_sub(base).min(len) as usize;
            let skip = skip.max(chunk.head);
            let slots = chunk.slots.iter().enumerate().skip(skip);
            slots.filter_map(move |(index, slot)| Some((base + index as u64, slot.as_ref()?)))
        })
    }

    /// Live messages at or after `from`: whole chunks by their live count, so the cost is the
    /// number of chunks plus the slots of the chunk holding `from`.
    pub fn count_from(&self, from: u64) -> u64 {
        let start = self
            .chunks
            .range(..=from)
            .next_back()
            .map_or(from, |(&base, _)| base);
        self.chunks
            .range(start..)
            .map(|(&base, chunk)| {
                if base >= from {
                    return chunk.live as u64;
                }
                let skip = usize::try_from(from - base).unwrap_or(usize::MAX);
                chunk.slots.iter().skip(skip).flatten().count() as u64
            })
            .sum()
    }

    /// The last live message at or before `seq`.
    pub fn last_at_or_before(&self, seq: u64) -> Option<(u64, &Slot)> {
        self.chunks.range(..=seq).rev().find_map(|(&base, chunk)| {
            let len = chunk.slots.len() as u64;
            let end = (seq - base).min(len - 1) as usize;
            let slots = chunk.slots.iter().enumerate().take(end + 1).rev();
            slots
                .filter_map(|(index, slot)| Some((base + index as u64, slot.as_ref()?)))
                .next()
        })
    }

    /// Estimated heap bytes: every chunk's capacity plus the map's nodes.
    pub fn heap_bytes(&self) -> usize {
        let slots: usize = self
            .chunks
            .values()
            .map(|chunk| chunk.slots.capacity() * size_of::<Option<Slot>>())
            .sum();
        // B-tree nodes hold up to 11 entries and run about two-thirds full.
        let map = self.chunks.len() * size_of::<(u64, Chunk)>() * 3 / 2;
        slots + map
    }

    /// Checks every chunk invariant; tests call it after each step.
    #[cfg(test)]
    pub fn check(&self) {
        let mut live = 0;
        let mut previous_end = None;
        for (&base, chunk) in &self.chunks {
            assert!(chunk.slots.len() <= self.shape.slots_max);
            assert!(chunk.slots.get(chunk.head).is_some_and(Option::is_some));
            assert!(chunk.slots.last().is_some_and(Option::is_some));
            assert!(chunk.slots.iter().take(chunk.head).all(Option::is_none));
            assert_eq!(chunk.slots.iter().flatten().count(), chunk.live);
            assert!(chunk.slots.len() <= chunk.live * self.shape.sparse_ratio());
            assert!(previous_end.is_none_or(|end| base > end));
            previous_end = Some(base + chunk.last_index() as u64);
            live += chunk.live as u64;
        }
        assert_eq!(live, self.len);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn slot(ts_ns: u64) -> Slot {
        Slot {
            ts_ns,
            data: Box::new([]),
            subject: crate::subjects::SubjectIndex::new()
                .add("s", 1)
                .expect("add")
                .0,
            headers_len: 0,
            prev_link: LINK_NONE,
            next_link: LINK_NONE,
        }
    }

    #[test]
    fn a_huge_gap_starts_a_chunk_instead_of_filling_slots() {
        let mut slots = Slots::new(ChunkShape::default());
        slots.push(1, slot(1));
        slots.push(1 << 40, slot(2));
        slots.push((1 << 40) + 1 + GAP_SLOTS_MAX, slot(3));
        slots.check();
        assert_eq!(slots.chunks.len(), 2);
        assert!(slots.heap_bytes() < 1024, "{} bytes", slots.heap_bytes());
        let seqs: Vec<u64> = slots.range(0).map(|(seq, _)| seq).collect();
        assert_eq!(seqs, vec![1, 1 << 40, (1 << 40) + 1 + GAP_SLOTS_MAX]);
        assert_eq!(
            slots.last_at_or_before((1 << 40) - 1).map(|(s, _)| s),
            Some(1)
        );
    }

    #[test]
    fn a_trimmed_front_frees_whole_chunks() {
        let mut slots = Slots::new(ChunkShape::default());
        let count = 10 * CHUNK_SLOTS_MAX as u64;
        for seq in 1..=count {
            slots.push(seq, slot(seq));
            if seq > 100 {
                assert!(slots.take(seq - 100).is_some());
            }
        }
        slots.check();
        assert_eq!(slots.len(), 100);
        assert!(slots.chunks.len() <= 2);
        assert_eq!(slots.first().map(|(s, _)| s), Some(count - 99));
    }

    #[test]
    fn messages_left_scattered_in_dead_chunks_cost_a_bounded_amount_each() {
        let mut slots = Slots::new(ChunkShape::default());
        let count = 64 * CHUNK_SLOTS_MAX as u64;
        for seq in 1..=count {
            slots.push(seq, slot(seq));
        }
        // Like a KV bucket whose few cold keys each pin one old message.
        let kept = |seq: u64| seq.is_multiple_of(1000);
        for seq in (1..=count).filter(|&seq| !kept(seq)) {
            assert!(slots.take(seq).is_some());
        }
        slots.check();
        let live = slots.len();
        assert_eq!(live, count / 1000);
        let per_live = slots.heap_bytes() as u64 / live;
        assert!(per_live <= 160, "{per_live} bytes per live message");
    }

    /// One step of the chunk property test.
    #[derive(Clone, Debug)]
    enum Step {
        Push { gap: u64 },
        Take { pick: u64 },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => prop_oneof![0..3u64, 0..12u64, Just(u64::from(u32::MAX))]
                .prop_map(|gap| Step::Push { gap }),
            2 => any::<u64>().prop_map(|pick| Step::Take { pick }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: crate::proptest_cases(256),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Pushes (with gaps) and removals against a `BTreeMap`, with tiny chunks.
        #[test]
        fn slots_agree_with_a_map(
            slots_max in 1..6usize,
            gap_max in 0..4u64,
            steps in prop::collection::vec(step(), 1..120),
        ) {
            let mut slots = Slots::new(ChunkShape { slots_max, gap_max });
            let mut model = BTreeMap::new();
            let mut next = 1u64;
            for step in steps {
                match step {
                    Step::Push { gap } => {
                        next += gap;
                        slots.push(next, slot(next));
                        model.insert(next, next);
                        next += 1;
                    }
                    Step::Take { pick } => {
                        // Mostly live sequences, sometimes a gap or one past the end.
                        let seq = pick % (next + 1);
                        let seq = model.range(seq..).next().map_or(seq, |(&s, _)| s);
                        let want = model.remove(&seq);
                        prop_assert_eq!(slots.take(seq).map(|s| s.ts_ns), want);
                    }
                }
                slots.check();
                prop_assert_eq!(slots.len(), model.len() as u64);
                prop_assert_eq!(slots.first().map(|(s, _)| s), model.keys().next().copied());
                prop_assert_eq!(slots.last().map(|(s, _)| s), model.keys().next_back().copied());
                for probe in [0, 1, next / 2, next.saturating_sub(2), next] {
                    // Each slot's timestamp is its sequence.
                    let got: Vec<u64> = slots.range(probe).map(|(_, x)| x.ts_ns).collect();
                    let want: Vec<u64> = model.range(probe..).map(|(&s, _)| s).collect();
                    prop_assert_eq!(got, want);
                    prop_assert_eq!(
                        slots.last_at_or_before(probe).map(|(s, _)| s),
                        model.range(..=probe).next_back().map(|(&s, _)| s)
                    );
                    prop_assert_eq!(slots.get(probe).map(|s| s.ts_ns), model.get(&probe).copied());
                }
            }
        }
    }
}
