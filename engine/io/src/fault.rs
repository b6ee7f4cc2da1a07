//! The fault-injecting implementation of the storage I/O trait.
//!
//! [`FaultStorage`] wraps a [`MemStorage`] and numbers every mutating operation (create-open,
//! write, fsync, truncate, rename, remove, directory create and fsync) from 0. At the operation
//! numbered `fail_at_op` it fails; a failing write may first land a prefix of its bytes (a torn
//! write). With `sticky` set (a crash), every later mutating operation fails too, so nothing more
//! reaches the in-memory disk; the test then calls [`MemStorage::crash`] and reopens. Reads are
//! not counted and never fail: a dead process does not read, and a live one may still read what
//! it has. The counters are atomics, so the wrapper adds no lock of its own.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::{FileHandle, LockGuard, MemStorage, OpenMode, Storage, StorageFile};

/// When and how a [`FaultStorage`] fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    /// The number of the mutating operation that fails (0 = the first); `None` never fails.
    pub fail_at_op: Option<u64>,
    /// If the failing operation is a write, land the first half of its bytes before failing.
    pub torn_write: bool,
    /// Once failed, fail every later mutating operation (a crash) rather than only that one (a
    /// transient error such as a full disk).
    pub sticky: bool,
}

impl FaultPlan {
    /// Never fail; only count operations.
    pub fn none() -> Self {
        Self {
            fail_at_op: None,
            torn_write: false,
            sticky: true,
        }
    }

    /// Crash (sticky failure) at operation `op`, tearing it if it is a write and `torn_write`.
    pub fn crash_at(op: u64, torn_write: bool) -> Self {
        Self {
            fail_at_op: Some(op),
            torn_write,
            sticky: true,
        }
    }
}

#[derive(Debug)]
struct Control {
    plan: FaultPlan,
    ops: AtomicU64,
    failed: AtomicBool,
}

impl Control {
    /// Counts one mutating operation; `Err` if it must fail (`Now` for the planned one).
    fn step(&self) -> Result<(), Injected> {
        if self.plan.sticky && self.failed.load(Ordering::Acquire) {
            return Err(Injected::AfterCrash);
        }
        let op = self.ops.fetch_add(1, Ordering::AcqRel);
        if Some(op) == self.plan.fail_at_op {
            self.failed.store(true, Ordering::Release);
            return Err(Injected::Now);
        }
        Ok(())
    }
}

enum Injected {
    Now,
    AfterCrash,
}

fn injected() -> io::Error {
    io::Error::other("injected storage fault")
}

/// A storage that fails on plan. Cloning gives another handle sharing the same counters.
#[derive(Debug, Clone)]
pub struct FaultStorage {
    inner: MemStorage,
    control: Arc<Control>,
}

#[derive(Debug)]
struct FaultFile {
    inner: FileHandle,
    control: Arc<Control>,
}

impl FaultStorage {
    /// Wraps `inner` with `plan`.
    pub fn new(inner: MemStorage, plan: FaultPlan) -> Self {
        let control = Control {
            plan,
            ops: AtomicU64::new(0),
            failed: AtomicBool::new(false),
        };
        Self {
            inner,
            control: Arc::new(control),
        }
    }

    /// How many mutating operations were attempted (including failed ones).
    pub fn ops_attempted(&self) -> u64 {
        self.control.ops.load(Ordering::Acquire)
    }

    /// Whether the planned failure has happened.
    pub fn has_failed(&self) -> bool {
        self.control.failed.load(Ordering::Acquire)
    }

    fn step(&self) -> io::Result<()> {
        self.control.step().map_err(|_| injected())
    }
}

impl StorageFile for FaultFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }

    fn write_at(&self, data: &[u8], offset: u64) -> io::Result<()> {
        match self.control.step() {
            Ok(()) => self.inner.write_at(data, offset),
            Err(Injected::Now) if self.control.plan.torn_write => {
                let prefix = data.get(..data.len() / 2).unwrap_or_default();
                self.inner.write_at(prefix, offset)?;
                Err(injected())
            }
            Err(_) => Err(injected()),
        }
    }

    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }

    fn sync(&self) -> io::Result<()> {
        self.control.step().map_err(|_| injected())?;
        self.inner.sync()
    }

    fn truncate(&self, len: u64) -> io::Result<()> {
        self.control.step().map_err(|_| injected())?;
        self.inner.truncate(len)
    }
}

impl Storage for FaultStorage {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<FileHandle> {
        // Creating a file mutates the namespace; opening an existing one does not.
        if mode == OpenMode::Create && !self.inner.exists(path)? {
            self.step()?;
        }
        let inner = self.inner.open(path, mode)?;
        Ok(Arc::new(FaultFile {
            inner,
            control: Arc::clone(&self.control),
        }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.step()?;
        self.inner.rename(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.step()?;
        self.inner.remove(path)
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        self.inner.list_dir(dir)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.step()?;
        self.inner.create_dir_all(dir)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.step()?;
        self.inner.sync_dir(dir)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.inner.exists(path)
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        // Not a data operation: neither counted nor failed.
        self.inner.lock(path)
    }
}
