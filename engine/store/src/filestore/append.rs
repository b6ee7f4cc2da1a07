//! Appending: encoding message and tombstone records into the active block (through the
//! writer's buffer), rotating blocks at `block_bytes_max`, and the store/skip operations.

use natrium_format::block::BlockHeader;
use natrium_format::cipher::random_nonce;
use natrium_format::layout::block::HEADER_SIZE as BLOCK_HEADER_SIZE;
use natrium_format::names::block_path;
use natrium_format::record::RecordInput;

use super::index::{Block, Entry};
use super::writer::SyncPolicy;
use super::{FileStore, format_error, io_error};
use crate::io::OpenMode;
use crate::limits;
use crate::types::NewMsg;
use crate::{Error, Result};

/// Where an appended record landed.
pub(super) struct Placed {
    pub offset: u32,
    pub record_len: u32,
    pub ticket: u64,
}

fn to_i64(ts_ns: u64) -> i64 {
    i64::try_from(ts_ns).unwrap_or(i64::MAX)
}

impl FileStore {
    /// Creates the next block file durably (header written, file and directory fsynced) and
    /// makes it the active block.
    pub(super) fn create_block(&mut self) -> Result<()> {
        let index = self.next_block_index;
        let path = block_path(&self.dir, index);
        let blocks_dir = self.blocks_dir();
        let file = self
            .storage
            .open(&path, OpenMode::Create)
            .map_err(|source| io_error("create", &path, source))?;
        let mut header = Vec::with_capacity(BLOCK_HEADER_SIZE);
        let (cipher, compression) = (self.options.cipher, self.options.compression);
        match &self.key {
            Some(key) => BlockHeader::authenticated(index, cipher, compression, key),
            None => BlockHeader::new(index, cipher, compression),
        }
        .encode(&mut header);
        file.truncate(0)
            .and_then(|()| file.write_at(&header, 0))
            .and_then(|()| file.sync())
            .and_then(|()| self.storage.sync_dir(&blocks_dir))
            .map_err(|source| io_error("write block header", &path, source))?;
        if let Some(previous) = self.blocks.last_mut() {
            previous.file = None;
        }
        self.blocks.push(Block {
            index,
            file: Some(file),
            seq_base: self.last_seq.saturating_add(1),
            entries: Vec::new(),
            live: 0,
            end_offset: BLOCK_HEADER_SIZE as u64,
            crc: Some({
                let mut hasher = crc32fast::Hasher::new();
                hasher.update(&header);
                hasher
            }),
        });
        self.next_block_index = index.saturating_add(1);
        self.blocks_created = self.blocks_created.saturating_add(1);
        Ok(())
    }

    /// An encrypted stream never appends to a block written before headers were
    /// authenticated (its tombstones are unsealed): if the active block is one, rotates.
    pub(super) fn leave_legacy_active_block(&mut self) -> Result<()> {
        if self.key.is_none() {
            return Ok(());
        }
        let Some(block) = self.blocks.last() else {
            return Ok(());
        };
        if !self.block_header(block)?.is_authenticated() {
            self.create_block()?;
        }
        Ok(())
    }

    /// Reads and decodes the header of `block`.
    pub(super) fn block_header(&self, block: &Block) -> Result<BlockHeader> {
        let path = block_path(&self.dir, block.index);
        let mut bytes = [0u8; BLOCK_HEADER_SIZE];
        self.block_handle(block)?
            .read_exact_at(&mut bytes, 0)
            .map_err(|source| io_error("read", &path, source))?;
        BlockHeader::decode(&bytes).map_err(|error| format_error(&path, error))
    }

