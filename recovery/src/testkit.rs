//! Builds small stream directories in today's format with the format codecs: the checked-in
//! fixtures (tests/fixtures/store/), the recovery and natrium-blk tests, and any store test
//! that wants a directory written independently of the store's own writer.

use std::path::Path;

use natrium_format::cipher::random_nonce;
use natrium_format::layout::block::HEADER_SIZE;
use natrium_format::{
    BlockHeader, CipherKind, Compression, Limits, RecordCipher, RecordEncoder, RecordInput,
    StreamKey, StreamMeta, names,
};

use natrium_io::{RealStorage, Storage};

use crate::fsutil::{create_dir, list_blocks, read_file, write_atomic};
use crate::repair::write_checkpoint_at;
use crate::{Error, Result};

/// A stream to write: messages get sequences 1, 2, ... in order; `deletes` become tombstones
/// appended after all messages.
#[derive(Debug, Clone, Default)]
pub struct StreamSpec {
    pub name: String,
    pub cipher: CipherKind,
    pub key: Vec<u8>,
    pub compression: Compression,
    /// Rotate to a new block after this many records.
    pub records_per_block: usize,
    pub messages: Vec<(String, Vec<u8>, Vec<u8>)>,
    pub deletes: Vec<u64>,
}

impl StreamSpec {
    /// `count` messages `orders.<i % 3>` with a small header on every fifth one.
    pub fn sample(name: &str, count: u64, records_per_block: usize) -> Self {
        let messages = (1..=count)
            .map(|i| {
                let headers = if i % 5 == 0 {
                    b"NATS/1.0\r\nTrace: on\r\n\r\n".to_vec()
                } else {
                    Vec::new()
                };
                let payload = format!("payload {i} {}", "x".repeat((i % 7) as usize));
                (format!("orders.{}", i % 3), headers, payload.into_bytes())
            })
            .collect();
        Self {
            name: name.to_owned(),
            records_per_block,
            messages,
            ..Self::default()
        }
    }
}

/// Fixed timestamp base so fixture bytes do not change between regenerations.
pub const FIXTURE_TS_NS: i64 = 1_700_000_000_000_000_000;

fn format_error(dir: &Path, cause: natrium_format::Error) -> Error {
    Error::Format {
        file: dir.to_path_buf(),
        cause,
    }
}

/// Writes `stream.meta`, the blocks and a matching `stream.state` into `dir` on the local file
/// system.
pub fn write_stream(dir: &Path, spec: &StreamSpec) -> Result<()> {
    write_stream_in(&RealStorage, dir, spec)
}

/// [`write_stream`] through `storage` (the crash tests build their stream on a simulated disk).
pub fn write_stream_in(storage: &dyn Storage, dir: &Path, spec: &StreamSpec) -> Result<()> {
    create_dir(storage, &dir.join(names::BLOCKS_DIR))?;
    let key = StreamKey::derive(&spec.key, spec.name.as_bytes());
    let meta = StreamMeta::new(
        &spec.name,
        spec.cipher,
        Some(&key),
        spec.compression,
        1 << 20,
    );
    let mut encoded = Vec::new();
    meta.encode(&mut encoded)
        .map_err(|e| format_error(dir, e))?;
    write_atomic(storage, &dir.join(names::STREAM_META), &encoded)?;
    let cipher = RecordCipher::new(spec.cipher, &key);
    let mut encoder =
        RecordEncoder::new(Limits::default(), spec.compression == Compression::Snappy);
    let records = spec
        .messages
        .iter()
        .enumerate()
        .map(|(i, (subject, headers, payload))| {
            let seq = i as u64 + 1;
            RecordInput::message(
                seq,
                FIXTURE_TS_NS + seq as i64,
                subject.as_bytes(),
                headers,
                payload,
            )
        });
    let tombstones = spec
        .deletes
        .iter()
        .map(|&seq| RecordInput::tombstone(seq, FIXTURE_TS_NS + 1_000_000 + seq as i64, b""));
    let all: Vec<RecordInput<'_>> = records.chain(tombstones).collect();
    let per_block = spec.records_per_block.max(1);
    for (i, chunk) in all.chunks(per_block).enumerate() {
        let index = i as u32 + 1;
        let mut block = Vec::new();
        // Today's format: an encrypted stream's headers carry a MAC (docs/formats/block.md).
        let header = match cipher {
            Some(_) => BlockHeader::authenticated(index, spec.cipher, spec.compression, &key),
            None => BlockHeader::new(index, spec.cipher, spec.compression),
        };
        header.encode(&mut block);
        debug_assert_eq!(block.len(), HEADER_SIZE);
        for input in chunk {
            let seal = cipher.as_ref().map(|c| (c, random_nonce()));
            encoder
                .encode(input, seal, &mut block)
                .map_err(|e| format_error(dir, e))?;
        }
        write_atomic(storage, &names::block_path(dir, index), &block)?;
    }
    write_checkpoint_at(storage, dir, FIXTURE_TS_NS)?;
    Ok(())
}

