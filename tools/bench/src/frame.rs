//! Inbound side of the raw NATS client: a reusable read buffer and an incremental parser
//! of the server's frames (`MSG`, `HMSG`, `PING`, `PONG`, `+OK`, `-ERR`, `INFO`).
//!
//! The parser borrows from the buffer and never copies a payload: a subscriber counts
//! frames at the rate the server can write them. It is sans-IO (the caller reads into
//! [`FrameBuffer::spare`] and calls [`FrameBuffer::commit`]) so it is tested on byte strings.
//! Nothing here panics on any input; malformed frames are errors.

use anyhow::{Result, bail};

/// Longest control line accepted (the Go server's `MAX_CONTROL_LINE_SIZE` is 4 KiB; `INFO`
/// lines with many `connect_urls` can be longer, hence the margin).
pub const CONTROL_LINE_BYTES_MAX: usize = 64 * 1024;
/// Largest payload accepted (the Go server's hard `max_payload` ceiling is 64 MiB).
pub const PAYLOAD_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Initial buffer size: large reads amortise the syscall over hundreds of small messages.
pub const READ_BYTES_DEFAULT: usize = 256 * 1024;
/// The buffer never grows past one maximal frame.
const BUFFER_BYTES_MAX: usize = CONTROL_LINE_BYTES_MAX + PAYLOAD_BYTES_MAX + 2;
/// Fewest free bytes offered to a read; below this the buffer is compacted or grown.
const READ_BYTES_MIN: usize = 16 * 1024;

/// One complete frame from the server, borrowing from the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// `MSG` or `HMSG`; `payload` includes the header block of an `HMSG`.
    Msg {
        subject: &'a [u8],
        reply: Option<&'a [u8]>,
        payload: &'a [u8],
    },
    Ping,
    Pong,
    Ok,
    /// `-ERR` with its text (quotes kept as sent).
    Err(String),
    /// `INFO`; the bench does not need its fields after the handshake.
    Info(&'a [u8]),
}

/// A read buffer holding unparsed bytes in `buf[start..end]`.
pub struct FrameBuffer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Default for FrameBuffer {
    fn default() -> Self {
        Self::with_capacity(READ_BYTES_DEFAULT)
    }
}

impl FrameBuffer {
    /// A buffer of `bytes` initial capacity (grown on demand for large frames).
    pub fn with_capacity(bytes: usize) -> Self {
        let bytes = bytes.clamp(READ_BYTES_MIN * 2, BUFFER_BYTES_MAX);
        Self {
            buf: vec![0; bytes],
            start: 0,
            end: 0,
        }
    }

    /// Free space to read into: compacts, and grows when a partial frame needs more room.
    pub fn spare(&mut self) -> Result<&mut [u8]> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end < READ_BYTES_MIN && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < READ_BYTES_MIN {
            let grown = (self.buf.len() * 2).min(BUFFER_BYTES_MAX);
            if grown <= self.buf.len() {
                bail!("frame larger than {BUFFER_BYTES_MAX} bytes");
            }
            self.buf.resize(grown, 0);
        }
        Ok(self.buf.get_mut(self.end..).unwrap_or_default())
    }

    /// Records that `bytes` were read into the slice returned by [`Self::spare`].
    pub fn commit(&mut self, bytes: usize) {
        self.end = (self.end + bytes).min(self.buf.len());
    }

    /// Parses the next complete frame; `Ok(None)` means more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>> {
        let pending = self.buf.get(self.start..self.end).unwrap_or_default();
        let Some(line_len) = memchr::memchr(b'\n', pending) else {
            if pending.len() > CONTROL_LINE_BYTES_MAX {
                bail!("control line longer than {CONTROL_LINE_BYTES_MAX} bytes");
            }
            return Ok(None);
        };
        let line = pending.get(..line_len).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some((kind, consumed)) = classify(line, pending, line_len + 1)? else {
            return Ok(None);
        };
        let frame_start = self.start;
        self.start += consumed;
        let frame = self.buf.get(frame_start..self.start).unwrap_or_default();
        Ok(Some(kind.into_frame(frame, line_len + 1)))
    }
}

/// What a control line announced, with offsets relative to the frame start.
enum Kind {
    Msg {
        subject: (usize, usize),
        reply: Option<(usize, usize)>,
        payload_len: usize,
    },
    Ping,
    Pong,
    Ok,
    Err(String),
    Info,
}

