//! The FileStore's in-memory index: where each message lives, per block, in compact arrays.
//!
//! One [`Entry`] (28 bytes) per message record, kept in its block's `Vec` in sequence order;
//! sequences are stored as a `u32` delta from the block's base so the entry stays small. A
//! removed message keeps its entry with `subject == REMOVED` until its whole block goes (the
//! arrays are never shifted, so positions stay valid). Subjects are interned into a table of
//! [`SubjectInfo`] (count, first and last sequence), shared by every entry through a `u32` id.
//! When a subject's last message goes its slot is released (name dropped, id put on a free list
//! and reused by the next new subject), so the table is as large as the most subjects ever live
//! at once, never the number of subjects ever seen: churning KV keys or unique subjects under
//! max_age do not grow it. A free slot has an empty name (no valid subject is empty).
//! Plain data, no I/O, no locks: the owning `FileStore` serialises access (`&mut self`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::io::FileHandle;

/// Marks a removed entry in [`Entry::subject`].
pub const REMOVED: u32 = u32::MAX;

/// One message record's location and accounting: 28 bytes (asserted below). Packed to 4-byte
/// alignment so the `u64` timestamp does not pad it to 32: fields are only ever read and
/// written by value (a reference to `ts_ns` would not compile), which is all the index does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed(4))]
pub struct Entry {
    pub ts_ns: u64,
    /// `seq - block.seq_base`.
    pub seq_delta: u32,
    /// Subject id, or [`REMOVED`].
    pub subject: u32,
    /// Byte offset of the record in its block file.
    pub offset: u32,
    pub record_len: u32,
    /// What the message counts for in `bytes` (`stored_msg_bytes`).
    pub msg_bytes: u32,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 28);

impl Entry {
    pub fn is_live(&self) -> bool {
        self.subject != REMOVED
    }
}

/// One block file and the entries of the messages it holds.
#[derive(Debug)]
pub struct Block {
    pub index: u32,
    /// The open handle of the active block; sealed blocks are opened on demand through the
    /// store's bounded cache of open files (so a long stream does not hold one descriptor per
    /// block).
    pub file: Option<FileHandle>,
    /// Base of `Entry::seq_delta`.
    pub seq_base: u64,
    pub entries: Vec<Entry>,
    pub live: u64,
    /// Logical end: bytes appended so far, including those still in the write buffer.
    pub end_offset: u64,
    /// Running crc32 of bytes `0..end_offset` for the checkpoint; `None` after an in-place
    /// rewrite (recomputed from the file when needed).
    pub crc: Option<crc32fast::Hasher>,
}

/// The active block's entry array grows by an eighth of its length, within these bounds,
/// instead of doubling: its slack stays under 12.5 % and 128 KiB, where doubling would leave up
/// to half of a 1.5 MiB array unused (0.5 B per stored message on a long stream).
const ENTRIES_GROWTH_MIN: usize = 64;
const ENTRIES_GROWTH_MAX: usize = 4096;

impl Block {
    /// Appends `entry` (the next sequence of this block), growing the array in bounded steps.
    pub fn push_entry(&mut self, entry: Entry) {
        if self.entries.len() == self.entries.capacity() {
            let growth = (self.entries.len() / 8).clamp(ENTRIES_GROWTH_MIN, ENTRIES_GROWTH_MAX);
            self.entries.reserve_exact(growth);
        }
        self.entries.push(entry);
    }

    pub fn seq_of(&self, entry: &Entry) -> u64 {
        self.seq_base.saturating_add(u64::from(entry.seq_delta))
    }

    /// The position of `seq`'s entry in this block, if it has one.
    pub fn position(&self, seq: u64) -> Option<usize> {
        let delta = u32::try_from(seq.checked_sub(self.seq_base)?).ok()?;
        // Sequences in a block are usually dense, so the entry is usually at `delta`.
        if self
            .entries
            .get(delta as usize)
            .is_some_and(|entry| entry.seq_delta == delta)
        {
            return Some(delta as usize);
        }
        self.entries
            .binary_search_by_key(&delta, |entry| entry.seq_delta)
            .ok()
    }

    /// Highest sequence with an entry (live or removed).
    pub fn last_entry_seq(&self) -> Option<u64> {
        self.entries.last().map(|entry| self.seq_of(entry))
    }
}

/// Per-subject counters.
#[derive(Debug, Clone)]
pub struct SubjectInfo {
    pub name: Arc<str>,
    pub msgs: u64,
    pub first_seq: u64,
    pub last_seq: u64,
}

/// Interned subjects.
#[derive(Debug, Default)]
pub struct Subjects {
    /// Indexed by subject id; a released slot has an empty name and no messages.
    pub infos: Vec<SubjectInfo>,
    by_name: HashMap<Arc<str>, u32>,
    /// Released ids, reused before the table grows.
    free: Vec<u32>,
    /// Subjects with `msgs > 0`.
    pub live: u64,
    /// The last subject interned: publishers tend to repeat one, and a string compare is
    /// cheaper than hashing.
    last: Option<(Arc<str>, u32)>,
}

