//! Key rotation of an encrypted stream: every record (tombstones and erased records included)
//! is authenticated and opened under the old key, then sealed again under the new key with a
//! fresh random nonce, block by block, into a new stream directory; block headers get a MAC
//! under the new header key and `stream.meta` the new key check. Consumer states (not
//! encrypted) are copied, and a checkpoint is written from the result.
//!
//! Why: each record is sealed with a random 96-bit nonce, so one key may seal about 2^32
//! records before a nonce collision becomes likelier than 2^-32 (the birthday bound,
//! docs/durability.md). Rotating before that keeps every key under the bound. The rewrite goes
//! into a new directory so that a crash part way never leaves a stream half under each key:
//! the old directory is untouched until the operator swaps them.

use std::path::{Path, PathBuf};

use natrium_format::layout::block::HEADER_SIZE;
use natrium_format::{
    BlockHeader, Compression, Limits, RecordCipher, RecordEncoder, RecordInput, RecordView,
    StreamKey, StreamMeta, names,
};
use natrium_io::Storage;

use crate::dir::read_meta_in;
use crate::fsutil::{create_dir, list_blocks, read_file, write_atomic};
use crate::scan::{Auth, ScanOptions, scan_block};
use crate::{Error, RecoveryMode, Result};

/// What a rotation rewrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RekeyReport {
    pub target: PathBuf,
    pub blocks: u32,
    /// Records sealed again (messages and tombstones).
    pub records: u64,
}

/// Rewrites the encrypted stream in `dir` into `into` (created; must hold no blocks) under
/// `new_key`. Every record must authenticate under `old_key` (`Strict`): damage stops the
/// rotation, to be repaired first (`natrium-blk recover`).
pub fn rekey(
    storage: &dyn Storage,
    dir: &Path,
    into: &Path,
    old_key: &[u8],
    new_key: &[u8],
) -> Result<RekeyReport> {
    let meta = read_meta_in(storage, dir)?;
    let meta_path = dir.join(names::STREAM_META);
    let format = |file: &Path| {
        let file = file.to_path_buf();
        move |cause| Error::Format { file, cause }
    };
    let old = StreamKey::derive(old_key, meta.name.as_bytes());
    meta.check_key(Some(&old)).map_err(format(&meta_path))?;
    let new = StreamKey::derive(new_key, meta.name.as_bytes());
    let (Some(old_cipher), Some(new_cipher)) = (
        RecordCipher::new(meta.cipher, &old),
        RecordCipher::new(meta.cipher, &new),
    ) else {
        return Err(Error::Format {
            file: meta_path,
            cause: natrium_format::Error::Corrupt {
                offset: 0,
                reason: "only an encrypted stream has a key to rotate",
            },
        });
    };
    prepare(storage, dir, into)?;
    let mut report = RekeyReport {
        target: into.to_path_buf(),
        ..RekeyReport::default()
    };
    let keys = Keys {
        old: &old,
        old_cipher: &old_cipher,
        new: &new,
        new_cipher: &new_cipher,
    };
    for index in list_blocks(storage, dir)? {
        let records = rekey_block(storage, dir, into, index, &meta, &keys)?;
        report.blocks += 1;
        report.records += records;
    }
    let new_meta = StreamMeta::new(
        &meta.name,
        meta.cipher,
        Some(&new),
        meta.compression,
        meta.block_bytes_max,
    );
    let mut encoded = Vec::new();
    new_meta
        .encode(&mut encoded)
        .map_err(format(&into.join(names::STREAM_META)))?;
    write_atomic(storage, &into.join(names::STREAM_META), &encoded)?;
    crate::repair::write_checkpoint(storage, into)?;
    Ok(report)
}

struct Keys<'a> {
    old: &'a StreamKey,
    old_cipher: &'a RecordCipher,
    new: &'a StreamKey,
    new_cipher: &'a RecordCipher,
}

/// Creates `into` (refusing one that holds blocks) and copies the consumer states.
fn prepare(storage: &dyn Storage, dir: &Path, into: &Path) -> Result<()> {
    create_dir(storage, &into.join(names::BLOCKS_DIR))?;
    if !list_blocks(storage, into)?.is_empty() {
        return Err(Error::Io {
            file: into.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "target directory already holds blocks",
            ),
        });
    }
    let consumers = dir.join(names::CONSUMERS_DIR);
    let exists = storage.exists(&consumers).map_err(|source| Error::Io {
        file: consumers.clone(),
        source,
    })?;
    if !exists {
        return Ok(());
    }
    create_dir(storage, &into.join(names::CONSUMERS_DIR))?;
    let names = storage.list_dir(&consumers).map_err(|source| Error::Io {
        file: consumers.clone(),
        source,
    })?;
    for name in names.iter().filter(|name| name.ends_with(".state")) {
        let bytes = read_file(storage, &consumers.join(name))?;
        write_atomic(storage, &into.join(names::CONSUMERS_DIR).join(name), &bytes)?;
    }
    Ok(())
}

/// Seals every record of block `index` again under the new key; returns how many.
fn rekey_block(
    storage: &dyn Storage,
    dir: &Path,
    into: &Path,
    index: u32,
    meta: &StreamMeta,
    keys: &Keys<'_>,
) -> Result<u64> {
    let path = names::block_path(dir, index);
    let bytes = read_file(storage, &path)?;
    let mut options = ScanOptions::new(RecoveryMode::Strict, &path, false);
    options.auth = Some(Auth {
        key: keys.old,
        cipher: keys.old_cipher,
        legacy_blocks: true,
    });
    let mut out = Vec::with_capacity(bytes.len());
    BlockHeader::authenticated(index, meta.cipher, meta.compression, keys.new).encode(&mut out);
    debug_assert_eq!(out.len(), HEADER_SIZE);
    let mut encoder =
        RecordEncoder::new(Limits::default(), meta.compression == Compression::Snappy);
    let mut scratch = Vec::new();
    let mut records = 0u64;
    let mut failure = None;
    scan_block(&bytes, &options, |view| {
        if failure.is_none() {
            match reseal(view, keys, &mut encoder, &mut scratch, &mut out) {
                Ok(()) => records += 1,
                Err(cause) => failure = Some((view.offset, cause)),
            }
        }
    })?;
    if let Some((offset, cause)) = failure {
        return Err(Error::Corrupt {
            file: path,
            offset,
            cause,
        });
    }
    write_atomic(storage, &names::block_path(into, index), &out)?;
    Ok(records)
}

/// Opens `view` under the old key and appends it sealed under the new one.
fn reseal(
    view: &RecordView<'_>,
    keys: &Keys<'_>,
    encoder: &mut RecordEncoder,
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> natrium_format::Result<()> {
    let seal = Some((keys.new_cipher, natrium_format::cipher::random_nonce()));
    if view.is_tombstone() {
        let input = RecordInput::tombstone(view.seq, view.timestamp_ns, view.subject);
        encoder.encode(&input, seal, out)?;
        return Ok(());
    }
    let body = view.body(Some(keys.old_cipher), scratch)?;
    let input = RecordInput::message(
        view.seq,
        view.timestamp_ns,
        view.subject,
        body.headers,
        body.payload,
    )
    .with_ttl_ns(view.ttl_ns);
    encoder.encode(&input, seal, out)?;
    Ok(())
}
