//! The in-memory implementation of the storage I/O trait, with crash simulation.
//!
//! Each file (an inode) keeps its current bytes and the bytes as of its last fsync. The
//! namespace keeps the live directory entries, the durable ones (as of the last fsync of each
//! parent directory), and the log of directory operations (create, rename, remove, mkdir)
//! made since. [`MemStorage::crash`] throws away everything a power cut would: un-fsynced
//! bytes and every un-fsynced directory operation; [`MemStorage::crash_seeded`] lets each
//! un-fsynced directory operation independently survive or not, chosen by a seed (a real disk
//! may write a directory back without being asked). A directory is itself an entry of its
//! parent: it is durable only once its parent is fsynced, and when it does not survive, nor
//! does anything in it. Meant for tests; there is no capacity limit beyond the process's
//! memory.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{FileHandle, LockGuard, OpenMode, Storage, StorageFile};

/// What survives of the bytes written since a file's last fsync when [`MemStorage::crash`]
/// simulates a power cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// Nothing: every file reverts to its last fsynced content.
    DropUnsynced,
    /// If the file only grew since its last fsync, the first `bytes` of the growth survive (a
    /// torn tail, as when the disk wrote back part of the page cache); otherwise nothing.
    KeepUnsyncedPrefix {
        /// How many bytes of the un-fsynced growth survive.
        bytes: u64,
    },
    /// If the file only grew since its last fsync, it keeps its new length but each
    /// `page_bytes`-aligned page of the growth independently survives or reads as zeros
    /// (chosen by `seed`): the page cache written back out of order, size already updated.
    ScrambleUnsyncedPages {
        seed: u64,
        /// Page size (4096 on Linux; smaller in tests with tiny blocks). 0 acts as 1.
        page_bytes: usize,
    },
    /// Any change since the last fsync, in-place overwrites and truncations included, tears at
    /// sector granularity: the file keeps its old or its new length (one coin), and each
    /// `sector_bytes`-aligned sector independently holds its new bytes or its old ones (zeros
    /// where it had none), as a disk that wrote back some dirty sectors before power went.
    TearUnsyncedSectors {
        seed: u64,
        /// Sector size (512 on most disks; smaller in tests with tiny records). 0 acts as 1.
        sector_bytes: usize,
    },
}

#[derive(Debug, Default)]
struct Content {
    data: Vec<u8>,
    synced: Vec<u8>,
}

impl Content {
    fn surviving(&self, mode: CrashMode) -> Vec<u8> {
        if let CrashMode::TearUnsyncedSectors { seed, sector_bytes } = mode {
            return self.torn_at_sectors(seed, sector_bytes);
        }
        let mut kept = self.synced.clone();
        let only_grew = self.data.starts_with(&self.synced);
        let Some(growth) = self.data.get(self.synced.len()..).filter(|_| only_grew) else {
            return kept;
        };
        match mode {
            CrashMode::DropUnsynced => {}
            CrashMode::KeepUnsyncedPrefix { bytes } => {
                let take = usize::try_from(bytes)
                    .unwrap_or(usize::MAX)
                    .min(growth.len());
                kept.extend_from_slice(growth.get(..take).unwrap_or_default());
            }
            // Handled above: it applies to every change, not only to growth.
            CrashMode::TearUnsyncedSectors { .. } => {}
            CrashMode::ScrambleUnsyncedPages { seed, page_bytes } => {
                let page_bytes = page_bytes.max(1);
                let start = self.synced.len();
                let mut state = seed | 1;
                for (at, byte) in growth.iter().enumerate() {
                    if at == 0 || (start + at).is_multiple_of(page_bytes) {
                        // xorshift64: one coin per page (the synced page's tail counts too).
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                    }
                    kept.push(if (state >> 32) & 1 == 1 { *byte } else { 0 });
                }
            }
        }
        kept
    }
}

