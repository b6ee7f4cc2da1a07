//! The FileStore's in-memory index: where each message lives, per block, in compact arrays.
//!
//! One [`Entry`] (32 bytes) per message record, kept in its block's `Vec` in sequence order;
//! sequences are stored as a `u32` delta from the block's base so the entry stays small. A
//! removed message keeps its entry with `subject == REMOVED` until its whole block goes (the
//! arrays are never shifted, so positions stay valid). Subjects are interned into a table of
//! [`SubjectInfo`] (count, first and last sequence), shared by every entry through a `u32` id.
//! Plain data, no I/O, no locks: the owning `FileStore` serialises access (`&mut self`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::io::FileHandle;

/// Marks a removed entry in [`Entry::subject`].
pub const REMOVED: u32 = u32::MAX;

/// One message record's location and accounting. 32 bytes (asserted below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Reserved; keeps the size explicit.
    pub spare: u32,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 32);

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

impl Block {
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
    pub infos: Vec<SubjectInfo>,
    by_name: HashMap<Arc<str>, u32>,
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
        let id = u32::try_from(self.infos.len()).unwrap_or(REMOVED - 1);
        let name: Arc<str> = Arc::from(name);
        self.infos.push(SubjectInfo {
            name: Arc::clone(&name),
            msgs: 0,
            first_seq: 0,
            last_seq: 0,
        });
        self.by_name.insert(Arc::clone(&name), id);
        self.last = Some((name, id));
        id
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
