//! natrium-io: storage I/O behind a trait: real files, in-memory, and fault-injecting
//! implementations.
//!
//! Neither the store's `FileStore` nor recovery's repair, compaction and checkpoint writer
//! calls `std::fs` directly; they go through a [`Storage`] (the namespace: open, rename,
//! remove, list, directory fsync, an exclusive advisory lock) and the [`StorageFile`]s it
//! hands out (positional read and write, length, fsync, truncate). Three implementations:
//! - [`RealStorage`]: `std::fs` with `pread`/`pwrite` (`std::os::unix::fs::FileExt`).
//! - [`MemStorage`]: an in-memory file system that remembers, per file, which bytes were
//!   fsynced and, per directory, which entries were made durable by a directory fsync, so a
//!   simulated crash ([`MemStorage::crash`]) keeps exactly what a real power cut would keep.
//! - [`FaultStorage`]: wraps a `MemStorage` and fails (optionally tearing a write, so only a
//!   prefix lands) at a chosen mutating operation, to crash a workload at every write/sync point.
//!
//! The error type is `std::io::Error`: this layer is the operating-system boundary, and each
//! user (the store, recovery) maps its failures into its own `Error` where it handles them.
//! This crate sits below both (store -> recovery -> io), so both can be crash-tested on the
//! same simulated disk.
//!
//! # Concurrency model
//! Every method takes `&self`; a `Storage` and its files are `Send + Sync` and shared as
//! `Arc`s. Reads and writes are positional (no shared cursor), so any number of readers may
//! call `read_at` concurrently with one writer. The contract the store keeps on top of that:
//! **one writer per file** (the flush loop owns the tail of the active block; sealed blocks are
//! only read, except for secure-erase overwrites which take the same writer lock). The
//! in-memory implementations serialise each call on one mutex per file (and one for the
//! namespace); no lock is held across calls, and no call takes two of these locks at once
//! except the namespace lock then a file lock during `crash`, in that order.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

mod fault;
mod memory;
mod real;

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

pub use fault::{FaultPlan, FaultStorage};
pub use memory::{CrashMode, MemStorage};
pub use real::RealStorage;

/// How [`Storage::open`] treats a missing file. Every mode opens read-write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// The file must exist.
    Existing,
    /// Create the file if it is missing; keep its content if it exists.
    Create,
}

/// A file handed out by a [`Storage`]. See the module doc for the concurrency model.
pub trait StorageFile: Send + Sync + fmt::Debug {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at or past
    /// the end).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;

    /// Writes all of `data` at `offset`, extending the file if needed. Not durable until
    /// [`StorageFile::sync`].
    fn write_at(&self, data: &[u8], offset: u64) -> io::Result<()>;

    /// The current length in bytes (including bytes not yet fsynced).
    fn len(&self) -> io::Result<u64>;

    /// Whether the file holds no byte.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Makes every byte written so far durable (`fdatasync`).
    fn sync(&self) -> io::Result<()>;

    /// Cuts (or zero-extends) the file to `len` bytes. Not durable until `sync`.
    fn truncate(&self, len: u64) -> io::Result<()>;

    /// Writes `data` at the current end and returns the offset it was written at. Not atomic
    /// against a concurrent appender: the single-writer rule (module doc) makes it safe.
    fn append(&self, data: &[u8]) -> io::Result<u64> {
        let offset = self.len()?;
        self.write_at(data, offset)?;
        Ok(offset)
    }

    /// Reads exactly `buf.len()` bytes at `offset`, or fails with `UnexpectedEof`.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let mut done = 0usize;
        while done < buf.len() {
            let rest = buf.get_mut(done..).unwrap_or_default();
            let read = self.read_at(rest, offset.saturating_add(done as u64))?;
            if read == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short read"));
            }
            done = done.saturating_add(read);
        }
        Ok(())
    }
}

/// A shared handle to an open file.
pub type FileHandle = Arc<dyn StorageFile>;

/// The namespace side of storage: opening files and changing directories.
pub trait Storage: Send + Sync + fmt::Debug {
    /// Opens (or creates, per `mode`) the file at `path` for reading and writing.
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<FileHandle>;

    /// Atomically replaces `to` with `from`. Durable only after [`Storage::sync_dir`] of the
    /// parent directory.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;

    /// Removes a file. Durable only after `sync_dir` of its parent.
    fn remove(&self, path: &Path) -> io::Result<()>;

    /// The names of the entries (files and directories) directly in `dir`, sorted.
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>>;

    /// Creates `dir` and its missing parents.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;

    /// Makes the entries of `dir` (creations, renames, removals) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;

    /// Whether a file or directory exists at `path`.
    fn exists(&self, path: &Path) -> io::Result<bool>;

    /// Takes an exclusive advisory lock named by `path` (the file is created if missing),
    /// held until the returned guard is dropped — or the process dies. Fails with
    /// `WouldBlock` when someone else holds it.
    fn lock(&self, path: &Path) -> io::Result<LockGuard>;
}

/// Holds a lock taken with [`Storage::lock`]; dropping it releases the lock.
pub struct LockGuard {
    _held: Box<dyn Send + Sync>,
}

impl LockGuard {
    /// Wraps whatever keeps the lock alive (an open file, a registration to undo on drop).
    pub fn new(held: Box<dyn Send + Sync>) -> Self {
        Self { _held: held }
    }
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LockGuard")
    }
}

/// A shared handle to a storage implementation.
pub type StorageHandle = Arc<dyn Storage>;

/// Writes `data` to `path` atomically: a temporary sibling is written and fsynced, renamed over
/// `path`, and the directory is fsynced. A crash leaves either the old or the new content.
pub fn write_atomic(storage: &dyn Storage, path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp_name = path.file_name().unwrap_or_default().to_os_string();
    temp_name.push(".tmp");
    let temp = dir.join(temp_name);
    let file = storage.open(&temp, OpenMode::Create)?;
    file.truncate(0)?;
    file.write_at(data, 0)?;
    file.sync()?;
    drop(file);
    storage.rename(&temp, path)?;
    storage.sync_dir(dir)
}

/// Creates `dir` and its missing parents durably: a new directory is an entry of its parent,
/// so each created one's parent is fsynced, outermost first (and `dir`'s own parent always,
/// in case an earlier attempt created it and failed before that fsync).
pub fn create_dir_durable(storage: &dyn Storage, dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    for ancestor in dir.ancestors() {
        if ancestor.as_os_str().is_empty() || storage.exists(ancestor)? {
            break;
        }
        missing.push(ancestor);
    }
    storage.create_dir_all(dir)?;
    if missing.is_empty() {
        missing.push(dir);
    }
    for created in missing.iter().rev() {
        if let Some(parent) = created.parent().filter(|p| !p.as_os_str().is_empty()) {
            storage.sync_dir(parent)?;
        }
    }
    Ok(())
}

/// Reads a whole file into memory, refusing files longer than `bytes_max`.
pub fn read_all(storage: &dyn Storage, path: &Path, bytes_max: u64) -> io::Result<Vec<u8>> {
    let file = storage.open(path, OpenMode::Existing)?;
    let len = file.len()?;
    if len > bytes_max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is {len} bytes, over the {bytes_max}-byte limit",
                path.display()
            ),
        ));
    }
    let mut buf = vec![0u8; usize::try_from(len).map_err(io::Error::other)?];
    file.read_exact_at(&mut buf, 0)?;
    Ok(buf)
}

#[cfg(test)]
mod tests;
