//! WebSocket frames (RFC 6455 §5.2), sans-IO: [`Decoder`] reads what clients send, the
//! `encode_*` functions write what the server sends. No I/O, no clock, no allocation per
//! frame: the decoder unmasks data in the caller's buffer and hands back ranges of it.
//!
//! A frame on the wire (multi-byte integers are big-endian, "network order", as RFC 6455
//! requires; this is the one place natrium's wire format is not little-endian):
//!
//! | offset       | size       | field                                                     |
//! |--------------|------------|-----------------------------------------------------------|
//! | 0            | 1          | bit 7 FIN, bits 6..4 RSV1..RSV3, bits 3..0 opcode          |
//! | 1            | 1          | bit 7 MASK, bits 6..0 length: 0..=125, or 126, or 127      |
//! | 2            | 0, 2 or 8  | extended length: `u16` after 126, `u64` after 127          |
//! | 2, 4 or 10   | 0 or 4     | masking key, present when MASK is set                      |
//! | then         | length     | payload; byte `i` XORed with `key[i % 4]` when masked      |
//!
//! Opcodes: 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong. A message is one
//! text or binary frame and the continuation frames up to the one with FIN set; control
//! frames (close, ping, pong) may come between them, are never fragmented and carry at most
//! 125 bytes. A close payload is an optional `u16` status code and a UTF-8 reason.
//!
//! What the decoder accepts, as the Go server does: masked frames only (Go's close status
//! 1002 "mask bit missing" otherwise), text frames as binary ones (the payload is NATS
//! protocol bytes, not checked as UTF-8), continuation frames, control frames between
//! fragments. What it adds to Go's checks: RSV bits are refused (no extension is negotiated:
//! natrium does not implement permessage-deflate), and a frame longer than the decoder's
//! payload limit is refused from its header, before any of its payload is read (status
//! 1009). After a close frame or an error the decoder decodes nothing more.

use std::ops::Range;

/// Frame header bytes at most: 2 + 8 (extended length) + 4 (masking key).
pub const HEADER_BYTES_MAX: usize = 14;
/// Control frame payload bytes at most (RFC 6455 §5.5).
pub const CONTROL_PAYLOAD_MAX: usize = 125;
/// Close status codes (RFC 6455 §7.4.1) the server sends.
pub const CLOSE_NORMAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
pub const CLOSE_INVALID_PAYLOAD: u16 = 1007;
pub const CLOSE_MESSAGE_TOO_BIG: u16 = 1009;

const FIN: u8 = 0x80;
const RSV_BITS: u8 = 0x70;
const OPCODE_BITS: u8 = 0x0F;
const MASK: u8 = 0x80;
const LENGTH_BITS: u8 = 0x7F;
/// Length values of the second byte that announce an extended length.
const LENGTH_U16: u8 = 126;
const LENGTH_U64: u8 = 127;
const MASK_KEY_BYTES: usize = 4;
const _: () = assert!(2 + 8 + MASK_KEY_BYTES == HEADER_BYTES_MAX);
const _: () = assert!(CONTROL_PAYLOAD_MAX < LENGTH_U16 as usize);

/// A frame's opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    Continuation = 0,
    Text = 1,
    Binary = 2,
    Close = 8,
    Ping = 9,
    Pong = 10,
}

impl Opcode {
    fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            0 => Some(Self::Continuation),
            1 => Some(Self::Text),
            2 => Some(Self::Binary),
            8 => Some(Self::Close),
            9 => Some(Self::Ping),
            10 => Some(Self::Pong),
            _ => None,
        }
    }

    fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// Why a client's frames are refused; the connection is closed with [`FrameError::status`].
/// The texts of the first six are the Go server's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("mask bit missing")]
    MaskMissing,
    #[error("control frame length bigger than maximum allowed of {CONTROL_PAYLOAD_MAX} bytes")]
    ControlTooLong,
    #[error("control frame does not have final bit set")]
    ControlFragmented,
    #[error("new message started before final frame for previous message was received")]
    MessageNotFinished,
    #[error("invalid continuation frame")]
    InvalidContinuation,
    #[error("unknown opcode {0}")]
    UnknownOpcode(u8),
    #[error("reserved bits set in a frame header (no extension was negotiated)")]
    ReservedBits,
    #[error("frame payload of {length} bytes is over the limit of {max} bytes")]
    TooBig { length: u64, max: u64 },
}

impl FrameError {
    /// The close status the server answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::TooBig { .. } => CLOSE_MESSAGE_TOO_BIG,
            _ => CLOSE_PROTOCOL_ERROR,
        }
    }
}