/// Key of the encrypted fixture (`good-aes`).
pub const FIXTURE_KEY: &[u8] = b"natrium fixture key";

/// The spec of `tests/fixtures/store/good`: 24 messages in 8-record blocks, 3 deleted.
pub fn fixture_spec() -> StreamSpec {
    let mut spec = StreamSpec::sample("FIXTURE", 24, 8);
    spec.deletes = vec![5, 6, 17];
    spec
}

/// Offset of the `n`th record (0-based) of a block's bytes, by scanning it.
pub fn record_offset(block: &[u8], n: usize) -> Option<usize> {
    let options = crate::ScanOptions::new(crate::RecoveryMode::Strict, Path::new("fixture"), true);
    let mut offsets = Vec::new();
    crate::scan_block(block, &options, |view| offsets.push(view.offset as usize)).ok()?;
    offsets.get(n).copied()
}

fn copy_stream(from: &Path, to: &Path) -> Result<()> {
    let storage = &RealStorage;
    create_dir(storage, &to.join(names::BLOCKS_DIR))?;
    for name in [names::STREAM_META, names::STREAM_STATE] {
        write_atomic(
            storage,
            &to.join(name),
            &read_file(storage, &from.join(name))?,
        )?;
    }
    for index in list_blocks(storage, from)? {
        let bytes = read_file(storage, &names::block_path(from, index))?;
        write_atomic(storage, &names::block_path(to, index), &bytes)?;
    }
    Ok(())
}

fn edit(path: &Path, change: impl FnOnce(&mut Vec<u8>)) -> Result<()> {
    let mut bytes = read_file(&RealStorage, path)?;
    change(&mut bytes);
    write_atomic(&RealStorage, path, &bytes)
}

/// Writes the fixture set under `root`: `good`, `good-aes` (AES-256-GCM, [`FIXTURE_KEY`],
/// snappy), `bitflip` (one bit of record 3 of block 2 flipped), `torn` (last block cut 9
/// bytes short), `badcheckpoint` (one byte of stream.state flipped).
pub fn write_fixture_set(root: &Path) -> Result<()> {
    let good = root.join("good");
    write_stream(&good, &fixture_spec())?;
    let mut aes = fixture_spec();
    aes.cipher = CipherKind::Aes256Gcm;
    aes.key = FIXTURE_KEY.to_vec();
    aes.compression = Compression::Snappy;
    write_stream(&root.join("good-aes"), &aes)?;
    let bitflip = root.join("bitflip");
    copy_stream(&good, &bitflip)?;
    edit(&names::block_path(&bitflip, 2), |bytes| {
        let at = record_offset(bytes, 2).unwrap_or(HEADER_SIZE) + 40;
        if let Some(byte) = bytes.get_mut(at) {
            *byte ^= 0x04;
        }
    })?;
    let torn = root.join("torn");
    copy_stream(&good, &torn)?;
    let last = list_blocks(&RealStorage, &torn)?
        .last()
        .copied()
        .unwrap_or(1);
    edit(&names::block_path(&torn, last), |bytes| {
        bytes.truncate(bytes.len().saturating_sub(9));
    })?;
    let bad = root.join("badcheckpoint");
    copy_stream(&good, &bad)?;
    edit(&bad.join(names::STREAM_STATE), |bytes| {
        if let Some(byte) = bytes.get_mut(20) {
            *byte ^= 0xff;
        }
    })
}
