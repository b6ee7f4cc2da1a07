//! Scans, verifies and repairs block files: the one parser used by the store at open and by
//! the offline tool `natrium-blk`.
//!
//! - [`scan`]: sans-IO scanner of one block's bytes under a [`RecoveryMode`].
//! - [`dir`]: directory-level recovery (all blocks in order, rebuilt state, checkpoint check).
//! - [`plan`]: whether a checkpoint can be trusted to skip rescanning at open.
//! - [`repair`]: rewrite blocks (in place or into a new directory), quarantining damage;
//!   compaction of deleted records.
//! - [`rekey`]: key rotation of an encrypted stream into a new directory.
//! - [`fsutil`]: the storage operations the others need, all through a
//!   [`natrium_io::Storage`]: the offline tool passes [`RealStorage`], the crash tests a
//!   simulated disk.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod dir;
pub mod fsutil;
pub mod plan;
pub mod rekey;
pub mod repair;
pub mod scan;
pub mod testkit;

use std::path::PathBuf;

pub use dir::{
    BlockReport, Disagreement, RebuiltState, StreamRecovery, recover_dir, recover_dir_in,
    recover_dir_keyed,
};
/// The storage trait recovery reads and writes through, and the local file system, so callers
/// such as natrium-blk need not depend on natrium-io to call [`repair`] or [`compact`].
pub use natrium_io::{RealStorage, Storage};
pub use plan::{OpenPlan, block_prefix_matches, plan_open};
pub use rekey::{RekeyReport, rekey};
pub use repair::{RepairReport, RepairTarget, compact, repair, write_checkpoint};
pub use scan::{Auth, BlockScan, Damage, ScanOptions, scan_block};

/// How recovery treats damage. Passed explicitly; the store's default is `TruncateTornTail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecoveryMode {
    /// Stop at the first problem with an error naming file and offset.
    Strict,
    /// Drop only an unfinished tail of the last block (a crash mid-append); the scanner
    /// refuses anything else. The FileStore's open adds one step in this mode: damage in the
    /// last block followed by intact records is salvaged around (quarantined, reported as
    /// lost, the block rewritten), because cutting there would drop acknowledged records.
    #[default]
    TruncateTornTail,
    /// Skip damaged regions by resynchronising on the next record that verifies, keep every
    /// intact record, and report (and on repair quarantine) what was lost.
    Salvage,
}

/// Everything recovery can report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Damage found where the mode does not tolerate it.
    #[error("{}: corrupt at offset {offset}: {cause}", file.display())]
    Corrupt {
        file: PathBuf,
        offset: u64,
        cause: natrium_format::Error,
    },
    /// A file that must decode (stream.meta, a key check) did not.
    #[error("{}: {cause}", file.display())]
    Format {
        file: PathBuf,
        cause: natrium_format::Error,
    },
    #[error("{}: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("limit exceeded: {what} is larger than {max}")]
    Limit { what: &'static str, max: u64 },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The offset a format error points at, for reports.
pub fn error_offset(error: &natrium_format::Error) -> Option<u64> {
    use natrium_format::Error as F;
    match error {
        F::Corrupt { offset, .. } | F::Checksum { offset, .. } | F::Truncated { offset, .. } => {
            Some(*offset)
        }
        _ => None,
    }
}
