//! Reading records back: from the writer's buffer when not yet written, else from a bounded
//! page cache of block bytes filled with positional reads, then decoded (crc checked, body
//! decrypted and decompressed) into a `StoredMsg`. Also the entry searches the loads share.
//!
//! The cache holds `PAGE_BYTES`-aligned pages keyed by (block index, page number), at most
//! `block_cache_bytes_max` bytes; when full it evicts arbitrary pages (a hash map's iteration
//! order), which is cheap and good enough for the hot case of re-reading recent pages. A page
//! read while the block was shorter is refreshed when a record reaches past its end. Its mutex
//! is held only for lookups and inserts, never across I/O.

use std::collections::HashMap;
use std::sync::Arc;

use natrium_format::names::block_path;
use natrium_format::record::RecordView;
use parking_lot::Mutex;

use super::index::{Block, Entry};
use super::{FileStore, format_error, io_error};
use crate::io::FileHandle;
use crate::types::StoredMsg;
use crate::{Error, Result};

/// Size and alignment of a cached page of block bytes.
pub const PAGE_BYTES: u64 = 64 * 1024;

/// Hashes a page key with one multiply: keys are block and page numbers chosen by the store,
/// never by a client, so a DoS-resistant hash buys nothing here.
#[derive(Debug, Default, Clone, Copy)]
struct PageKeyHasher(u64);

