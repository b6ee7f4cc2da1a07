//! Opening a stream directory: `stream.meta` (created on first open, checked against the
//! configured key after), every block scanned with recovery's scanner under the configured
//! [`RecoveryMode`] (a torn tail of the last block is truncated durably; salvage copies damaged
//! ranges to `quarantine/`), tombstones applied, counters rebuilt, and `ttl.state` loaded.

use std::path::Path;

use natrium_format::cipher::{RecordCipher, StreamKey};
use natrium_format::layout::block::HEADER_SIZE as BLOCK_HEADER_SIZE;
use natrium_format::meta::StreamMeta;
use natrium_format::names::{
    BLOCKS_DIR, CONSUMERS_DIR, QUARANTINE_DIR, STREAM_META, TTL_STATE, block_path,
    parse_block_file_name, quarantine_path,
};
use natrium_format::record::RecordView;
use natrium_format::state::StreamState;
use natrium_recovery::scan::{Auth, BlockScan, ScanOptions, scan_block};

pub use natrium_recovery::RecoveryMode;

use super::checkpoint::Loaded;
use super::index::{Block, REMOVED, Subjects};
use super::{FileStore, format_error, io_error};
use crate::io::{OpenMode, Storage, create_dir_durable, read_all, write_atomic};
use crate::ttl::TtlWheel;
use crate::types::{LostData, stored_msg_bytes};
use crate::{Error, Result};

/// `stream.meta` is tiny; anything larger is not ours.
const META_BYTES_MAX: u64 = 64 * 1024;
/// `ttl.state` holds 16 bytes per message with a TTL.
const TTL_STATE_BYTES_MAX: u64 = 1 << 30;

pub(super) fn recovery_error(error: natrium_recovery::Error) -> Error {
    match error {
        natrium_recovery::Error::Corrupt {
            file,
            offset,
            cause,
        } => Error::Corrupt {
            file,
            offset,
            reason: cause.to_string(),
        },
        natrium_recovery::Error::Format { file, cause } => Error::Corrupt {
            file,
            offset: 0,
            reason: cause.to_string(),
        },
        natrium_recovery::Error::Io { file, source } => io_error("read", &file, source),
        natrium_recovery::Error::Limit { what, max } => Error::Limit { what, max },
    }
}

/// Reads or creates `stream.meta`; returns the record cipher when the stream is encrypted.
pub(super) fn open_meta(
    store: &mut FileStore,
    key: Option<&StreamKey>,
) -> Result<Option<RecordCipher>> {
    let storage = std::sync::Arc::clone(&store.storage);
    let dir = store.dir.clone();
    for sub in [BLOCKS_DIR, CONSUMERS_DIR] {
        let path = dir.join(sub);
        create_dir_durable(storage.as_ref(), &path)
            .map_err(|source| io_error("create dir", &path, source))?;
    }
    let path = dir.join(STREAM_META);
    let exists = storage
        .exists(&path)
        .map_err(|source| io_error("stat", &path, source))?;
    let meta = if exists {
        let bytes = read_all(storage.as_ref(), &path, META_BYTES_MAX)
            .map_err(|source| io_error("read", &path, source))?;
        StreamMeta::decode(&bytes).map_err(|error| format_error(&path, error))?
    } else {
        let options = &store.options;
        let meta = StreamMeta::new(
            &options.name,
            options.cipher,
            key,
            options.compression,
            options.block_bytes_max,
        );
        let mut bytes = Vec::new();
        meta.encode(&mut bytes)
            .map_err(|error| format_error(&path, error))?;
        write_atomic(storage.as_ref(), &path, &bytes)
            .map_err(|source| io_error("write", &path, source))?;
        meta
    };
    meta.check_key(key).map_err(|error| match error {
        natrium_format::Error::WrongKey => Error::InvalidArgument {
            reason: "the configured key does not match the key check value in stream.meta",
        },
        natrium_format::Error::KeyRequired { .. } => Error::InvalidArgument {
            reason: "the stream is encrypted and no key was configured",
        },
        other => format_error(&path, other),
    })?;
    store.options.cipher = meta.cipher;
    Ok(key.and_then(|key| RecordCipher::new(meta.cipher, key)))
}

