//! The client-protocol parser: turns the bytes at the front of a read buffer into one
//! [`Frame`] that borrows from the buffer (no copy of subject, reply or payload).
//!
//! The parser keeps no state between calls: the connection's read buffer *is* the state, and
//! a call either yields a complete frame and how many bytes it used, or says how many bytes it
//! needs ([`Parsed::Incomplete`], which is not an error). A frame split at any byte boundary
//! therefore parses exactly as the unsplit frame does. Limits (`max_control_line`,
//! `max_payload`) are checked before the caller grows its buffer for the rest of a frame.
//!
//! Grammar as the Go server reads it (server/parser.go): verbs are case-insensitive; a line
//! ends at `\n` with an optional `\r` before it; arguments are separated by spaces or tabs;
//! `PING`/`PONG`/`+OK` ignore anything up to the end of their line; a payload must be followed
//! by exactly `\r\n`; sizes are at most 9 decimal digits.

use crate::error::{Error, Result};

/// Limits the parser enforces before the caller allocates for a frame.
#[derive(Debug, Clone, Copy)]
pub struct ParserLimits {
    /// Longest argument list of a control line, in bytes.
    pub control_line_max: usize,
    /// Largest payload (headers + body) a PUB/HPUB may announce, in bytes.
    pub payload_max: usize,
}

impl Default for ParserLimits {
    fn default() -> Self {
        Self {
            control_line_max: 4096,
            payload_max: 1024 * 1024,
        }
    }
}

impl ParserLimits {
    /// The largest buffer a single frame can need: any longer input is refused before then.
    pub fn frame_bytes_max(&self) -> usize {
        // Verb, separators, the argument line, CRLF, the payload and its CRLF. The slack
        // covers the verb and the whitespace run before the arguments, which are bounded by
        // `control_line_max` too.
        self.control_line_max.saturating_mul(2) + self.payload_max + 64
    }
}

/// One protocol message from a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// `CONNECT <json>`: the raw JSON.
    Connect(&'a [u8]),
    /// `PUB <subject> [reply] <size>` + payload. `reply` is empty when absent.
    Pub {
        subject: &'a [u8],
        reply: &'a [u8],
        payload: &'a [u8],
    },
    /// `HPUB <subject> [reply] <header size> <total size>` + headers + payload.
    HPub {
        subject: &'a [u8],
        reply: &'a [u8],
        headers: &'a [u8],
        payload: &'a [u8],
    },
    /// `SUB <subject> [queue] <sid>`.
    Sub {
        subject: &'a [u8],
        queue: Option<&'a [u8]>,
        sid: &'a [u8],
    },
    /// `UNSUB <sid> [max]`. A `max` that is not a number reads as `Some(0)`, which the Go
    /// server treats as "unsubscribe now".
    Unsub { sid: &'a [u8], max: Option<u64> },
    /// `PING`.
    Ping,
    /// `PONG`.
    Pong,
    /// `+OK` (clients may echo it; ignored).
    Ok,
    /// `-ERR <text>`: the client reports an error; the Go server closes the connection.
    Err(&'a [u8]),
    /// `INFO <json>` sent by a client: the raw JSON. The Go server checks that it parses and
    /// otherwise ignores it.
    Info(&'a [u8]),
}

/// The outcome of one parse call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// A complete frame that used the first `consumed` bytes of the buffer.
    Frame { frame: Frame<'a>, consumed: usize },
    /// More bytes are needed; the frame will need at least `needed` bytes in total.
    Incomplete { needed: usize },
}

/// The verbs a client may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Pub,
    HPub,
    Sub,
    Unsub,
    Connect,
    Info,
    Ping,
    Pong,
    Ok,
    Err,
}

impl Verb {
    /// The verb's spelling (upper case).
    fn text(self) -> &'static [u8] {
        match self {
            Verb::Pub => b"PUB",
            Verb::HPub => b"HPUB",
            Verb::Sub => b"SUB",
            Verb::Unsub => b"UNSUB",
            Verb::Connect => b"CONNECT",
            Verb::Info => b"INFO",
            Verb::Ping => b"PING",
            Verb::Pong => b"PONG",
            Verb::Ok => b"+OK",
            Verb::Err => b"-ERR",
        }
    }

    /// The name used in error reports.
    fn name(self) -> &'static str {
        match self {
            Verb::Ok => "+OK",
            Verb::Err => "-ERR",
            other => std::str::from_utf8(other.text()).unwrap_or("verb"),
        }
    }
}

