//! Directory-level recovery: scans every block of a stream directory in index order, rebuilds
//! the stream state from the records (sequences, counts, bytes, deleted set from tombstones and
//! gaps) and compares it with the `stream.state` checkpoint. Reads files through a
//! [`Storage`] ([`recover_dir_in`]; the other entry points read the local file system); the
//! byte-level work is [`crate::scan`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use natrium_format::{
    Limits, RecordCipher, RecordView, StateLimits, StreamKey, StreamMeta, StreamState, names,
};

use natrium_io::{RealStorage, Storage};

use crate::fsutil::{exists, list_blocks, read_file};
use crate::scan::{Auth, BlockScan, ScanOptions, scan_block};
use crate::{Error, RecoveryMode, Result};

/// One block as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockReport {
    pub index: u32,
    pub path: PathBuf,
    pub scan: BlockScan,
    /// Message records (not tombstones) that verified.
    pub messages: u64,
    pub tombstones: u64,
    /// Lowest and highest message sequence in the block (0 when none).
    pub first_seq: u64,
    pub last_seq: u64,
    /// `message_bytes` of the message records.
    pub bytes: u64,
}

/// Stream state rebuilt from the blocks alone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RebuiltState {
    pub first_seq: u64,
    pub first_ts_ns: i64,
    pub last_seq: u64,
    pub last_ts_ns: i64,
    pub msgs: u64,
    pub bytes: u64,
    /// Sequences in `first_seq..=last_seq` with no live message, as inclusive ranges.
    pub deleted: Vec<(u64, u64)>,
}

/// Whether a difference means the checkpoint is merely older than the blocks (normal after a
/// crash between checkpoints) or contradicts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisagreementKind {
    Stale,
    Conflict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    pub kind: DisagreementKind,
    pub what: String,
    pub checkpoint: String,
    pub blocks: String,
}

/// The checkpoint as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checkpoint {
    Missing,
    Unreadable(natrium_format::Error),
    Read(StreamState),
}

/// Everything directory-level recovery found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecovery {
    pub dir: PathBuf,
    pub meta: StreamMeta,
    pub blocks: Vec<BlockReport>,
    pub state: RebuiltState,
    pub checkpoint: Checkpoint,
    pub disagreements: Vec<Disagreement>,
    /// Block indexes missing between the first and the last block file present. Indexes are
    /// contiguous on disk (only front blocks are pruned, a truncate reuses the indexes it
    /// frees), so each one is a lost block.
    pub missing_blocks: Vec<u32>,
}

impl StreamRecovery {
    /// True when every block verified and the checkpoint (if any) does not contradict them.
    pub fn is_clean(&self) -> bool {
        self.missing_blocks.is_empty()
            && self.blocks.iter().all(|b| b.scan.is_clean())
            && !matches!(self.checkpoint, Checkpoint::Unreadable(_))
            && self
                .disagreements
                .iter()
                .all(|d| d.kind == DisagreementKind::Stale)
    }
}

/// Reads and decodes `stream.meta` from the local file system.
pub fn read_meta(dir: &Path) -> Result<StreamMeta> {
    read_meta_in(&RealStorage, dir)
}

/// Reads and decodes `stream.meta` through `storage`.
pub fn read_meta_in(storage: &dyn Storage, dir: &Path) -> Result<StreamMeta> {
    let path = dir.join(names::STREAM_META);
    let bytes = read_file(storage, &path)?;
    StreamMeta::decode(&bytes).map_err(|cause| Error::Format { file: path, cause })
}

/// Scans the whole directory under `mode`; see [`recover_dir_visit`].
pub fn recover_dir(dir: &Path, mode: RecoveryMode) -> Result<StreamRecovery> {
    recover_dir_visit(dir, mode, &Limits::default(), |_, _| {})
}

