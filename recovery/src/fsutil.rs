//! The few storage operations directory-level recovery needs: read a file, list block files,
//! replace a file atomically (temp file, fsync, rename, fsync the directory), create a
//! directory durably and drop derived caches. Every one goes through a [`Storage`], so repair
//! and compaction can be crash-tested on the simulated disk exactly as the store is; the
//! offline tool passes [`natrium_io::RealStorage`].

use std::io::ErrorKind;
use std::path::Path;

use natrium_format::names;
use natrium_io::{OpenMode, Storage};

use crate::{Error, Result};

/// Largest file recovery reads into memory (a block is bounded by `block_bytes_max`).
pub const FILE_BYTES_MAX: u64 = 1 << 32;

fn io(file: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        file: file.to_path_buf(),
        source,
    }
}

/// Reads a whole file, refusing files over [`FILE_BYTES_MAX`] before allocating.
pub fn read_file(storage: &dyn Storage, path: &Path) -> Result<Vec<u8>> {
    let file = storage.open(path, OpenMode::Existing).map_err(io(path))?;
    let len = file.len().map_err(io(path))?;
    if len > FILE_BYTES_MAX {
        return Err(Error::Limit {
            what: "file size",
            max: FILE_BYTES_MAX,
        });
    }
    // Cannot fail on a 64-bit target after the limit check; an error rather than a panic.
    let len = usize::try_from(len).map_err(|error| io(path)(std::io::Error::other(error)))?;
    let mut bytes = vec![0u8; len];
    file.read_exact_at(&mut bytes, 0).map_err(io(path))?;
    Ok(bytes)
}

/// Whether a file or directory exists at `path`.
pub fn exists(storage: &dyn Storage, path: &Path) -> Result<bool> {
    storage.exists(path).map_err(io(path))
}

/// Block indexes present in `<dir>/blocks`, ascending. Other names are ignored.
pub fn list_blocks(storage: &dyn Storage, dir: &Path) -> Result<Vec<u32>> {
    let blocks = dir.join(names::BLOCKS_DIR);
    if !exists(storage, &blocks)? {
        return Ok(Vec::new());
    }
    let mut indexes: Vec<u32> = storage
        .list_dir(&blocks)
        .map_err(io(&blocks))?
        .iter()
        .filter_map(|name| names::parse_block_file_name(name))
        .collect();
    indexes.sort_unstable();
    Ok(indexes)
}

/// fsyncs a directory so a rename, create or remove inside it is durable.
pub fn sync_dir(storage: &dyn Storage, dir: &Path) -> Result<()> {
    storage.sync_dir(dir).map_err(io(dir))
}

/// Replaces `path` with `bytes` atomically: `<path>.tmp`, fsync, rename, fsync the directory.
/// A crash leaves either the old or the new content at `path` (and perhaps a stray temp file).
pub fn write_atomic(storage: &dyn Storage, path: &Path, bytes: &[u8]) -> Result<()> {
    // natrium-io names the temp file `<name>.tmp`, as `names::temp_path` does, so a stray temp
    // file left by a crash is the one every reader already ignores.
    natrium_io::write_atomic(storage, path, bytes).map_err(io(path))
}

/// Creates `dir` (and parents) if missing, durably: each new directory's parent is fsynced.
pub fn create_dir(storage: &dyn Storage, dir: &Path) -> Result<()> {
    natrium_io::create_dir_durable(storage, dir).map_err(io(dir))
}

/// Deletes the caches derived from the blocks (`names::DERIVED_CACHES`) after the blocks were
/// rewritten; a store rebuilds them from the blocks at its next open. The directory fsync
/// makes the removals durable before the caller rewrites the first block, so a crash never
/// leaves a cache describing bytes that changed.
pub fn invalidate_derived_caches(storage: &dyn Storage, dir: &Path) -> Result<()> {
    for name in names::DERIVED_CACHES {
        let path = dir.join(name);
        match storage.remove(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::NotFound => {}
            Err(error) => return Err(io(&path)(error)),
        }
    }
    sync_dir(storage, dir)
}
