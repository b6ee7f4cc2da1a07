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
    assert_eq!(view.ttl_ns, input.ttl_ns);
    assert_eq!(view.flags.ttl(), input.ttl_ns.is_some());
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
fn a_ttl_travels_in_every_mode_and_costs_eight_bytes() {
    let payload = b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc".repeat(4);
    let plain = RecordInput::message(9, 5, b"kv.k", b"NATS/1.0\r\nA: b\r\n\r\n", &payload);
    let with_ttl = plain.with_ttl_ns(Some(30_000_000_000));
    for kind in [
        CipherKind::None,
        CipherKind::Aes256Gcm,
        CipherKind::ChaCha20Poly1305,
    ] {
        for compress in [false, true] {
            let bytes = assert_roundtrip(&with_ttl, compress, kind);
            let without = assert_roundtrip(&plain, compress, kind);
            assert_eq!(bytes.len(), without.len() + crate::layout::record::TTL_SIZE);
            let view = RecordView::decode(&bytes, 0, &Limits::default()).unwrap();
            // Accounting ignores the TTL bytes, like compression and encryption.
            assert_eq!(
                view.message_bytes(),
                message_bytes(4, with_ttl.headers.len() as u64, payload.len() as u64)
            );
        }
    }
    // Zero is a value, not "none".
    assert_roundtrip(
        &RecordInput::message(1, 0, b"s", b"", b"").with_ttl_ns(Some(0)),
        false,
        CipherKind::None,
    );
}

#[test]
fn an_encrypted_ttl_is_authenticated() {
    let input = RecordInput::message(4, 0, b"s", b"", b"secret").with_ttl_ns(Some(7));
    let mut bytes = encode(&input, false, CipherKind::Aes256Gcm);
    // Change the TTL and reseal the crcs: only the AEAD tag can notice.
    let ttl_at = crate::layout::record::HEADER_SIZE + 1;
    bytes[ttl_at] ^= 1;
    let crc_at = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..crc_at]);
    bytes[crc_at..].copy_from_slice(&crc.to_le_bytes());
    let view = RecordView::decode(&bytes, 0, &Limits::default()).unwrap();
    assert_eq!(view.ttl_ns, Some(6));
    let mut scratch = Vec::new();
    assert!(
        view.body(cipher(CipherKind::Aes256Gcm).as_ref(), &mut scratch)
            .is_err()
    );
}

#[test]
fn a_tombstone_with_a_ttl_is_refused_both_ways() {
    let input = RecordInput::tombstone(1, 0, b"").with_ttl_ns(Some(5));
    let mut out = Vec::new();
    let mut encoder = RecordEncoder::new(Limits::default(), false);
    assert!(encoder.encode(&input, None, &mut out).is_err());
    // A tombstone whose flags claim a TTL (crcs resealed) does not decode.
    let message = RecordInput::message(1, 0, b"", b"", b"").with_ttl_ns(Some(5));
    let mut bytes = encode(&message, false, CipherKind::None);
    let flags = RecordFlags::TOMBSTONE | RecordFlags::TTL;
    bytes[crate::layout::record::FLAGS_OFFSET..][..2].copy_from_slice(&flags.to_le_bytes());
    let header_crc = crc32fast::hash(&bytes[..crate::layout::record::HEADER_CRC_OFFSET]);
    bytes[crate::layout::record::HEADER_CRC_OFFSET..][..4]
        .copy_from_slice(&header_crc.to_le_bytes());
    let crc_at = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..crc_at]);
    bytes[crc_at..].copy_from_slice(&crc.to_le_bytes());
    assert!(RecordView::decode(&bytes, 0, &Limits::default()).is_err());
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
        ttl_ns in proptest::option::of(any::<u64>()),
    ) {
        let input = RecordInput::message(seq, ts, &subject, &headers, &payload).with_ttl_ns(ttl_ns);
        assert_roundtrip(&input, compress, kind);
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
