//! The few `std::fs` operations directory-level recovery needs: read a file, list block files,
//! and replace a file atomically (temp file, fsync, rename, fsync the directory).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use natrium_format::names;

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
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let len = fs::metadata(path).map_err(io(path))?.len();
    if len > FILE_BYTES_MAX {
        return Err(Error::Limit {
            what: "file size",
            max: FILE_BYTES_MAX,
        });
    }
    fs::read(path).map_err(io(path))
}

/// Block indexes present in `<dir>/blocks`, ascending. Other names are ignored.
pub fn list_blocks(dir: &Path) -> Result<Vec<u32>> {
    let blocks = dir.join(names::BLOCKS_DIR);
    if !blocks.exists() {
        return Ok(Vec::new());
    }
    let mut indexes = Vec::new();
    for entry in fs::read_dir(&blocks).map_err(io(&blocks))? {
        let entry = entry.map_err(io(&blocks))?;
        if let Some(index) = entry
            .file_name()
            .to_str()
            .and_then(names::parse_block_file_name)
        {
            indexes.push(index);
        }
    }
    indexes.sort_unstable();
    Ok(indexes)
}

/// fsyncs a directory so a rename or create inside it is durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(dir))
}

/// Replaces `path` with `bytes` atomically: `<path>.tmp`, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = names::temp_path(path);
    let mut file = fs::File::create(&temp).map_err(io(&temp))?;
    file.write_all(bytes).map_err(io(&temp))?;
    file.sync_all().map_err(io(&temp))?;
    drop(file);
    fs::rename(&temp, path).map_err(io(path))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Creates `dir` (and parents) if missing.
pub fn create_dir(dir: &Path) -> Result<PathBuf> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    Ok(dir.to_path_buf())
}

/// Deletes the caches derived from the blocks (`names::DERIVED_CACHES`) after the blocks were
/// rewritten; a store rebuilds them from the blocks at its next open.
pub fn invalidate_derived_caches(dir: &Path) -> Result<()> {
    for name in names::DERIVED_CACHES {
        let path = dir.join(name);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io(&path)(error)),
        }
    }
    sync_dir(dir)
}
