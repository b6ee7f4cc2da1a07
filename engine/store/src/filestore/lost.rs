//! Lost data the blocks alone do not show: a block file missing from the middle of the index
//! range (indexes are contiguous: only front blocks are pruned, each unlink fsynced before the
//! next, and a truncate reuses the indexes it frees), and blocks that end below the durable
//! high-water mark of `stream.state` (a missing last block). Under `Strict` either fails the
//! open; otherwise it is reported in `state().lost` and `last_seq` never goes back.
//!
//! `stream.state` is used here even when the open cannot trust it to skip scanning: it was
//! written after every block it summarises was fsynced, and truncate and purge remove it
//! before they lower `last_seq` or reuse a sequence, so its `last_seq` is a floor and every
//! sequence it lists as not live stays dead (a tombstone lost to damage cannot resurrect it).

use natrium_format::names::block_path;
use natrium_format::state::StreamState;

use super::index::REMOVED;
use super::{FileStore, RecoveryMode};
use crate::{Error, Result};

/// Whether `seq` was a live message when `state` was written.
fn live_in(state: &StreamState, seq: u64) -> bool {
    if seq < state.first_seq || seq > state.last_seq {
        return false;
    }
    let at = state.deleted.partition_point(|&(_, last)| last < seq);
    state.deleted.get(at).is_none_or(|&(first, _)| seq < first)
}

impl FileStore {
    /// Block files `previous + 1 .. next` are missing. `Strict` refuses the open.
    pub(super) fn missing_blocks(&self, previous: u32, next: u32) -> Result<()> {
        assert!(
            next > previous.saturating_add(1),
            "a gap has a missing index"
        );
        if self.options.recovery == RecoveryMode::Strict {
            return Err(Error::Corrupt {
                file: block_path(&self.dir, previous.saturating_add(1)),
                offset: 0,
                reason: format!("block files {}..{next} are missing", previous + 1),
            });
        }
        Ok(())
    }

    /// Messages `first..end` sat in missing blocks (as far as the surrounding records tell).
    pub(super) fn note_missing(&mut self, first: u64, end: u64, durable: Option<&StreamState>) {
        let lost = (first..end).filter(|&seq| durable.is_none_or(|state| live_in(state, seq)));
        self.note_lost_seqs(0, lost);
    }

    /// Applies what `stream.state` still proves after the blocks were scanned: sequences it
    /// lists as dead stay dead, and `last_seq` is at least its `last_seq` (the sequences the
    /// blocks no longer reach are reported lost). Returns whether `last_seq` was raised.
    pub(super) fn apply_durable_state(&mut self, state: &StreamState) -> Result<bool> {
        for block in &mut self.blocks {
            let seq_base = block.seq_base;
            for entry in &mut block.entries {
                let seq = seq_base.saturating_add(u64::from(entry.seq_delta));
                if seq <= state.last_seq && !live_in(state, seq) {
                    entry.subject = REMOVED;
                }
            }
        }
        if state.last_seq <= self.last_seq {
            return Ok(false);
        }
        if self.options.recovery == RecoveryMode::Strict {
            return Err(Error::Corrupt {
                file: self.blocks_dir(),
                offset: 0,
                reason: format!(
                    "the blocks end at sequence {}, stream.state says {}",
                    self.last_seq, state.last_seq
                ),
            });
        }
        let missing = self.last_seq.saturating_add(1)..=state.last_seq;
        self.note_lost_seqs(0, missing.filter(|&seq| live_in(state, seq)));
        self.last_seq = state.last_seq;
        self.last_ts_ns = u64::try_from(state.last_ts_ns).unwrap_or(0);
        self.last_seq_block = None;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_follows_first_last_and_deleted_ranges() {
        let state = StreamState {
            first_seq: 3,
            last_seq: 20,
            deleted: vec![(5, 6), (10, 10)],
            ..StreamState::default()
        };
        let live: Vec<u64> = (0..25).filter(|&seq| live_in(&state, seq)).collect();
        assert_eq!(
            live,
            [3, 4, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
        );
    }
}