/// A control frame's payload (at most [`CONTROL_PAYLOAD_MAX`] bytes), unmasked.
#[derive(Clone, PartialEq, Eq)]
pub struct ControlPayload {
    bytes: [u8; CONTROL_PAYLOAD_MAX],
    len: usize,
}

impl ControlPayload {
    fn empty() -> Self {
        Self {
            bytes: [0; CONTROL_PAYLOAD_MAX],
            len: 0,
        }
    }

    /// The payload bytes.
    pub fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl std::fmt::Debug for ControlPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ControlPayload")
            .field(&self.as_slice())
            .finish()
    }
}

/// What one [`Decoder::decode`] call found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Message payload bytes, unmasked in place: this range of the input.
    Data(Range<usize>),
    /// A ping; the server answers with a pong carrying the same payload.
    Ping(ControlPayload),
    /// A pong (nothing to do).
    Pong,
    /// A close frame: the server answers with [`Close::reply`] and closes. Nothing after it
    /// is decoded.
    Close(Close),
}

/// A client's close frame as the reply to it needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    /// The status the client sent; `None` for an empty close payload.
    pub status: Option<u16>,
    /// False when a reason was present and not UTF-8.
    pub reason_is_utf8: bool,
}

impl Close {
    /// The close frame the server answers with: the client's status echoed (Go's
    /// behaviour), 1007 for a reason that is not UTF-8 (as Go), and an empty payload for
    /// an empty close (RFC 6455 forbids sending 1005, which Go echoes).
    pub fn reply(&self) -> Vec<u8> {
        match self.status {
            None => encode_control(Opcode::Close, &[]),
            Some(_) if !self.reason_is_utf8 => {
                encode_close(CLOSE_INVALID_PAYLOAD, "invalid utf8 body in close frame")
            }
            Some(status) => encode_close(status, ""),
        }
    }
}

/// What one [`Decoder::decode`] call did: `consumed` input bytes, and the event they ended
/// with, if any (`None`: everything was consumed and more input is needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub consumed: usize,
    pub event: Option<Event>,
}

#[derive(Debug, Clone)]
enum State {
    /// Collecting header bytes.
    Header,
    /// Inside a data frame's payload.
    Data {
        remaining: u64,
        key: [u8; MASK_KEY_BYTES],
        key_offset: usize,
    },
    /// Collecting a control frame's payload.
    Control {
        opcode: Opcode,
        expected: usize,
        key: [u8; MASK_KEY_BYTES],
        payload: ControlPayload,
    },
    /// After a close frame or an error.
    Done,
}

/// Decodes the frames a client sends, split anywhere across calls.
#[derive(Debug, Clone)]
pub struct Decoder {
    payload_max: u64,
    header: [u8; HEADER_BYTES_MAX],
    header_len: usize,
    /// A text or binary message is open (its last frame did not have FIN set).
    message_open: bool,
    state: State,
}

impl Decoder {
    /// A decoder that refuses frames with more than `payload_max` payload bytes.
    pub fn new(payload_max: u64) -> Self {
        assert!(
            payload_max > 0,
            "a frame payload limit of zero refuses every message"
        );
        Self {
            payload_max,
            header: [0; HEADER_BYTES_MAX],
            header_len: 0,
            message_open: false,
            state: State::Header,
        }
    }

