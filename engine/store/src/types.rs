//! Value types of the stream store, named after JetStream's vocabulary (Go's `StreamState`,
//! `SimpleState`, `StoreMsg`, `LostStreamData`): what callers put in, get back and configure.
//!
//! Units: sequences are `u64` starting at 1 (0 means "none"); timestamps are nanoseconds since
//! the Unix epoch as `u64` (`*_ns`); sizes are bytes.
use std::sync::Arc;

/// The bytes one message counts for in `StreamState::bytes` and against `max_bytes`: the size
/// of its block record with a plain body (natrium-format's `record::message_bytes`). Every store
/// uses this one function so limits behave identically whatever the backend.
pub fn stored_msg_bytes(subject_len: usize, headers_len: usize, payload_len: usize) -> u64 {
    natrium_format::record::message_bytes(subject_len, headers_len as u64, payload_len as u64)
}

/// Per-message time to live.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MsgTtl {
    /// Only the stream's limits (max age etc.) apply.
    #[default]
    Stream,
    /// The message expires `ttl_ns` after its timestamp (and earlier if max age says so).
    After { ttl_ns: u64 },
}

/// A message to append, borrowed from the caller (no copy until the store keeps it).
#[derive(Clone, Copy, Debug)]
pub struct NewMsg<'a> {
    /// Literal subject (no wildcards).
    pub subject: &'a str,
    /// NATS header block (`NATS/1.0\r\n...`), empty when none.
    pub headers: &'a [u8],
    pub payload: &'a [u8],
    pub ttl: MsgTtl,
}

impl<'a> NewMsg<'a> {
    /// A message without headers and with the stream's TTL.
    pub fn new(subject: &'a str, payload: &'a [u8]) -> Self {
        Self {
            subject,
            headers: &[],
            payload,
            ttl: MsgTtl::Stream,
        }
    }

    /// The bytes this message counts for (see [`stored_msg_bytes`]).
    pub fn stored_bytes(&self) -> u64 {
        stored_msg_bytes(self.subject.len(), self.headers.len(), self.payload.len())
    }
}

/// A message as loaded from a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMsg {
    pub seq: u64,
    pub ts_ns: u64,
    pub subject: Arc<str>,
    pub headers: Vec<u8>,
    pub payload: Vec<u8>,
    /// Absolute expiry from a per-message TTL, if one was set.
    pub expires_ns: Option<u64>,
}

impl StoredMsg {
    /// The bytes this message counts for (see [`stored_msg_bytes`]).
    pub fn stored_bytes(&self) -> u64 {
        stored_msg_bytes(self.subject.len(), self.headers.len(), self.payload.len())
    }
}

/// Messages the store found missing or damaged when it opened (Go's `LostStreamData`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LostData {
    /// Sequences lost, ascending.
    pub msgs: Vec<u64>,
    pub bytes: u64,
}

/// Bound on `StreamState::deleted`: a sequence gap can be any size (`skip_many`,
/// `store_raw`), and the list is materialised on request.
pub const DELETED_LIST_MAX: usize = 1 << 20;

/// The state of a stream (Go's `StreamState`).
///
/// Rules both stores follow: when the stream holds no message, `first_seq == last_seq + 1`
/// and `first_ts_ns == 0`. `num_deleted` counts the gaps between `first_seq` and `last_seq`.
/// `deleted` is filled only by [`crate::StreamStore::state_with_deleted`], with at most
/// [`DELETED_LIST_MAX`] sequences (the lowest); `num_deleted` is always exact.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamState {
    pub msgs: u64,
    pub bytes: u64,
    pub first_seq: u64,
    pub first_ts_ns: u64,
    pub last_seq: u64,
    pub last_ts_ns: u64,
    pub num_subjects: u64,
    pub num_deleted: u64,
    pub deleted: Vec<u64>,
    pub lost: Option<LostData>,
}

/// Count and sequence range of the messages matching a filter (Go's `SimpleState`).
/// All zero when nothing matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimpleState {
    pub msgs: u64,
    pub first_seq: u64,
    pub last_seq: u64,
}

/// What a discard-limited stream does when full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DiscardPolicy {
    /// Remove the oldest messages to make room.
    #[default]
    Old,
    /// Refuse the new message.
    New,
}

/// Limits and retention settings of one stream store. `None` means unlimited.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreConfig {
    pub max_msgs: Option<u64>,
    pub max_bytes: Option<u64>,
    pub max_age_ns: Option<u64>,
    pub max_msgs_per_subject: Option<u64>,
    /// Limit on `headers + payload` of one message.
    pub max_msg_size: Option<u64>,
    pub discard: DiscardPolicy,
    /// With `DiscardPolicy::New` and `max_msgs_per_subject`, refuse instead of replacing.
    pub discard_new_per_subject: bool,
    /// Whether [`MsgTtl::After`] is accepted.
    pub allow_msg_ttl: bool,
}