/// What the scan of all blocks accumulates besides the blocks.
#[derive(Default)]
struct Tally {
    tombstones: Vec<u64>,
    /// `(seq, expires_ns)` of scanned messages whose record carries a TTL.
    ttls: Vec<(u64, u64)>,
    max_seq: u64,
    max_ts_ns: u64,
    /// The block of the last record seen at `max_seq` (`None`: only the checkpoint says so).
    max_block: Option<u32>,
}

impl Tally {
    fn saw(&mut self, seq: u64, ts_ns: u64, block: Option<u32>) {
        if seq >= self.max_seq {
            self.max_seq = seq;
            self.max_ts_ns = ts_ns;
            self.max_block = block;
        }
    }
}

/// Indexes one verified record into `block`.
fn index_record(block: &mut Block, subjects: &mut Subjects, tally: &mut Tally, view: &RecordView) {
    let ts_ns = u64::try_from(view.timestamp_ns).unwrap_or(0);
    if view.is_tombstone() {
        tally.tombstones.push(view.seq);
        tally.saw(view.seq, ts_ns, Some(block.index));
        return;
    }
    if block.last_entry_seq().is_some_and(|last| view.seq <= last) {
        return; // Out of order: never written by us; salvage keeps the first copy.
    }
    if block.entries.is_empty() {
        block.seq_base = view.seq;
    }
    let Ok(seq_delta) = u32::try_from(view.seq - block.seq_base) else {
        return;
    };
    let subject = String::from_utf8_lossy(view.subject);
    let id = subjects.intern(&subject);
    let msg_bytes = stored_msg_bytes(
        view.subject.len(),
        view.headers_len as usize,
        view.payload_len as usize,
    );
    block.push_entry(super::index::Entry {
        ts_ns,
        seq_delta,
        subject: id,
        offset: u32::try_from(view.offset).unwrap_or(u32::MAX),
        record_len: view.len(),
        msg_bytes: u32::try_from(msg_bytes).unwrap_or(u32::MAX),
    });
    if let Some(ttl_ns) = view.ttl_ns {
        tally.ttls.push((view.seq, ts_ns.saturating_add(ttl_ns)));
    }
    tally.saw(view.seq, ts_ns, Some(block.index));
}

/// What scanning the blocks gives the rest of the open.
pub(super) struct Scanned {
    /// `(seq, expires_ns)` of the scanned messages whose records carry a TTL.
    pub ttls: Vec<(u64, u64)>,
    /// The blocks ended below the durable high-water mark; `last_seq` was raised to it.
    pub last_seq_raised: bool,
}

/// Scans every block file in index order into `store.blocks`; with a checkpoint `loaded`, only
/// the blocks from `loaded.scan_from` on (the others came from the checkpoint). `durable` is
/// `stream.state` when it decodes, trusted or not (see `lost`).
pub(super) fn load_blocks(
    store: &mut FileStore,
    loaded: Option<&Loaded>,
    durable: Option<&StreamState>,
) -> Result<Scanned> {
    let scan_from = loaded.map_or(0, |loaded| loaded.scan_from);
    let (indices, lengths) = block_files(store, scan_from)?;
    let bytes_max = store
        .options
        .block_bytes_max
        .saturating_add(u64::from(store.options.record_limits.record_len_max));
    let mut tally = Tally::default();
    if let Some(loaded) = loaded {
        tally.saw(loaded.last_seq, loaded.last_ts_ns, None);
    }
    let mut previous = store.blocks.last().map(|block| block.index);
    // Blocks are created in order and never again without authentication: after an
    // authenticated block the checkpoint covered, no block may be an old-style one.
    if store.key.is_some()
        && let Some(covered) = store.blocks.last()
        && store.block_header(covered)?.is_authenticated()
    {
        store.legacy_blocks = false;
    }
    for (at, &index) in indices.iter().enumerate() {
        // Records are written in order, so a torn tail can sit in an earlier block only when
        // every later block holds no record yet (its header is written at rotation, before
        // the earlier block's buffered tail).
        let later = lengths.get(at + 1..).unwrap_or_default();
        let last_block = later.iter().all(|len| *len <= BLOCK_HEADER_SIZE as u64);
        let gap_from = match previous {
            Some(previous) if index > previous.saturating_add(1) => {
                store.missing_blocks(previous, index)?;
                Some(tally.max_seq.saturating_add(1))
            }
            _ => None,
        };
        previous = Some(index);
        store.blocks_scanned_at_open += 1;
        let durable_end = durable.and_then(|state| {
            let summary = state.blocks.iter().find(|summary| summary.index == index);
            summary.map(|summary| summary.end_offset)
        });
        let scanned = scan_one(store, index, last_block, bytes_max, &mut tally, durable_end)?;
        if let Some(block) = scanned {
            if let Some(first) = gap_from {
                let end = block.entries.first().map_or(first, |e| block.seq_of(e));
                store.note_missing(first, end, durable);
            }
            store.blocks.push(block);
            store.next_block_index = index.saturating_add(1);
        }
        // A block removed for a torn header leaves its index free: reused, so no gap.
    }
    finish_scan(store, tally, durable)
}