    /// True once a close frame or an error ended the stream.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Decodes from the start of `input`, unmasking payload in place, until one event or the
    /// end of `input`. A `Data` event covers at most `data_max` bytes (`data_max > 0`).
    /// Header bytes are kept between calls, so input may be split at any byte.
    pub fn decode(&mut self, input: &mut [u8], data_max: usize) -> Result<Decoded, FrameError> {
        assert!(data_max > 0, "a read of zero bytes makes no progress");
        let mut consumed = 0;
        while consumed < input.len() {
            let rest = input.get_mut(consumed..).unwrap_or_default();
            match &mut self.state {
                State::Done => {
                    return Ok(Decoded {
                        consumed: input.len(),
                        event: None,
                    });
                }
                State::Header => {
                    consumed += self.take_header_bytes(rest);
                    if let Err(error) = self.header_complete() {
                        self.state = State::Done;
                        return Err(error);
                    }
                }
                State::Data {
                    remaining,
                    key,
                    key_offset,
                } => {
                    let take = usize::try_from(*remaining)
                        .unwrap_or(usize::MAX)
                        .min(rest.len())
                        .min(data_max);
                    let data = rest.get_mut(..take).unwrap_or_default();
                    unmask(data, key, *key_offset);
                    *key_offset = (*key_offset + take) % MASK_KEY_BYTES;
                    *remaining -= take as u64;
                    if *remaining == 0 {
                        self.state = State::Header;
                    }
                    let start = consumed;
                    consumed += take;
                    return Ok(Decoded {
                        consumed,
                        event: Some(Event::Data(start..consumed)),
                    });
                }
                State::Control {
                    opcode,
                    expected,
                    key,
                    payload,
                } => {
                    let take = (*expected - payload.len).min(rest.len());
                    let source = rest.get(..take).unwrap_or_default();
                    let target = payload
                        .bytes
                        .get_mut(payload.len..payload.len + take)
                        .unwrap_or_default();
                    target.copy_from_slice(source);
                    unmask(target, key, payload.len);
                    payload.len += take;
                    consumed += take;
                    if payload.len == *expected {
                        let (opcode, payload) = (*opcode, payload.clone());
                        let event = self.control_event(opcode, payload);
                        return Ok(Decoded {
                            consumed,
                            event: Some(event),
                        });
                    }
                }
            }
        }
        // An empty control frame completes with its header.
        if let State::Control {
            opcode,
            expected: 0,
            ..
        } = self.state
        {
            let event = self.control_event(opcode, ControlPayload::empty());
            return Ok(Decoded {
                consumed,
                event: Some(event),
            });
        }
        Ok(Decoded {
            consumed,
            event: None,
        })
    }

    /// Copies header bytes from `input` until the header is complete (its length is known
    /// from its first bytes); returns how many were taken.
    fn take_header_bytes(&mut self, input: &[u8]) -> usize {
        let mut taken = 0;
        for &byte in input {
            let needed = header_len(self.header.get(..self.header_len).unwrap_or_default());
            if self.header_len >= needed {
                break;
            }
            if let Some(slot) = self.header.get_mut(self.header_len) {
                *slot = byte;
            }
            self.header_len += 1;
            taken += 1;
        }
        taken
    }

    /// Checks the first two bytes as soon as they are in, and moves to the payload once the
    /// whole header is.
    fn header_complete(&mut self) -> Result<(), FrameError> {
        let header = self.header.get(..self.header_len).unwrap_or_default();
        let [first, second, ..] = *header else {
            return Ok(());
        };
        let opcode = self.check_first_bytes(first, second)?;
        if self.header_len < header_len(header) {
            return Ok(());
        }
        let length = payload_length(header);
        if opcode.is_control() {
            // Checked in `check_first_bytes`: a control length fits in the second byte.
            assert!(length <= CONTROL_PAYLOAD_MAX as u64);
        } else if length > self.payload_max {
            return Err(FrameError::TooBig {
                length,
                max: self.payload_max,
            });
        }
        let key_start = self.header_len - MASK_KEY_BYTES;
        let mut key = [0; MASK_KEY_BYTES];
        key.copy_from_slice(
            self.header
                .get(key_start..self.header_len)
                .unwrap_or(&[0; MASK_KEY_BYTES]),
        );
        self.header_len = 0;
        if opcode.is_control() {
            self.state = State::Control {
                opcode,
                // Bounded by CONTROL_PAYLOAD_MAX (asserted above).
                expected: length as usize,
                key,
                payload: ControlPayload::empty(),
            };
            return Ok(());
        }
        self.message_open = first & FIN == 0;
        self.state = if length == 0 {
            State::Header
        } else {
            State::Data {
                remaining: length,
                key,
                key_offset: 0,
            }
        };
        Ok(())
    }

    /// Go's checks of the first two header bytes, in Go's order.
    fn check_first_bytes(&self, first: u8, second: u8) -> Result<Opcode, FrameError> {
        if second & MASK == 0 {
            return Err(FrameError::MaskMissing);
        }
        let bits = first & OPCODE_BITS;
        let opcode = Opcode::from_bits(bits).ok_or(FrameError::UnknownOpcode(bits))?;
        let final_frame = first & FIN != 0;
        match opcode {
            Opcode::Close | Opcode::Ping | Opcode::Pong => {
                if second & LENGTH_BITS > CONTROL_PAYLOAD_MAX as u8 {
                    return Err(FrameError::ControlTooLong);
                }
                if !final_frame {
                    return Err(FrameError::ControlFragmented);
                }
            }
            Opcode::Text | Opcode::Binary if self.message_open => {
                return Err(FrameError::MessageNotFinished);
            }
            Opcode::Continuation if !self.message_open || first & RSV_BITS != 0 => {
                return Err(FrameError::InvalidContinuation);
            }
            Opcode::Text | Opcode::Binary | Opcode::Continuation => {}
        }
        if first & RSV_BITS != 0 {
            return Err(FrameError::ReservedBits);
        }
        Ok(opcode)
    }