impl Content {
    /// [`CrashMode::TearUnsyncedSectors`]: old or new length, then sector by sector old or
    /// new bytes, each by a coin from `seed`.
    fn torn_at_sectors(&self, seed: u64, sector_bytes: usize) -> Vec<u8> {
        if self.data == self.synced {
            return self.synced.clone();
        }
        let sector_bytes = sector_bytes.max(1);
        let mut coins = seed | 1;
        let mut coin = move || {
            // xorshift64
            coins ^= coins << 13;
            coins ^= coins >> 7;
            coins ^= coins << 17;
            (coins >> 32) & 1 == 1
        };
        let len = if coin() {
            self.data.len()
        } else {
            self.synced.len()
        };
        let mut kept = Vec::with_capacity(len);
        for start in (0..len).step_by(sector_bytes) {
            let end = (start + sector_bytes).min(len);
            let source = if coin() { &self.data } else { &self.synced };
            for at in start..end {
                kept.push(source.get(at).copied().unwrap_or(0));
            }
        }
        kept
    }
}

#[derive(Debug, Default)]
struct Inode {
    content: Mutex<Content>,
}

/// A directory operation not yet made durable by an fsync of its parent.
#[derive(Debug)]
enum DirOp {
    Link(PathBuf, Arc<Inode>),
    Unlink(PathBuf),
    Rename(PathBuf, PathBuf, Arc<Inode>),
    MakeDir(PathBuf),
}

impl DirOp {
    /// Whether an fsync of `dir` makes this operation durable.
    fn settled_by(&self, dir: &Path) -> bool {
        match self {
            Self::Link(path, _) | Self::Unlink(path) | Self::MakeDir(path) => {
                parent_of(path) == dir
            }
            Self::Rename(from, to, _) => parent_of(from) == dir && parent_of(to) == dir,
        }
    }

    /// Applies the operation to a durable namespace (idempotent: a replay after a partial
    /// fsync of a cross-directory rename does nothing twice).
    fn replay(&self, files: &mut BTreeMap<PathBuf, Arc<Inode>>, dirs: &mut BTreeSet<PathBuf>) {
        match self {
            Self::Link(path, inode) => {
                files.insert(path.clone(), Arc::clone(inode));
            }
            Self::Unlink(path) => {
                files.remove(path);
            }
            Self::Rename(from, to, inode) => {
                if files.get(from).is_some_and(|at| Arc::ptr_eq(at, inode)) {
                    files.remove(from);
                    files.insert(to.clone(), Arc::clone(inode));
                }
            }
            Self::MakeDir(path) => {
                dirs.insert(path.clone());
            }
        }
    }
}

#[derive(Debug, Default)]
struct Namespace {
    dirs: BTreeSet<PathBuf>,
    durable_dirs: BTreeSet<PathBuf>,
    /// Paths locked with `Storage::lock` (advisory, like flock; not part of the file data).
    locks: BTreeSet<PathBuf>,
    live: BTreeMap<PathBuf, Arc<Inode>>,
    durable: BTreeMap<PathBuf, Arc<Inode>>,
    /// Directory operations since the last fsync of their parent, in order.
    pending: Vec<DirOp>,
}

/// One well-mixed 64-bit value per input (SplitMix64's finaliser): a coin per operation that
/// differs for nearby seeds.
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A root (no parent to fsync) is always there.
fn is_root(dir: &Path) -> bool {
    dir.parent()
        .is_none_or(|parent| parent.as_os_str().is_empty())
}

/// An in-memory file system that can simulate a crash. Cloning gives another handle to the
/// same file system (a test keeps one while the store owns another).
#[derive(Debug, Default, Clone)]
pub struct MemStorage {
    namespace: Arc<Mutex<Namespace>>,
}

#[derive(Debug)]
struct MemFile {
    inode: Arc<Inode>,
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file", path.display()),
    )
}

fn parent_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new(""))
}

impl MemStorage {
    /// An empty file system.
    pub fn new() -> Self {
        Self::default()
    }

    /// Simulates a power cut: every file reverts to what `mode` says survives, every directory
    /// to its last fsynced entries. Handles opened before the crash keep working on orphaned
    /// copies, so a store that is still running cannot touch the post-crash state.
    pub fn crash(&self, mode: CrashMode) {
        self.crash_inner(mode, None);
    }

    /// [`MemStorage::crash`], except that each directory operation not yet made durable by an
    /// fsync (create, rename, remove, mkdir) independently survives or not, as `seed` decides.
    pub fn crash_seeded(&self, mode: CrashMode, seed: u64) {
        self.crash_inner(mode, Some(seed));
    }

