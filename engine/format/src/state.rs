//! `stream.state` (docs/formats/stream-state.md): the atomic checkpoint of a stream. It
//! summarises the blocks (so recovery can tell whether they changed since) and carries the
//! deleted sequences and optional per-subject counts. Recovery never trusts it over the blocks.

use crate::layout::{CRC_SIZE, FORMAT_VERSION, state as L};
use crate::wire::{Reader, checked_body, push_crc, to_u32};
use crate::{Error, Result};

/// Summary of one block at checkpoint time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockSummary {
    pub index: u32,
    /// Records of any kind (messages and tombstones) in `0..end_offset`.
    pub records: u32,
    /// Lowest and highest message sequence in the block (0 when it holds no message).
    pub first_seq: u64,
    pub last_seq: u64,
    /// Message bytes accounted to the block ([`crate::record::message_bytes`] of each live one).
    pub bytes: u64,
    /// Length of the block file when the checkpoint was taken.
    pub end_offset: u64,
    /// crc32 of the block file's bytes `0..end_offset` (a running crc kept while appending).
    pub crc: u32,
}

/// Per-subject counts (optional: a checkpoint may carry none and let the store rebuild them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubjectSummary {
    pub subject: Vec<u8>,
    pub msgs: u64,
    pub first_seq: u64,
    pub last_seq: u64,
}

/// Decoded `stream.state`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamState {
    pub first_seq: u64,
    pub first_ts_ns: i64,
    pub last_seq: u64,
    pub last_ts_ns: i64,
    pub msgs: u64,
    pub bytes: u64,
    /// When the checkpoint was written (ns since the Unix epoch).
    pub checkpoint_ts_ns: i64,
    /// In block-index order.
    pub blocks: Vec<BlockSummary>,
    /// Deleted sequences inside `first_seq..=last_seq` as sorted, disjoint inclusive ranges.
    pub deleted: Vec<(u64, u64)>,
    pub subjects: Vec<SubjectSummary>,
}

/// Counts checked before anything is allocated while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateLimits {
    pub blocks_max: u32,
    pub deleted_ranges_max: u32,
    pub subjects_max: u32,
    pub subject_len_max: u16,
}

impl Default for StateLimits {
    fn default() -> Self {
        Self {
            blocks_max: 1 << 20,
            deleted_ranges_max: 1 << 24,
            subjects_max: 1 << 24,
            subject_len_max: u16::MAX,
        }
    }
}

fn limit(what: &'static str, max: u32) -> Error {
    Error::Limit {
        what,
        max: u64::from(max),
    }
}

