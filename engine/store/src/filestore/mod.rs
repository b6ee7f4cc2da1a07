//! FileStore: the durable stream store on block files.
//!
//! An I/O driver around the store's sans-IO pieces: admission and discard-old decisions come
//! from the `limits` state machine (FileStore is its `LimitTarget`), expiries from the
//! `TtlWheel`, deleted runs from `SequenceSet`, subject matching from `subject`; time always
//! comes in as `now_ns`. What FileStore adds is where the bytes go. Every byte goes through the
//! [`crate::io`] trait so tests can run it on an in-memory or fault-injecting disk. Layout of a
//! stream directory and of every file: docs/formats/. The write path, fsync points and loss
//! windows: docs/durability.md.
//!
//! Pieces: [`writer`] (the flush loop and group commit), [`index`] (the compact per-block
//! message index), `append` (encoding records, block rotation), `read` (loading records through
//! a bounded page cache), `remove` (tombstones, secure erase, purge, compact, limits, expiry),
//! `store_impl` (the `StreamStore` trait, truncate), `scan` (open: `stream.meta`, scanning
//! blocks with recovery's scanner), [`checkpoint`] (`stream.state` + `stream.index`), `stats`
//! (state queries from the index alone).
//!
//! # Concurrency model
//! `FileStore` itself is `&mut self` for every mutation and is not shared; the caller serialises
//! it (usually one `Mutex` per stream). Three pieces are shared with other threads or used
//! through `&self`: the [`writer::Writer`] (its own mutex, see there), the page cache and the
//! cache of open sealed-block handles (one `Mutex` each, held only to look up or insert, never
//! across I/O, never two at once). A caller who wants concurrent `sync: always`
//! publishers to share fsyncs uses [`FileStore::store_deferred`] under its lock and waits on the
//! returned ticket with a [`DurableWaiter`] after releasing it.

mod append;
pub mod checkpoint;
pub mod index;
mod intent;
mod lost;
mod read;
mod remove;
mod salvage;
mod scan;
pub mod scrub;
mod stats;
mod store_impl;
pub mod writer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use natrium_format::cipher::{RecordCipher, StreamKey};
use natrium_format::record::{Limits, RecordEncoder};

use crate::io::{LockGuard, StorageHandle, create_dir_durable, write_atomic};
use crate::ttl::TtlWheel;
use crate::types::{LostData, StoreConfig};
use crate::{Error, Result};

pub use natrium_format::cipher::CipherKind;
pub use natrium_format::meta::Compression;
pub use read::PAGE_BYTES;
pub use scan::RecoveryMode;
pub use writer::{SyncPolicy, WriterConfig};

use index::{Block, Subjects};
use read::{FileCache, PageCache};
use writer::Writer;

/// Default block size: rotation happens before a block passes this many bytes.
pub const BLOCK_BYTES_MAX_DEFAULT: u64 = 8 * 1024 * 1024;
/// Record offsets are `u32` in the index, so a block cannot be larger.
pub const BLOCK_BYTES_MAX_LIMIT: u64 = u32::MAX as u64;
/// Name of the lock file in a stream directory (advisory `flock`; holds no data).
pub const STREAM_LOCK: &str = "stream.lock";
/// Default bound on open handles of sealed blocks.
pub const OPEN_FILES_MAX_DEFAULT: usize = 64;
/// Default bound of the page cache of block bytes.
pub const BLOCK_CACHE_BYTES_MAX_DEFAULT: usize = 32 * 1024 * 1024;
/// Default time between periodic checkpoints written by [`FileStore::tick`] (one minute: half
/// the Go server's default `sync_interval`, so a crash rescans at most a minute of blocks).
pub const CHECKPOINT_INTERVAL_NS_DEFAULT: u64 = 60_000_000_000;