    /// The power cut the crash-at-every-operation tests take after a fault at operation `op`:
    /// with `torn`, every un-fsynced change tears at `sector_bytes` (seeded by `op`), else it
    /// is dropped; with `dir_seed`, each un-fsynced directory operation survives by that seed.
    pub fn power_cut(&self, torn: bool, op: u64, dir_seed: Option<u64>, sector_bytes: usize) {
        let mode = if torn {
            CrashMode::TearUnsyncedSectors {
                seed: op.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
                sector_bytes,
            }
        } else {
            CrashMode::DropUnsynced
        };
        self.crash_inner(mode, dir_seed);
    }

    fn crash_inner(&self, mode: CrashMode, seed: Option<u64>) {
        let mut namespace = self.namespace.lock();
        let mut files = namespace.durable.clone();
        let mut dirs = namespace.durable_dirs.clone();
        for (at, op) in std::mem::take(&mut namespace.pending)
            .into_iter()
            .enumerate()
        {
            let survives = seed.is_some_and(|seed| splitmix64(seed ^ at as u64) & 1 == 1);
            if survives {
                op.replay(&mut files, &mut dirs);
            }
        }
        // A directory (and so everything in it) survives only under surviving parents.
        let reachable = |dirs: &BTreeSet<PathBuf>, path: &Path| {
            path.ancestors()
                .skip(1)
                .all(|ancestor| is_root(ancestor) || dirs.contains(ancestor))
        };
        let kept_dirs: BTreeSet<PathBuf> = dirs
            .iter()
            .filter(|dir| is_root(dir) || reachable(&dirs, dir))
            .cloned()
            .collect();
        let mut survivors = BTreeMap::new();
        for (path, inode) in files.iter().filter(|(path, _)| reachable(&kept_dirs, path)) {
            let kept = inode.content.lock().surviving(mode);
            let fresh = Inode {
                content: Mutex::new(Content {
                    data: kept.clone(),
                    synced: kept,
                }),
            };
            survivors.insert(path.clone(), Arc::new(fresh));
        }
        namespace.live = survivors.clone();
        namespace.durable = survivors;
        namespace.dirs.clone_from(&kept_dirs);
        namespace.durable_dirs = kept_dirs;
    }

    /// A separate file system holding what this one would keep after a crash with every
    /// directory operation fsynced: the current content of every live file (durable), with
    /// nothing pending. For tests that try many crashes from the same starting point.
    pub fn snapshot(&self) -> MemStorage {
        let namespace = self.namespace.lock();
        let mut files = BTreeMap::new();
        for (path, inode) in &namespace.live {
            let data = inode.content.lock().data.clone();
            let content = Content {
                synced: data.clone(),
                data,
            };
            let fresh = Inode {
                content: Mutex::new(content),
            };
            files.insert(path.clone(), Arc::new(fresh));
        }
        let copy = Namespace {
            dirs: namespace.dirs.clone(),
            durable_dirs: namespace.dirs.clone(),
            locks: BTreeSet::new(),
            live: files.clone(),
            durable: files,
            pending: Vec::new(),
        };
        MemStorage {
            namespace: Arc::new(Mutex::new(copy)),
        }
    }

    /// The current content of the file at `path`, if it exists (for tests that inspect bytes).
    pub fn file_content(&self, path: &Path) -> Option<Vec<u8>> {
        let namespace = self.namespace.lock();
        let inode = namespace.live.get(path)?;
        let data = inode.content.lock().data.clone();
        Some(data)
    }

    /// Replaces the content of an existing file, durably (for tests that corrupt files).
    pub fn set_file_content(&self, path: &Path, data: Vec<u8>) -> io::Result<()> {
        let namespace = self.namespace.lock();
        let inode = namespace.live.get(path).ok_or_else(|| not_found(path))?;
        let mut content = inode.content.lock();
        content.synced.clone_from(&data);
        content.data = data;
        Ok(())
    }

    /// Every live file path, sorted.
    pub fn file_paths(&self) -> Vec<PathBuf> {
        self.namespace.lock().live.keys().cloned().collect()
    }
}

/// Releases an in-memory lock when dropped.
struct MemLock {
    namespace: Arc<Mutex<Namespace>>,
    path: PathBuf,
}

impl Drop for MemLock {
    fn drop(&mut self) {
        self.namespace.lock().locks.remove(&self.path);
    }
}