/// Scans every block in order, calling `visit(block_index, record)` for each intact record,
/// rebuilds the state and compares it with the checkpoint. Without the key: crc checks only
/// (see [`recover_dir_keyed`]).
pub fn recover_dir_visit(
    dir: &Path,
    mode: RecoveryMode,
    limits: &Limits,
    visit: impl FnMut(u32, &RecordView<'_>),
) -> Result<StreamRecovery> {
    recover_dir_keyed(dir, mode, limits, None, visit)
}

/// [`recover_dir_visit`] with the configured key of an encrypted stream (`None` for a plain
/// one): every block header and record is authenticated as the store's open does it
/// (docs/formats/block.md), so a record or header forged without the key is damage. A key
/// that does not match `stream.meta` is `Error::Format` (`WrongKey`).
pub fn recover_dir_keyed(
    dir: &Path,
    mode: RecoveryMode,
    limits: &Limits,
    configured_key: Option<&[u8]>,
    visit: impl FnMut(u32, &RecordView<'_>),
) -> Result<StreamRecovery> {
    recover_dir_in(&RealStorage, dir, mode, limits, configured_key, visit)
}

/// [`recover_dir_keyed`] reading through `storage` (every other entry point reads the local
/// file system with [`RealStorage`]); repair and compaction scan through the storage they
/// write through.
pub fn recover_dir_in(
    storage: &dyn Storage,
    dir: &Path,
    mode: RecoveryMode,
    limits: &Limits,
    configured_key: Option<&[u8]>,
    mut visit: impl FnMut(u32, &RecordView<'_>),
) -> Result<StreamRecovery> {
    let meta = read_meta_in(storage, dir)?;
    let key = configured_key.map(|key| StreamKey::derive(key, meta.name.as_bytes()));
    if key.is_some() {
        meta.check_key(key.as_ref())
            .map_err(|cause| Error::Format {
                file: dir.join(names::STREAM_META),
                cause,
            })?;
    }
    let cipher = key
        .as_ref()
        .and_then(|key| RecordCipher::new(meta.cipher, key));
    let mut legacy_blocks = true;
    let checkpoint = read_checkpoint(storage, dir)?;
    let indexes = list_blocks(storage, dir)?;
    let mut rebuild = Rebuild::default();
    let mut blocks = Vec::with_capacity(indexes.len());
    let mut disagreements = Vec::new();
    for (position, &index) in indexes.iter().enumerate() {
        let path = names::block_path(dir, index);
        let bytes = read_file(storage, &path)?;
        let mut options = ScanOptions::new(mode, &path, position + 1 == indexes.len());
        options.limits = *limits;
        if let (Some(key), Some(cipher)) = (&key, &cipher) {
            options.auth = Some(Auth {
                key,
                cipher,
                legacy_blocks,
            });
        }
        let mut report = BlockReport {
            index,
            path: path.clone(),
            scan: BlockScan::default(),
            messages: 0,
            tombstones: 0,
            first_seq: 0,
            last_seq: 0,
            bytes: 0,
        };
        report.scan = scan_block(&bytes, &options, |view| {
            report_record(&mut report, view);
            rebuild.apply(view);
            visit(index, view);
        })?;
        // As in the store: no old-style block after an authenticated one.
        if report.scan.header.is_some_and(|h| h.is_authenticated()) {
            legacy_blocks = false;
        }
        if let Checkpoint::Read(state) = &checkpoint {
            compare_block(state, &report, &bytes, &mut disagreements);
        }
        blocks.push(report);
    }
    let state = rebuild.finish();
    if let Checkpoint::Read(checkpoint) = &checkpoint {
        compare_state(checkpoint, &state, &blocks, &mut disagreements);
    }
    let missing_blocks = missing_between(&indexes);
    report_missing(&missing_blocks, &mut disagreements);
    Ok(StreamRecovery {
        dir: dir.to_path_buf(),
        meta,
        blocks,
        state,
        checkpoint,
        missing_blocks,
        disagreements,
    })
}

/// A gap in the block indexes contradicts the blocks' own history whatever the checkpoint
/// says (or when there is none): each missing block is a conflict, which fails `verify`.
fn report_missing(missing: &[u32], out: &mut Vec<Disagreement>) {
    for index in missing {
        let what = format!("block {index}");
        if out.iter().any(|d| d.what == what) {
            continue; // The checkpoint comparison already named it.
        }
        let (c, b) = ("present".into(), "missing (gap in block indexes)".into());
        push(out, DisagreementKind::Conflict, what, c, b);
    }
}

/// The indexes absent from the sorted `indexes` between its first and last.
fn missing_between(indexes: &[u32]) -> Vec<u32> {
    indexes
        .windows(2)
        .flat_map(|pair| match *pair {
            [before, after] => before.saturating_add(1)..after,
            _ => 0..0,
        })
        .collect()
}

pub(crate) fn read_checkpoint(storage: &dyn Storage, dir: &Path) -> Result<Checkpoint> {
    let path = dir.join(names::STREAM_STATE);
    if !exists(storage, &path)? {
        return Ok(Checkpoint::Missing);
    }
    let bytes = read_file(storage, &path)?;
    Ok(match StreamState::decode(&bytes, &StateLimits::default()) {
        Ok(state) => Checkpoint::Read(state),
        Err(error) => Checkpoint::Unreadable(error),
    })
}

fn report_record(report: &mut BlockReport, view: &RecordView<'_>) {
    if view.is_tombstone() {
        report.tombstones += 1;
        return;
    }
    report.messages += 1;
    report.bytes += view.message_bytes();
    if report.first_seq == 0 || view.seq < report.first_seq {
        report.first_seq = view.seq;
    }
    report.last_seq = report.last_seq.max(view.seq);
}

/// Live messages and tombstones seen so far. Memory is O(live messages): this is the offline
/// and slow-path rebuild; the store builds its own index through the scanner's visitor.
#[derive(Default)]
pub(crate) struct Rebuild {
    live: BTreeMap<u64, (i64, u64)>,
    tombstoned: BTreeSet<u64>,
    last_seq: u64,
    last_ts_ns: i64,
}

impl Rebuild {
    pub(crate) fn apply(&mut self, view: &RecordView<'_>) {
        if view.seq >= self.last_seq {
            self.last_seq = view.seq;
            if !view.is_tombstone() {
                self.last_ts_ns = view.timestamp_ns;
            }
        }
        if view.is_tombstone() {
            self.live.remove(&view.seq);
            self.tombstoned.insert(view.seq);
        } else if !self.tombstoned.contains(&view.seq) {
            self.live
                .insert(view.seq, (view.timestamp_ns, view.message_bytes()));
        }
    }

    pub(crate) fn is_live(&self, seq: u64) -> bool {
        self.live.contains_key(&seq)
    }

    pub(crate) fn finish(&self) -> RebuiltState {
        let first = self.live.first_key_value();
        let first_seq = first.map_or(self.last_seq.saturating_add(1), |(seq, _)| *seq);
        let mut deleted = Vec::new();
        let mut expected = first_seq;
        for &seq in self.live.keys() {
            if seq > expected {
                deleted.push((expected, seq - 1));
            }
            expected = seq.saturating_add(1);
        }
        if expected <= self.last_seq && !self.live.is_empty() {
            deleted.push((expected, self.last_seq));
        }
        RebuiltState {
            first_seq,
            first_ts_ns: first.map_or(0, |(_, (ts, _))| *ts),
            last_seq: self.last_seq,
            last_ts_ns: self.last_ts_ns,
            msgs: self.live.len() as u64,
            bytes: self.live.values().map(|(_, bytes)| bytes).sum(),
            deleted,
        }
    }
}

fn push(out: &mut Vec<Disagreement>, kind: DisagreementKind, what: String, c: String, b: String) {
    out.push(Disagreement {
        kind,
        what,
        checkpoint: c,
        blocks: b,
    });
}

/// A block summarised by the checkpoint must still start with the same bytes; it may only
/// have grown since (that is staleness, not conflict).
fn compare_block(
    state: &StreamState,
    report: &BlockReport,
    bytes: &[u8],
    out: &mut Vec<Disagreement>,
) {
    let Some(summary) = state.blocks.iter().find(|b| b.index == report.index) else {
        let what = format!("block {}", report.index);
        push(
            out,
            DisagreementKind::Stale,
            what,
            "absent".into(),
            "present".into(),
        );
        return;
    };
    let what = format!("block {} length", report.index);
    let len = bytes.len() as u64;
    if len < summary.end_offset {
        let (c, b) = (summary.end_offset.to_string(), len.to_string());
        push(out, DisagreementKind::Conflict, what, c, b);
        return;
    }
    if !crate::plan::block_prefix_matches(bytes, summary) {
        let what = format!(
            "block {} crc of bytes 0..{}",
            report.index, summary.end_offset
        );
        let b = format!(
            "{:#010x}",
            crc32fast::hash(bytes.get(..summary.end_offset as usize).unwrap_or_default())
        );
        push(
            out,
            DisagreementKind::Conflict,
            what,
            format!("{:#010x}", summary.crc),
            b,
        );
        return;
    }
    if len > summary.end_offset {
        push(
            out,
            DisagreementKind::Stale,
            what,
            summary.end_offset.to_string(),
            len.to_string(),
        );
    }
}

fn compare_state(
    checkpoint: &StreamState,
    state: &RebuiltState,
    blocks: &[BlockReport],
    out: &mut Vec<Disagreement>,
) {
    for summary in &checkpoint.blocks {
        if !blocks.iter().any(|b| b.index == summary.index) {
            let what = format!("block {}", summary.index);
            push(
                out,
                DisagreementKind::Conflict,
                what,
                "present".into(),
                "missing".into(),
            );
        }
    }
    // When the blocks only grew, counters may differ legitimately; otherwise they must match.
    let grown = out.iter().any(|d| d.kind == DisagreementKind::Stale);
    let kind = if grown {
        DisagreementKind::Stale
    } else {
        DisagreementKind::Conflict
    };
    let fields = [
        ("first_seq", checkpoint.first_seq, state.first_seq),
        ("last_seq", checkpoint.last_seq, state.last_seq),
        ("msgs", checkpoint.msgs, state.msgs),
        ("bytes", checkpoint.bytes, state.bytes),
    ];
    for (what, c, b) in fields {
        if c != b {
            push(out, kind, what.into(), c.to_string(), b.to_string());
        }
    }
    // An empty list while the counters imply gaps means the writer kept the deleted set
    // elsewhere (the FileStore's stream.index): then the counters alone are compared.
    let span = checkpoint
        .last_seq
        .saturating_add(1)
        .saturating_sub(checkpoint.first_seq);
    let recorded = !checkpoint.deleted.is_empty() || checkpoint.msgs >= span;
    if recorded && checkpoint.deleted != state.deleted {
        let (c, b) = (
            format!("{:?}", checkpoint.deleted),
            format!("{:?}", state.deleted),
        );
        push(out, kind, "deleted".into(), c, b);
    }
}

#[cfg(test)]
#[path = "dir_tests.rs"]
mod tests;
