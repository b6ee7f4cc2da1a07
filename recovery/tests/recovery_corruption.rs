//! Corruption property test: random bit flips and truncations of a generated block and
//! checkpoint. Scanning never panics; Strict reports the damage; Salvage keeps every record
//! that does not overlap it. Cases: NATRIUM_PROPTEST_CASES (default 64).

use std::path::Path;

use natrium_format::{
    BlockHeader, BlockSummary, CipherKind, Compression, Limits, RecordEncoder, RecordInput,
    StateLimits, StreamState,
};
use natrium_recovery::{RecoveryMode, ScanOptions, scan_block};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("NATRIUM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// A block of `sizes.len()` records; returns bytes and each record's `(start, end, seq)`.
fn block(sizes: &[usize], compress: bool) -> (Vec<u8>, Vec<(usize, usize, u64)>) {
    let mut bytes = Vec::new();
    BlockHeader::new(7, CipherKind::None, Compression::None).encode(&mut bytes);
    let mut encoder = RecordEncoder::new(Limits::default(), compress);
    let mut records = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let seq = i as u64 + 1;
        let start = bytes.len();
        let payload: Vec<u8> = (0..size).map(|j| b'a' + ((j * 7 + i) % 26) as u8).collect();
        let input = if size % 11 == 3 {
            RecordInput::tombstone(seq, 5, b"gone")
        } else {
            RecordInput::message(seq, seq as i64, b"events.x", b"", &payload)
        };
        encoder.encode(&input, None, &mut bytes).unwrap();
        records.push((start, bytes.len(), seq));
    }
    (bytes, records)
}

fn scan(bytes: &[u8], mode: RecoveryMode, last: bool) -> Option<Vec<u64>> {
    let options = ScanOptions::new(mode, Path::new("blocks/0000000007.blk"), last);
    let mut seqs = Vec::new();
    scan_block(bytes, &options, |view| seqs.push(view.seq)).ok()?;
    Some(seqs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn bit_flips_are_reported_and_salvage_keeps_the_rest(
        sizes in proptest::collection::vec(0usize..200, 1..12),
        compress in any::<bool>(),
        flips in proptest::collection::vec(any::<proptest::sample::Index>(), 1..4),
        last in any::<bool>(),
    ) {
        let (mut bytes, records) = block(&sizes, compress);
        // Distinct bits, so two flips never cancel out.
        let bits: std::collections::BTreeSet<usize> =
            flips.iter().map(|f| f.index(bytes.len() * 8)).collect();
        let mut damaged = Vec::new();
        for bit in bits {
            bytes[bit / 8] ^= 1 << (bit % 8);
            damaged.push(bit / 8);
        }
        for mode in [RecoveryMode::Strict, RecoveryMode::TruncateTornTail] {
            if mode == RecoveryMode::Strict || !last {
                prop_assert!(scan(&bytes, mode, last).is_none(), "{mode:?} accepted a flip");
            } else {
                let _ = scan(&bytes, mode, last);
            }
        }
        let kept = scan(&bytes, RecoveryMode::Salvage, last).expect("salvage never fails");
        for (start, end, seq) in &records {
            let hit = damaged.iter().any(|b| (start..end).contains(&b));
            if !hit {
                prop_assert!(kept.contains(seq), "lost intact record {seq}: kept {kept:?}");
            }
        }
    }

    #[test]
    fn truncations_are_torn_tails(
        sizes in proptest::collection::vec(0usize..200, 1..12),
        cut in any::<proptest::sample::Index>(),
    ) {
        let (bytes, records) = block(&sizes, false);
        let len = cut.index(bytes.len());
        let cut_bytes = &bytes[..len];
        let whole: Vec<u64> = records.iter().filter(|r| r.1 <= len).map(|r| r.2).collect();
        let on_boundary = len == 32 || records.iter().any(|r| r.1 == len);
        match scan(cut_bytes, RecoveryMode::Strict, true) {
            Some(seqs) => {
                prop_assert!(on_boundary);
                prop_assert_eq!(seqs, whole.clone());
            }
            None => prop_assert!(!on_boundary),
        }
        let kept = scan(cut_bytes, RecoveryMode::TruncateTornTail, true).expect("torn tail");
        prop_assert_eq!(&kept, &whole);
        prop_assert_eq!(scan(cut_bytes, RecoveryMode::Salvage, true).unwrap(), whole);
    }

    #[test]
    fn scanning_arbitrary_bytes_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        last in any::<bool>(),
    ) {
        for mode in [RecoveryMode::Strict, RecoveryMode::TruncateTornTail, RecoveryMode::Salvage] {
            let _ = scan(&bytes, mode, last);
        }
    }

    #[test]
    fn checkpoint_flips_and_truncations_are_detected(
        blocks in 0usize..5,
        flip in any::<proptest::sample::Index>(),
        cut in any::<proptest::sample::Index>(),
    ) {
        let state = StreamState {
            first_seq: 1,
            last_seq: 40,
            msgs: 30,
            blocks: (0..blocks)
                .map(|i| BlockSummary { index: i as u32, end_offset: 100, ..BlockSummary::default() })
                .collect(),
            deleted: vec![(3, 9), (12, 15)],
            ..StreamState::default()
        };
        let mut bytes = Vec::new();
        state.encode(&mut bytes).unwrap();
        let limits = StateLimits::default();
        let mut flipped = bytes.clone();
        let bit = flip.index(bytes.len() * 8);
        flipped[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(StreamState::decode(&flipped, &limits).is_err());
        prop_assert!(StreamState::decode(&bytes[..cut.index(bytes.len())], &limits).is_err());
    }
}
