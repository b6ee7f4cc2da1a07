//! File names of a stream directory: where each file lives and how a block file name maps to
//! its index and back. Pure path arithmetic, no I/O.

use std::path::{Path, PathBuf};

/// Store configuration needed to read the blocks.
pub const STREAM_META: &str = "stream.meta";
/// Atomic checkpoint of the stream state.
pub const STREAM_STATE: &str = "stream.state";
/// A rewrite of the blocks under way (truncate, purge, compact), finished by the next open.
pub const STREAM_INTENT: &str = "stream.intent";
/// Persisted TTL wheel (rebuilt when stale).
pub const TTL_STATE: &str = "ttl.state";
/// The FileStore's per-message index sidecar of `stream.state` (docs/formats/stream-index.md).
pub const STREAM_INDEX: &str = "stream.index";
/// Files derived from the blocks that a store rebuilds when missing; offline tools that rewrite
/// blocks delete them so no reader trusts a description of the old bytes.
pub const DERIVED_CACHES: [&str; 2] = [STREAM_INDEX, TTL_STATE];
/// Directory of block files.
pub const BLOCKS_DIR: &str = "blocks";
/// Directory of consumer-state files.
pub const CONSUMERS_DIR: &str = "consumers";
/// Directory where salvage moves damaged bytes; never deleted automatically.
pub const QUARANTINE_DIR: &str = "quarantine";
/// Extension of block files.
pub const BLOCK_EXTENSION: &str = "blk";
/// Extension of a temporary file that becomes a checkpoint or block on rename.
pub const TEMP_EXTENSION: &str = "tmp";
/// Digits of the zero-padded block index (u32::MAX has 10).
pub const BLOCK_INDEX_DIGITS: usize = 10;

/// `0000000042.blk` for index 42.
pub fn block_file_name(index: u32) -> String {
    format!(
        "{index:0width$}.{BLOCK_EXTENSION}",
        width = BLOCK_INDEX_DIGITS
    )
}

/// `<dir>/blocks/<index>.blk`.
pub fn block_path(stream_dir: &Path, index: u32) -> PathBuf {
    stream_dir.join(BLOCKS_DIR).join(block_file_name(index))
}

/// The index of a block file name, or `None` when the name is not exactly ten digits + `.blk`.
pub fn parse_block_file_name(name: &str) -> Option<u32> {
    let digits = name.strip_suffix(".blk")?;
    if digits.len() != BLOCK_INDEX_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `<dir>/consumers/<name>.state`.
pub fn consumer_state_path(stream_dir: &Path, consumer: &str) -> PathBuf {
    stream_dir
        .join(CONSUMERS_DIR)
        .join(format!("{consumer}.state"))
}

/// `<dir>/quarantine/<block file name>.<offset>.bad`: where salvage moves a damaged range.
pub fn quarantine_path(stream_dir: &Path, block_index: u32, offset: u64) -> PathBuf {
    stream_dir
        .join(QUARANTINE_DIR)
        .join(format!("{}.{offset}.bad", block_file_name(block_index)))
}

/// The temporary sibling used for an atomic replace of `path` (`<path>.tmp`).
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(TEMP_EXTENSION);
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_names_roundtrip() {
        for index in [0, 1, 42, 9_999_999, u32::MAX] {
            let name = block_file_name(index);
            assert_eq!(name.len(), 14);
            assert_eq!(parse_block_file_name(&name), Some(index));
        }
        assert_eq!(block_file_name(7), "0000000007.blk");
    }

    #[test]
    fn foreign_names_are_rejected() {
        for name in [
            "7.blk",
            "000000000a.blk",
            "0000000007.blk.tmp",
            "4294967296.blk",
            "",
        ] {
            assert_eq!(parse_block_file_name(name), None, "{name}");
        }
    }

    #[test]
    fn paths_are_under_the_stream_directory() {
        let dir = Path::new("/s");
        assert_eq!(block_path(dir, 3), Path::new("/s/blocks/0000000003.blk"));
        assert_eq!(
            consumer_state_path(dir, "c1"),
            Path::new("/s/consumers/c1.state")
        );
        assert_eq!(
            quarantine_path(dir, 3, 96),
            Path::new("/s/quarantine/0000000003.blk.96.bad")
        );
        assert_eq!(
            temp_path(Path::new("/s/stream.state")),
            Path::new("/s/stream.state.tmp")
        );
    }
}
