//! Unit tests of the parser: every verb, every error, and split invariance.

use super::*;

fn limits() -> ParserLimits {
    ParserLimits {
        control_line_max: 64,
        payload_max: 100,
    }
}

/// Parses one complete frame or panics.
fn frame(input: &[u8]) -> (Frame<'_>, usize) {
    match parse(input, &limits()) {
        Ok(Parsed::Frame { frame, consumed }) => (frame, consumed),
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    }
}

fn parse_error(input: &[u8]) -> Error {
    match parse(input, &limits()) {
        Err(error) => error,
        other => panic!(
            "{:?}: expected an error, got {other:?}",
            String::from_utf8_lossy(input)
        ),
    }
}

/// Parses all frames of `input`, returning them as owned debug strings and the final state.
pub(super) fn parse_all(input: &[u8], limits: &ParserLimits) -> (Vec<String>, Option<String>) {
    let mut frames = Vec::new();
    let mut offset = 0;
    loop {
        match parse(&input[offset..], limits) {
            Ok(Parsed::Frame { frame, consumed }) => {
                frames.push(format!("{frame:?}"));
                offset += consumed;
            }
            Ok(Parsed::Incomplete { .. }) => return (frames, None),
            Err(error) => return (frames, Some(format!("{:?}", error.client_text()))),
        }
    }
}

#[test]
fn pub_with_and_without_reply() {
    let (f, n) = frame(b"PUB foo 5\r\nhello\r\n");
    assert_eq!(
        f,
        Frame::Pub {
            subject: b"foo",
            reply: b"",
            payload: b"hello"
        }
    );
    assert_eq!(n, 18);
    let (f, _) = frame(b"pub foo.bar _INBOX.1  2\r\nhi\r\nPING\r\n");
    assert_eq!(
        f,
        Frame::Pub {
            subject: b"foo.bar",
            reply: b"_INBOX.1",
            payload: b"hi"
        }
    );
    let (f, _) = frame(b"PUB\tfoo\t0\n\r\n");
    assert_eq!(
        f,
        Frame::Pub {
            subject: b"foo",
            reply: b"",
            payload: b""
        }
    );
}

#[test]
fn hpub_splits_headers_from_payload() {
    let (f, n) = frame(b"HPUB foo r 12 14\r\nNATS/1.0\r\n\r\nab\r\n");
    assert_eq!(
        f,
        Frame::HPub {
            subject: b"foo",
            reply: b"r",
            headers: b"NATS/1.0\r\n\r\n",
            payload: b"ab"
        }
    );
    assert_eq!(n, 34);
    let (f, _) = frame(b"hpub foo 12 12\r\nNATS/1.0\r\n\r\n\r\n");
    assert_eq!(
        f,
        Frame::HPub {
            subject: b"foo",
            reply: b"",
            headers: b"NATS/1.0\r\n\r\n",
            payload: b""
        }
    );
}

#[test]
fn sub_unsub_and_simple_verbs() {
    assert_eq!(
        frame(b"SUB foo 1\r\n").0,
        Frame::Sub {
            subject: b"foo",
            queue: None,
            sid: b"1"
        }
    );
    assert_eq!(
        frame(b"sub foo.* q 22 \r\n").0,
        Frame::Sub {
            subject: b"foo.*",
            queue: Some(b"q"),
            sid: b"22"
        }
    );
    assert_eq!(
        frame(b"UNSUB 1\r\n").0,
        Frame::Unsub {
            sid: b"1",
            max: None
        }
    );
    assert_eq!(
        frame(b"UnSub 1 10\r\n").0,
        Frame::Unsub {
            sid: b"1",
            max: Some(10)
        }
    );
    assert_eq!(
        frame(b"UNSUB 1 x\r\n").0,
        Frame::Unsub {
            sid: b"1",
            max: Some(0)
        }
    );
    assert_eq!(frame(b"PING\r\n"), (Frame::Ping, 6));
    assert_eq!(frame(b"piNG\n"), (Frame::Ping, 5));
    assert_eq!(frame(b"PINGX\r\n").0, Frame::Ping);
    assert_eq!(frame(b"PONG\r\n").0, Frame::Pong);
    assert_eq!(frame(b"+ok\r\n").0, Frame::Ok);
    assert_eq!(frame(b"-ERR 'x'\r\n").0, Frame::Err(b"'x'"));
    assert_eq!(frame(b"INFO {}\r\n").0, Frame::Info(b"{}"));
    assert_eq!(
        frame(b"CONNECT {\"a\":1}\r\n").0,
        Frame::Connect(b"{\"a\":1}")
    );
    assert_eq!(frame(b"CONNECT{}\r\n").0, Frame::Connect(b"{}"));
}

