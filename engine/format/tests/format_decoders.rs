//! Every decoder on arbitrary and on mutated-valid input: never panics, and whatever decodes
//! re-encodes to exactly the bytes it came from (so no two encodings share a meaning). The
//! same properties the fuzz targets check, at a small fixed case count.

use natrium_format::{
    BlockHeader, CipherKind, Compression, ConsumerLimits, ConsumerState, Limits, RecordEncoder,
    RecordInput, RecordView, StateLimits, StreamKey, StreamMeta, StreamState,
};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("NATRIUM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Valid encodings of each file kind, to mutate.
fn seeds() -> Vec<Vec<u8>> {
    let mut header = Vec::new();
    BlockHeader::new(3, CipherKind::Aes256Gcm, Compression::Snappy).encode(&mut header);
    let mut meta = Vec::new();
    let key = StreamKey::derive(b"k", b"S");
    StreamMeta::new(
        "S",
        CipherKind::Aes256Gcm,
        Some(&key),
        Compression::None,
        4096,
    )
    .encode(&mut meta)
    .unwrap();
    let mut state = Vec::new();
    StreamState {
        first_seq: 1,
        last_seq: 9,
        msgs: 7,
        deleted: vec![(2, 3)],
        ..StreamState::default()
    }
    .encode(&mut state)
    .unwrap();
    let mut consumer = Vec::new();
    let mut c = ConsumerState::default();
    c.redelivered.insert(4, 2);
    c.encode(&mut consumer).unwrap();
    let mut record = Vec::new();
    RecordEncoder::new(Limits::default(), true)
        .encode(
            &RecordInput::message(5, 6, b"a.b", b"h", b"pppppppppppp"),
            None,
            &mut record,
        )
        .unwrap();
    vec![header, meta, state, consumer, record]
}

fn check_all(bytes: &[u8]) {
    if let Ok(header) = BlockHeader::decode(bytes) {
        let mut out = Vec::new();
        header.encode(&mut out);
        assert_eq!(Some(&out[..]), bytes.get(..out.len()));
    }
    if let Ok(meta) = StreamMeta::decode(bytes) {
        let mut out = Vec::new();
        meta.encode(&mut out).unwrap();
        assert_eq!(out, bytes);
    }
    if let Ok(state) = StreamState::decode(bytes, &StateLimits::default()) {
        let mut out = Vec::new();
        state.encode(&mut out).unwrap();
        assert_eq!(out, bytes);
    }
    if let Ok(consumer) = ConsumerState::decode(bytes, &ConsumerLimits::default()) {
        let mut out = Vec::new();
        consumer.encode(&mut out).unwrap();
        assert_eq!(out, bytes);
    }
    if let Ok(view) = RecordView::decode(bytes, 0, &Limits::default()) {
        let mut scratch = Vec::new();
        let _ = view.body(None, &mut scratch);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        check_all(&bytes);
    }

    #[test]
    fn mutated_valid_files(
        which in 0usize..5,
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..4),
        cut in proptest::option::of(any::<proptest::sample::Index>()),
    ) {
        let mut bytes = seeds().swap_remove(which);
        for (at, value) in edits {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        check_all(&bytes);
    }
}

#[test]
fn seeds_decode() {
    for seed in seeds() {
        check_all(&seed);
    }
    let seeds = seeds();
    assert!(BlockHeader::decode(&seeds[0]).is_ok());
    assert!(StreamMeta::decode(&seeds[1]).is_ok());
    assert!(StreamState::decode(&seeds[2], &StateLimits::default()).is_ok());
    assert!(ConsumerState::decode(&seeds[3], &ConsumerLimits::default()).is_ok());
    assert!(RecordView::decode(&seeds[4], 0, &Limits::default()).is_ok());
}
