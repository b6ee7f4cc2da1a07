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

use crate::fsutil::{create_dir, write_atomic};
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

fn format_error(dir: &Path, source: natrium_format::Error) -> Error {
    Error::Format {
        file: dir.to_path_buf(),
        source,
    }
}

/// Writes `stream.meta`, the blocks and a matching `stream.state` into `dir`.
pub fn write_stream(dir: &Path, spec: &StreamSpec) -> Result<()> {
    create_dir(&dir.join(names::BLOCKS_DIR))?;
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
    write_atomic(&dir.join(names::STREAM_META), &encoded)?;
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
        BlockHeader::new(index, spec.cipher, spec.compression).encode(&mut block);
        debug_assert_eq!(block.len(), HEADER_SIZE);
        for input in chunk {
            let seal = cipher.as_ref().map(|c| (c, random_nonce()));
            encoder
                .encode(input, seal, &mut block)
                .map_err(|e| format_error(dir, e))?;
        }
        write_atomic(&names::block_path(dir, index), &block)?;
    }
    write_checkpoint_at(dir, FIXTURE_TS_NS)?;
    Ok(())
}
