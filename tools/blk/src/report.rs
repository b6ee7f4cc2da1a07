//! The JSON shapes of `inspect --json` and `verify --json`, built from what natrium-recovery
//! reports. Field names are snake_case and stable: scripts depend on them, and
//! docs/natrium-blk.md lists them. Add fields; never rename or remove one.

use std::path::Path;

use natrium_format::{CipherKind, Compression, StreamMeta};
use natrium_recovery::dir::{Checkpoint, DisagreementKind, StreamRecovery};
use natrium_recovery::error_offset;
use serde::Serialize;

/// `stream.meta` as shown to users.
#[derive(Debug, Serialize)]
pub struct StreamJson {
    pub name: String,
    /// `none`, `aes256_gcm` or `chacha20_poly1305`.
    pub cipher: &'static str,
    /// `none` or `snappy`.
    pub compression: &'static str,
    pub block_bytes_max: u64,
}

impl StreamJson {
    pub fn new(meta: &StreamMeta) -> Self {
        Self {
            name: meta.name.clone(),
            cipher: cipher_name(meta.cipher),
            compression: compression_name(meta.compression),
            block_bytes_max: meta.block_bytes_max,
        }
    }
}

fn cipher_name(cipher: CipherKind) -> &'static str {
    match cipher {
        CipherKind::None => "none",
        CipherKind::Aes256Gcm => "aes256_gcm",
        CipherKind::ChaCha20Poly1305 => "chacha20_poly1305",
    }
}

fn compression_name(compression: Compression) -> &'static str {
    match compression {
        Compression::None => "none",
        Compression::Snappy => "snappy",
    }
}

/// The checkpoint (`stream.state`) compared with the blocks.
#[derive(Debug, Serialize)]
pub struct CheckpointJson {
    /// `missing`, `unreadable`, `matches` or `disagrees`.
    pub status: &'static str,
    /// Why it is unreadable (`null` otherwise).
    pub error: Option<String>,
    /// Offset in stream.state of the unreadable part, when known.
    pub offset: Option<u64>,
    pub disagreements: Vec<DisagreementJson>,
}

#[derive(Debug, Serialize)]
pub struct DisagreementJson {
    /// `stale` (the checkpoint is older than the blocks: normal after a crash) or `conflict`
    /// (it contradicts them: damage).
    pub kind: &'static str,
    pub what: String,
    pub checkpoint: String,
    pub blocks: String,
}

impl CheckpointJson {
    pub fn new(recovery: &StreamRecovery) -> Self {
        let disagreements: Vec<_> = recovery
            .disagreements
            .iter()
            .map(|d| DisagreementJson {
                kind: match d.kind {
                    DisagreementKind::Stale => "stale",
                    DisagreementKind::Conflict => "conflict",
                },
                what: d.what.clone(),
                checkpoint: d.checkpoint.clone(),
                blocks: d.blocks.clone(),
            })
            .collect();
        let (status, error, offset) = match &recovery.checkpoint {
            Checkpoint::Missing => ("missing", None, None),
            Checkpoint::Unreadable(error) => {
                ("unreadable", Some(error.to_string()), error_offset(error))
            }
            Checkpoint::Read(_) if disagreements.is_empty() => ("matches", None, None),
            Checkpoint::Read(_) => ("disagrees", None, None),
        };
        Self {
            status,
            error,
            offset,
            disagreements,
        }
    }
}

/// One thing wrong with the store, as `verify` reports it.
#[derive(Debug, Serialize)]
pub struct ProblemJson {
    /// `corrupt_block`, `torn_tail`, `corrupt_file`, `body_authentication`,
    /// `checkpoint_unreadable` or `checkpoint_conflict`.
    pub kind: &'static str,
    /// The file, as a path under the stream directory given on the command line.
    pub file: String,
    /// Byte offset in `file` where the problem starts, when known.
    pub offset: Option<u64>,
    /// The same sentence the text output prints.
    pub message: String,
}

impl ProblemJson {
    pub fn new(kind: &'static str, file: &Path, offset: Option<u64>, message: String) -> Self {
        Self {
            kind,
            file: file.display().to_string(),
            offset,
            message,
        }
    }
}
