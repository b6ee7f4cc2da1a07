//! Repair and compaction of a stream directory. Repair rewrites each block with its intact
//! records only, moving every damaged or torn byte range into `quarantine/<block>.<offset>.bad`
//! (never deleting it); compaction drops deleted messages. Each block is replaced atomically
//! (temp, fsync, rename, fsync dir) and a fresh checkpoint is written from the result. Caches
//! derived from the blocks (`stream.index`, `ttl.state`) are deleted before the first block is
//! rewritten, so a crash part way never leaves a cache describing bytes that changed. A
//! quarantine copy is durable (its file and directory fsynced) before the block that loses
//! those bytes is replaced. Every read and write goes through the caller's [`Storage`], so the
//! crash tests run repair and compaction on the simulated disk (tests/recovery_crash_*.rs).

use std::path::{Path, PathBuf};

use natrium_format::layout::block::HEADER_SIZE;
use natrium_format::{BlockHeader, BlockSummary, Limits, StreamState, names};

use natrium_io::Storage;

use crate::dir::{Checkpoint, Rebuild, read_meta_in, recover_dir_in};
use crate::fsutil::{
    create_dir, exists, invalidate_derived_caches, list_blocks, read_file, write_atomic,
};
use crate::scan::{ScanOptions, scan_block};
use crate::{Error, RecoveryMode, Result};

/// Where repaired blocks go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepairTarget {
    InPlace,
    /// A new stream directory (created; must not hold blocks already).
    Into(PathBuf),
}

/// One byte range moved aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    pub block: u32,
    pub start: u64,
    pub end: u64,
    pub path: PathBuf,
    /// Sequences of the intact neighbours: lost sequences lie strictly between them.
    pub seq_before: Option<u64>,
    pub seq_after: Option<u64>,
}

/// What a repair or compaction kept and set aside.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepairReport {
    pub target: PathBuf,
    pub blocks: u32,
    pub kept_records: u64,
    pub kept_bytes: u64,
    /// Records dropped by compaction (deleted messages and unneeded tombstones).
    pub dropped_records: u64,
    pub quarantined: Vec<Quarantined>,
    pub checkpoint: StreamState,
}

/// Repairs `dir` under `mode` (`Salvage` keeps everything that verifies; `TruncateTornTail`
/// only cuts a torn tail and fails on other damage; `Strict` fails on any damage). Reads and
/// writes through `storage`. Safe to run again after a crash part way: every step leaves the
/// directory holding either a block's old bytes or its repaired ones.
pub fn repair(
    storage: &dyn Storage,
    dir: &Path,
    target: &RepairTarget,
    mode: RecoveryMode,
) -> Result<RepairReport> {
    let meta = read_meta_in(storage, dir)?;
    let out_dir = match target {
        RepairTarget::InPlace => dir.to_path_buf(),
        RepairTarget::Into(new_dir) => prepare_target(storage, dir, new_dir)?,
    };
    let indexes = list_blocks(storage, dir)?;
    let deleted = DeletedByCheckpoint::read(storage, dir, mode)?;
    let mut report = RepairReport {
        target: out_dir.clone(),
        ..RepairReport::default()
    };
    for (position, &index) in indexes.iter().enumerate() {
        let path = names::block_path(dir, index);
        let bytes = read_file(storage, &path)?;
        let options = ScanOptions::new(mode, &path, position + 1 == indexes.len());
        let mut kept = Vec::with_capacity(bytes.len());
        let mut records = 0u64;
        let mut orphans = Vec::new();
        let scan = scan_block(&bytes, &options, |view| {
            // A message the checkpoint says is deleted stays deleted, even when the tombstone
            // that deleted it was in a damaged range: salvage never resurrects it. Its bytes
            // are moved aside like damage, never dropped.
            if !view.is_tombstone() && deleted.orphaned(view.seq) {
                orphans.push((view.offset, view.offset + view.bytes.len() as u64, view.seq));
                return;
            }
            kept.extend_from_slice(view.bytes);
            records += 1;
        })?;
        let mut header = Vec::with_capacity(HEADER_SIZE + kept.len());
        match scan.header {
            Some(_) => header.extend_from_slice(bytes.get(..HEADER_SIZE).unwrap_or_default()),
            None => BlockHeader::new(index, meta.cipher, meta.compression).encode(&mut header),
        }
        header.extend_from_slice(&kept);
        let mut ranges: Vec<_> = scan
            .damaged
            .iter()
            .map(|d| (d.start, d.end, d.seq_before, d.seq_after))
            .collect();
        if let Some((start, end)) = scan.torn_tail {
            ranges.push((start, end, None, None));
        }
        // A deleted message set aside: its own sequence on both sides, so nothing is "lost".
        ranges.extend(
            orphans
                .iter()
                .map(|&(start, end, seq)| (start, end, Some(seq), Some(seq))),
        );
        for (start, end, seq_before, seq_after) in ranges {
            let range = bytes.get(start as usize..end as usize).unwrap_or_default();
            if range.is_empty() {
                continue;
            }
            create_dir(storage, &out_dir.join(names::QUARANTINE_DIR))?;
            let quarantine = names::quarantine_path(&out_dir, index, start);
            write_atomic(storage, &quarantine, range)?;
            report.quarantined.push(Quarantined {
                block: index,
                start,
                end,
                path: quarantine,
                seq_before,
                seq_after,
            });
        }
        let unchanged = header == bytes && *target == RepairTarget::InPlace;
        if !unchanged {
            if *target == RepairTarget::InPlace {
                invalidate_derived_caches(storage, &out_dir)?;
            }
            write_atomic(storage, &names::block_path(&out_dir, index), &header)?;
        }
        report.blocks += 1;
        report.kept_records += records;
        report.kept_bytes += kept.len() as u64;
    }
    report.checkpoint = write_checkpoint(storage, &out_dir)?;
    Ok(report)
}