impl StorageFile for MemFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let content = self.inode.content.lock();
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let available = content.data.get(start..).unwrap_or_default();
        let count = available.len().min(buf.len());
        if let (Some(target), Some(source)) = (buf.get_mut(..count), available.get(..count)) {
            target.copy_from_slice(source);
        }
        Ok(count)
    }

    fn write_at(&self, data: &[u8], offset: u64) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(io::Error::other)?;
        let end = start
            .checked_add(data.len())
            .ok_or_else(|| io::Error::other("write past the addressable end"))?;
        let mut content = self.inode.content.lock();
        if content.data.len() < end {
            content.data.resize(end, 0);
        }
        if let Some(target) = content.data.get_mut(start..end) {
            target.copy_from_slice(data);
        }
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.inode.content.lock().data.len() as u64)
    }

    fn sync(&self) -> io::Result<()> {
        let mut content = self.inode.content.lock();
        let Content { data, synced } = &mut *content;
        synced.clone_from(data);
        Ok(())
    }

    fn truncate(&self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(io::Error::other)?;
        self.inode.content.lock().data.resize(len, 0);
        Ok(())
    }
}

impl Storage for MemStorage {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<FileHandle> {
        let mut namespace = self.namespace.lock();
        if let Some(inode) = namespace.live.get(path) {
            return Ok(Arc::new(MemFile {
                inode: Arc::clone(inode),
            }));
        }
        if mode == OpenMode::Existing {
            return Err(not_found(path));
        }
        if !namespace.dirs.contains(parent_of(path)) {
            return Err(not_found(parent_of(path)));
        }
        let inode = Arc::new(Inode::default());
        namespace
            .live
            .insert(path.to_path_buf(), Arc::clone(&inode));
        let op = DirOp::Link(path.to_path_buf(), Arc::clone(&inode));
        namespace.pending.push(op);
        Ok(Arc::new(MemFile { inode }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut namespace = self.namespace.lock();
        let inode = namespace.live.remove(from).ok_or_else(|| not_found(from))?;
        namespace.live.insert(to.to_path_buf(), Arc::clone(&inode));
        let op = DirOp::Rename(from.to_path_buf(), to.to_path_buf(), inode);
        namespace.pending.push(op);
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut namespace = self.namespace.lock();
        namespace.live.remove(path).ok_or_else(|| not_found(path))?;
        namespace.pending.push(DirOp::Unlink(path.to_path_buf()));
        Ok(())
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let namespace = self.namespace.lock();
        if !namespace.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        let files = namespace.live.keys();
        let dirs = namespace.dirs.iter();
        let mut names: Vec<String> = files
            .chain(dirs)
            .filter(|path| parent_of(path) == dir && path.as_path() != dir)
            .filter_map(|path| path.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut namespace = self.namespace.lock();
        let mut created: Vec<PathBuf> = dir
            .ancestors()
            .filter(|ancestor| !namespace.dirs.contains(*ancestor))
            .map(Path::to_path_buf)
            .collect();
        created.reverse();
        for path in created {
            if is_root(&path) {
                namespace.durable_dirs.insert(path.clone());
            } else {
                namespace.pending.push(DirOp::MakeDir(path.clone()));
            }
            namespace.dirs.insert(path);
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut namespace = self.namespace.lock();
        if !namespace.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        namespace.durable.retain(|path, _| parent_of(path) != dir);
        let entries: Vec<(PathBuf, Arc<Inode>)> = namespace
            .live
            .iter()
            .filter(|(path, _)| parent_of(path) == dir)
            .map(|(path, inode)| (path.clone(), Arc::clone(inode)))
            .collect();
        namespace.durable.extend(entries);
        let subdirs: Vec<PathBuf> = namespace
            .dirs
            .iter()
            .filter(|path| parent_of(path) == dir && path.as_path() != dir)
            .cloned()
            .collect();
        namespace.durable_dirs.extend(subdirs);
        namespace.pending.retain(|op| !op.settled_by(dir));
        Ok(())
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        let mut namespace = self.namespace.lock();
        if !namespace.locks.insert(path.to_path_buf()) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is locked by another store", path.display()),
            ));
        }
        Ok(LockGuard::new(Box::new(MemLock {
            namespace: Arc::clone(&self.namespace),
            path: path.to_path_buf(),
        })))
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        let namespace = self.namespace.lock();
        Ok(namespace.live.contains_key(path) || namespace.dirs.contains(path))
    }
}
