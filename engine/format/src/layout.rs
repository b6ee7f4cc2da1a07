//! Offsets and sizes of every on-disk structure, in one place. Each constant mirrors a row of a
//! byte table in docs/formats/*.md; the `const` asserts keep the two from drifting apart.
//! All integers on disk are little-endian with explicit widths.

/// The format version written by this build, shared by every file of a stream directory.
pub const FORMAT_VERSION: u16 = 1;

/// Size of a crc32 field (crc32fast, IEEE polynomial).
pub const CRC_SIZE: usize = 4;

/// Block file header (docs/formats/block.md).
pub mod block {
    /// Identifies a natrium block file.
    pub const MAGIC: [u8; 8] = *b"NATRMBLK";
    pub const MAGIC_OFFSET: usize = 0;
    pub const VERSION_OFFSET: usize = 8;
    pub const FLAGS_OFFSET: usize = 10;
    pub const INDEX_OFFSET: usize = 12;
    pub const CIPHER_OFFSET: usize = 16;
    pub const COMPRESSION_OFFSET: usize = 17;
    pub const RESERVED_OFFSET: usize = 18;
    /// With [`FLAG_AUTHENTICATED`]: a MAC of bytes `0..HEADER_MAC_OFFSET` under the stream's
    /// header key; otherwise zero.
    pub const HEADER_MAC_OFFSET: usize = 20;
    pub const HEADER_MAC_SIZE: usize = 8;
    pub const CRC_OFFSET: usize = 28;
    /// Records start right after the header.
    pub const HEADER_SIZE: usize = 32;
    /// Block flag: the header carries a MAC and every record, tombstones included, is sealed
    /// (written by encrypted streams since the flag exists).
    pub const FLAG_AUTHENTICATED: u16 = 1;
    pub const FLAGS_KNOWN: u16 = FLAG_AUTHENTICATED;
    const _: () = assert!(RESERVED_OFFSET + 2 == HEADER_MAC_OFFSET);
    const _: () = assert!(HEADER_MAC_OFFSET + HEADER_MAC_SIZE == CRC_OFFSET);
    const _: () = assert!(CRC_OFFSET + super::CRC_SIZE == HEADER_SIZE);
}

/// Record header (docs/formats/record.md).
pub mod record {
    pub const TOTAL_LEN_OFFSET: usize = 0;
    pub const FLAGS_OFFSET: usize = 4;
    pub const SUBJECT_LEN_OFFSET: usize = 6;
    pub const SEQ_OFFSET: usize = 8;
    pub const TIMESTAMP_OFFSET: usize = 16;
    pub const HEADERS_LEN_OFFSET: usize = 24;
    pub const PAYLOAD_LEN_OFFSET: usize = 28;
    /// crc32 over bytes `0..HEADER_CRC_OFFSET`: lets salvage reject a false resync point by
    /// reading 36 bytes instead of a whole (possibly huge) candidate record.
    pub const HEADER_CRC_OFFSET: usize = 32;
    /// The subject starts here; the stored body follows the subject.
    pub const HEADER_SIZE: usize = 36;
    /// Smallest possible record: header, empty subject, empty body, trailing crc.
    pub const MIN_SIZE: usize = HEADER_SIZE + super::CRC_SIZE;
    /// AEAD nonce stored at the start of an encrypted body.
    pub const NONCE_SIZE: usize = 12;
    /// AEAD tag stored at the end of an encrypted body.
    pub const TAG_SIZE: usize = 16;
    /// The per-message TTL (u64 ns) after the subject when the TTL flag is set.
    pub const TTL_SIZE: usize = 8;
    const _: () = assert!(PAYLOAD_LEN_OFFSET + 4 == HEADER_CRC_OFFSET);
    const _: () = assert!(HEADER_CRC_OFFSET + super::CRC_SIZE == HEADER_SIZE);
    const _: () = assert!(MIN_SIZE == 40);
}

/// `stream.meta` (docs/formats/stream-meta.md).
pub mod meta {
    pub const MAGIC: [u8; 8] = *b"NATRMETA";
    pub const VERSION_OFFSET: usize = 8;
    pub const CIPHER_OFFSET: usize = 10;
    pub const COMPRESSION_OFFSET: usize = 11;
    pub const NAME_LEN_OFFSET: usize = 12;
    pub const RESERVED_OFFSET: usize = 14;
    pub const BLOCK_BYTES_MAX_OFFSET: usize = 16;
    pub const KEY_CHECK_OFFSET: usize = 24;
    pub const KEY_CHECK_SIZE: usize = 16;
    /// The stream name follows the fixed part; the crc follows the name.
    pub const FIXED_SIZE: usize = 40;
    const _: () = assert!(KEY_CHECK_OFFSET + KEY_CHECK_SIZE == FIXED_SIZE);
}

