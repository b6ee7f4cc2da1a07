//! Unit and property tests of the frame decoder and encoder.

use proptest::prelude::*;

use super::*;

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A client frame: `first` byte as given, masked with `KEY` unless `masked` is false.
fn client_frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut frame = vec![first];
    let mask_bit = if masked { MASK } else { 0 };
    match payload.len() {
        len @ 0..=125 => frame.push(mask_bit | len as u8),
        len @ 126..=65535 => {
            frame.push(mask_bit | LENGTH_U16);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(mask_bit | LENGTH_U64);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    if masked {
        frame.extend_from_slice(&KEY);
        frame.extend(
            payload
                .iter()
                .enumerate()
                .map(|(index, byte)| byte ^ KEY[index % 4]),
        );
    } else {
        frame.extend_from_slice(payload);
    }
    frame
}

fn binary(payload: &[u8]) -> Vec<u8> {
    client_frame(FIN | Opcode::Binary as u8, payload, true)
}

/// Everything the decoder yields for `wire` fed in `chunks`: the data bytes, and the
/// control events in order.
fn run(
    decoder: &mut Decoder,
    wire: &[u8],
    chunk: usize,
    data_max: usize,
) -> Result<(Vec<u8>, Vec<Event>), FrameError> {
    let mut data = Vec::new();
    let mut events = Vec::new();
    for piece in wire.chunks(chunk.max(1)) {
        let mut piece = piece.to_vec();
        let mut offset = 0;
        while offset < piece.len() {
            let decoded = decoder.decode(&mut piece[offset..], data_max)?;
            match decoded.event {
                Some(Event::Data(range)) => {
                    assert!(range.len() <= data_max);
                    data.extend_from_slice(&piece[offset + range.start..offset + range.end]);
                }
                Some(other) => events.push(other),
                None => assert_eq!(decoded.consumed, piece.len() - offset),
            }
            offset += decoded.consumed;
        }
    }
    Ok((data, events))
}

#[test]
fn a_masked_binary_frame_is_unmasked() {
    let mut decoder = Decoder::new(1024);
    let (data, events) = run(&mut decoder, &binary(b"PING\r\n"), 64, 64).expect("decodes");
    assert_eq!(data, b"PING\r\n");
    assert!(events.is_empty());
}

#[test]
fn text_frames_carry_protocol_bytes_as_binary_ones_do() {
    let mut decoder = Decoder::new(1024);
    let wire = client_frame(FIN | Opcode::Text as u8, b"SUB a 1\r\n", true);
    let (data, _) = run(&mut decoder, &wire, 3, 64).expect("decodes");
    assert_eq!(data, b"SUB a 1\r\n");
}

#[test]
fn continuation_frames_join_with_a_ping_between() {
    let mut wire = client_frame(Opcode::Binary as u8, b"PUB a 5\r\nhe", true);
    wire.extend(client_frame(FIN | Opcode::Ping as u8, b"hi", true));
    wire.extend(client_frame(Opcode::Continuation as u8, b"ll", true));
    wire.extend(client_frame(
        FIN | Opcode::Continuation as u8,
        b"o\r\n",
        true,
    ));
    let mut decoder = Decoder::new(1024);
    let (data, events) = run(&mut decoder, &wire, 1000, 1000).expect("decodes");
    assert_eq!(data, b"PUB a 5\r\nhello\r\n");
    assert_eq!(events.len(), 1);
    let Event::Ping(payload) = &events[0] else {
        panic!("a ping, got {events:?}");
    };
    assert_eq!(payload.as_slice(), b"hi");
}

#[test]
fn extended_lengths_decode() {
    for size in [125, 126, 65535, 65536, 70_000] {
        let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut decoder = Decoder::new(100_000);
        let (data, _) = run(&mut decoder, &binary(&payload), 4096, 1000).expect("decodes");
        assert_eq!(data, payload, "size {size}");
    }
}

#[test]
fn an_unmasked_frame_is_refused_as_go_does() {
    let mut decoder = Decoder::new(1024);
    let wire = client_frame(FIN | Opcode::Binary as u8, b"PING\r\n", false);
    let error = run(&mut decoder, &wire, 64, 64).expect_err("refused");
    assert_eq!(error, FrameError::MaskMissing);
    assert_eq!(error.status(), CLOSE_PROTOCOL_ERROR);
    assert_eq!(error.to_string(), "mask bit missing");
    assert!(decoder.is_done());
}

#[test]
fn an_oversized_frame_is_refused_from_its_header() {
    let mut decoder = Decoder::new(1000);
    // Only the header: the refusal must not wait for (or buffer) the payload.
    let mut header = vec![FIN | Opcode::Binary as u8, MASK | LENGTH_U64];
    header.extend_from_slice(&(1u64 << 40).to_be_bytes());
    header.extend_from_slice(&KEY);
    let error = decoder.decode(&mut header, 64).expect_err("refused");
    assert_eq!(
        error,
        FrameError::TooBig {
            length: 1 << 40,
            max: 1000
        }
    );
    assert_eq!(error.status(), CLOSE_MESSAGE_TOO_BIG);
}

#[test]
fn protocol_errors_as_go_names_them() {
    let cases: Vec<(Vec<u8>, FrameError)> = vec![
        (
            client_frame(FIN | Opcode::Ping as u8, &[0; 126], true),
            FrameError::ControlTooLong,
        ),
        (
            client_frame(Opcode::Ping as u8, b"", true),
            FrameError::ControlFragmented,
        ),
        (
            client_frame(FIN | Opcode::Continuation as u8, b"x", true),
            FrameError::InvalidContinuation,
        ),
        (
            client_frame(FIN | 3, b"x", true),
            FrameError::UnknownOpcode(3),
        ),
        (
            client_frame(FIN | 0x40 | Opcode::Binary as u8, b"x", true),
            FrameError::ReservedBits,
        ),
    ];
    for (wire, expected) in cases {
        let mut decoder = Decoder::new(1024);
        assert_eq!(run(&mut decoder, &wire, 1, 8), Err(expected));
    }
    let mut wire = client_frame(Opcode::Binary as u8, b"a", true);
    wire.extend(binary(b"b"));
    let mut decoder = Decoder::new(1024);
    assert_eq!(
        run(&mut decoder, &wire, 64, 8),
        Err(FrameError::MessageNotFinished)
    );
}

#[test]
fn a_close_ends_decoding_and_is_echoed() {
    let mut wire = binary(b"PING\r\n");
    let mut close = 1000u16.to_be_bytes().to_vec();
    close.extend_from_slice(b"bye");
    wire.extend(client_frame(FIN | Opcode::Close as u8, &close, true));
    wire.extend(binary(b"ignored"));
    let mut decoder = Decoder::new(1024);
    let (data, events) = run(&mut decoder, &wire, 5, 64).expect("decodes");
    assert_eq!(data, b"PING\r\n");
    let [Event::Close(close)] = events.as_slice() else {
        panic!("one close, got {events:?}");
    };
    assert_eq!(close.status, Some(1000));
    assert_eq!(close.reply(), vec![FIN | 8, 2, 0x03, 0xe8]);
    assert!(decoder.is_done());
}

#[test]
fn a_close_with_a_bad_reason_is_answered_with_1007() {
    let mut payload = 1000u16.to_be_bytes().to_vec();
    payload.extend_from_slice(&[0xff, 0xfe]);
    let wire = client_frame(FIN | Opcode::Close as u8, &payload, true);
    let mut decoder = Decoder::new(1024);
    let (_, events) = run(&mut decoder, &wire, 64, 64).expect("decodes");
    let [Event::Close(close)] = events.as_slice() else {
        panic!("one close");
    };
    let reply = close.reply();
    assert_eq!(&reply[2..4], &CLOSE_INVALID_PAYLOAD.to_be_bytes());
    let empty = client_frame(FIN | Opcode::Close as u8, b"", true);
    let mut decoder = Decoder::new(1024);
    let (_, events) = run(&mut decoder, &empty, 64, 64).expect("decodes");
    let [Event::Close(close)] = events.as_slice() else {
        panic!("one close");
    };
    assert_eq!(close.reply(), vec![FIN | 8, 0]);
}

#[test]
fn server_frames_are_unmasked_with_minimal_lengths() {
    assert_eq!(&encode_header(Opcode::Binary, 5).0[..2], &[0x82, 5]);
    let (header, used) = encode_header(Opcode::Binary, 300);
    assert_eq!(&header[..used], &[0x82, 126, 1, 44]);
    let (header, used) = encode_header(Opcode::Binary, 70_000);
    assert_eq!(used, 10);
    assert_eq!(&header[2..10], &70_000u64.to_be_bytes());
    let long = "x".repeat(300);
    let close = encode_close(CLOSE_PROTOCOL_ERROR, &long);
    assert_eq!(close.len(), 2 + CONTROL_PAYLOAD_MAX);
    assert!(close.ends_with(b"..."));
}

proptest! {
    /// Protocol bytes split into frames of any sizes, then fed split at any byte and read in
    /// reads of any size, come out whole and in order.
    #[test]
    fn any_split_gives_the_same_bytes(
        payload in proptest::collection::vec(any::<u8>(), 0..600),
        frame_size in 1usize..200,
        chunk in 1usize..40,
        data_max in 1usize..50,
        pings in proptest::collection::vec(any::<bool>(), 0..8),
    ) {
        let mut wire = Vec::new();
        let frames: Vec<&[u8]> = payload.chunks(frame_size).collect();
        for (index, part) in frames.iter().enumerate() {
            let first = if index == 0 { Opcode::Binary as u8 } else { 0 };
            let fin = if index + 1 == frames.len() { FIN } else { 0 };
            wire.extend(client_frame(first | fin, part, true));
            if pings.get(index).copied().unwrap_or(false) {
                wire.extend(client_frame(FIN | Opcode::Ping as u8, b"p", true));
            }
        }
        let mut decoder = Decoder::new(1024);
        let (data, _) = run(&mut decoder, &wire, chunk, data_max).expect("decodes");
        prop_assert_eq!(data, payload);
    }

    /// Every split point of one frame sequence gives the same result.
    #[test]
    fn every_split_point_of_a_frame_works(split in 0usize..40) {
        let mut wire = binary(b"PUB a 2\r\nhi\r\n");
        wire.extend(client_frame(FIN | Opcode::Ping as u8, b"x", true));
        let split = split.min(wire.len());
        let mut decoder = Decoder::new(1024);
        let mut data = Vec::new();
        for piece in [&wire[..split], &wire[split..]] {
            let (bytes, _) = run(&mut decoder, piece, piece.len().max(1), 64).expect("decodes");
            data.extend(bytes);
        }
        prop_assert_eq!(data, b"PUB a 2\r\nhi\r\n".to_vec());
    }

    /// No input makes the decoder panic; every call consumes something or yields an event.
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut decoder = Decoder::new(64);
        let mut input = bytes;
        let mut offset = 0;
        while offset < input.len() {
            match decoder.decode(&mut input[offset..], 16) {
                Ok(decoded) => {
                    prop_assert!(decoded.consumed > 0 || decoded.event.is_some());
                    offset += decoded.consumed;
                }
                Err(_) => break,
            }
        }
    }
}