/// How a FileStore is laid out, synced, encrypted and recovered.
#[derive(Debug, Clone)]
pub struct FileStoreOptions {
    /// Stream name; salts the per-stream key and is recorded in `stream.meta`.
    pub name: String,
    pub block_bytes_max: u64,
    pub writer: WriterConfig,
    pub compression: Compression,
    pub cipher: CipherKind,
    /// The configured key (any length); required when `cipher` is not `None`.
    pub key: Option<Vec<u8>>,
    pub recovery: RecoveryMode,
    pub block_cache_bytes_max: usize,
    /// Bound on open handles of sealed blocks (the active block holds one more).
    pub open_files_max: usize,
    pub record_limits: Limits,
    /// [`FileStore::tick`] writes a checkpoint when this long has passed since the last one and
    /// something changed (0: only at rotation and close).
    pub checkpoint_interval_ns: u64,
    /// [`FileStore::tick`] writes a checkpoint after a block was sealed by rotation.
    pub checkpoint_on_rotation: bool,
}

impl Default for FileStoreOptions {
    fn default() -> Self {
        Self {
            name: "stream".into(),
            block_bytes_max: BLOCK_BYTES_MAX_DEFAULT,
            writer: WriterConfig::default(),
            compression: Compression::None,
            cipher: CipherKind::None,
            key: None,
            recovery: RecoveryMode::default(),
            block_cache_bytes_max: BLOCK_CACHE_BYTES_MAX_DEFAULT,
            open_files_max: OPEN_FILES_MAX_DEFAULT,
            record_limits: Limits::default(),
            checkpoint_interval_ns: CHECKPOINT_INTERVAL_NS_DEFAULT,
            checkpoint_on_rotation: true,
        }
    }
}

/// Waits for tickets returned by [`FileStore::store_deferred`] without holding the store.
#[derive(Debug, Clone)]
pub struct DurableWaiter {
    writer: Arc<Writer>,
}

impl DurableWaiter {
    /// Returns once every byte up to `ticket` is fsynced (group commit: one fsync serves every
    /// waiter whose bytes were queued before it started).
    pub fn wait(&self, ticket: u64) -> Result<()> {
        self.writer
            .wait_synced(ticket)
            .map_err(|source| io_error("fsync", Path::new("blocks"), source))
    }
}

/// The durable stream store. See the module doc.
pub struct FileStore {
    dir: PathBuf,
    storage: StorageHandle,
    options: FileStoreOptions,
    config: StoreConfig,
    cipher: Option<RecordCipher>,
    /// The stream key of an encrypted stream: block headers are MACed with it and every block
    /// is authenticated when scanned (docs/formats/block.md).
    key: Option<StreamKey>,
    /// While scanning at open: blocks written before headers were authenticated are accepted
    /// only until an authenticated block has been seen.
    legacy_blocks: bool,
    encoder: RecordEncoder,
    /// Reused encoding buffer.
    scratch: Vec<u8>,
    writer: Arc<Writer>,
    blocks: Vec<Block>,
    next_block_index: u32,
    /// Blocks created by this store since open (rotation, purge), for the checkpoint policy.
    blocks_created: u64,
    subjects: Subjects,
    ttl: TtlWheel,
    /// seq -> expires_ns of messages stored with a TTL (the wheel is keyed by time).
    expiries: BTreeMap<u64, u64>,
    cache: PageCache,
    files: FileCache,
    first_seq: u64,
    last_seq: u64,
    /// The block holding a record (message, tombstone or marker) at `last_seq`, when known.
    /// Before that block is pruned, a marker at `last_seq` is written elsewhere and fsynced:
    /// the high-water mark must outlive the block that carried it.
    last_seq_block: Option<u32>,
    last_ts_ns: u64,
    msgs: u64,
    bytes: u64,
    lost: Option<LostData>,
    closed: bool,
    opened_from_checkpoint: bool,
    /// Block files the last open read and scanned (the others came from the checkpoint).
    blocks_scanned_at_open: usize,
    /// Checkpoint policy bookkeeping, see `checkpoint::Policy`.
    policy: checkpoint::Policy,
    /// Exclusive lock on `stream.lock`: one store per directory, released at close or exit.
    lock: Option<LockGuard>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("dir", &self.dir)
            .field("blocks", &self.blocks.len())
            .field("first_seq", &self.first_seq)
            .field("last_seq", &self.last_seq)
            .field("msgs", &self.msgs)
            .finish_non_exhaustive()
    }
}