/// `stream.state` (docs/formats/stream-state.md).
pub mod state {
    pub const MAGIC: [u8; 8] = *b"NATRSTAT";
    pub const VERSION_OFFSET: usize = 8;
    pub const RESERVED_OFFSET: usize = 10;
    pub const BLOCK_COUNT_OFFSET: usize = 12;
    pub const FIRST_SEQ_OFFSET: usize = 16;
    pub const FIRST_TS_OFFSET: usize = 24;
    pub const LAST_SEQ_OFFSET: usize = 32;
    pub const LAST_TS_OFFSET: usize = 40;
    pub const MSGS_OFFSET: usize = 48;
    pub const BYTES_OFFSET: usize = 56;
    pub const DELETED_COUNT_OFFSET: usize = 64;
    pub const SUBJECT_COUNT_OFFSET: usize = 68;
    pub const CHECKPOINT_TS_OFFSET: usize = 72;
    /// Block summaries start here.
    pub const FIXED_SIZE: usize = 80;
    /// One block summary: index u32, records u32, first seq, last seq, bytes, end offset u64,
    /// crc u32 of the block's bytes `0..end_offset`, reserved u32.
    pub const BLOCK_ENTRY_SIZE: usize = 48;
    /// One deleted range: first u64, last u64 (inclusive).
    pub const DELETED_ENTRY_SIZE: usize = 16;
    /// Fixed part of a subject entry: subject len u16, reserved u16, msgs u64, first u64,
    /// last u64; the subject bytes follow.
    pub const SUBJECT_ENTRY_FIXED_SIZE: usize = 28;
    const _: () = assert!(CHECKPOINT_TS_OFFSET + 8 == FIXED_SIZE);
    const _: () = assert!(BLOCK_ENTRY_SIZE == 4 + 4 + 8 * 4 + 4 + 4);
    const _: () = assert!(SUBJECT_ENTRY_FIXED_SIZE == 2 + 2 + 8 * 3);
}

/// `consumers/<name>.state` (docs/formats/consumer-state.md).
pub mod consumer {
    pub const MAGIC: [u8; 8] = *b"NATRCONS";
    pub const VERSION_OFFSET: usize = 8;
    pub const RESERVED_OFFSET: usize = 10;
    pub const DELIVERED_CONSUMER_OFFSET: usize = 12;
    pub const DELIVERED_STREAM_OFFSET: usize = 20;
    pub const ACK_FLOOR_CONSUMER_OFFSET: usize = 28;
    pub const ACK_FLOOR_STREAM_OFFSET: usize = 36;
    pub const PENDING_COUNT_OFFSET: usize = 44;
    pub const REDELIVERED_COUNT_OFFSET: usize = 48;
    /// Pending entries start here, then redelivery entries, then the crc.
    pub const FIXED_SIZE: usize = 52;
    /// One pending entry: stream seq u64, consumer seq u64, timestamp ns i64.
    pub const PENDING_ENTRY_SIZE: usize = 24;
    /// One redelivery entry: stream seq u64, count u64.
    pub const REDELIVERED_ENTRY_SIZE: usize = 16;
    const _: () = assert!(REDELIVERED_COUNT_OFFSET + 4 == FIXED_SIZE);
}

/// `stream.intent` (docs/formats/stream-intent.md).
pub mod intent {
    pub const MAGIC: [u8; 8] = *b"NATRINTN";
    pub const VERSION_OFFSET: usize = 8;
    pub const KIND_OFFSET: usize = 10;
    pub const RESERVED_OFFSET: usize = 11;
    pub const BLOCK_OFFSET: usize = 12;
    pub const SEQ_OFFSET: usize = 16;
    pub const TS_OFFSET: usize = 24;
    pub const RANGE_COUNT_OFFSET: usize = 32;
    /// Erase: the record's byte offset in block `BLOCK_OFFSET` (0 for the other kinds).
    pub const RECORD_OFFSET_OFFSET: usize = 36;
    /// Removed ranges start here; the crc follows them.
    pub const FIXED_SIZE: usize = 40;
    /// One removed range: first u64, last u64 (inclusive).
    pub const RANGE_SIZE: usize = 16;
    const _: () = assert!(RESERVED_OFFSET + 1 == BLOCK_OFFSET);
    const _: () = assert!(RECORD_OFFSET_OFFSET + 4 == FIXED_SIZE);
}
