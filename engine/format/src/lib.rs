//! Byte layouts and codecs of block records, checkpoints and consumer state. No I/O.
//!
//! Every on-disk structure of a stream directory has an encode/decode pair here and a byte table
//! in docs/formats/. Decoders take untrusted bytes and never panic: they return a typed
//! [`Error`] naming the file offset, and check every `*_max` limit before allocating.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod block;
pub mod cipher;
pub mod consumer;
pub mod intent;
pub mod layout;
pub mod meta;
pub mod names;
pub mod record;
pub mod state;
pub mod subject;
mod wire;

pub use block::BlockHeader;
pub use cipher::{CipherKind, RecordCipher, StreamKey};
pub use consumer::{ConsumerLimits, ConsumerState, Pending};
pub use intent::{Intent, IntentKind};
pub use meta::{Compression, StreamMeta};
pub use record::{Limits, RecordEncoder, RecordFlags, RecordInput, RecordView};
pub use state::{BlockSummary, StateLimits, StreamState, SubjectSummary};

/// Everything a decoder or codec can report. Offsets are absolute positions in the file being
/// decoded (the caller passes the offset of the slice's first byte).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The bytes do not form a valid structure (bad magic, impossible lengths, unknown flags).
    #[error("corrupt data at offset {offset}: {reason}")]
    Corrupt { offset: u64, reason: &'static str },
    /// A stored crc32 (`expected`) differs from the crc computed over the bytes (`got`).
    #[error("checksum mismatch at offset {offset}: stored {expected:#010x}, computed {got:#010x}")]
    Checksum {
        expected: u32,
        got: u32,
        offset: u64,
    },
    /// The input ends `needed` bytes before the structure does.
    #[error("truncated at offset {offset}: {needed} more bytes needed")]
    Truncated { offset: u64, needed: u64 },
    /// A length or count exceeds its configured maximum.
    #[error("limit exceeded: {what} is larger than {max}")]
    Limit { what: &'static str, max: u64 },
    /// A file of a format version this build does not read.
    #[error("unsupported format version {got} (this build reads {supported})")]
    Version { got: u16, supported: u16 },
    /// The configured key does not derive the key-check value stored in `stream.meta`.
    #[error("wrong key: the configured key does not match the key check value in stream.meta")]
    WrongKey,
    /// A record is encrypted but no key was configured.
    #[error("record at sequence {seq} is encrypted and no key was given")]
    KeyRequired { seq: u64 },
    /// The crc matched but the AEAD tag did not: the bytes were altered by someone who
    /// recomputed the crc, or the key is wrong.
    #[error("authentication failed for record at sequence {seq}")]
    Authentication { seq: u64 },
    /// The snappy body failed to decompress although its crc matched.
    #[error("record at sequence {seq} failed to decompress")]
    Decompress { seq: u64 },
    /// An unknown enum value (cipher kind, compression) in a header.
    #[error("unknown {what} value {value}")]
    Unknown { what: &'static str, value: u64 },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