/// Most arguments any verb takes (HPUB: subject, reply, header size, total size).
const ARGUMENTS_MAX: usize = 4;

/// Longest size argument the Go server accepts (`maxParseSizeLen`); longer is malformed.
const SIZE_DIGITS_MAX: usize = 9;

/// Parses one frame from the front of `buffer`.
pub fn parse<'a>(buffer: &'a [u8], limits: &ParserLimits) -> Result<Parsed<'a>> {
    let verb = match identify_verb(buffer)? {
        Some(verb) => verb,
        None => {
            return Ok(Parsed::Incomplete {
                needed: buffer.len() + 1,
            });
        }
    };
    let after_verb = verb.text().len();
    match verb {
        Verb::Ping | Verb::Pong | Verb::Ok => {
            let Some(line_end) = find_line_end(buffer, after_verb, after_verb, limits)? else {
                return Ok(Parsed::Incomplete {
                    needed: buffer.len() + 1,
                });
            };
            let frame = match verb {
                Verb::Ping => Frame::Ping,
                Verb::Pong => Frame::Pong,
                _ => Frame::Ok,
            };
            Ok(Parsed::Frame {
                frame,
                consumed: line_end + 1,
            })
        }
        Verb::Pub | Verb::HPub | Verb::Sub | Verb::Unsub => {
            // These verbs need a space or tab right after the verb ("SUB\r\n" is unknown).
            match buffer.get(after_verb) {
                None => {
                    return Ok(Parsed::Incomplete {
                        needed: after_verb + 1,
                    });
                }
                Some(b' ' | b'\t') => {}
                Some(_) => return Err(Error::UnknownOperation),
            }
            parse_arguments_verb(buffer, verb, after_verb, limits)
        }
        Verb::Connect | Verb::Info | Verb::Err => {
            // `-ERR` needs a blank after the verb ("-ERRX" is unknown); CONNECT and INFO may
            // run straight into their JSON.
            if verb == Verb::Err {
                match buffer.get(after_verb) {
                    None => {
                        return Ok(Parsed::Incomplete {
                            needed: after_verb + 1,
                        });
                    }
                    Some(b' ' | b'\t') => {}
                    Some(_) => return Err(Error::UnknownOperation),
                }
            }
            let Some((arguments, line_end)) = control_line(buffer, after_verb, limits)? else {
                return Ok(Parsed::Incomplete {
                    needed: buffer.len() + 1,
                });
            };
            let frame = match verb {
                Verb::Connect => Frame::Connect(arguments),
                Verb::Info => Frame::Info(arguments),
                _ => Frame::Err(arguments),
            };
            Ok(Parsed::Frame {
                frame,
                consumed: line_end + 1,
            })
        }
    }
}

/// Which verb starts `buffer`; `None` when the buffer ends inside a verb that may still match.
fn identify_verb(buffer: &[u8]) -> Result<Option<Verb>> {
    let Some(&first) = buffer.first() else {
        return Ok(None);
    };
    let verb = match first.to_ascii_uppercase() {
        b'P' => match buffer.get(1).map(u8::to_ascii_uppercase) {
            None => return Ok(None),
            Some(b'U') => Verb::Pub,
            Some(b'I') => Verb::Ping,
            Some(b'O') => Verb::Pong,
            Some(_) => return Err(Error::UnknownOperation),
        },
        b'H' => Verb::HPub,
        b'S' => Verb::Sub,
        b'U' => Verb::Unsub,
        b'C' => Verb::Connect,
        b'I' => Verb::Info,
        b'+' => Verb::Ok,
        b'-' => Verb::Err,
        _ => return Err(Error::UnknownOperation),
    };
    let text = verb.text();
    let present = buffer.len().min(text.len());
    let matches = buffer
        .iter()
        .zip(text)
        .take(present)
        .all(|(got, want)| got.to_ascii_uppercase() == *want);
    if !matches {
        return Err(Error::UnknownOperation);
    }
    Ok((present == text.len()).then_some(verb))
}