    /// Encodes `input` into `scratch` and queues it at the end of the active block, rotating
    /// first when it would not fit (or its sequence would not fit the block's `u32` deltas).
    pub(super) fn append_record(&mut self, input: &RecordInput<'_>) -> Result<Placed> {
        self.scratch.clear();
        let seal = self.cipher.as_ref().map(|cipher| (cipher, random_nonce()));
        let record_len = self
            .encoder
            .encode(input, seal, &mut self.scratch)
            .map_err(|error| match error {
                natrium_format::Error::Limit { what, max } => Error::Limit { what, max },
                other => format_error(&self.dir, other),
            })?;
        let needs_rotation = match self.blocks.last() {
            None => true,
            Some(block) => {
                let has_records = block.end_offset > BLOCK_HEADER_SIZE as u64;
                let too_big = block.end_offset.saturating_add(u64::from(record_len))
                    > self.options.block_bytes_max;
                let delta_overflow = !input.tombstone
                    && !block.entries.is_empty()
                    && input.seq.saturating_sub(block.seq_base) > u64::from(u32::MAX);
                has_records && too_big || delta_overflow
            }
        };
        if needs_rotation {
            if let Some(sealed) = self.blocks.last_mut() {
                // A sealed block gets no more entries: give back the Vec's growth slack, and its
                // handle (the writer keeps its own until the buffered bytes are written).
                sealed.entries.shrink_to_fit();
                sealed.file = None;
            }
            self.create_block()?;
        }
        let file = match self.blocks.last() {
            Some(block) => self.block_handle(block)?,
            None => return Err(Error::Closed),
        };
        let Some(block) = self.blocks.last_mut() else {
            return Err(Error::Closed);
        };
        let offset = block.end_offset;
        if input.seq >= self.last_seq {
            self.last_seq_block = Some(block.index);
        }
        let ticket = self
            .writer
            .append(&file, u64::from(block.index), offset, &self.scratch)
            .map_err(|source| io_error("append", &block_path(&self.dir, block.index), source))?;
        block.end_offset = offset.saturating_add(u64::from(record_len));
        if let Some(hasher) = &mut block.crc {
            hasher.update(&self.scratch);
        }
        Ok(Placed {
            // Records start inside the block, and blocks are at most 4 GiB (checked at open).
            offset: u32::try_from(offset).expect("a record offset fits u32"),
            record_len,
            ticket,
        })
    }

    /// Appends a tombstone saying `seq` (with timestamp `ts_ns`) is consumed and gone.
    pub(super) fn append_tombstone(&mut self, seq: u64, ts_ns: u64) -> Result<u64> {
        let input = RecordInput::tombstone(seq, to_i64(ts_ns), &[]);
        Ok(self.append_record(&input)?.ticket)
    }

    /// Stores a message at `seq`/`ts_ns` (both already decided); returns the durability ticket.
    pub(super) fn append_message(&mut self, msg: &NewMsg<'_>, seq: u64, ts_ns: u64) -> Result<u64> {
        // The TTL goes into the record itself: `ttl.state` is only a cache, written at flush,
        // tick and close, and a crash between those must not lose the expiry.
        let ttl_ns = match msg.ttl {
            crate::types::MsgTtl::After { ttl_ns } => Some(ttl_ns),
            crate::types::MsgTtl::Stream => None,
        };
        let input = RecordInput::message(
            seq,
            to_i64(ts_ns),
            msg.subject.as_bytes(),
            msg.headers,
            msg.payload,
        )
        .with_ttl_ns(ttl_ns);
        let placed = self.append_record(&input)?;
        let subject = self.subjects.intern(msg.subject);
        let msg_bytes = msg.stored_bytes();
        let Some(block) = self.blocks.last_mut() else {
            return Err(Error::Closed);
        };
        if block.entries.is_empty() {
            // A block's base is its first message (tombstones have no entry).
            block.seq_base = seq;
        }
        // Sequences only grow, and a delta past u32 rotates the block first (`needs_rotation`).
        let delta = seq
            .checked_sub(block.seq_base)
            .expect("a block's messages come after its base");
        let seq_delta = u32::try_from(delta).expect("rotation keeps sequence deltas in u32");
        block.push_entry(Entry {
            ts_ns,
            seq_delta,
            subject,
            offset: placed.offset,
            record_len: placed.record_len,
            // Bounded by the record, whose length the encoder checked fits u32.
            msg_bytes: u32::try_from(msg_bytes).expect("a message's bytes fit its record"),
        });
        block.live = block.live.saturating_add(1);
        self.subjects.add(subject, seq);
        if self.msgs == 0 {
            self.first_seq = seq;
        }
        self.msgs = self.msgs.saturating_add(1);
        self.bytes = self.bytes.saturating_add(msg_bytes);
        self.last_seq = seq;
        self.last_ts_ns = ts_ns;
        if let Some(expires_ns) = limits::ttl_expiry_ns(msg.ttl, ts_ns) {
            self.ttl.add(seq, expires_ns);
            self.expiries.insert(seq, expires_ns);
        }
        Ok(placed.ticket)
    }