impl Kind {
    /// Builds the borrowed frame from the consumed bytes.
    fn into_frame(self, frame: &[u8], body_at: usize) -> Frame<'_> {
        let slice = |(from, to): (usize, usize)| frame.get(from..to).unwrap_or_default();
        match self {
            Kind::Msg {
                subject,
                reply,
                payload_len,
            } => Frame::Msg {
                subject: slice(subject),
                reply: reply.map(slice),
                payload: frame
                    .get(body_at..body_at + payload_len)
                    .unwrap_or_default(),
            },
            Kind::Ping => Frame::Ping,
            Kind::Pong => Frame::Pong,
            Kind::Ok => Frame::Ok,
            Kind::Err(text) => Frame::Err(text),
            Kind::Info => Frame::Info(frame.get(..body_at).unwrap_or_default()),
        }
    }
}

/// Classifies a control line; returns the kind and the bytes the whole frame spans, or
/// `None` when the payload has not fully arrived yet.
fn classify(line: &[u8], pending: &[u8], body_at: usize) -> Result<Option<(Kind, usize)>> {
    let op_len = line
        .iter()
        .position(|byte| *byte == b' ' || *byte == b'\t')
        .unwrap_or(line.len());
    let op = line.get(..op_len).unwrap_or_default().to_ascii_uppercase();
    let simple = match op.as_slice() {
        b"MSG" => return classify_msg(line, pending, body_at, false),
        b"HMSG" => return classify_msg(line, pending, body_at, true),
        b"PING" => Kind::Ping,
        b"PONG" => Kind::Pong,
        b"+OK" => Kind::Ok,
        b"-ERR" => {
            let text = line.get(op_len..).unwrap_or_default();
            Kind::Err(String::from_utf8_lossy(text).trim().to_string())
        }
        b"INFO" => Kind::Info,
        _ => bail!(
            "unexpected frame from server: {:?}",
            String::from_utf8_lossy(line)
        ),
    };
    Ok(Some((simple, body_at)))
}

/// Parses `MSG subject sid [reply] len` or `HMSG subject sid [reply] hdr_len total_len`.
fn classify_msg(
    line: &[u8],
    pending: &[u8],
    body_at: usize,
    headers: bool,
) -> Result<Option<(Kind, usize)>> {
    let mut args = [(0usize, 0usize); 6];
    let mut count = 0;
    for span in token_spans(line) {
        let Some(slot) = args.get_mut(count) else {
            bail!("too many arguments in {:?}", String::from_utf8_lossy(line));
        };
        *slot = span;
        count += 1;
    }
    // args[0] is the op; the total length is always the last token, the header length
    // (HMSG only) the one before it.
    let reply = match (headers, count) {
        (false, 4) | (true, 5) => None,
        (false, 5) | (true, 6) => args.get(3).copied(),
        _ => bail!("malformed {:?}", String::from_utf8_lossy(line)),
    };
    let token = |at: usize| args.get(at).and_then(|(from, to)| line.get(*from..*to));
    let payload_len = parse_len(token(count - 1).unwrap_or_default())?;
    if headers {
        let header_len = parse_len(token(count - 2).unwrap_or_default())?;
        if header_len > payload_len {
            bail!("HMSG header length {header_len} exceeds total {payload_len}");
        }
    }
    let frame_len = body_at + payload_len + 2;
    let Some(frame) = pending.get(..frame_len) else {
        return Ok(None);
    };
    if !frame.ends_with(b"\r\n") {
        bail!("payload of {payload_len} bytes not followed by CRLF");
    }
    let subject = args.get(1).copied().unwrap_or_default();
    Ok(Some((
        Kind::Msg {
            subject,
            reply,
            payload_len,
        },
        frame_len,
    )))
}

/// Spans of the whitespace-separated tokens of a control line.
fn token_spans(line: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let is_space = |byte: &u8| *byte == b' ' || *byte == b'\t';
        let rest = line.get(at..)?;
        let skip = rest.iter().position(|byte| !is_space(byte))?;
        let from = at + skip;
        let len = line
            .get(from..)?
            .iter()
            .position(is_space)
            .unwrap_or(line.len() - from);
        at = from + len;
        Some((from, from + len))
    })
}