/// Finds the `\n` ending the line that starts its arguments at `arguments_start`, enforcing
/// the control-line limit on what is buffered so far. `None` means incomplete.
fn find_line_end(
    buffer: &[u8],
    scan_from: usize,
    arguments_start: usize,
    limits: &ParserLimits,
) -> Result<Option<usize>> {
    let rest = buffer.get(scan_from..).unwrap_or_default();
    match memchr::memchr(b'\n', rest) {
        Some(offset) => {
            let line_end = scan_from + offset;
            let mut arguments_end = line_end;
            if line_end > arguments_start && buffer.get(line_end - 1) == Some(&b'\r') {
                arguments_end -= 1;
            }
            let len = arguments_end.saturating_sub(arguments_start);
            if len > limits.control_line_max {
                return Err(Error::ControlLineTooLong {
                    len,
                    max: limits.control_line_max,
                });
            }
            Ok(Some(line_end))
        }
        None => {
            // One byte of slack for a `\r` that may end the arguments once `\n` arrives, so
            // a line at exactly the limit is accepted however it is split.
            let len = buffer.len().saturating_sub(arguments_start);
            if len > limits.control_line_max + 1 {
                return Err(Error::ControlLineTooLong {
                    len,
                    max: limits.control_line_max,
                });
            }
            Ok(None)
        }
    }
}

/// Skips the spaces and tabs after a verb, then finds the end of its argument line. Returns
/// the arguments (without the line ending) and the index of the `\n`.
fn control_line<'a>(
    buffer: &'a [u8],
    after_verb: usize,
    limits: &ParserLimits,
) -> Result<Option<(&'a [u8], usize)>> {
    let rest = buffer.get(after_verb..).unwrap_or_default();
    let blanks = rest
        .iter()
        .take_while(|&&byte| byte == b' ' || byte == b'\t')
        .count();
    if blanks > limits.control_line_max {
        return Err(Error::ControlLineTooLong {
            len: blanks,
            max: limits.control_line_max,
        });
    }
    let arguments_start = after_verb + blanks;
    let Some(line_end) = find_line_end(buffer, arguments_start, arguments_start, limits)? else {
        return Ok(None);
    };
    let mut arguments_end = line_end;
    if line_end > arguments_start && buffer.get(line_end - 1) == Some(&b'\r') {
        arguments_end -= 1;
    }
    let arguments = buffer
        .get(arguments_start..arguments_end)
        .unwrap_or_default();
    Ok(Some((arguments, line_end)))
}

/// Splits an argument line on spaces, tabs and line-ending bytes, as Go's `splitArg` does.
/// Returns the arguments and their count; more than [`ARGUMENTS_MAX`] is malformed.
fn split_arguments(line: &[u8], verb: Verb) -> Result<([&[u8]; ARGUMENTS_MAX], usize)> {
    let mut arguments: [&[u8]; ARGUMENTS_MAX] = [&[]; ARGUMENTS_MAX];
    let mut count = 0;
    let separators = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\r' | b'\n');
    for argument in line
        .split(separators)
        .filter(|argument| !argument.is_empty())
    {
        let slot = arguments
            .get_mut(count)
            .ok_or(Error::BadArguments { verb: verb.name() })?;
        *slot = argument;
        count += 1;
    }
    Ok((arguments, count))
}

/// Reads a size argument: 1 to 9 decimal digits.
fn parse_size(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > SIZE_DIGITS_MAX {
        return None;
    }
    digits.iter().try_fold(0usize, |total, &digit| {
        digit
            .is_ascii_digit()
            .then(|| total * 10 + usize::from(digit - b'0'))
    })
}

