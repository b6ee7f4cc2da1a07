//! The stream directory's `stream.lock`, taken the way the store takes it (advisory `flock`),
//! so natrium-blk can never rewrite a store a live server has open: `recover` (in place) and
//! `compact` take it exclusively and refuse when it is held; the read-only verbs take it
//! shared, and when a server holds it they still read (they change nothing) after a warning
//! that the tail may be moving.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// The lock file's name: `natrium_store::filestore::STREAM_LOCK` (a test checks they agree;
/// the tool reads through recovery and format only, so it does not link the store).
pub const STREAM_LOCK: &str = "stream.lock";

/// What the command does to the stream directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only (inspect, verify, dump, recover --into elsewhere).
    Read,
    /// Rewrites blocks in place (recover, compact).
    Rewrite,
}

/// Held for the command's duration; the kernel releases it when the file closes.
#[derive(Debug)]
pub struct StreamLock {
    _file: Option<File>,
}

/// Takes `dir`'s stream lock for `access`.
pub fn lock(dir: &Path, access: Access) -> Result<StreamLock> {
    let path = dir.join(STREAM_LOCK);
    match access {
        Access::Rewrite => {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            match file.try_lock() {
                Ok(()) => Ok(StreamLock { _file: Some(file) }),
                Err(TryLockError::WouldBlock) => bail!(
                    "{} is held: a natrium server (or another natrium-blk) has this stream \
                     open; stop it before rewriting the stream",
                    path.display()
                ),
                Err(TryLockError::Error(error)) => {
                    Err(error).with_context(|| format!("cannot lock {}", path.display()))
                }
            }
        }
        Access::Read => {
            // No lock file: no store ever opened this directory; nothing to share with.
            let Ok(file) = File::open(&path) else {
                return Ok(StreamLock { _file: None });
            };
            match file.try_lock_shared() {
                Ok(()) => Ok(StreamLock { _file: Some(file) }),
                Err(TryLockError::WouldBlock) => {
                    eprintln!(
                        "warning: {} is held by a running store: reading a live stream, \
                         whose last block may still be growing",
                        path.display()
                    );
                    Ok(StreamLock { _file: None })
                }
                Err(TryLockError::Error(error)) => {
                    Err(error).with_context(|| format!("cannot lock {}", path.display()))
                }
            }
        }
    }
}
