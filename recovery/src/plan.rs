//! Whether the `stream.state` checkpoint can be trusted at open to skip rescanning blocks.
//! The store lists its block files (index and length, no reads) and asks [`plan_open`].

use natrium_format::{BlockSummary, StreamState};

/// What the store should do at open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenPlan {
    /// Every summarised block exists with exactly its checkpointed length and no other block
    /// exists: load the checkpoint, scan nothing.
    Trust,
    /// The checkpoint matches a prefix of the blocks: load it, then scan from `offset` of
    /// block `block` to the end of the last block and apply those records on top.
    ScanTail { block: u32, offset: u64 },
    /// The checkpoint disagrees with the blocks: ignore it and rescan everything.
    Rescan { reason: String },
}

/// Decides from block file lengths alone. `files` are `(index, length)` of the block files
/// present, in any order. Call [`block_prefix_matches`] too when the bytes are at hand and a
/// stronger check is wanted (the last checkpointed block, say).
pub fn plan_open(checkpoint: &StreamState, files: &[(u32, u64)]) -> OpenPlan {
    let mut files = files.to_vec();
    files.sort_unstable();
    let rescan = |reason: String| OpenPlan::Rescan { reason };
    let summaries = &checkpoint.blocks;
    if files.len() < summaries.len() {
        return rescan(format!(
            "checkpoint lists {} blocks, {} present",
            summaries.len(),
            files.len()
        ));
    }
    let mut tail = None;
    for (position, (summary, (index, len))) in summaries.iter().zip(&files).enumerate() {
        if summary.index != *index {
            return rescan(format!(
                "block {index} is not the checkpoint's {}",
                summary.index
            ));
        }
        let last = position + 1 == summaries.len();
        if *len < summary.end_offset || (*len > summary.end_offset && !last) {
            return rescan(format!(
                "block {index} is {len} bytes, checkpoint says {}",
                summary.end_offset
            ));
        }
        if *len > summary.end_offset {
            tail = Some((*index, summary.end_offset));
        }
    }
    if tail.is_none() {
        // The first block the checkpoint does not know about, if any, is read whole.
        tail = files
            .get(summaries.len())
            .map(|(index, _)| (*index, natrium_format::layout::block::HEADER_SIZE as u64));
    }
    match tail {
        Some((block, offset)) => OpenPlan::ScanTail { block, offset },
        None => OpenPlan::Trust,
    }
}

/// True when `bytes` (a block file's contents) start with the exact `end_offset` bytes whose
/// crc the checkpoint recorded.
pub fn block_prefix_matches(bytes: &[u8], summary: &BlockSummary) -> bool {
    usize::try_from(summary.end_offset)
        .ok()
        .and_then(|end| bytes.get(..end))
        .is_some_and(|prefix| crc32fast::hash(prefix) == summary.crc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(blocks: &[(u32, u64)]) -> StreamState {
        StreamState {
            blocks: blocks
                .iter()
                .map(|&(index, end_offset)| BlockSummary {
                    index,
                    end_offset,
                    ..BlockSummary::default()
                })
                .collect(),
            ..StreamState::default()
        }
    }

    #[test]
    fn exact_match_is_trusted() {
        let state = checkpoint(&[(1, 100), (2, 50)]);
        assert_eq!(plan_open(&state, &[(2, 50), (1, 100)]), OpenPlan::Trust);
    }

    #[test]
    fn grown_last_block_or_new_block_scans_the_tail() {
        let state = checkpoint(&[(1, 100), (2, 50)]);
        assert_eq!(
            plan_open(&state, &[(1, 100), (2, 80)]),
            OpenPlan::ScanTail {
                block: 2,
                offset: 50
            }
        );
        assert_eq!(
            plan_open(&state, &[(1, 100), (2, 50), (3, 10)]),
            OpenPlan::ScanTail {
                block: 3,
                offset: 32
            }
        );
    }

    #[test]
    fn shrunk_missing_or_rewritten_blocks_force_a_rescan() {
        let state = checkpoint(&[(1, 100), (2, 50)]);
        for files in [
            vec![(1, 100), (2, 40)],
            vec![(1, 100)],
            vec![(1, 120), (2, 50)],
            vec![(0, 10), (1, 100), (2, 50)],
        ] {
            assert!(
                matches!(plan_open(&state, &files), OpenPlan::Rescan { .. }),
                "{files:?}"
            );
        }
    }

    #[test]
    fn prefix_crc_is_checked() {
        let bytes = b"hello world".to_vec();
        let summary = BlockSummary {
            end_offset: 5,
            crc: crc32fast::hash(b"hello"),
            ..BlockSummary::default()
        };
        assert!(block_prefix_matches(&bytes, &summary));
        assert!(!block_prefix_matches(b"jello world", &summary));
        assert!(!block_prefix_matches(b"hel", &summary));
    }
}