/// Parses PUB, HPUB, SUB and UNSUB, whose arguments are whitespace-separated tokens.
fn parse_arguments_verb<'a>(
    buffer: &'a [u8],
    verb: Verb,
    after_verb: usize,
    limits: &ParserLimits,
) -> Result<Parsed<'a>> {
    let Some((line, line_end)) = control_line(buffer, after_verb, limits)? else {
        return Ok(Parsed::Incomplete {
            needed: buffer.len() + 1,
        });
    };
    let bad = || Error::BadArguments { verb: verb.name() };
    let (arguments, count) = split_arguments(line, verb)?;
    let arguments = arguments.get(..count).ok_or_else(bad)?;
    let consumed = line_end + 1;
    let frame = match (verb, arguments) {
        (Verb::Sub, [subject, sid]) => Frame::Sub {
            subject,
            queue: None,
            sid,
        },
        (Verb::Sub, [subject, queue, sid]) => Frame::Sub {
            subject,
            queue: Some(queue),
            sid,
        },
        (Verb::Unsub, [sid]) => Frame::Unsub { sid, max: None },
        (Verb::Unsub, [sid, max]) => Frame::Unsub {
            sid,
            max: Some(parse_size(max).map_or(0, |max| max as u64)),
        },
        (Verb::Pub, [subject, size]) => {
            return payload_frame(buffer, consumed, subject, b"", None, size, limits, verb);
        }
        (Verb::Pub, [subject, reply, size]) => {
            return payload_frame(buffer, consumed, subject, reply, None, size, limits, verb);
        }
        (Verb::HPub, [subject, header_size, size]) => {
            return payload_frame(
                buffer,
                consumed,
                subject,
                b"",
                Some(header_size),
                size,
                limits,
                verb,
            );
        }
        (Verb::HPub, [subject, reply, header_size, size]) => {
            return payload_frame(
                buffer,
                consumed,
                subject,
                reply,
                Some(header_size),
                size,
                limits,
                verb,
            );
        }
        _ => return Err(bad()),
    };
    Ok(Parsed::Frame { frame, consumed })
}

/// Finishes a PUB/HPUB once its control line is known: checks sizes against the limit, then
/// waits for the payload and the CRLF after it.
#[allow(clippy::too_many_arguments)] // One call site per argument shape; a struct adds nothing.
fn payload_frame<'a>(
    buffer: &'a [u8],
    payload_start: usize,
    subject: &'a [u8],
    reply: &'a [u8],
    header_size: Option<&[u8]>,
    size: &[u8],
    limits: &ParserLimits,
    verb: Verb,
) -> Result<Parsed<'a>> {
    let bad = || Error::BadArguments { verb: verb.name() };
    let header_size = match header_size {
        Some(digits) => Some(parse_size(digits).ok_or_else(bad)?),
        None => None,
    };
    let size = parse_size(size).ok_or_else(bad)?;
    if header_size.is_some_and(|header_size| header_size > size) {
        return Err(bad());
    }
    if size > limits.payload_max {
        return Err(Error::PayloadTooLarge {
            size,
            max: limits.payload_max,
        });
    }
    let payload_end = payload_start + size;
    let needed = payload_end + 2;
    // The CRLF after the payload is checked byte by byte as it arrives, as Go does.
    match buffer.get(payload_end) {
        None => return Ok(Parsed::Incomplete { needed }),
        Some(b'\r') => {}
        Some(_) => return Err(Error::UnknownOperation),
    }
    match buffer.get(payload_end + 1) {
        None => return Ok(Parsed::Incomplete { needed }),
        Some(b'\n') => {}
        Some(_) => return Err(Error::UnknownOperation),
    }
    let body = buffer.get(payload_start..payload_end).ok_or_else(bad)?;
    let frame = match header_size {
        None => Frame::Pub {
            subject,
            reply,
            payload: body,
        },
        Some(header_size) => {
            let (headers, payload) = body.split_at_checked(header_size).ok_or_else(bad)?;
            Frame::HPub {
                subject,
                reply,
                headers,
                payload,
            }
        }
    };
    Ok(Parsed::Frame {
        frame,
        consumed: needed,
    })
}

#[cfg(test)]
mod tests;