/// The indexes (from `scan_from` on, ascending) and lengths of the block files present.
fn block_files(store: &FileStore, scan_from: u32) -> Result<(Vec<u32>, Vec<u64>)> {
    let blocks_dir = store.blocks_dir();
    let names = store
        .storage
        .list_dir(&blocks_dir)
        .map_err(|source| io_error("list", &blocks_dir, source))?;
    let mut indices: Vec<u32> = names
        .iter()
        .filter_map(|n| parse_block_file_name(n))
        .filter(|index| *index >= scan_from)
        .collect();
    indices.sort_unstable();
    let mut lengths = Vec::with_capacity(indices.len());
    for &index in &indices {
        let path = block_path(&store.dir, index);
        let len = store
            .storage
            .open(&path, OpenMode::Existing)
            .and_then(|file| file.len())
            .map_err(|source| io_error("stat", &path, source))?;
        lengths.push(len);
    }
    Ok((indices, lengths))
}

/// Applies the scanned tombstones and what `stream.state` still proves, sets `last_seq`, and
/// recounts.
fn finish_scan(
    store: &mut FileStore,
    mut tally: Tally,
    durable: Option<&StreamState>,
) -> Result<Scanned> {
    for seq in std::mem::take(&mut tally.tombstones) {
        if let Some((block_at, position)) = store.locate(seq)
            && let Some(entry) = store
                .blocks
                .get_mut(block_at)
                .and_then(|block| block.entries.get_mut(position))
        {
            entry.subject = REMOVED;
        }
    }
    // Scanned blocks before the last are sealed: their arrays get no more entries.
    let sealed = store.blocks.len().saturating_sub(1);
    for block in store.blocks.iter_mut().take(sealed) {
        block.entries.shrink_to_fit();
    }
    store.last_seq = tally.max_seq;
    store.last_seq_block = tally.max_block;
    store.last_ts_ns = tally.max_ts_ns;
    let last_seq_raised = match durable {
        Some(state) => store.apply_durable_state(state)?,
        None => false,
    };
    store.rebuild_counters();
    Ok(Scanned {
        ttls: tally.ttls,
        last_seq_raised,
    })
}

fn scan_one(
    store: &mut FileStore,
    index: u32,
    last_block: bool,
    bytes_max: u64,
    tally: &mut Tally,
    durable_end: Option<u64>,
) -> Result<Option<Block>> {
    let path = block_path(&store.dir, index);
    let storage = std::sync::Arc::clone(&store.storage);
    let bytes = read_all(storage.as_ref(), &path, bytes_max)
        .map_err(|source| io_error("read", &path, source))?;
    let mut options = ScanOptions::new(store.options.recovery, &path, last_block);
    options.limits = store.options.record_limits;
    let key = store.key.clone();
    let cipher = store.cipher.take();
    options.auth = match (&key, &cipher) {
        (Some(key), Some(cipher)) => Some(Auth {
            key,
            cipher,
            legacy_blocks: store.legacy_blocks,
        }),
        _ => None,
    };
    let scanned = scan_with(store, index, bytes, &options, tally, durable_end);
    store.cipher = cipher;
    scanned
}

