//! Atomic checkpoints: `stream.state` (natrium-format's `StreamState`: counters, a summary of
//! every block with its length and crc, deleted ranges, subjects) plus `stream.index` (this
//! module's format, docs/formats/stream-index.md: the FileStore's compact per-block entries and
//! subject table), so an open can skip scanning the blocks.
//!
//! Writing: everything pending is written and fsynced first, then `stream.index` and then
//! `stream.state` are each replaced atomically (temp file, fsync, rename, directory fsync).
//! `stream.index` carries the crc of the `stream.state` bytes it belongs with, so a crash between
//! the two renames leaves a pair that does not match, and the open rescans.
//!
//! Loading: the pair must decode and match; recovery's `plan_open` compares the block summaries
//! with the block files present (lengths only); for `Trust` the last block's prefix crc is also
//! verified. `ScanTail` keeps the checkpointed entries of the blocks before the one that grew
//! and rescans that block and every later one. Anything else (or any doubt) means a full scan.

use natrium_format::names::{STREAM_STATE, block_path, parse_block_file_name};
use natrium_format::state::{BlockSummary, StateLimits, StreamState, SubjectSummary};
use natrium_recovery::plan::{OpenPlan, block_prefix_matches, plan_open};

use super::index::{Block, Entry, REMOVED};
use super::{FileStore, io_error};
use crate::Result;
use crate::io::{OpenMode, StorageFile, read_all, write_atomic};

/// File name of the index sidecar of `stream.state`.
pub const STREAM_INDEX: &str = "stream.index";

/// Byte layout of `stream.index` (docs/formats/stream-index.md). Little-endian throughout.
pub mod layout {
    pub const MAGIC: [u8; 8] = *b"NATRIDX1";
    pub const VERSION: u16 = 1;
    pub const VERSION_OFFSET: usize = 8;
    /// crc32 of the `stream.state` bytes this index belongs with.
    pub const STATE_CRC_OFFSET: usize = 12;
    pub const BLOCK_COUNT_OFFSET: usize = 16;
    pub const SUBJECT_COUNT_OFFSET: usize = 20;
    pub const HEADER_SIZE: usize = 24;
    /// Per block: index u32, entry count u32, seq base u64.
    pub const BLOCK_HEADER_SIZE: usize = 16;
    /// Per entry: ts u64, seq delta u32, subject id u32 (u32::MAX = removed), offset u32,
    /// record length u32, message bytes u32, reserved u32.
    pub const ENTRY_SIZE: usize = 32;
    /// Per subject: length u16, then the bytes.
    pub const SUBJECT_HEADER_SIZE: usize = 2;
    pub const CRC_SIZE: usize = 4;
    const _: () = assert!(SUBJECT_COUNT_OFFSET + 4 == HEADER_SIZE);
    // The file keeps a reserved word per entry that the in-memory `Entry` (28 bytes) does not.
    const _: () = assert!(ENTRY_SIZE == std::mem::size_of::<super::Entry>() + 4);
}

/// Largest `stream.index` read back (32 bytes per message: 128 M messages).
const INDEX_BYTES_MAX: u64 = 4 << 30;
/// Largest `stream.state` read back.
const STATE_BYTES_MAX: u64 = 1 << 30;

/// The identity of a `stream.state` file that `stream.index` records: the crc32 of its bytes
/// without the trailing crc. Hashing the whole file would not do: crc32 over any message
/// followed by its own crc32 is one constant, so every valid checkpoint would look alike and
/// a rewritten `stream.state` (natrium-blk compact/recover) would pass for the old one.
fn state_identity(state_bytes: &[u8]) -> u32 {
    let body_len = state_bytes.len().saturating_sub(4);
    crc32fast::hash(state_bytes.get(..body_len).unwrap_or_default())
}