/// Messages whose deletion only the checkpoint still knows: a readable checkpoint lists them
/// as deleted (its deleted ranges, everything below its first sequence), and no intact
/// tombstone deletes them any more (the tombstone was in a damaged range). Sequences are never
/// reused, so a deleted sequence stays deleted however old the checkpoint is; an unreadable
/// or missing checkpoint says nothing.
struct DeletedByCheckpoint {
    below: u64,
    ranges: Vec<(u64, u64)>,
    /// Deleted by the intact tombstones (the pre-scan's rebuilt state).
    tombstoned: Vec<(u64, u64)>,
}

impl DeletedByCheckpoint {
    fn read(storage: &dyn Storage, dir: &Path, mode: RecoveryMode) -> Result<Self> {
        let scanned = recover_dir_in(storage, dir, mode, &Limits::default(), None, |_, _| {})?;
        Ok(match scanned.checkpoint {
            Checkpoint::Read(state) => Self {
                below: state.first_seq,
                ranges: state.deleted,
                tombstoned: scanned.state.deleted,
            },
            Checkpoint::Missing | Checkpoint::Unreadable(_) => Self {
                below: 0,
                ranges: Vec::new(),
                tombstoned: Vec::new(),
            },
        })
    }

    /// True when `seq` must be dropped so that it is not resurrected.
    fn orphaned(&self, seq: u64) -> bool {
        let within = |ranges: &[(u64, u64)]| {
            ranges
                .iter()
                .any(|&(first, last)| (first..=last).contains(&seq))
        };
        (seq < self.below || within(&self.ranges)) && !within(&self.tombstoned)
    }
}

/// Creates the target directory tree and copies `stream.meta` and consumer states into it.
fn prepare_target(storage: &dyn Storage, dir: &Path, new_dir: &Path) -> Result<PathBuf> {
    create_dir(storage, &new_dir.join(names::BLOCKS_DIR))?;
    if !list_blocks(storage, new_dir)?.is_empty() {
        return Err(Error::Io {
            file: new_dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "target directory already holds blocks",
            ),
        });
    }
    create_dir(storage, &new_dir.join(names::QUARANTINE_DIR))?;
    let meta = read_file(storage, &dir.join(names::STREAM_META))?;
    write_atomic(storage, &new_dir.join(names::STREAM_META), &meta)?;
    let consumers = dir.join(names::CONSUMERS_DIR);
    if exists(storage, &consumers)? {
        create_dir(storage, &new_dir.join(names::CONSUMERS_DIR))?;
        let entries = storage.list_dir(&consumers).map_err(|source| Error::Io {
            file: consumers.clone(),
            source,
        })?;
        for name in entries {
            let bytes = read_file(storage, &consumers.join(&name))?;
            write_atomic(
                storage,
                &new_dir.join(names::CONSUMERS_DIR).join(name),
                &bytes,
            )?;
        }
    }
    Ok(new_dir.to_path_buf())
}

