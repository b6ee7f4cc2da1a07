//! The store crate's one error type: every failure a stream store, its building blocks, or the
//! consumer-state store can report. Variants name causes; Go's error strings are kept where a
//! JetStream client sees them.
use std::path::PathBuf;

/// Everything that can go wrong in `natrium-store`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No message at that sequence (removed, erased, purged, or never stored).
    #[error("no message found")]
    NotFound,
    /// The sequence is past the end of the stream, or no later message matches.
    #[error("stream store EOF")]
    Eof,
    /// `headers + payload` exceeds the stream's `max_msg_size`.
    #[error("message size exceeds maximum allowed ({size} > {max})")]
    MsgTooLarge { size: u64, max: u64 },
    /// Discard-new stream at `max_msgs`.
    #[error("maximum messages exceeded")]
    MaxMsgs,
    /// Discard-new stream would pass `max_bytes`.
    #[error("maximum bytes exceeded")]
    MaxBytes,
    /// Discard-new-per-subject stream at `max_msgs_per_subject` for this subject.
    #[error("maximum messages per subject exceeded")]
    MaxMsgsPerSubject,
    /// A per-message TTL was given but the stream does not allow them.
    #[error("per-message TTL is disabled")]
    TtlDisabled,
    /// The subject is not a valid literal subject (or the filter not a valid filter).
    #[error("invalid subject {subject:?}")]
    InvalidSubject { subject: String },
    /// A raw store (mirror, replication) gave a sequence at or below the last one.
    #[error("sequence mismatch: expected at least {expected}, got {got}")]
    SequenceMismatch { expected: u64, got: u64 },
    /// An argument is outside what the operation accepts.
    #[error("invalid argument: {reason}")]
    InvalidArgument { reason: &'static str },
    /// A named limit (`*_max`) would be exceeded.
    #[error("limit exceeded: {what} (max {max})")]
    Limit { what: &'static str, max: u64 },
    /// An acknowledgement (or redelivery) on a consumer whose ack policy is none.
    #[error("ack policy is none")]
    NoAckPolicy,
    /// The store has been closed (stopped or deleted).
    #[error("store is closed")]
    Closed,
    /// Stored bytes failed a check (checksum, length, version).
    #[error("corrupt {file}: at offset {offset}: {reason}")]
    Corrupt {
        file: PathBuf,
        offset: u64,
        reason: String,
    },
    /// Encoded bytes (not tied to a file) failed to decode.
    #[error("decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },
    /// An I/O operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `Result` with the store's [`Error`].
///
/// The texts of `NotFound`, `Eof`, `MaxMsgs`, `MaxBytes`, `MaxMsgsPerSubject`, `NoAckPolicy` and
/// `Closed` are the Go server's (server/store.go), checked by the tests below.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn texts_match_the_go_server() {
        let cases = [
            (Error::NotFound, "no message found"),
            (Error::Eof, "stream store EOF"),
            (Error::MaxMsgs, "maximum messages exceeded"),
            (Error::MaxBytes, "maximum bytes exceeded"),
            (
                Error::MaxMsgsPerSubject,
                "maximum messages per subject exceeded",
            ),
            (Error::NoAckPolicy, "ack policy is none"),
            (Error::Closed, "store is closed"),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