fn encode_index(store: &FileStore, state_crc: u32) -> Vec<u8> {
    let entries: usize = store.blocks.iter().map(|block| block.entries.len()).sum();
    let mut out = Vec::with_capacity(layout::HEADER_SIZE + entries * layout::ENTRY_SIZE);
    out.extend_from_slice(&layout::MAGIC);
    out.extend_from_slice(&layout::VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&state_crc.to_le_bytes());
    // Block indexes and subject ids are u32, so their counts fit one.
    let block_count = u32::try_from(store.blocks.len()).expect("block indexes are u32");
    let subject_count = u32::try_from(store.subjects.infos.len()).expect("subject ids are u32");
    out.extend_from_slice(&block_count.to_le_bytes());
    out.extend_from_slice(&subject_count.to_le_bytes());
    for block in &store.blocks {
        out.extend_from_slice(&block.index.to_le_bytes());
        let entries = u32::try_from(block.entries.len()).expect("a block's records fit u32");
        out.extend_from_slice(&entries.to_le_bytes());
        out.extend_from_slice(&block.seq_base.to_le_bytes());
        for entry in &block.entries {
            out.extend_from_slice(&entry.ts_ns.to_le_bytes());
            for value in [
                entry.seq_delta,
                entry.subject,
                entry.offset,
                entry.record_len,
            ] {
                out.extend_from_slice(&value.to_le_bytes());
            }
            out.extend_from_slice(&entry.msg_bytes.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
        }
    }
    for info in &store.subjects.infos {
        let name = info.name.as_bytes();
        // Not an invariant: a subject read back from disk went through a lossy UTF-8
        // conversion that may lengthen it, so an over-long one is cut here, not asserted.
        let len = u16::try_from(name.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(name.get(..usize::from(len)).unwrap_or_default());
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A bounds-checked little-endian reader; every failure is `None`.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(slice)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2)
            .and_then(|b| b.try_into().ok())
            .map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    }
}

/// One 32-byte entry (layout in the module doc of `layout`).
fn decode_entry(chunk: &[u8; layout::ENTRY_SIZE]) -> Entry {
    let [t0, t1, t2, t3, t4, t5, t6, t7, rest @ ..] = *chunk;
    let words: [u32; 6] = std::array::from_fn(|at| {
        let base = at * 4;
        let word = [
            rest.get(base).copied().unwrap_or(0),
            rest.get(base + 1).copied().unwrap_or(0),
            rest.get(base + 2).copied().unwrap_or(0),
            rest.get(base + 3).copied().unwrap_or(0),
        ];
        u32::from_le_bytes(word)
    });
    // The sixth word is reserved in the file (written as 0); the index does not keep it.
    let [seq_delta, subject, offset, record_len, msg_bytes, _reserved] = words;
    Entry {
        ts_ns: u64::from_le_bytes([t0, t1, t2, t3, t4, t5, t6, t7]),
        seq_delta,
        subject,
        offset,
        record_len,
        msg_bytes,
    }
}

/// Decoded `stream.index`: (state crc, blocks as (index, seq base, entries), subject names).
type DecodedIndex = (u32, Vec<(u32, u64, Vec<Entry>)>, Vec<String>);

/// Reads `stream.index` front to back through a reused buffer (one read per block section),
/// hashing as it goes, so the open never holds a second copy of the whole index in memory.
struct Source<'f> {
    file: &'f dyn StorageFile,
    at: u64,
    /// Where the trailing crc starts.
    body_len: u64,
    hasher: crc32fast::Hasher,
    buf: Vec<u8>,
}

impl Source<'_> {
    /// The next `len` bytes of the body (never the crc), hashed.
    fn read(&mut self, len: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(len as u64)?;
        if end > self.body_len {
            return None;
        }
        self.buf.clear();
        self.buf.resize(len, 0);
        self.file.read_exact_at(&mut self.buf, self.at).ok()?;
        self.at = end;
        self.hasher.update(&self.buf);
        Some(&self.buf)
    }

    fn left(&self) -> u64 {
        self.body_len.saturating_sub(self.at)
    }
}