/// Rewrites every block without deleted messages. A tombstone is kept only when it deletes
/// the stream's last sequence (it carries `last_seq` once the message is gone). Needs clean
/// blocks: run a repair first when `Strict` scanning fails. Reads and writes through
/// `storage`; safe to run again after a crash part way.
pub fn compact(storage: &dyn Storage, dir: &Path) -> Result<RepairReport> {
    let mut rebuild = Rebuild::default();
    let limits = Limits::default();
    let before = recover_dir_in(
        storage,
        dir,
        RecoveryMode::Strict,
        &limits,
        None,
        |_, view| rebuild.apply(view),
    )?;
    let last_seq = before.state.last_seq;
    let mut report = RepairReport {
        target: dir.to_path_buf(),
        ..RepairReport::default()
    };
    for block in &before.blocks {
        let bytes = read_file(storage, &block.path)?;
        let options = ScanOptions::new(RecoveryMode::Strict, &block.path, false);
        let mut out = bytes.get(..HEADER_SIZE).unwrap_or_default().to_vec();
        let mut dropped = 0u64;
        scan_block(&bytes, &options, |view| {
            let keep = if view.is_tombstone() {
                view.seq == last_seq && !rebuild.is_live(last_seq)
            } else {
                rebuild.is_live(view.seq)
            };
            if keep {
                out.extend_from_slice(view.bytes);
                report.kept_records += 1;
            } else {
                dropped += 1;
            }
        })?;
        if dropped > 0 {
            invalidate_derived_caches(storage, dir)?;
            write_atomic(storage, &block.path, &out)?;
        }
        report.dropped_records += dropped;
        report.kept_bytes += (out.len() - HEADER_SIZE) as u64;
        report.blocks += 1;
    }
    report.checkpoint = write_checkpoint(storage, dir)?;
    Ok(report)
}

/// Scans the (clean) blocks of `dir`, builds a checkpoint describing them exactly and writes
/// it atomically as `stream.state`, all through `storage`.
pub fn write_checkpoint(storage: &dyn Storage, dir: &Path) -> Result<StreamState> {
    write_checkpoint_at(storage, dir, now_ns())
}

/// [`write_checkpoint`] with the checkpoint time given (fixtures need byte-stable output).
pub fn write_checkpoint_at(
    storage: &dyn Storage,
    dir: &Path,
    checkpoint_ts_ns: i64,
) -> Result<StreamState> {
    let limits = Limits::default();
    let recovery = recover_dir_in(storage, dir, RecoveryMode::Strict, &limits, None, |_, _| {})?;
    let mut blocks = Vec::with_capacity(recovery.blocks.len());
    for block in &recovery.blocks {
        let bytes = read_file(storage, &block.path)?;
        blocks.push(BlockSummary {
            index: block.index,
            records: block.scan.records,
            first_seq: block.first_seq,
            last_seq: block.last_seq,
            bytes: block.bytes,
            end_offset: bytes.len() as u64,
            crc: crc32fast::hash(&bytes),
        });
    }
    let state = &recovery.state;
    let checkpoint = StreamState {
        first_seq: state.first_seq,
        first_ts_ns: state.first_ts_ns,
        last_seq: state.last_seq,
        last_ts_ns: state.last_ts_ns,
        msgs: state.msgs,
        bytes: state.bytes,
        checkpoint_ts_ns,
        blocks,
        deleted: state.deleted.clone(),
        subjects: Vec::new(),
    };
    let mut encoded = Vec::new();
    checkpoint
        .encode(&mut encoded)
        .map_err(|cause| Error::Format {
            file: dir.join(names::STREAM_STATE),
            cause,
        })?;
    write_atomic(storage, &dir.join(names::STREAM_STATE), &encoded)?;
    Ok(checkpoint)
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

#[cfg(test)]
#[path = "repair_tests.rs"]
mod tests;