/// Parses a decimal length bounded by [`PAYLOAD_BYTES_MAX`].
fn parse_len(digits: &[u8]) -> Result<usize> {
    if digits.is_empty() || digits.len() > 9 {
        bail!("bad length {:?}", String::from_utf8_lossy(digits));
    }
    let mut value = 0usize;
    for digit in digits {
        if !digit.is_ascii_digit() {
            bail!("bad length {:?}", String::from_utf8_lossy(digits));
        }
        value = value * 10 + usize::from(digit - b'0');
    }
    if value > PAYLOAD_BYTES_MAX {
        bail!("payload of {value} bytes exceeds {PAYLOAD_BYTES_MAX}");
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in chunks of `chunk` bytes and collects a description of each frame.
    fn parse_all(input: &[u8], chunk: usize) -> Result<Vec<String>> {
        let mut buffer = FrameBuffer::with_capacity(0);
        let mut out = Vec::new();
        for piece in input.chunks(chunk) {
            let spare = buffer.spare()?;
            spare[..piece.len()].copy_from_slice(piece);
            buffer.commit(piece.len());
            while let Some(frame) = buffer.next_frame()? {
                out.push(describe(&frame));
            }
        }
        Ok(out)
    }

    fn describe(frame: &Frame<'_>) -> String {
        match frame {
            Frame::Msg {
                subject,
                reply,
                payload,
            } => format!(
                "msg {} {} {}",
                String::from_utf8_lossy(subject),
                reply.map_or("-".into(), String::from_utf8_lossy),
                String::from_utf8_lossy(payload)
            ),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn frames_split_at_every_byte_boundary_parse_the_same() {
        let input = b"INFO {\"a\":1}\r\nPING\r\nMSG foo 1 5\r\nhello\r\n\
            MSG foo.bar 22 _INBOX.x 0\r\n\r\nHMSG h 3 12 14\r\nNATS/1.0\r\n\r\nhi\r\n\
            +OK\r\n-ERR 'Slow Consumer'\r\nPONG\r\n";
        let whole = parse_all(input, input.len()).unwrap();
        assert_eq!(
            whole,
            vec![
                "Info([73, 78, 70, 79, 32, 123, 34, 97, 34, 58, 49, 125, 13, 10])",
                "Ping",
                "msg foo - hello",
                "msg foo.bar _INBOX.x ",
                "msg h - NATS/1.0\r\n\r\nhi",
                "Ok",
                "Err(\"'Slow Consumer'\")",
                "Pong",
            ]
        );
        for chunk in 1..input.len() {
            assert_eq!(parse_all(input, chunk).unwrap(), whole, "chunk {chunk}");
        }
    }

    #[test]
    fn payload_larger_than_initial_buffer_grows_it() {
        let payload = vec![b'x'; 200_000];
        let mut input = b"MSG big 1 200000\r\n".to_vec();
        input.extend_from_slice(&payload);
        input.extend_from_slice(b"\r\n");
        let frames = parse_all(&input, 7_000).unwrap();
        assert_eq!(frames.len(), 1);
        assert!(frames[0].starts_with("msg big - xxx"));
        assert_eq!(frames[0].len(), "msg big - ".len() + 200_000);
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        let cases: [&[u8]; 7] = [
            b"MSG foo\r\n",
            b"MSG foo 1 x\r\n",
            b"MSG foo 1 3\r\nabcde\r\n",
            b"HMSG foo 1 9 3\r\nabc\r\n",
            b"MSG a b c d e f g\r\n",
            b"MSG foo 1 99999999999\r\n",
            b"WHAT\r\n",
        ];
        for case in cases {
            assert!(parse_all(case, case.len()).is_err(), "{:?}", case);
        }
    }

    #[test]
    fn overlong_control_line_is_rejected() {
        let input = vec![b'M'; CONTROL_LINE_BYTES_MAX + 10];
        assert!(parse_all(&input, 4096).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A deterministic xorshift stream stands in for fuzzing: every prefix of noise
        // mixed with frame fragments must parse or fail cleanly.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let alphabet: &[u8] = b"MSG HPINO\r\n 0123456789+-ERK";
        for _ in 0..200 {
            let input: Vec<u8> = (0..300)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            let _ = parse_all(&input, 17);
        }
    }
}