/// [`scan_one`] after the options are set up (the cipher is lent to them meanwhile).
fn scan_with(
    store: &mut FileStore,
    index: u32,
    bytes: Vec<u8>,
    options: &ScanOptions<'_>,
    tally: &mut Tally,
    durable_end: Option<u64>,
) -> Result<Option<Block>> {
    let path = block_path(&store.dir, index);
    let storage = std::sync::Arc::clone(&store.storage);
    let last_block = options.last_block;
    let bytes = if options.mode == RecoveryMode::TruncateTornTail && last_block {
        store.salvage_last_block(index, bytes, options, tally.max_seq)?
    } else {
        bytes
    };
    // Opened after any rewrite, which replaces the file.
    let file = storage
        .open(&path, OpenMode::Existing)
        .map_err(|source| io_error("open", &path, source))?;
    let mut block = Block {
        index,
        file: Some(file),
        seq_base: tally.max_seq.saturating_add(1),
        entries: Vec::new(),
        live: 0,
        end_offset: 0,
        crc: None,
    };
    let subjects = &mut store.subjects;
    let scan = scan_block(&bytes, options, |view| {
        index_record(&mut block, subjects, tally, view);
    })
    .map_err(recovery_error)?;
    if scan.header.is_some_and(|header| header.is_authenticated()) {
        store.legacy_blocks = false;
    }
    if scan.header.is_none() && last_block && scan.damaged.is_empty() {
        // A block whose header never fully landed: it holds nothing; drop it (keeping a copy
        // when the checkpoint says it held durable bytes).
        if durable_end.is_some() {
            let len = bytes.len() as u64;
            quarantine(storage.as_ref(), &store.dir, index, &bytes, 0, len)?;
            store.note_lost(len, None);
        }
        storage
            .remove(&path)
            .and_then(|()| storage.sync_dir(&store.blocks_dir()))
            .map_err(|source| io_error("remove torn block", &path, source))?;
        return Ok(None);
    }
    repair_after_scan(store, &block, &bytes, &scan, durable_end)?;
    block.end_offset = scan.valid_end;
    let prefix = bytes.get(..scan.valid_end as usize).unwrap_or_default();
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(prefix);
    block.crc = Some(hasher);
    Ok(Some(block))
}

/// Quarantines damaged ranges, truncates a torn tail durably, and records the loss. A torn
/// tail that starts before `durable_end` (the block's length in `stream.state`) held fsynced
/// records: it is copied to `quarantine/` before the cut, whatever the mode.
fn repair_after_scan(
    store: &mut FileStore,
    block: &Block,
    bytes: &[u8],
    scan: &BlockScan,
    durable_end: Option<u64>,
) -> Result<()> {
    let path = block_path(&store.dir, block.index);
    let storage = std::sync::Arc::clone(&store.storage);
    for damage in &scan.damaged {
        let (start, end) = (damage.start, damage.end);
        quarantine(storage.as_ref(), &store.dir, block.index, bytes, start, end)?;
        let between = match (damage.seq_before, damage.seq_after) {
            (Some(before), Some(after)) => Some((before.saturating_add(1), after)),
            _ => None,
        };
        store.note_lost(end.saturating_sub(start), between);
    }
    let Some((start, end)) = scan.torn_tail else {
        return Ok(());
    };
    let durable = durable_end.is_some_and(|durable_end| start < durable_end);
    if store.options.recovery == RecoveryMode::Salvage || durable {
        quarantine(storage.as_ref(), &store.dir, block.index, bytes, start, end)?;
    }
    store.note_lost(end.saturating_sub(start), None);
    if let Some(file) = &block.file {
        file.truncate(start)
            .and_then(|()| file.sync())
            .map_err(|source| io_error("truncate damaged tail", &path, source))?;
    }
    Ok(())
}

/// Copies `bytes[start..end]` of block `index` to `quarantine/` (never deleted automatically).
pub(super) fn quarantine(
    storage: &dyn Storage,
    dir: &Path,
    index: u32,
    bytes: &[u8],
    start: u64,
    end: u64,
) -> Result<()> {
    let quarantine_dir = dir.join(QUARANTINE_DIR);
    let path = quarantine_path(dir, index, start);
    let range = bytes
        .get(start as usize..(end as usize).min(bytes.len()))
        .unwrap_or_default();
    create_dir_durable(storage, &quarantine_dir)
        .and_then(|()| write_atomic(storage, &path, range))
        .map_err(|source| io_error("quarantine", &path, source))
}

