//! `consumers/<name>.state` (docs/formats/consumer-state.md): a durable consumer's progress
//! (delivered and ack-floor sequences, pending acks with delivery time, redelivery counts),
//! written atomically like `stream.state`.

use std::collections::BTreeMap;

use crate::layout::{CRC_SIZE, FORMAT_VERSION, consumer as L};
use crate::wire::{checked_body, push_crc, to_u32};
use crate::{Error, Result};

/// One delivered, not yet acknowledged message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pending {
    pub consumer_seq: u64,
    /// Last delivery time, ns since the Unix epoch.
    pub timestamp_ns: i64,
}

/// Decoded consumer state. Maps are ordered so encoding is deterministic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerState {
    pub delivered_consumer_seq: u64,
    pub delivered_stream_seq: u64,
    pub ack_floor_consumer_seq: u64,
    pub ack_floor_stream_seq: u64,
    /// Keyed by stream sequence.
    pub pending: BTreeMap<u64, Pending>,
    /// Stream sequence -> number of redeliveries.
    pub redelivered: BTreeMap<u64, u64>,
}

/// Counts checked before decoding allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumerLimits {
    pub pending_max: u32,
    pub redelivered_max: u32,
}

impl Default for ConsumerLimits {
    fn default() -> Self {
        // The Go server's default max_ack_pending is 1000; leave room for larger configs.
        Self {
            pending_max: 1 << 24,
            redelivered_max: 1 << 24,
        }
    }
}

impl ConsumerState {
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.extend_from_slice(&L::MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        for value in [
            self.delivered_consumer_seq,
            self.delivered_stream_seq,
            self.ack_floor_consumer_seq,
            self.ack_floor_stream_seq,
        ] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&to_u32(self.pending.len(), "pending")?.to_le_bytes());
        out.extend_from_slice(&to_u32(self.redelivered.len(), "redelivered")?.to_le_bytes());
        for (stream_seq, pending) in &self.pending {
            out.extend_from_slice(&stream_seq.to_le_bytes());
            out.extend_from_slice(&pending.consumer_seq.to_le_bytes());
            out.extend_from_slice(&pending.timestamp_ns.to_le_bytes());
        }
        for (stream_seq, count) in &self.redelivered {
            out.extend_from_slice(&stream_seq.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
        }
        push_crc(out, start);
        Ok(())
    }

    /// Decodes a whole file; the crc (last 4 bytes) is checked before any count is trusted.
    pub fn decode(buf: &[u8], limits: &ConsumerLimits) -> Result<Self> {
        let body = checked_body(
            buf,
            L::MAGIC,
            L::FIXED_SIZE,
            L::VERSION_OFFSET,
            "bad consumer state magic",
        )?;
        let body_len = buf.len().saturating_sub(CRC_SIZE);
        let pending_count = body.u32(L::PENDING_COUNT_OFFSET)?;
        let redelivered_count = body.u32(L::REDELIVERED_COUNT_OFFSET)?;
        check_count(pending_count, limits.pending_max, "pending")?;
        check_count(redelivered_count, limits.redelivered_max, "redelivered")?;
        let expected = L::FIXED_SIZE as u64
            + u64::from(pending_count) * L::PENDING_ENTRY_SIZE as u64
            + u64::from(redelivered_count) * L::REDELIVERED_ENTRY_SIZE as u64;
        if expected != body_len as u64 {
            return Err(Error::Corrupt {
                offset: L::PENDING_COUNT_OFFSET as u64,
                reason: "entry counts disagree with the file length",
            });
        }
        let mut state = Self {
            delivered_consumer_seq: body.u64(L::DELIVERED_CONSUMER_OFFSET)?,
            delivered_stream_seq: body.u64(L::DELIVERED_STREAM_OFFSET)?,
            ack_floor_consumer_seq: body.u64(L::ACK_FLOOR_CONSUMER_OFFSET)?,
            ack_floor_stream_seq: body.u64(L::ACK_FLOOR_STREAM_OFFSET)?,
            ..Self::default()
        };
        let mut at = L::FIXED_SIZE;
        for _ in 0..pending_count {
            let pending = Pending {
                consumer_seq: body.u64(at + 8)?,
                timestamp_ns: body.i64(at + 16)?,
            };
            if state.pending.insert(body.u64(at)?, pending).is_some() {
                return Err(duplicate(at));
            }
            at += L::PENDING_ENTRY_SIZE;
        }
        for _ in 0..redelivered_count {
            if state
                .redelivered
                .insert(body.u64(at)?, body.u64(at + 8)?)
                .is_some()
            {
                return Err(duplicate(at));
            }
            at += L::REDELIVERED_ENTRY_SIZE;
        }
        Ok(state)
    }
}

fn check_count(count: u32, max: u32, what: &'static str) -> Result<()> {
    if count > max {
        return Err(Error::Limit {
            what,
            max: u64::from(max),
        });
    }
    Ok(())
}

fn duplicate(at: usize) -> Error {
    Error::Corrupt {
        offset: at as u64,
        reason: "duplicate sequence in consumer state",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn roundtrip_flip_and_truncation(
            seqs in any::<[u64; 4]>(),
            pending in proptest::collection::btree_map(any::<u64>(), any::<(u64, i64)>(), 0..6),
            redelivered in proptest::collection::btree_map(any::<u64>(), any::<u64>(), 0..6),
            flip in any::<proptest::sample::Index>(),
            cut in any::<proptest::sample::Index>(),
        ) {
            let state = ConsumerState {
                delivered_consumer_seq: seqs[0],
                delivered_stream_seq: seqs[1],
                ack_floor_consumer_seq: seqs[2],
                ack_floor_stream_seq: seqs[3],
                pending: pending
                    .into_iter()
                    .map(|(k, (consumer_seq, timestamp_ns))| (k, Pending { consumer_seq, timestamp_ns }))
                    .collect(),
                redelivered,
            };
            let mut buf = Vec::new();
            state.encode(&mut buf).unwrap();
            let limits = ConsumerLimits::default();
            prop_assert_eq!(ConsumerState::decode(&buf, &limits), Ok(state));
            let mut bad = buf.clone();
            let bit = flip.index(buf.len() * 8);
            bad[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(ConsumerState::decode(&bad, &limits).is_err());
            prop_assert!(ConsumerState::decode(&buf[..cut.index(buf.len())], &limits).is_err());
        }
    }

    #[test]
    fn pending_limit_is_checked() {
        let mut state = ConsumerState::default();
        state.pending.insert(1, Pending::default());
        state.pending.insert(2, Pending::default());
        let mut buf = Vec::new();
        state.encode(&mut buf).unwrap();
        let tight = ConsumerLimits {
            pending_max: 1,
            redelivered_max: 1,
        };
        assert!(matches!(
            ConsumerState::decode(&buf, &tight),
            Err(Error::Limit {
                what: "pending",
                ..
            })
        ));
    }
}
