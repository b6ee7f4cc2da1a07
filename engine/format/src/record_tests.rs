//! Record codec tests: roundtrips in every body mode, and detection of every single bit flip
//! and every truncation (unit tests plus proptest).

use super::*;
use crate::cipher::{CipherKind, StreamKey, random_nonce};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("NATRIUM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

fn cipher(kind: CipherKind) -> Option<RecordCipher> {
    RecordCipher::new(kind, &StreamKey::derive(b"key", b"STREAM"))
}

fn encode(input: &RecordInput<'_>, compress: bool, kind: CipherKind) -> Vec<u8> {
    let cipher = cipher(kind);
    let mut encoder = RecordEncoder::new(Limits::default(), compress);
    let mut out = vec![0xAA; 5]; // existing bytes must be preserved
    let seal = cipher.as_ref().map(|c| (c, random_nonce()));
    let len = encoder.encode(input, seal, &mut out).unwrap();
    assert_eq!(&out[..5], &[0xAA; 5]);
    assert_eq!(len as usize, out.len() - 5);
    out.split_off(5)
}

fn assert_roundtrip(input: &RecordInput<'_>, compress: bool, kind: CipherKind) -> Vec<u8> {
    let bytes = encode(input, compress, kind);
    let view = RecordView::decode(&bytes, 100, &Limits::default()).unwrap();
    assert_eq!(view.offset, 100);
    assert_eq!(view.seq, input.seq);
    assert_eq!(view.timestamp_ns, input.timestamp_ns);
    assert_eq!(view.subject, input.subject);
    assert_eq!(view.is_tombstone(), input.tombstone);
    assert_eq!(view.len() as usize, bytes.len());
    let cipher = cipher(kind);
    let mut scratch = Vec::new();
    let body = view.body(cipher.as_ref(), &mut scratch).unwrap();
    assert_eq!(body.headers, input.headers);
    assert_eq!(body.payload, input.payload);
    bytes
}

#[test]
fn every_mode_roundtrips() {
    let payload = b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc".repeat(10);
    let input = RecordInput::message(9, -5, b"orders.eu", b"NATS/1.0\r\nA: b\r\n\r\n", &payload);
    for kind in [
        CipherKind::None,
        CipherKind::Aes256Gcm,
        CipherKind::ChaCha20Poly1305,
    ] {
        for compress in [false, true] {
            let bytes = assert_roundtrip(&input, compress, kind);
            let view = RecordView::decode(&bytes, 0, &Limits::default()).unwrap();
            assert_eq!(view.flags.compressed(), compress, "{kind:?}");
            assert_eq!(view.flags.encrypted(), kind != CipherKind::None);
        }
    }
    assert_roundtrip(
        &RecordInput::tombstone(3, 7, b""),
        true,
        CipherKind::Aes256Gcm,
    );
    assert_roundtrip(
        &RecordInput::message(1, 0, b"", b"", b""),
        true,
        CipherKind::None,
    );
}

#[test]
fn incompressible_bodies_are_stored_plain() {
    let payload: Vec<u8> = (0..64u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    let bytes = encode(
        &RecordInput::message(1, 0, b"s", b"", &payload),
        true,
        CipherKind::None,
    );
    let view = RecordView::decode(&bytes, 0, &Limits::default()).unwrap();
    assert!(!view.flags.compressed());
    assert_eq!(view.stored_body, &payload[..]);
}

#[test]
fn encrypted_record_needs_the_right_key() {
    let input = RecordInput::message(4, 0, b"s", b"", b"secret payload");
    let bytes = encode(&input, false, CipherKind::Aes256Gcm);
    let view = RecordView::decode(&bytes, 0, &Limits::default()).unwrap();
    let mut scratch = Vec::new();
    assert_eq!(
        view.body(None, &mut scratch),
        Err(Error::KeyRequired { seq: 4 })
    );
    let wrong = RecordCipher::new(
        CipherKind::Aes256Gcm,
        &StreamKey::derive(b"nope", b"STREAM"),
    );
    assert_eq!(
        view.body(wrong.as_ref(), &mut scratch),
        Err(Error::Authentication { seq: 4 })
    );
}

#[test]
fn limits_are_enforced_on_both_sides() {
    let tight = Limits {
        subject_len_max: 4,
        headers_len_max: 4,
        record_len_max: 64,
    };
    let mut encoder = RecordEncoder::new(tight, false);
    let mut out = Vec::new();
    let too_long_subject = RecordInput::message(1, 0, b"abcde", b"", b"");
    assert!(matches!(
        encoder.encode(&too_long_subject, None, &mut out),
        Err(Error::Limit {
            what: "subject length",
            ..
        })
    ));
    let too_big = RecordInput::message(1, 0, b"a", b"", &[0; 100]);
    assert!(matches!(
        encoder.encode(&too_big, None, &mut out),
        Err(Error::Limit {
            what: "record length",
            ..
        })
    ));
    assert!(
        out.is_empty(),
        "a failed encode leaves the buffer untouched"
    );
    let bytes = encode(
        &RecordInput::message(1, 0, b"abcdef", b"", b""),
        false,
        CipherKind::None,
    );
    assert!(matches!(
        RecordView::decode(&bytes, 0, &tight),
        Err(Error::Limit {
            what: "subject length",
            ..
        })
    ));
}

#[test]
fn tombstone_with_body_is_refused() {
    let mut input = RecordInput::tombstone(1, 0, b"");
    input.payload = b"x";
    let mut out = Vec::new();
    let mut encoder = RecordEncoder::new(Limits::default(), false);
    assert!(encoder.encode(&input, None, &mut out).is_err());
}

fn kind_strategy() -> impl Strategy<Value = CipherKind> {
    prop_oneof![
        Just(CipherKind::None),
        Just(CipherKind::Aes256Gcm),
        Just(CipherKind::ChaCha20Poly1305)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn roundtrip_any_record(
        seq in any::<u64>(),
        ts in any::<i64>(),
        subject in proptest::collection::vec(any::<u8>(), 0..40),
        headers in proptest::collection::vec(0u8..4, 0..60),
        payload in proptest::collection::vec(0u8..4, 0..300),
        compress in any::<bool>(),
        kind in kind_strategy(),
    ) {
        assert_roundtrip(&RecordInput::message(seq, ts, &subject, &headers, &payload), compress, kind);
    }

    #[test]
    fn any_bit_flip_or_truncation_is_detected(
        payload in proptest::collection::vec(any::<u8>(), 0..120),
        compress in any::<bool>(),
        kind in kind_strategy(),
        flip in any::<proptest::sample::Index>(),
        cut in any::<proptest::sample::Index>(),
    ) {
        let input = RecordInput::message(42, 1, b"a.b", b"h", &payload);
        let bytes = encode(&input, compress, kind);
        let mut bad = bytes.clone();
        let bit = flip.index(bytes.len() * 8);
        bad[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(RecordView::decode(&bad, 0, &Limits::default()).is_err());
        let len = cut.index(bytes.len());
        prop_assert!(RecordView::decode(&bytes[..len], 0, &Limits::default()).is_err());
    }

    #[test]
    fn decode_never_panics(buf in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(view) = RecordView::decode(&buf, 0, &Limits::default()) {
            let mut scratch = Vec::new();
            let _ = view.body(None, &mut scratch);
        }
    }
}