impl Subjects {
    pub fn id(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    /// The id of `name` if it is the last one interned (a cheap check before validating).
    pub fn recent(&self, name: &str) -> Option<u32> {
        self.last
            .as_ref()
            .filter(|(last, _)| &**last == name)
            .map(|(_, id)| *id)
    }

    /// The id of `name`, interning it when new after `valid(name)` agrees; `None` when it
    /// does not.
    pub fn intern_valid(&mut self, name: &str, valid: impl FnOnce(&str) -> bool) -> Option<u32> {
        if let Some(id) = self.recent(name) {
            return Some(id);
        }
        if self.by_name.contains_key(name) || valid(name) {
            Some(self.intern(name))
        } else {
            None
        }
    }

    /// The id of `name`, interning it when new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.recent(name) {
            return id;
        }
        if let Some(&id) = self.by_name.get(name) {
            if let Some(info) = self.infos.get(id as usize) {
                self.last = Some((Arc::clone(&info.name), id));
            }
            return id;
        }
        assert!(
            !name.is_empty(),
            "an empty name marks a free slot, never a subject"
        );
        let name: Arc<str> = Arc::from(name);
        let info = SubjectInfo {
            name: Arc::clone(&name),
            msgs: 0,
            first_seq: 0,
            last_seq: 0,
        };
        let id = match self.free.pop() {
            Some(id) => {
                let slot = self.infos.get_mut(id as usize);
                let slot = slot.expect("a free id names a slot of the table");
                assert!(slot.msgs == 0 && slot.name.is_empty(), "free slot in use");
                *slot = info;
                id
            }
            None => {
                let id = u32::try_from(self.infos.len()).expect("fewer than 2^32 - 1 subjects");
                assert!(id != REMOVED, "subject ids stop below the REMOVED marker");
                self.infos.push(info);
                id
            }
        };
        self.by_name.insert(Arc::clone(&name), id);
        self.last = Some((name, id));
        id
    }

    /// Appends slot `name` as the next id, as a checkpoint lists them: an empty name is a free
    /// slot. Ids must come back exactly as they were written, so nothing is deduplicated.
    pub fn restore_slot(&mut self, name: &str) {
        let id = u32::try_from(self.infos.len()).expect("fewer than 2^32 - 1 subjects");
        let name: Arc<str> = Arc::from(name);
        if name.is_empty() {
            self.free.push(id);
        } else {
            self.by_name.insert(Arc::clone(&name), id);
        }
        self.infos.push(SubjectInfo {
            name,
            msgs: 0,
            first_seq: 0,
            last_seq: 0,
        });
    }

    /// Releases subject `id`, whose last message just went: its name is dropped and the id is
    /// reused by the next new subject. No live entry refers to it any more.
    pub fn release(&mut self, id: u32) {
        let Some(info) = self.infos.get_mut(id as usize) else {
            return;
        };
        assert!(info.msgs == 0, "released a subject that still has messages");
        if info.name.is_empty() {
            return;
        }
        let name = std::mem::replace(&mut info.name, Arc::from(""));
        self.by_name.remove(&name);
        if self.last.as_ref().is_some_and(|(_, last)| *last == id) {
            self.last = None;
        }
        self.free.push(id);
    }

    /// Releases every subject without messages (after counters were rebuilt from entries).
    pub fn release_dead(&mut self) {
        let dead: Vec<u32> = (0..self.infos.len())
            .filter(|&at| self.infos.get(at).is_some_and(|info| info.msgs == 0))
            .filter_map(|at| u32::try_from(at).ok())
            .collect();
        for id in dead {
            self.release(id);
        }
    }

    /// Table slots (live or free): the high-water mark of subjects live at once.
    pub fn slots(&self) -> usize {
        self.infos.len()
    }

    pub fn get(&self, id: u32) -> Option<&SubjectInfo> {
        self.infos.get(id as usize)
    }

    /// Counts a new message `seq` of subject `id`.
    pub fn add(&mut self, id: u32, seq: u64) {
        if let Some(info) = self.infos.get_mut(id as usize) {
            if info.msgs == 0 {
                info.first_seq = seq;
                self.live = self.live.saturating_add(1);
            }
            info.msgs = info.msgs.saturating_add(1);
            info.last_seq = seq;
        }
    }

    /// Forgets every subject (full purge).
    pub fn clear(&mut self) {
        self.infos.clear();
        self.by_name.clear();
        self.free.clear();
        self.live = 0;
        self.last = None;
    }

    /// Ids of the subjects matching `filter`.
    pub fn matching(&self, filter: &str) -> Vec<bool> {
        let all = crate::subject::is_match_all(filter);
        self.infos
            .iter()
            .map(|info| all || crate::subject::matches(filter, &info.name))
            .collect()
    }
}