fn decode_index(file: &dyn StorageFile, entries_per_block_max: usize) -> Option<DecodedIndex> {
    let len = file.len().ok()?;
    if len > INDEX_BYTES_MAX {
        return None;
    }
    let body_len = len.checked_sub(layout::CRC_SIZE as u64)?;
    let mut source = Source {
        file,
        at: 0,
        body_len,
        hasher: crc32fast::Hasher::new(),
        buf: Vec::new(),
    };
    let header = source.read(layout::HEADER_SIZE)?;
    let mut cursor = Cursor {
        bytes: header,
        at: 0,
    };
    if cursor.take(8)? != layout::MAGIC || cursor.u16()? != layout::VERSION {
        return None;
    }
    cursor.u16()?;
    let state_crc = cursor.u32()?;
    let block_count = cursor.u32()? as usize;
    let subject_count = cursor.u32()? as usize;
    // Every count is checked against the bytes left before anything is allocated for it.
    let left = usize::try_from(source.left()).ok()?;
    if block_count > left / layout::BLOCK_HEADER_SIZE || subject_count > left / 2 {
        return None;
    }
    let mut blocks = Vec::with_capacity(block_count);
    for _ in 0..block_count {
        let mut cursor = Cursor {
            bytes: source.read(layout::BLOCK_HEADER_SIZE)?,
            at: 0,
        };
        let index = cursor.u32()?;
        let count = cursor.u32()? as usize;
        let seq_base = cursor.u64()?;
        let left = usize::try_from(source.left()).ok()?;
        if count > entries_per_block_max || count > left / layout::ENTRY_SIZE {
            return None;
        }
        let raw = source.read(count.checked_mul(layout::ENTRY_SIZE)?)?;
        let mut entries = Vec::with_capacity(count);
        for chunk in raw.chunks_exact(layout::ENTRY_SIZE) {
            let chunk: &[u8; layout::ENTRY_SIZE] = chunk.try_into().ok()?;
            let entry = decode_entry(chunk);
            if entry.subject != REMOVED && entry.subject as usize >= subject_count {
                return None;
            }
            entries.push(entry);
        }
        blocks.push((index, seq_base, entries));
    }
    let table_len = usize::try_from(source.left()).ok()?;
    let mut cursor = Cursor {
        bytes: source.read(table_len)?,
        at: 0,
    };
    let mut subjects = Vec::with_capacity(subject_count);
    for _ in 0..subject_count {
        let len = usize::from(cursor.u16()?);
        subjects.push(String::from_utf8(cursor.take(len)?.to_vec()).ok()?);
    }
    if cursor.at != table_len {
        return None;
    }
    let mut stored = [0u8; layout::CRC_SIZE];
    file.read_exact_at(&mut stored, body_len).ok()?;
    (source.hasher.finalize() == u32::from_le_bytes(stored))
        .then_some((state_crc, blocks, subjects))
}

impl FileStore {
    /// The crc of a block's bytes `0..end_offset`, from the running crc or by reading them.
    fn block_crc(&self, block: &Block) -> Result<u32> {
        if let Some(hasher) = &block.crc {
            return Ok(hasher.clone().finalize());
        }
        let path = block_path(&self.dir, block.index);
        let mut bytes = vec![0u8; usize::try_from(block.end_offset).unwrap_or(0)];
        self.block_handle(block)?
            .read_exact_at(&mut bytes, 0)
            .map_err(|source| io_error("read", &path, source))?;
        Ok(crc32fast::hash(&bytes))
    }

    fn summarise(&self, checkpoint_ts_ns: i64) -> Result<StreamState> {
        let mut blocks = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            let live = || block.entries.iter().filter(|entry| entry.is_live());
            blocks.push(BlockSummary {
                index: block.index,
                // One entry per record of at least 40 bytes in a block of at most 4 GiB.
                records: u32::try_from(block.entries.len()).expect("a block's records fit u32"),
                first_seq: live().next().map_or(0, |entry| block.seq_of(entry)),
                last_seq: live().next_back().map_or(0, |entry| block.seq_of(entry)),
                bytes: live().map(|entry| u64::from(entry.msg_bytes)).sum(),
                end_offset: block.end_offset,
                crc: self.block_crc(block)?,
            });
        }
        let state = self.base_state();
        let to_i64 = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        Ok(StreamState {
            first_seq: state.first_seq,
            first_ts_ns: to_i64(state.first_ts_ns),
            last_seq: state.last_seq,
            last_ts_ns: to_i64(state.last_ts_ns),
            msgs: state.msgs,
            bytes: state.bytes,
            checkpoint_ts_ns,
            blocks,
            deleted: self.deleted_set().ranges().collect(),
            subjects: self
                .subjects
                .infos
                .iter()
                .filter(|info| info.msgs > 0)
                .map(|info| SubjectSummary {
                    subject: info.name.as_bytes().to_vec(),
                    msgs: info.msgs,
                    first_seq: info.first_seq,
                    last_seq: info.last_seq,
                })
                .collect(),
        })
    }

    /// Writes `stream.index` then `stream.state` atomically (after fsyncing all blocks and
    /// writing `ttl.state`, so the TTL file always covers what a checkpoint covers).
    pub fn checkpoint(&mut self, now_ns: u64) -> Result<()> {
        self.sync_all()?;
        let state = self.summarise(i64::try_from(now_ns).unwrap_or(i64::MAX))?;
        let state_path = self.dir.join(STREAM_STATE);
        let mut state_bytes = Vec::new();
        state
            .encode(&mut state_bytes)
            .map_err(|error| super::format_error(&state_path, error))?;
        let index_bytes = encode_index(self, state_identity(&state_bytes));
        let index_path = self.dir.join(STREAM_INDEX);
        write_atomic(self.storage.as_ref(), &index_path, &index_bytes)
            .map_err(|source| io_error("write", &index_path, source))?;
        write_atomic(self.storage.as_ref(), &state_path, &state_bytes)
            .map_err(|source| io_error("write", &state_path, source))
    }

    /// Removes `stream.state` (before a rewrite of existing block bytes, so a checkpoint can
    /// never describe blocks that were cut and regrew to the same length).
    pub(super) fn drop_checkpoint(&self) -> Result<()> {
        let path = self.dir.join(STREAM_STATE);
        if self.storage.exists(&path).unwrap_or(true) {
            self.storage
                .remove(&path)
                .and_then(|()| self.storage.sync_dir(&self.dir))
                .map_err(|source| io_error("remove", &path, source))?;
        }
        Ok(())
    }
}