impl std::hash::Hasher for PageKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }
    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }
    fn write_u64(&mut self, value: u64) {
        // Fibonacci hashing: spreads consecutive page numbers over the table.
        self.0 = (self.0.rotate_left(29) ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type PageMap = HashMap<(u32, u64), Arc<Vec<u8>>, std::hash::BuildHasherDefault<PageKeyHasher>>;

#[derive(Debug, Default)]
struct CacheInner {
    pages: PageMap,
    bytes: usize,
}

/// The bounded page cache (see the module doc).
#[derive(Debug)]
pub struct PageCache {
    inner: Mutex<CacheInner>,
    bytes_max: usize,
}

impl PageCache {
    pub fn new(bytes_max: usize) -> Self {
        Self {
            inner: Mutex::new(CacheInner::default()),
            bytes_max,
        }
    }

    fn get(&self, key: (u32, u64)) -> Option<Arc<Vec<u8>>> {
        self.inner.lock().pages.get(&key).cloned()
    }

    fn insert(&self, key: (u32, u64), page: Arc<Vec<u8>>) {
        if page.len() > self.bytes_max {
            return;
        }
        let mut inner = self.inner.lock();
        if let Some(old) = inner.pages.remove(&key) {
            inner.bytes = inner.bytes.saturating_sub(old.len());
        }
        while inner.bytes.saturating_add(page.len()) > self.bytes_max {
            let Some(victim) = inner.pages.keys().next().copied() else {
                break;
            };
            if let Some(old) = inner.pages.remove(&victim) {
                inner.bytes = inner.bytes.saturating_sub(old.len());
            }
        }
        inner.bytes = inner.bytes.saturating_add(page.len());
        inner.pages.insert(key, page);
    }

    /// Drops every page of `block` (after an overwrite, truncation or removal).
    pub fn invalidate_block(&self, block: u32) {
        let mut inner = self.inner.lock();
        let mut freed = 0usize;
        inner.pages.retain(|(index, _), page| {
            let keep = *index != block;
            if !keep {
                freed = freed.saturating_add(page.len());
            }
            keep
        });
        inner.bytes = inner.bytes.saturating_sub(freed);
    }

    pub fn clear(&self) {
        let mut inner = self.inner.lock();
        inner.pages.clear();
        inner.bytes = 0;
    }
}

/// Open handles of sealed blocks, at most `open_files_max`, oldest opened evicted first. Its
/// mutex is held for the lookup and the insert, not across the `open` itself.
#[derive(Debug)]
pub struct FileCache {
    inner: Mutex<(HashMap<u32, FileHandle>, std::collections::VecDeque<u32>)>,
    open_files_max: usize,
}

impl FileCache {
    pub fn new(open_files_max: usize) -> Self {
        Self {
            inner: Mutex::new((HashMap::new(), std::collections::VecDeque::new())),
            open_files_max: open_files_max.max(1),
        }
    }

    fn get(&self, index: u32) -> Option<FileHandle> {
        self.inner.lock().0.get(&index).cloned()
    }

    fn insert(&self, index: u32, file: FileHandle) {
        let mut inner = self.inner.lock();
        let (files, order) = &mut *inner;
        if files.insert(index, file).is_none() {
            order.push_back(index);
        }
        while files.len() > self.open_files_max {
            let Some(oldest) = order.pop_front() else {
                break;
            };
            files.remove(&oldest);
        }
    }

    /// Closes the cached handle of a block that is being removed or rewritten.
    pub fn forget(&self, index: u32) {
        let mut inner = self.inner.lock();
        let (files, order) = &mut *inner;
        files.remove(&index);
        order.retain(|at| *at != index);
    }
}

/// Record bytes from wherever they were found.
enum Bytes {
    Owned(Vec<u8>),
    Page(Arc<Vec<u8>>, usize),
}

impl FileStore {
    /// A handle to `block`'s file: its own when active, else through the bounded cache.
    pub(super) fn block_handle(&self, block: &Block) -> Result<FileHandle> {
        if let Some(file) = &block.file {
            return Ok(Arc::clone(file));
        }
        if let Some(file) = self.files.get(block.index) {
            return Ok(file);
        }
        let path = block_path(&self.dir, block.index);
        let file = self
            .storage
            .open(&path, crate::io::OpenMode::Existing)
            .map_err(|source| io_error("open", &path, source))?;
        self.files.insert(block.index, Arc::clone(&file));
        Ok(file)
    }

    /// The record bytes of `entry` (unverified).
    fn record_bytes(&self, block: &Block, entry: &Entry) -> Result<Bytes> {
        let offset = u64::from(entry.offset);
        let len = entry.record_len as usize;
        let path = || block_path(&self.dir, block.index);
        if let Some(buf) = self
            .writer
            .read_pending(u64::from(block.index), offset, len)
        {
            return Ok(Bytes::Owned(buf));
        }
        let page_no = offset / PAGE_BYTES;
        let page_start = page_no * PAGE_BYTES;
        let end = offset.saturating_add(len as u64);
        if end > page_start + PAGE_BYTES {
            let mut buf = vec![0u8; len];
            self.block_handle(block)?
                .read_exact_at(&mut buf, offset)
                .map_err(|source| io_error("read", &path(), source))?;
            return Ok(Bytes::Owned(buf));
        }
        let within = (offset - page_start) as usize;
        let key = (block.index, page_no);
        if let Some(page) = self.cache.get(key)
            && page.len() >= within + len
        {
            return Ok(Bytes::Page(page, within));
        }
        // Only a cache miss needs the file (and so, for a sealed block, a handle).
        let file = self.block_handle(block)?;
        let mut page = vec![0u8; PAGE_BYTES as usize];
        let mut filled = 0usize;
        while filled < page.len() {
            let rest = page.get_mut(filled..).unwrap_or_default();
            let read = file
                .read_at(rest, page_start + filled as u64)
                .map_err(|source| io_error("read", &path(), source))?;
            if read == 0 {
                break;
            }
            filled += read;
        }
        page.truncate(filled);
        let page = Arc::new(page);
        self.cache.insert(key, Arc::clone(&page));
        Ok(Bytes::Page(page, within))
    }

    /// The per-message TTL stored in the record of `entry` (`None` for records without one,
    /// including those written before records carried it).
    pub(super) fn entry_ttl_ns(&self, block: &Block, entry: &Entry) -> Result<Option<u64>> {
        let bytes = self.record_bytes(block, entry)?;
        let (slice, offset) = match &bytes {
            Bytes::Owned(buf) => (buf.as_slice(), u64::from(entry.offset)),
            Bytes::Page(page, within) => (
                page.get(*within..).unwrap_or_default(),
                u64::from(entry.offset),
            ),
        };
        let view = RecordView::decode(slice, offset, &self.options.record_limits)
            .map_err(|error| format_error(&block_path(&self.dir, block.index), error))?;
        Ok(view.ttl_ns)
    }

    /// Decodes the message of `entry` in `block`.
    pub(super) fn load_entry(&self, block: &Block, entry: &Entry) -> Result<StoredMsg> {
        let seq = block.seq_of(entry);
        let bytes = self.record_bytes(block, entry)?;
        let (slice, offset) = match &bytes {
            Bytes::Owned(buf) => (buf.as_slice(), u64::from(entry.offset)),
            Bytes::Page(page, within) => (
                page.get(*within..).unwrap_or_default(),
                u64::from(entry.offset),
            ),
        };
        let path = || block_path(&self.dir, block.index);
        let view = RecordView::decode(slice, offset, &self.options.record_limits)
            .map_err(|error| format_error(&path(), error))?;
        if view.seq != seq || view.is_tombstone() {
            return Err(Error::Corrupt {
                file: path(),
                offset,
                reason: format!("index expects message {seq}, record holds {}", view.seq),
            });
        }
        let mut scratch = Vec::new();
        let body = view
            .body(self.cipher.as_ref(), &mut scratch)
            .map_err(|error| format_error(&path(), error))?;
        let subject = match self.subjects.get(entry.subject) {
            Some(info) => Arc::clone(&info.name),
            None => Arc::from(String::from_utf8_lossy(view.subject).as_ref()),
        };
        Ok(StoredMsg {
            seq,
            ts_ns: entry.ts_ns,
            subject,
            headers: body.headers.to_vec(),
            payload: body.payload.to_vec(),
            expires_ns: self.expiries.get(&seq).copied(),
        })
    }

    /// Block and entry position of `seq`, if it has an entry (live or removed).
    pub(super) fn locate(&self, seq: u64) -> Option<(usize, usize)> {
        let block_at = self
            .blocks
            .partition_point(|block| block.seq_base <= seq)
            .checked_sub(1)?;
        let position = self.blocks.get(block_at)?.position(seq)?;
        Some((block_at, position))
    }

    /// The live entry of `seq`.
    pub(super) fn live_entry(&self, seq: u64) -> Option<(&Block, &Entry)> {
        let (block_at, position) = self.locate(seq)?;
        let block = self.blocks.get(block_at)?;
        let entry = block.entries.get(position)?;
        entry.is_live().then_some((block, entry))
    }

    /// The first live entry with `seq >= start` accepted by `keep`, as (seq, block, position).
    pub(super) fn find_forward(
        &self,
        start: u64,
        mut keep: impl FnMut(&Entry) -> bool,
    ) -> Option<(u64, usize, usize)> {
        let first_block = self
            .blocks
            .partition_point(|block| block.seq_base <= start)
            .saturating_sub(1);
        for (block_at, block) in self.blocks.iter().enumerate().skip(first_block) {
            if block.live == 0 {
                continue;
            }
            let from = block
                .entries
                .partition_point(|entry| block.seq_of(entry) < start);
            let entries = block.entries.iter().enumerate().skip(from);
            for (position, entry) in entries {
                if entry.is_live() && keep(entry) {
                    return Some((block.seq_of(entry), block_at, position));
                }
            }
        }
        None
    }

    /// The last live entry with `seq <= at_most` accepted by `keep`, as (seq, block, position).
    pub(super) fn find_backward(
        &self,
        at_most: u64,
        mut keep: impl FnMut(&Entry) -> bool,
    ) -> Option<(u64, usize, usize)> {
        let end_block = self
            .blocks
            .partition_point(|block| block.seq_base <= at_most);
        for block_at in (0..end_block).rev() {
            let block = self.blocks.get(block_at)?;
            if block.live == 0 {
                continue;
            }
            let until = block
                .entries
                .partition_point(|entry| block.seq_of(entry) <= at_most);
            for position in (0..until).rev() {
                let entry = block.entries.get(position)?;
                if entry.is_live() && keep(entry) {
                    return Some((block.seq_of(entry), block_at, position));
                }
            }
        }
        None
    }

    /// Loads the message found by a search.
    pub(super) fn load_found(&self, found: (u64, usize, usize)) -> Result<StoredMsg> {
        let (_, block_at, position) = found;
        let block = self.blocks.get(block_at).ok_or(Error::NotFound)?;
        let entry = block.entries.get(position).ok_or(Error::NotFound)?;
        self.load_entry(block, entry)
    }

    /// A subject predicate for `filter`: `None` when no stored subject can match.
    pub(super) fn subject_filter(&self, filter: &str) -> Option<SubjectFilter> {
        if let Some(id) = self.subjects.id(filter) {
            // Stored subjects are literal, so a known one is its own filter.
            return Some(SubjectFilter::One(id));
        }
        if crate::subject::is_match_all(filter) {
            return Some(SubjectFilter::All);
        }
        if crate::subject::is_literal(filter) {
            return self.subjects.id(filter).map(SubjectFilter::One);
        }
        Some(SubjectFilter::Some(self.subjects.matching(filter)))
    }
}

/// Which subject ids a filter accepts.
pub(super) enum SubjectFilter {
    All,
    One(u32),
    Some(Vec<bool>),
}

impl SubjectFilter {
    pub fn accepts(&self, subject: u32) -> bool {
        match self {
            Self::All => true,
            Self::One(id) => *id == subject,
            Self::Some(ids) => ids.get(subject as usize).copied().unwrap_or(false),
        }
    }
}