    /// Validates, assigns the next sequence, appends and enforces limits; returns
    /// `(seq, ts_ns, ticket)` without waiting for durability.
    pub fn store_deferred(&mut self, msg: &NewMsg<'_>, now_ns: u64) -> Result<(u64, u64, u64)> {
        self.check_open()?;
        // Interning first means a known subject is validated once, not at every store.
        if self
            .subjects
            .intern_valid(msg.subject, crate::subject::is_valid_subject)
            .is_none()
        {
            self.check_subject(msg.subject)?;
        }
        limits::admit(&self.config, self, msg)?;
        let seq = self.checked_next_seq()?;
        let mut ticket = self.append_message(msg, seq, now_ns)?;
        let config = self.config.clone();
        if limits::enforce_after_store(&config, self, msg.subject)? > 0 {
            // Removals appended tombstones after the message: wait for those too.
            ticket = self.writer.appended();
        }
        Ok((seq, now_ns, ticket))
    }

    /// Like [`StreamStore::store_raw`] (a given sequence above `last_seq`, the skipped ones
    /// becoming gaps; for mirrors), without waiting for durability; returns the ticket.
    ///
    /// [`StreamStore::store_raw`]: crate::store::StreamStore::store_raw
    pub fn store_raw_deferred(&mut self, msg: &NewMsg<'_>, seq: u64, ts_ns: u64) -> Result<u64> {
        self.check_open()?;
        if seq <= self.last_seq {
            return Err(Error::SequenceMismatch {
                expected: self.last_seq.saturating_add(1),
                got: seq,
            });
        }
        self.check_subject(msg.subject)?;
        limits::admit(&self.config, self, msg)?;
        let ticket = self.append_message(msg, seq, ts_ns)?;
        let config = self.config.clone();
        limits::enforce_after_store(&config, self, msg.subject)?;
        Ok(ticket.max(self.writer.appended()))
    }

    pub(super) fn check_subject(&self, subject: &str) -> Result<()> {
        if crate::subject::is_valid_subject(subject) {
            Ok(())
        } else {
            Err(Error::InvalidSubject {
                subject: subject.to_owned(),
            })
        }
    }

    /// Under `sync: always`, waits until `ticket` is fsynced.
    pub(super) fn settle(&self, ticket: u64) -> Result<()> {
        if self.options.writer.sync == SyncPolicy::Always {
            self.writer
                .wait_synced(ticket)
                .map_err(|source| io_error("fsync", &self.blocks_dir(), source))?;
        }
        Ok(())
    }

    /// Waits until `ticket` is fsynced, whatever the sync policy.
    pub(super) fn settle_durably(&self, ticket: u64) -> Result<()> {
        self.writer
            .wait_synced(ticket)
            .map_err(|source| io_error("fsync", &self.blocks_dir(), source))
    }

    /// Consumes sequences `seq .. seq + count` with one marker tombstone at the last of them.
    pub(super) fn skip_to(&mut self, last: u64, ts_ns: u64) -> Result<u64> {
        let ticket = self.append_tombstone(last, ts_ns)?;
        if self.msgs == 0 {
            self.first_seq = last.saturating_add(1);
        }
        self.last_seq = last;
        self.last_ts_ns = ts_ns;
        Ok(ticket)
    }
}