/// When [`FileStore::tick`] writes a checkpoint. Sans-IO like the TTL wheel: the caller drives
/// it with `now_ns` (the same way it drives `expire`), nothing here starts a timer, and the
/// publish path only bumps counters (a rotation never writes a checkpoint itself: that costs
/// an fsync of every block and a write of the whole index).
#[derive(Debug, Default)]
pub(super) struct Policy {
    /// `writer.appended()` when the store last matched a checkpoint on disk (`None`: never).
    clean_appended: Option<u64>,
    /// `blocks_created` at that point.
    clean_blocks: u64,
    /// When the last checkpoint was written by a tick (or the first tick saw the store).
    last_ns: Option<u64>,
}

impl Policy {
    pub(super) fn mark_clean(&mut self, appended: u64, blocks_created: u64) {
        self.clean_appended = Some(appended);
        self.clean_blocks = blocks_created;
    }

    /// When a checkpoint is due: `Some(0)` for now, `None` when nothing changed.
    fn due_ns(&self, options: &super::FileStoreOptions, appended: u64, blocks: u64) -> Option<u64> {
        let Some(clean_appended) = self.clean_appended else {
            return Some(0);
        };
        if clean_appended == appended && self.clean_blocks == blocks {
            return None;
        }
        if options.checkpoint_on_rotation && blocks != self.clean_blocks {
            return Some(0);
        }
        match (options.checkpoint_interval_ns, self.last_ns) {
            (0, _) => None,
            (interval_ns, Some(last_ns)) => Some(last_ns.saturating_add(interval_ns)),
            // The first tick starts the interval.
            (_, None) => Some(u64::MAX),
        }
    }
}

impl FileStore {
    /// When the next [`FileStore::tick`] has work (`Some(0)`: now), or `None` when the
    /// checkpoint on disk is current or the policy waits for a rotation.
    pub fn next_tick_ns(&self) -> Option<u64> {
        let due = self
            .policy
            .due_ns(&self.options, self.writer.appended(), self.blocks_created);
        match (due, self.policy.last_ns) {
            // Interval not started yet: the first tick starts it.
            (Some(u64::MAX), None) => Some(0),
            (due, _) => due,
        }
    }

    /// Periodic maintenance, driven by the caller with the current time: writes a checkpoint
    /// (`stream.state` + `stream.index`, and `ttl.state`) when the policy says one is due: after
    /// a rotation sealed a block (`checkpoint_on_rotation`), after the open rebuilt the state
    /// by scanning, or `checkpoint_interval_ns` after the last one if anything changed. Returns
    /// whether it wrote one. Call it off the publish path.
    pub fn tick(&mut self, now_ns: u64) -> Result<bool> {
        self.check_open()?;
        let appended = self.writer.appended();
        let due = self
            .policy
            .due_ns(&self.options, appended, self.blocks_created);
        if self.policy.last_ns.is_none() {
            self.policy.last_ns = Some(now_ns);
        }
        if due.is_none_or(|due_ns| due_ns > now_ns) {
            return Ok(false);
        }
        self.checkpoint(now_ns)?;
        self.policy.mark_clean(appended, self.blocks_created);
        self.policy.last_ns = Some(now_ns);
        Ok(true)
    }
}

/// Whether the last summarised block still starts with the bytes the checkpoint hashed.
fn last_prefix_matches(store: &FileStore, summary: &BlockSummary) -> bool {
    let path = block_path(&store.dir, summary.index);
    let Ok(file) = store.storage.open(&path, OpenMode::Existing) else {
        return false;
    };
    let mut bytes = vec![0u8; usize::try_from(summary.end_offset).unwrap_or(0)];
    file.read_exact_at(&mut bytes, 0).is_ok() && block_prefix_matches(&bytes, summary)
}

/// What a usable checkpoint gives the open.
pub(super) struct Loaded {
    /// Blocks to rescan start at this index (`u32::MAX`: none).
    pub scan_from: u32,
    pub last_seq: u64,
    pub last_ts_ns: u64,
}