/// Maps an I/O failure to the store's error.
pub(crate) fn io_error(op: &'static str, path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Maps a codec failure on a file to the store's error.
pub(crate) fn format_error(path: &Path, error: natrium_format::Error) -> Error {
    let offset = match &error {
        natrium_format::Error::Corrupt { offset, .. }
        | natrium_format::Error::Checksum { offset, .. }
        | natrium_format::Error::Truncated { offset, .. } => *offset,
        _ => 0,
    };
    Error::Corrupt {
        file: path.to_path_buf(),
        offset,
        reason: error.to_string(),
    }
}

impl FileStore {
    /// Opens the stream in `dir` (creating it when empty) on `storage`, with retention `config`.
    pub fn open(
        storage: StorageHandle,
        dir: &Path,
        options: FileStoreOptions,
        config: StoreConfig,
    ) -> Result<Self> {
        if options.block_bytes_max > BLOCK_BYTES_MAX_LIMIT || options.block_bytes_max < 256 {
            return Err(Error::InvalidArgument {
                reason: "block_bytes_max must be between 256 bytes and 4 GiB",
            });
        }
        let key = match (options.cipher, &options.key) {
            (CipherKind::None, _) => None,
            (_, Some(key)) => Some(StreamKey::derive(key, options.name.as_bytes())),
            (_, None) => {
                return Err(Error::InvalidArgument {
                    reason: "an encrypted stream needs a key",
                });
            }
        };
        let writer = Writer::start(options.writer)
            .map_err(|source| io_error("spawn flush thread", dir, source))?;
        let mut store = Self {
            dir: dir.to_path_buf(),
            storage,
            cipher: None,
            key: None,
            legacy_blocks: true,
            encoder: RecordEncoder::new(
                options.record_limits,
                options.compression == Compression::Snappy,
            ),
            cache: PageCache::new(options.block_cache_bytes_max),
            files: FileCache::new(options.open_files_max),
            options,
            config,
            scratch: Vec::new(),
            writer: Arc::new(writer),
            blocks: Vec::new(),
            next_block_index: 1,
            blocks_created: 0,
            subjects: Subjects::default(),
            ttl: TtlWheel::new(crate::ttl::TICK_NS_DEFAULT, crate::ttl::SLOT_COUNT_DEFAULT),
            expiries: BTreeMap::new(),
            first_seq: 1,
            last_seq: 0,
            last_seq_block: None,
            last_ts_ns: 0,
            msgs: 0,
            bytes: 0,
            lost: None,
            closed: false,
            opened_from_checkpoint: false,
            blocks_scanned_at_open: 0,
            policy: checkpoint::Policy::default(),
            lock: None,
        };
        store.lock = Some(store.take_lock()?);
        store.cipher = scan::open_meta(&mut store, key.as_ref())?;
        store.key = key;
        let intent = store.read_intent()?;
        if let Some(intent) = &intent {
            store.finish_intent_before_load(intent)?;
        }
        let durable = checkpoint::read_state(&store);
        let loaded = checkpoint::load(&mut store, durable.as_ref())?;
        if loaded.is_none() {
            store.blocks.clear();
            store.subjects.clear();
            store.next_block_index = 1;
        }
        store.opened_from_checkpoint = loaded.is_some();
        let durable = durable.map(|(_, state)| state);
        let scanned = scan::load_blocks(&mut store, loaded.as_ref(), durable.as_ref())?;
        store.activate_last_block()?;
        store.leave_legacy_active_block()?;
        if scanned.last_seq_raised {
            // The blocks end below the durable high-water mark: write it down again so the
            // next open does not depend on the old checkpoint.
            let ticket = store.append_tombstone(store.last_seq, store.last_ts_ns)?;
            store.settle_durably(ticket)?;
        }
        let scan_from = loaded.as_ref().map_or(0, |loaded| loaded.scan_from);
        scan::load_ttl(&mut store, scanned.ttls, scan_from)?;
        if let Some(intent) = &intent {
            store.finish_intent(intent)?;
        }
        // A state rebuilt by scanning blocks is not yet checkpointed: the next tick writes it.
        // (Nothing scanned: the checkpoint covered everything, or the directory was new.)
        if store.blocks_scanned_at_open == 0 {
            store
                .policy
                .mark_clean(store.writer.appended(), store.blocks_created);
        }
        Ok(store)
    }

    /// Makes the last block the active one (creating a first block in an empty directory):
    /// only it keeps a handle; sealed ones reopen through the bounded cache.
    fn activate_last_block(&mut self) -> Result<()> {
        if self.blocks.is_empty() {
            self.create_block()?;
        }
        let last = self.blocks.len().saturating_sub(1);
        for block in self.blocks.get_mut(..last).unwrap_or_default() {
            block.file = None;
        }
        if let Some(active) = self.blocks.last()
            && active.file.is_none()
        {
            let file = self.block_handle(active)?;
            if let Some(active) = self.blocks.last_mut() {
                active.file = Some(file);
            }
        }
        Ok(())
    }

    /// The stream directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A handle to wait for tickets of [`FileStore::store_deferred`].
    pub fn durable_waiter(&self) -> DurableWaiter {
        DurableWaiter {
            writer: Arc::clone(&self.writer),
        }
    }

    /// Heap bytes of the in-memory index that grow with the stored messages: every entry slot
    /// allocated (used or slack) and the per-block records. The subject table is per distinct
    /// live subject, not per message, and is not counted (see docs/benchmarks/store.md).
    pub fn index_bytes(&self) -> u64 {
        let entries: usize = self
            .blocks
            .iter()
            .map(|block| block.entries.capacity())
            .sum();
        let bytes = entries * std::mem::size_of::<index::Entry>()
            + self.blocks.capacity() * std::mem::size_of::<index::Block>();
        u64::try_from(bytes).expect("usize fits u64")
    }

    /// Slots of the subject table: the most subjects live at once since the open (released
    /// slots are reused), never the number of subjects ever seen.
    pub fn subject_slots(&self) -> usize {
        self.subjects.slots()
    }

    /// Whether the last open used the checkpoint (`stream.state` + `stream.index`) instead of
    /// scanning every block.
    pub fn opened_from_checkpoint(&self) -> bool {
        self.opened_from_checkpoint
    }

    /// How many block files the last open scanned; with a usable checkpoint only the blocks
    /// written after it (0 when the checkpoint covered everything).
    pub fn blocks_scanned_at_open(&self) -> usize {
        self.blocks_scanned_at_open
    }

    /// Number of block files.
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    fn blocks_dir(&self) -> PathBuf {
        self.dir.join(natrium_format::names::BLOCKS_DIR)
    }

    /// Locks `<dir>/stream.lock` so a second store (in this process or another) cannot open
    /// the same directory and interleave writes.
    fn take_lock(&self) -> Result<LockGuard> {
        let path = self.dir.join(STREAM_LOCK);
        create_dir_durable(self.storage.as_ref(), &self.dir)
            .and_then(|()| self.storage.lock(&path))
            .map_err(|source| io_error("lock", &path, source))
    }

    fn check_open(&self) -> Result<()> {
        if self.closed {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    /// Writes `ttl.state` (a cache of per-message expiries; see `scan::load_ttl`).
    fn persist_ttl(&self) -> Result<()> {
        let path = self.dir.join(natrium_format::names::TTL_STATE);
        let bytes = self.ttl.encode(self.last_seq);
        write_atomic(self.storage.as_ref(), &path, &bytes)
            .map_err(|source| io_error("write", &path, source))
    }
}

#[cfg(test)]
mod tests;