impl StreamState {
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.extend_from_slice(&L::MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&to_u32(self.blocks.len(), "block count")?.to_le_bytes());
        for value in [self.first_seq, self.first_ts_ns as u64, self.last_seq] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        for value in [self.last_ts_ns as u64, self.msgs, self.bytes] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&to_u32(self.deleted.len(), "deleted ranges")?.to_le_bytes());
        out.extend_from_slice(&to_u32(self.subjects.len(), "subjects")?.to_le_bytes());
        out.extend_from_slice(&self.checkpoint_ts_ns.to_le_bytes());
        for b in &self.blocks {
            out.extend_from_slice(&b.index.to_le_bytes());
            out.extend_from_slice(&b.records.to_le_bytes());
            for value in [b.first_seq, b.last_seq, b.bytes, b.end_offset] {
                out.extend_from_slice(&value.to_le_bytes());
            }
            out.extend_from_slice(&b.crc.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
        }
        for (first, last) in &self.deleted {
            out.extend_from_slice(&first.to_le_bytes());
            out.extend_from_slice(&last.to_le_bytes());
        }
        for s in &self.subjects {
            let len = u16::try_from(s.subject.len()).map_err(|_| limit("subject length", 65535))?;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            for value in [s.msgs, s.first_seq, s.last_seq] {
                out.extend_from_slice(&value.to_le_bytes());
            }
            out.extend_from_slice(&s.subject);
        }
        push_crc(out, start);
        Ok(())
    }

    /// Decodes a whole `stream.state` file. The crc (last 4 bytes) is checked first, so any
    /// bit flip or truncation is reported before a count is trusted.
    pub fn decode(buf: &[u8], limits: &StateLimits) -> Result<Self> {
        let body = checked_body(
            buf,
            L::MAGIC,
            L::FIXED_SIZE,
            L::VERSION_OFFSET,
            "bad stream.state magic",
        )?;
        let body_len = buf.len().saturating_sub(CRC_SIZE);
        let mut state = Self {
            first_seq: body.u64(L::FIRST_SEQ_OFFSET)?,
            first_ts_ns: body.i64(L::FIRST_TS_OFFSET)?,
            last_seq: body.u64(L::LAST_SEQ_OFFSET)?,
            last_ts_ns: body.i64(L::LAST_TS_OFFSET)?,
            msgs: body.u64(L::MSGS_OFFSET)?,
            bytes: body.u64(L::BYTES_OFFSET)?,
            checkpoint_ts_ns: body.i64(L::CHECKPOINT_TS_OFFSET)?,
            ..Self::default()
        };
        let mut at = L::FIXED_SIZE;
        state.blocks = decode_blocks(&body, &mut at, limits)?;
        state.deleted = decode_deleted(&body, &mut at, limits)?;
        state.subjects = decode_subjects(&body, &mut at, limits)?;
        if at != body_len {
            return Err(Error::Corrupt {
                offset: at as u64,
                reason: "trailing bytes in stream.state",
            });
        }
        Ok(state)
    }
}

/// Reads a count and checks that `count * entry_size` bytes are present before allocating.
fn counted(
    body: &Reader<'_>,
    count_at: usize,
    at: usize,
    entry_size: usize,
    max: u32,
    what: &'static str,
) -> Result<usize> {
    let count = body.u32(count_at)?;
    if count > max {
        return Err(limit(what, max));
    }
    body.bytes(at, count as usize * entry_size)?;
    Ok(count as usize)
}

fn decode_blocks(
    body: &Reader<'_>,
    at: &mut usize,
    limits: &StateLimits,
) -> Result<Vec<BlockSummary>> {
    let count = counted(
        body,
        L::BLOCK_COUNT_OFFSET,
        *at,
        L::BLOCK_ENTRY_SIZE,
        limits.blocks_max,
        "block count",
    )?;
    let mut blocks = Vec::with_capacity(count);
    for _ in 0..count {
        blocks.push(BlockSummary {
            index: body.u32(*at)?,
            records: body.u32(*at + 4)?,
            first_seq: body.u64(*at + 8)?,
            last_seq: body.u64(*at + 16)?,
            bytes: body.u64(*at + 24)?,
            end_offset: body.u64(*at + 32)?,
            crc: body.u32(*at + 40)?,
        });
        *at += L::BLOCK_ENTRY_SIZE;
    }
    Ok(blocks)
}

fn decode_deleted(
    body: &Reader<'_>,
    at: &mut usize,
    limits: &StateLimits,
) -> Result<Vec<(u64, u64)>> {
    let count = counted(
        body,
        L::DELETED_COUNT_OFFSET,
        *at,
        L::DELETED_ENTRY_SIZE,
        limits.deleted_ranges_max,
        "deleted ranges",
    )?;
    let mut deleted = Vec::with_capacity(count);
    for _ in 0..count {
        let range = (body.u64(*at)?, body.u64(*at + 8)?);
        if range.0 > range.1 {
            return Err(Error::Corrupt {
                offset: *at as u64,
                reason: "deleted range ends before it starts",
            });
        }
        deleted.push(range);
        *at += L::DELETED_ENTRY_SIZE;
    }
    Ok(deleted)
}