/// Rebuilds the TTL wheel of the live messages. The records are the truth (each carries its
/// TTL); `ttl.state` saves reading the records of blocks the checkpoint covered. So: the TTLs
/// of `scanned` records, then `ttl.state` entries for other live messages (it also holds the
/// TTLs of records written before records carried them), then, for live messages of
/// checkpoint-loaded blocks newer than what `ttl.state` covers (a missing, damaged or stale
/// file), their records are read.
pub(super) fn load_ttl(
    store: &mut FileStore,
    scanned: Vec<(u64, u64)>,
    scan_from: u32,
) -> Result<()> {
    for (seq, expires_ns) in scanned {
        store.add_expiry(seq, expires_ns);
    }
    let path = store.dir.join(TTL_STATE);
    let decoded = read_all(store.storage.as_ref(), &path, TTL_STATE_BYTES_MAX)
        .ok()
        .and_then(|bytes| TtlWheel::decode(&bytes).ok());
    let mut covered_seq = 0;
    if let Some((wheel, high_seq)) = decoded {
        covered_seq = high_seq;
        for (seq, expires_ns) in wheel.iter() {
            if !store.expiries.contains_key(&seq) {
                store.add_expiry(seq, expires_ns);
            }
        }
    }
    // Without permission no message can carry a TTL (admission refuses it).
    let scan_from = if store.config.allow_msg_ttl {
        scan_from
    } else {
        0
    };
    let mut found = Vec::new();
    for block in store.blocks.iter().filter(|block| block.index < scan_from) {
        for entry in block.entries.iter().filter(|entry| entry.is_live()) {
            let seq = block.seq_of(entry);
            if seq <= covered_seq || store.expiries.contains_key(&seq) {
                continue;
            }
            if let Some(ttl_ns) = store.entry_ttl_ns(block, entry)? {
                found.push((seq, entry.ts_ns.saturating_add(ttl_ns)));
            }
        }
    }
    for (seq, expires_ns) in found {
        store.add_expiry(seq, expires_ns);
    }
    Ok(())
}

/// Bound on the sequences listed in `StreamState::lost` (the byte count stays exact).
const LOST_MSGS_MAX: usize = 1 << 20;

impl FileStore {
    /// Records `bytes` of damaged or cut data and, when known, the sequences `start..end` that
    /// sat in it (reported once in `state().lost`).
    pub(super) fn note_lost(&mut self, bytes: u64, sequences: Option<(u64, u64)>) {
        let (start, end) = sequences.unwrap_or((0, 0));
        self.note_lost_seqs(bytes, start..end);
    }

    /// Records `bytes` of damaged or cut data and the sequences `lost` that sat in it.
    pub(super) fn note_lost_seqs(&mut self, bytes: u64, lost: impl Iterator<Item = u64>) {
        let report = self.lost.get_or_insert_with(LostData::default);
        report.bytes = report.bytes.saturating_add(bytes);
        let room = LOST_MSGS_MAX.saturating_sub(report.msgs.len());
        report.msgs.extend(lost.take(room));
        report.msgs.sort_unstable();
        report.msgs.dedup();
    }

    /// Puts `seq` (a live message) on the TTL wheel; ignored when it is not live.
    fn add_expiry(&mut self, seq: u64, expires_ns: u64) {
        if self.live_entry(seq).is_some() {
            self.ttl.add(seq, expires_ns);
            self.expiries.insert(seq, expires_ns);
        }
    }

    /// Recomputes every counter (messages, bytes, subjects, live per block, first sequence)
    /// from the entries.
    pub(super) fn rebuild_counters(&mut self) {
        self.msgs = 0;
        self.bytes = 0;
        for info in &mut self.subjects.infos {
            info.msgs = 0;
            info.first_seq = 0;
            info.last_seq = 0;
        }
        self.subjects.live = 0;
        let mut first_live = None;
        for block in &mut self.blocks {
            block.live = 0;
            for entry in block.entries.iter().filter(|entry| entry.is_live()) {
                let seq = block.seq_base.saturating_add(u64::from(entry.seq_delta));
                first_live.get_or_insert(seq);
                block.live += 1;
                self.msgs += 1;
                self.bytes = self.bytes.saturating_add(u64::from(entry.msg_bytes));
                self.subjects.add(entry.subject, seq);
            }
        }
        self.subjects.release_dead();
        self.first_seq = first_live.unwrap_or(self.last_seq.saturating_add(1));
    }
}