    fn control_event(&mut self, opcode: Opcode, payload: ControlPayload) -> Event {
        self.state = State::Header;
        match opcode {
            Opcode::Ping => Event::Ping(payload),
            Opcode::Pong => Event::Pong,
            _ => {
                self.state = State::Done;
                Event::Close(parse_close(payload.as_slice()))
            }
        }
    }
}

/// The header length the bytes so far announce (2 until the second byte is in).
fn header_len(header: &[u8]) -> usize {
    let Some(&second) = header.get(1) else {
        return 2;
    };
    let extended = match second & LENGTH_BITS {
        LENGTH_U16 => 2,
        LENGTH_U64 => 8,
        _ => 0,
    };
    let key = if second & MASK != 0 {
        MASK_KEY_BYTES
    } else {
        0
    };
    2 + extended + key
}

/// The payload length of a complete header.
fn payload_length(header: &[u8]) -> u64 {
    let second = header.get(1).copied().unwrap_or(0);
    match second & LENGTH_BITS {
        LENGTH_U16 => {
            let bytes = [header.get(2), header.get(3)].map(|b| b.copied().unwrap_or(0));
            u64::from(u16::from_be_bytes(bytes))
        }
        LENGTH_U64 => {
            let mut bytes = [0; 8];
            bytes.copy_from_slice(header.get(2..10).unwrap_or(&[0; 8]));
            u64::from_be_bytes(bytes)
        }
        short => u64::from(short),
    }
}

fn unmask(data: &mut [u8], key: &[u8; MASK_KEY_BYTES], offset: usize) {
    let key_bytes = key.iter().cycle().skip(offset % MASK_KEY_BYTES);
    for (byte, key_byte) in data.iter_mut().zip(key_bytes) {
        *byte ^= key_byte;
    }
}

fn parse_close(payload: &[u8]) -> Close {
    match payload {
        [high, low, reason @ ..] => Close {
            status: Some(u16::from_be_bytes([*high, *low])),
            reason_is_utf8: std::str::from_utf8(reason).is_ok(),
        },
        // One byte is no status; Go treats it as none, and so does natrium.
        _ => Close {
            status: None,
            reason_is_utf8: true,
        },
    }
}

/// Writes an unmasked server frame header with FIN set; returns its bytes and length.
pub fn encode_header(opcode: Opcode, payload_len: usize) -> ([u8; HEADER_BYTES_MAX], usize) {
    let mut header = [0; HEADER_BYTES_MAX];
    header[0] = FIN | opcode as u8;
    let length = payload_len as u64;
    let used = if payload_len <= CONTROL_PAYLOAD_MAX {
        header[1] = payload_len as u8;
        2
    } else if let Ok(short) = u16::try_from(payload_len) {
        header[1] = LENGTH_U16;
        header[2..4].copy_from_slice(&short.to_be_bytes());
        4
    } else {
        header[1] = LENGTH_U64;
        header[2..10].copy_from_slice(&length.to_be_bytes());
        10
    };
    (header, used)
}

/// A whole control frame (`payload` at most [`CONTROL_PAYLOAD_MAX`] bytes).
pub fn encode_control(opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    assert!(opcode.is_control() && payload.len() <= CONTROL_PAYLOAD_MAX);
    let (header, used) = encode_header(opcode, payload.len());
    let mut frame = Vec::with_capacity(used + payload.len());
    frame.extend_from_slice(header.get(..used).unwrap_or_default());
    frame.extend_from_slice(payload);
    frame
}

/// A close frame with `status` and `reason`, the reason cut to fit with a trailing `...`
/// as Go does (at a character boundary).
pub fn encode_close(status: u16, reason: &str) -> Vec<u8> {
    let room = CONTROL_PAYLOAD_MAX - 2;
    let mut payload = Vec::with_capacity(CONTROL_PAYLOAD_MAX);
    payload.extend_from_slice(&status.to_be_bytes());
    if reason.len() <= room {
        payload.extend_from_slice(reason.as_bytes());
    } else {
        let mut cut = room - 3;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        payload.extend_from_slice(reason.get(..cut).unwrap_or_default().as_bytes());
        payload.extend_from_slice(b"...");
    }
    encode_control(Opcode::Close, &payload)
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