fn decode_subjects(
    body: &Reader<'_>,
    at: &mut usize,
    limits: &StateLimits,
) -> Result<Vec<SubjectSummary>> {
    let count = counted(
        body,
        L::SUBJECT_COUNT_OFFSET,
        *at,
        L::SUBJECT_ENTRY_FIXED_SIZE,
        limits.subjects_max,
        "subjects",
    )?;
    let mut subjects = Vec::with_capacity(count);
    for _ in 0..count {
        let len = body.u16(*at)?;
        if len > limits.subject_len_max {
            return Err(limit("subject length", u32::from(limits.subject_len_max)));
        }
        let subject = body.bytes(*at + L::SUBJECT_ENTRY_FIXED_SIZE, usize::from(len))?;
        subjects.push(SubjectSummary {
            msgs: body.u64(*at + 4)?,
            first_seq: body.u64(*at + 12)?,
            last_seq: body.u64(*at + 20)?,
            subject: subject.to_vec(),
        });
        *at += L::SUBJECT_ENTRY_FIXED_SIZE + usize::from(len);
    }
    Ok(subjects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> StreamState {
        StreamState {
            first_seq: 3,
            first_ts_ns: -1,
            last_seq: 90,
            last_ts_ns: 77,
            msgs: 80,
            bytes: 4096,
            checkpoint_ts_ns: 12,
            blocks: vec![BlockSummary {
                index: 1,
                records: 9,
                first_seq: 3,
                last_seq: 90,
                bytes: 4096,
                end_offset: 5000,
                crc: 0xdead_beef,
            }],
            deleted: vec![(5, 9), (20, 20)],
            subjects: vec![SubjectSummary {
                subject: b"a.b".to_vec(),
                msgs: 2,
                first_seq: 3,
                last_seq: 4,
            }],
        }
    }

    #[test]
    fn limits_refuse_before_allocating() {
        let mut buf = Vec::new();
        sample().encode(&mut buf).unwrap();
        let tight = StateLimits {
            deleted_ranges_max: 1,
            ..StateLimits::default()
        };
        assert!(matches!(
            StreamState::decode(&buf, &tight),
            Err(Error::Limit {
                what: "deleted ranges",
                ..
            })
        ));
    }

    fn state_strategy() -> impl Strategy<Value = StreamState> {
        let block = (any::<u32>(), any::<u32>(), any::<[u64; 4]>(), any::<u32>()).prop_map(
            |(index, records, v, crc)| BlockSummary {
                index,
                records,
                first_seq: v[0],
                last_seq: v[1],
                bytes: v[2],
                end_offset: v[3],
                crc,
            },
        );
        let subject = (
            proptest::collection::vec(any::<u8>(), 0..12),
            any::<[u64; 3]>(),
        )
            .prop_map(|(subject, v)| SubjectSummary {
                subject,
                msgs: v[0],
                first_seq: v[1],
                last_seq: v[2],
            });
        (
            any::<[u64; 7]>(),
            proptest::collection::vec(block, 0..4),
            proptest::collection::vec((0u64..1000, 0u64..1000), 0..5),
            proptest::collection::vec(subject, 0..3),
        )
            .prop_map(|(v, blocks, ranges, subjects)| StreamState {
                first_seq: v[0],
                first_ts_ns: v[1] as i64,
                last_seq: v[2],
                last_ts_ns: v[3] as i64,
                msgs: v[4],
                bytes: v[5],
                checkpoint_ts_ns: v[6] as i64,
                blocks,
                deleted: ranges.into_iter().map(|(a, b)| (a, a + b)).collect(),
                subjects,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn roundtrip_flip_and_truncation(
            state in state_strategy(),
            flip in any::<proptest::sample::Index>(),
            cut in any::<proptest::sample::Index>(),
        ) {
            let mut buf = Vec::new();
            state.encode(&mut buf).unwrap();
            let limits = StateLimits::default();
            prop_assert_eq!(StreamState::decode(&buf, &limits), Ok(state));
            let mut bad = buf.clone();
            let bit = flip.index(buf.len() * 8);
            bad[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(StreamState::decode(&bad, &limits).is_err());
            prop_assert!(StreamState::decode(&buf[..cut.index(buf.len())], &limits).is_err());
        }

        #[test]
        fn decode_never_panics(buf in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = StreamState::decode(&buf, &StateLimits::default());
        }
    }
}