#[test]
fn incomplete_is_not_an_error() {
    for input in [
        &b""[..],
        b"P",
        b"PU",
        b"PUB",
        b"PUB ",
        b"PUB foo 5\r",
        b"PUB foo 5\r\nhel",
        b"PUB foo 5\r\nhello",
        b"PUB foo 5\r\nhello\r",
        b"CONNECT {",
        b"PIN",
        b"-ER",
    ] {
        assert!(
            matches!(parse(input, &limits()), Ok(Parsed::Incomplete { .. })),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    assert_eq!(
        parse(b"PUB foo 5\r\nhe", &limits()).unwrap(),
        Parsed::Incomplete { needed: 11 + 5 + 2 }
    );
}

#[test]
fn unknown_operations() {
    for input in [
        &b"FOO\r\n"[..],
        b"\r\nPING\r\n",
        b" PING\r\n",
        b"PIN\r\n",
        b"PUBX foo 1\r\n",
        b"SUB\r\n",
        b"UNSUB\r\n",
        b"MSG foo 1 1\r\na\r\n",
        b"PUB foo 1\r\nab\r\n",
        b"PUB foo 1\r\na\r\r\n",
        b"-ERRX\r\n",
        b"-ERR\r\n",
        b"PUB foo 1\r\na\rP",
    ] {
        assert!(
            matches!(parse_error(input), Error::UnknownOperation),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    assert_eq!(
        parse_error(b"X").client_text(),
        Some("Unknown Protocol Operation")
    );
}

#[test]
fn malformed_arguments_close_silently() {
    for input in [
        &b"PUB foo\r\n"[..],
        b"PUB foo x\r\n",
        b"PUB foo -1\r\n",
        b"PUB foo 1234567890\r\n",
        b"PUB a b c 1\r\n",
        b"SUB foo\r\n",
        b"SUB a b c d\r\n",
        b"UNSUB 1 2 3\r\n",
        b"HPUB foo 3 2\r\n",
        b"HPUB foo 2\r\n",
        b"PUB \r\n",
    ] {
        let error = parse_error(input);
        assert!(
            matches!(error, Error::BadArguments { .. }),
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(error.client_text(), None);
    }
}

#[test]
fn limits_are_checked_before_the_payload_arrives() {
    let error = parse_error(b"PUB foo 101\r\n");
    assert!(matches!(
        error,
        Error::PayloadTooLarge {
            size: 101,
            max: 100
        }
    ));
    assert_eq!(error.client_text(), Some("Maximum Payload Violation"));
    assert!(matches!(
        parse(b"PUB foo 100\r\n", &limits()),
        Ok(Parsed::Incomplete { needed: 115 })
    ));

    let long = format!("SUB {} 1\r\n", "a".repeat(70));
    let error = parse_error(long.as_bytes());
    assert_eq!(error.client_text(), Some("maximum control line exceeded"));
    // Without a line end yet, the limit still applies to what is buffered.
    let unterminated = format!("PUB {}", "a".repeat(80));
    assert!(matches!(
        parse(unterminated.as_bytes(), &limits()),
        Err(Error::ControlLineTooLong { .. })
    ));
    let junk = format!("PING{}", " ".repeat(80));
    assert!(matches!(
        parse(junk.as_bytes(), &limits()),
        Err(Error::ControlLineTooLong { .. })
    ));
    // Exactly at the limit is fine, however the CRLF is split.
    let at_limit = format!("SUB {} 1\r\n", "a".repeat(62));
    assert!(matches!(
        parse(at_limit.as_bytes(), &limits()),
        Ok(Parsed::Frame { .. })
    ));
    let before_lf = &at_limit.as_bytes()[..at_limit.len() - 1];
    assert!(matches!(
        parse(before_lf, &limits()),
        Ok(Parsed::Incomplete { .. })
    ));
}

#[test]
fn frame_bytes_max_bounds_every_frame() {
    let limits = limits();
    let big = format!(
        "HPUB {} {} 50 100\r\n{}\r\n",
        "s".repeat(20),
        "r".repeat(20),
        "x".repeat(100)
    );
    let (frames, error) = parse_all(big.as_bytes(), &limits);
    assert_eq!((frames.len(), error), (1, None));
    assert!(big.len() <= limits.frame_bytes_max());
}

mod split {
    //! The same byte stream, split at random points, yields the same frames.
    use super::*;
    use proptest::prelude::*;

    fn cases() -> u32 {
        std::env::var("NATRIUM_PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256)
    }

    fn stream() -> impl Strategy<Value = Vec<u8>> {
        let frame = prop_oneof![
            ("[a-z]{1,8}", 0usize..40)
                .prop_map(|(s, n)| format!("PUB {s} {n}\r\n{}\r\n", "x".repeat(n))),
            ("[a-z]{1,8}", "[a-z]{1,8}", 0usize..20).prop_map(|(s, r, n)| format!(
                "HPUB {s} {r} 12 {}\r\nNATS/1.0\r\n\r\n{}\r\n",
                12 + n,
                "y".repeat(n)
            )),
            ("[a-z.*>]{1,10}", "[0-9]{1,3}").prop_map(|(s, sid)| format!("SUB {s} {sid}\r\n")),
            ("[a-z]{1,4}", "[0-9]{1,3}").prop_map(|(q, sid)| format!("sub foo {q} {sid}\r\n")),
            "[0-9]{1,3}".prop_map(|sid| format!("UNSUB {sid} 5\r\n")),
            Just("PING\r\n".to_owned()),
            Just("pong\n".to_owned()),
            Just("CONNECT {\"verbose\":false}\r\n".to_owned()),
            Just("+OK\r\n".to_owned()),
            Just("INFO {}\r\n".to_owned()),
            Just("-ERR 'x'\r\n".to_owned()),
        ];
        (
            proptest::collection::vec(frame, 1..12),
            proptest::option::of(any::<Vec<u8>>()),
        )
            .prop_map(|(frames, garbage)| {
                let mut bytes = frames.concat().into_bytes();
                bytes.extend(garbage.unwrap_or_default());
                bytes
            })
    }

    /// Feeds `input` in chunks cut at `cuts`, parsing as a connection would.
    fn parse_in_chunks(
        input: &[u8],
        cuts: &[usize],
        limits: &ParserLimits,
    ) -> (Vec<String>, Option<String>) {
        let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut % (input.len() + 1)).collect();
        cuts.push(input.len());
        cuts.sort_unstable();
        let mut buffer = Vec::new();
        let mut frames = Vec::new();
        let mut fed = 0;
        for cut in cuts {
            buffer.extend_from_slice(&input[fed..cut]);
            fed = cut;
            loop {
                match parse(&buffer, limits) {
                    Ok(Parsed::Frame { frame, consumed }) => {
                        frames.push(format!("{frame:?}"));
                        buffer.drain(..consumed);
                    }
                    Ok(Parsed::Incomplete { needed }) => {
                        assert!(needed > buffer.len());
                        assert!(needed <= limits.frame_bytes_max());
                        break;
                    }
                    Err(error) => return (frames, Some(format!("{:?}", error.client_text()))),
                }
            }
        }
        (frames, None)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]
        #[test]
        fn split_points_do_not_change_frames(input in stream(), cuts in proptest::collection::vec(any::<usize>(), 0..20)) {
            let limits = limits();
            let whole = parse_all(&input, &limits);
            let (frames, error) = parse_in_chunks(&input, &cuts, &limits);
            prop_assert_eq!(&frames, &whole.0);
            // The same error, as the client sees it (the byte counts inside may differ: a
            // split stream can notice a control-line overrun before the line ends).
            prop_assert_eq!(error, whole.1);
        }

        #[test]
        fn garbage_never_panics(input in any::<Vec<u8>>()) {
            let _ = parse_all(&input, &limits());
        }
    }
}
