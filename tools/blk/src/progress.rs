//! Progress on stderr: a bar of bytes scanned with rate and ETA, driven from the record visitor
//! of natrium-recovery (a record's block and offset give the bytes done). Nothing is drawn when
//! stderr is not a terminal, and nothing ever goes to stdout, so reports there stay parseable.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use natrium_format::{RecordView, names};
use natrium_recovery::RealStorage;
use natrium_recovery::fsutil::list_blocks;

const BAR_TEMPLATE: &str =
    "{msg} [{wide_bar}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}";
const SPINNER_TEMPLATE: &str = "{spinner} {msg} ({elapsed})";
/// Redraws per second: enough to look live, few enough to cost nothing next to the scan.
const REFRESH_HZ: u8 = 10;
/// The bar is told of progress at most once per this many bytes: a record can take less time
/// to scan than the bar's own bookkeeping (a clock read) would.
const STEP_BYTES: u64 = 64 * 1024;

/// A bar over one or more passes across every block file of a stream directory.
pub struct ScanProgress {
    bar: ProgressBar,
    /// Bytes of all blocks before each block index, in one pass.
    block_starts: BTreeMap<u32, u64>,
    pass_bytes: u64,
    /// Bytes of the passes already finished.
    done_bytes: u64,
    /// The position last given to the bar.
    shown: Cell<u64>,
}

impl ScanProgress {
    /// A bar for `passes` scans of the blocks of `dir`, labelled `label`; drawn on stderr when
    /// it is a terminal.
    pub fn new(dir: &Path, label: &str, passes: u64) -> Result<Self> {
        Self::with_target(
            dir,
            label,
            passes,
            ProgressDrawTarget::stderr_with_hz(REFRESH_HZ),
        )
    }

    /// A bar that is never drawn, for a command whose output would tear through it.
    pub fn hidden(dir: &Path, label: &str, passes: u64) -> Result<Self> {
        Self::with_target(dir, label, passes, ProgressDrawTarget::hidden())
    }

    fn with_target(
        dir: &Path,
        label: &str,
        passes: u64,
        target: ProgressDrawTarget,
    ) -> Result<Self> {
        let mut block_starts = BTreeMap::new();
        let mut pass_bytes = 0u64;
        for index in list_blocks(&RealStorage, dir)? {
            let path = names::block_path(dir, index);
            let len = std::fs::metadata(&path)
                .with_context(|| format!("{}", path.display()))?
                .len();
            block_starts.insert(index, pass_bytes);
            pass_bytes += len;
        }
        let bar = ProgressBar::with_draw_target(Some(pass_bytes * passes), target);
        // The template is a constant checked by the unit test below.
        let style = ProgressStyle::with_template(BAR_TEMPLATE)
            .expect("constant template")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(label.to_owned());
        Ok(Self {
            bar,
            block_starts,
            pass_bytes,
            done_bytes: 0,
            shown: Cell::new(0),
        })
    }

    /// Whether anything is drawn (stderr is a terminal).
    pub fn is_visible(&self) -> bool {
        !self.bar.is_hidden()
    }

    /// Call from the recovery visitor: everything up to the end of `view` is done.
    pub fn record(&self, block: u32, view: &RecordView<'_>) {
        // A block created after the listing (a store still writing) counts from 0: the bar is
        // only an estimate.
        let start = self.block_starts.get(&block).copied().unwrap_or(0);
        let position = self.done_bytes + start + view.offset + view.bytes.len() as u64;
        if position.abs_diff(self.shown.get()) >= STEP_BYTES {
            self.shown.set(position);
            self.bar.set_position(position);
        }
    }

    /// The current pass is complete; the next one starts.
    pub fn next_pass(&mut self, label: &str) {
        self.done_bytes += self.pass_bytes;
        self.shown.set(self.done_bytes);
        self.bar.set_position(self.done_bytes);
        self.bar.set_message(label.to_owned());
    }

    /// Turns the bar into a spinner for work with no byte count (a rewrite inside
    /// natrium-recovery, which reports no progress of its own).
    pub fn into_spinner(self, message: &str) -> ProgressBar {
        if !self.is_visible() {
            return ProgressBar::hidden();
        }
        drop(self);
        let spinner =
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(REFRESH_HZ));
        // A constant template, checked by the unit test below.
        let style = ProgressStyle::with_template(SPINNER_TEMPLATE).expect("constant template");
        spinner.set_style(style);
        spinner.set_message(message.to_owned());
        spinner.enable_steady_tick(Duration::from_millis(100));
        spinner
    }

    /// Removes the bar before the report is printed.
    pub fn finish(self) {
        drop(self);
    }
}

/// Clears the bar on every way out, errors included, so a message printed after it starts on
/// a clean line.
impl Drop for ScanProgress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse() {
        assert!(ProgressStyle::with_template(BAR_TEMPLATE).is_ok());
        assert!(ProgressStyle::with_template(SPINNER_TEMPLATE).is_ok());
    }

    #[test]
    fn counts_bytes_over_blocks_and_passes() {
        let temp = tempfile::tempdir().unwrap();
        let blocks = temp.path().join(names::BLOCKS_DIR);
        std::fs::create_dir_all(&blocks).unwrap();
        std::fs::write(names::block_path(temp.path(), 1), [0u8; 100]).unwrap();
        std::fs::write(names::block_path(temp.path(), 2), [0u8; 50]).unwrap();
        let mut progress = ScanProgress::new(temp.path(), "scan", 2).unwrap();
        assert_eq!(progress.block_starts.get(&2), Some(&100));
        assert_eq!(progress.bar.length(), Some(300));
        progress.next_pass("again");
        assert_eq!(progress.bar.position(), 150);
        progress.finish();
    }
}