/// Reads `stream.state` when it decodes: whether or not the blocks still match it, it is a
/// durable record of the high-water mark and of which sequences were removed when it was
/// written (truncate and purge remove it before they lower `last_seq`).
pub(super) fn read_state(store: &FileStore) -> Option<(Vec<u8>, StreamState)> {
    let state_path = store.dir.join(STREAM_STATE);
    let state_bytes = read_all(store.storage.as_ref(), &state_path, STATE_BYTES_MAX).ok()?;
    let state = StreamState::decode(&state_bytes, &StateLimits::default()).ok()?;
    Some((state_bytes, state))
}

/// Loads the checkpoint `read` (from [`read_state`]) into `store` when it can be trusted;
/// `None` means "scan everything".
pub(super) fn load(
    store: &mut FileStore,
    read: Option<&(Vec<u8>, StreamState)>,
) -> Result<Option<Loaded>> {
    let storage = std::sync::Arc::clone(&store.storage);
    let index_path = store.dir.join(STREAM_INDEX);
    let Some((state_bytes, state)) = read else {
        return Ok(None);
    };
    let Ok(index_file) = storage.open(&index_path, OpenMode::Existing) else {
        return Ok(None);
    };
    let entries_max = usize::try_from(store.options.block_bytes_max).unwrap_or(usize::MAX)
        / natrium_format::layout::record::MIN_SIZE;
    let Some((state_crc, blocks, subjects)) = decode_index(index_file.as_ref(), entries_max + 1)
    else {
        return Ok(None);
    };
    let same_blocks = blocks.len() == state.blocks.len()
        && blocks
            .iter()
            .zip(&state.blocks)
            .all(|(b, s)| b.0 == s.index);
    if state_crc != state_identity(state_bytes) || !same_blocks {
        return Ok(None);
    }
    let blocks_dir = store.blocks_dir();
    let names = storage
        .list_dir(&blocks_dir)
        .map_err(|source| io_error("list", &blocks_dir, source))?;
    // Lengths only: handles are opened again on demand (one per block would exhaust descriptors
    // on a long stream).
    let mut lengths = Vec::new();
    for index in names.iter().filter_map(|name| parse_block_file_name(name)) {
        let path = block_path(&store.dir, index);
        let len = storage
            .open(&path, OpenMode::Existing)
            .and_then(|file| file.len())
            .map_err(|source| io_error("stat", &path, source))?;
        lengths.push((index, len));
    }
    let scan_from = match plan_open(state, &lengths) {
        OpenPlan::Trust => u32::MAX,
        OpenPlan::ScanTail { block, .. } => block,
        OpenPlan::Rescan { .. } => return Ok(None),
    };
    if scan_from == u32::MAX
        && let Some(summary) = state.blocks.last()
        && !last_prefix_matches(store, summary)
    {
        return Ok(None);
    }
    for name in &subjects {
        store.subjects.restore_slot(name);
    }
    for ((index, seq_base, entries), summary) in blocks.into_iter().zip(&state.blocks) {
        if index >= scan_from {
            break;
        }
        store.blocks.push(Block {
            index,
            file: None,
            seq_base,
            entries,
            live: 0,
            end_offset: summary.end_offset,
            crc: Some(crc32fast::Hasher::new_with_initial_len(
                summary.crc,
                summary.end_offset,
            )),
        });
        store.next_block_index = index.saturating_add(1);
    }
    Ok(Some(Loaded {
        scan_from,
        last_seq: state.last_seq,
        last_ts_ns: u64::try_from(state.last_ts_ns).unwrap_or(0),
    }))
}

#[cfg(test)]
mod state_identity_tests {
    use super::state_identity;

    /// A message followed by its own little-endian crc32.
    fn with_crc(body: &[u8]) -> Vec<u8> {
        let mut bytes = body.to_vec();
        bytes.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
        bytes
    }

    #[test]
    fn distinct_checkpoints_have_distinct_identities() {
        let first = with_crc(b"checkpoint one");
        let second = with_crc(b"checkpoint two");
        // The pitfall this guards against: whole-file crcs of self-checked files coincide.
        assert_eq!(crc32fast::hash(&first), crc32fast::hash(&second));
        assert_ne!(state_identity(&first), state_identity(&second));
        assert_eq!(
            state_identity(&first),
            state_identity(&with_crc(b"checkpoint one"))
        );
    }

    #[test]
    fn short_input_does_not_panic() {
        assert_eq!(state_identity(b"ab"), crc32fast::hash(b""));
    }
}
