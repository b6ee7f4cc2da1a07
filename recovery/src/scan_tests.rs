//! Scanner tests on in-memory blocks: clean scan, torn tail, mid-block damage per mode.

use super::*;
use natrium_format::{CipherKind, Compression, RecordEncoder, RecordInput};

/// A block of `count` records (seq 1..=count); returns the bytes and each record's offset.
pub(crate) fn block(count: u64) -> (Vec<u8>, Vec<usize>) {
    let mut bytes = Vec::new();
    BlockHeader::new(1, CipherKind::None, Compression::None).encode(&mut bytes);
    let mut encoder = RecordEncoder::new(Limits::default(), false);
    let mut offsets = Vec::new();
    for seq in 1..=count {
        offsets.push(bytes.len());
        let payload = format!("message number {seq}");
        let input = RecordInput::message(seq, seq as i64, b"a.b", b"", payload.as_bytes());
        encoder.encode(&input, None, &mut bytes).unwrap();
    }
    (bytes, offsets)
}

fn run(bytes: &[u8], mode: RecoveryMode, last: bool) -> (Result<BlockScan>, Vec<u64>) {
    let path = Path::new("blocks/0000000001.blk");
    let mut seqs = Vec::new();
    let result = scan_block(bytes, &ScanOptions::new(mode, path, last), |v| {
        seqs.push(v.seq)
    });
    (result, seqs)
}

#[test]
fn clean_block_scans_in_every_mode() {
    let (bytes, _) = block(5);
    for mode in [
        RecoveryMode::Strict,
        RecoveryMode::TruncateTornTail,
        RecoveryMode::Salvage,
    ] {
        let (result, seqs) = run(&bytes, mode, true);
        let scan = result.unwrap();
        assert!(scan.is_clean());
        assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
        assert_eq!(scan.valid_end, bytes.len() as u64);
    }
}

#[test]
fn torn_tail_is_cut_only_on_the_last_block_and_not_in_strict() {
    let (bytes, offsets) = block(5);
    let torn = &bytes[..offsets[4] + 10];
    let (result, seqs) = run(torn, RecoveryMode::TruncateTornTail, true);
    let scan = result.unwrap();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    assert_eq!(scan.torn_tail, Some((offsets[4] as u64, torn.len() as u64)));
    assert_eq!(scan.valid_end, offsets[4] as u64);
    let (result, _) = run(torn, RecoveryMode::TruncateTornTail, false);
    assert!(matches!(result, Err(Error::Corrupt { offset, .. }) if offset == offsets[4] as u64));
    let (result, _) = run(torn, RecoveryMode::Strict, true);
    let message = result.unwrap_err().to_string();
    assert!(message.contains("0000000001.blk"), "{message}");
    assert!(message.contains(&offsets[4].to_string()), "{message}");
}

#[test]
fn mid_block_damage_fails_torn_tail_mode_and_salvage_resyncs() {
    let (mut bytes, offsets) = block(6);
    bytes[offsets[2] + 40] ^= 0x10; // inside record 3's subject
    let (result, _) = run(&bytes, RecoveryMode::TruncateTornTail, true);
    assert!(matches!(result, Err(Error::Corrupt { offset, .. }) if offset == offsets[2] as u64));
    let (result, seqs) = run(&bytes, RecoveryMode::Salvage, true);
    let scan = result.unwrap();
    assert_eq!(seqs, vec![1, 2, 4, 5, 6]);
    assert_eq!(scan.damaged.len(), 1);
    let damage = &scan.damaged[0];
    assert_eq!(
        (damage.start, damage.end),
        (offsets[2] as u64, offsets[3] as u64)
    );
    assert_eq!((damage.seq_before, damage.seq_after), (Some(2), Some(4)));
}

#[test]
fn damaged_header_is_salvaged_and_short_header_is_torn() {
    let (mut bytes, offsets) = block(3);
    bytes[3] ^= 1;
    let (result, _) = run(&bytes, RecoveryMode::TruncateTornTail, true);
    assert!(matches!(result, Err(Error::Corrupt { offset: 0, .. })));
    let (result, seqs) = run(&bytes, RecoveryMode::Salvage, true);
    let scan = result.unwrap();
    assert!(scan.header.is_none());
    assert_eq!(seqs, vec![1, 2, 3]);
    assert_eq!(
        (scan.damaged[0].start, scan.damaged[0].end),
        (0, offsets[0] as u64)
    );
    let (result, seqs) = run(&bytes[..20], RecoveryMode::TruncateTornTail, true);
    assert_eq!(result.unwrap().torn_tail, Some((0, 20)));
    assert!(seqs.is_empty());
}
