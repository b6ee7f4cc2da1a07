//! The consumer-state store: a durable consumer's progress (delivered sequences, ack floor,
//! pending acks with delivery times, redelivery counts), updated as messages are delivered and
//! acknowledged. [`MemConsumerStore`] holds it in memory; [`FileConsumerStore`] persists it
//! as `consumers/<name>.state` with natrium-format's consumer-state codec, written atomically.
//!
//! The state type is natrium-format's [`ConsumerState`], so encoding needs no conversion.
//! Like the stream store this is sans-IO in time: delivery timestamps come from the caller.
mod file;
mod memory;

pub use file::FileConsumerStore;
pub use memory::MemConsumerStore;
pub use natrium_format::consumer::{ConsumerState, Pending};

use crate::Result;

/// Longest consumer name accepted (it becomes a file name).
pub const NAME_LEN_MAX: usize = 255;

/// True for a consumer name that is safe as `consumers/<name>.state`: non-empty, at most
/// [`NAME_LEN_MAX`] bytes, and none of whitespace, `.`, `*`, `>` (Go's durable-name rule)
/// or `/`, `\`, NUL (path separators).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NAME_LEN_MAX
        && !name.bytes().any(|b| {
            matches!(
                b,
                b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'.' | b'*' | b'>' | b'/' | b'\\' | 0
            )
        })
}

/// Default bound on pending (delivered, unacknowledged) messages tracked per consumer.
pub const PENDING_MAX_DEFAULT: u64 = 1 << 20;

/// How a consumer's messages are acknowledged (JetStream's `AckPolicy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AckPolicy {
    /// Nothing is acknowledged; delivery moves the ack floor.
    None,
    /// Acknowledging a message acknowledges every earlier one.
    All,
    /// Each message is acknowledged on its own.
    #[default]
    Explicit,
}

/// The settings the consumer-state store needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsumerConfig {
    pub ack_policy: AckPolicy,
    /// Deliveries after which a message stops being pending (0: unlimited).
    pub max_deliver: u64,
    /// Bound on the pending set, checked before a new entry is added.
    pub pending_max: u64,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            ack_policy: AckPolicy::Explicit,
            max_deliver: 0,
            pending_max: PENDING_MAX_DEFAULT,
        }
    }
}

/// What every consumer-state store does.
pub trait ConsumerStore: Send {
    /// Records delivery number `delivery_count` (1 for the first) of stream message
    /// `stream_seq` as consumer sequence `consumer_seq` at `ts_ns`.
    fn update_delivered(
        &mut self,
        consumer_seq: u64,
        stream_seq: u64,
        delivery_count: u64,
        ts_ns: i64,
    ) -> Result<()>;

    /// Records an acknowledgement of `stream_seq` delivered as `consumer_seq`.
    /// [`crate::Error::NotFound`] when it was not pending.
    fn update_acks(&mut self, consumer_seq: u64, stream_seq: u64) -> Result<()>;

    /// Positions a fresh consumer before `stream_seq` (nothing delivered yet).
    fn set_starting(&mut self, stream_seq: u64) -> Result<()>;

    /// Replaces the whole state (replication, restore).
    fn replace(&mut self, state: ConsumerState) -> Result<()>;

    /// The current state.
    fn state(&self) -> ConsumerState;

    /// The state in the `consumers/<name>.state` encoding.
    fn encode(&self) -> Result<Vec<u8>>;

    /// Makes the state durable (no-op in memory).
    fn flush(&mut self) -> Result<()>;

    /// Why the stored state could not be read at open, when it could not: the consumer then
    /// started from an empty state (deliveries resume from its start position, so messages
    /// may be delivered again; none is skipped) and the damaged file was quarantined.
    fn damage(&self) -> Option<&str> {
        None
    }
}
