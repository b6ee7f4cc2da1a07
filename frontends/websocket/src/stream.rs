//! [`WebSocketStream`]: the byte stream a protocol front-end reads and writes after the
//! upgrade. Reads yield the payload of the client's data frames as one continuous byte
//! stream (frame boundaries vanish, so protocol bytes may be split across frames at any
//! byte); each write becomes one unmasked binary frame (so INFO goes out inside a frame, as
//! the Go server sends it).
//!
//! Control frames are answered from the read side: a ping gets a pong, a close gets the close
//! reply and then end-of-stream; a refused frame gets a close frame with the refusal's status
//! and reason, then a read error that closes the connection. Replies are queued behind
//! whatever frame is being written (frames never interleave) and pushed by the next read,
//! write or flush. Shutdown sends a normal close (1000) unless a close was sent already.
//!
//! Bounds: the read buffer is [`READ_BUFFER_BYTES`]; queued outgoing bytes stop taking
//! writes at [`OUT_BYTES_MAX`] (the writer waits) and a client that makes the server queue
//! replies past [`OUT_REPLIES_BYTES_MAX`] without reading them is disconnected; one write
//! frames at most [`WRITE_FRAME_BYTES_MAX`].
//!
//! Concurrency: none of its own; a front-end that splits it (`tokio::io::split`) serializes
//! the halves, so the read side's replies and the write side's frames share one queue.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::frame::{self, Decoder, Event, Opcode};

/// Bytes read from the connection at once.
pub const READ_BUFFER_BYTES: usize = 32 * 1024;
/// Queued outgoing bytes past which writes wait.
pub const OUT_BYTES_MAX: usize = 256 * 1024;
/// Queued outgoing bytes past which replies to the client's control frames are refused.
pub const OUT_REPLIES_BYTES_MAX: usize = OUT_BYTES_MAX + WRITE_FRAME_BYTES_MAX + 64 * 1024;
/// Payload bytes framed by one write at most (a longer write is taken in parts).
pub const WRITE_FRAME_BYTES_MAX: usize = 1024 * 1024;

/// A WebSocket connection as a byte stream.
pub struct WebSocketStream<S> {
    inner: S,
    decoder: Decoder,
    read_buffer: Box<[u8]>,
    read_start: usize,
    read_end: usize,
    /// The peer ended the stream (close frame or end of file).
    read_done: bool,
    /// Encoded frames not yet written; `out_start` is how much of them was.
    out: Vec<u8>,
    out_start: usize,
    close_sent: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// Wraps an upgraded connection; frames over `frame_payload_max` are refused.
    pub fn new(inner: S, frame_payload_max: u64) -> Self {
        Self {
            inner,
            decoder: Decoder::new(frame_payload_max),
            read_buffer: vec![0; READ_BUFFER_BYTES].into_boxed_slice(),
            read_start: 0,
            read_end: 0,
            read_done: false,
            out: Vec::new(),
            out_start: 0,
            close_sent: false,
        }
    }

    fn queued(&self) -> usize {
        self.out.len() - self.out_start
    }

    /// Queues a reply to a control frame; an error when the client does not read them.
    fn queue_reply(&mut self, frame: &[u8]) -> io::Result<()> {
        if self.close_sent {
            return Ok(());
        }
        if self.queued() + frame.len() > OUT_REPLIES_BYTES_MAX {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "websocket: the client does not read the replies to its control frames",
            ));
        }
        self.out.extend_from_slice(frame);
        Ok(())
    }

    fn queue_close(&mut self, frame: &[u8]) {
        if !self.close_sent {
            // A close is at most 127 bytes and the last frame: it may pass the bound.
            self.out.extend_from_slice(frame);
            self.close_sent = true;
        }
    }

    /// Writes queued frames until none is left (`Ready(Ok)`) or the connection would block.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.out_start < self.out.len() {
            let pending = self.out.get(self.out_start..).unwrap_or_default();
            let written = ready!(Pin::new(&mut self.inner).poll_write(cx, pending))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out_start += written;
        }
        self.out.clear();
        self.out_start = 0;
        Poll::Ready(Ok(()))
    }

    /// Pushes queued replies without waiting; an error only if the connection failed.
    fn push_replies(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        match self.poll_drain(cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Ok(()),
        }
    }

    /// Decodes buffered bytes into `buf`: `Some` when the read is answered.
    fn decode_buffered(&mut self, buf: &mut ReadBuf<'_>) -> Option<io::Result<()>> {
        while self.read_start < self.read_end && !self.read_done {
            let input = self
                .read_buffer
                .get_mut(self.read_start..self.read_end)
                .unwrap_or_default();
            let decoded = match self.decoder.decode(input, buf.remaining()) {
                Ok(decoded) => decoded,
                Err(error) => {
                    let reason = error.to_string();
                    self.queue_close(&frame::encode_close(error.status(), &reason));
                    // Nothing more is read: a later read is the end of the stream.
                    self.read_done = true;
                    return Some(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("websocket: {reason}"),
                    )));
                }
            };
            let data_start = self.read_start;
            self.read_start += decoded.consumed;
            match decoded.event {
                None => {}
                Some(Event::Data(range)) if range.is_empty() => {}
                Some(Event::Data(range)) => {
                    let data = self
                        .read_buffer
                        .get(data_start + range.start..data_start + range.end)
                        .unwrap_or_default();
                    buf.put_slice(data);
                    return Some(Ok(()));
                }
                Some(Event::Ping(payload)) => {
                    let pong = frame::encode_control(Opcode::Pong, payload.as_slice());
                    if let Err(error) = self.queue_reply(&pong) {
                        return Some(Err(error));
                    }
                }
                Some(Event::Pong) => {}
                Some(Event::Close(close)) => {
                    self.queue_close(&close.reply());
                    self.read_done = true;
                }
            }
        }
        None
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WebSocketStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            let answered = this.decode_buffered(buf);
            // Replies (and a refusal's close) go out before the read returns.
            let pushed = this.push_replies(cx);
            if let Some(result) = answered {
                return Poll::Ready(result.and(pushed));
            }
            pushed?;
            if this.read_done {
                return Poll::Ready(Ok(()));
            }
            this.read_start = 0;
            this.read_end = 0;
            let mut fill = ReadBuf::new(&mut this.read_buffer);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut fill))?;
            let filled = fill.filled().len();
            if filled == 0 {
                // End of file, possibly in the middle of a frame: the end of the stream.
                this.read_done = true;
                return Poll::Ready(Ok(()));
            }
            this.read_end = filled;
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WebSocketStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.close_sent {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "websocket: the connection is closing",
            )));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.queued() >= OUT_BYTES_MAX {
            ready!(this.poll_drain(cx))?;
        }
        let taken = buf
            .get(..buf.len().min(WRITE_FRAME_BYTES_MAX))
            .unwrap_or_default();
        let (header, used) = frame::encode_header(Opcode::Binary, taken.len());
        this.out.reserve(used + taken.len());
        this.out
            .extend_from_slice(header.get(..used).unwrap_or_default());
        this.out.extend_from_slice(taken);
        this.push_replies(cx)?;
        Poll::Ready(Ok(taken.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.queue_close(&frame::encode_close(frame::CLOSE_NORMAL, ""));
        ready!(this.poll_drain(cx))?;
        ready!(Pin::new(&mut this.inner).poll_flush(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
        let key = [1, 2, 3, 4];
        assert!(payload.len() < 126);
        let mut frame = vec![first, 0x80 | payload.len() as u8];
        frame.extend_from_slice(&key);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        frame
    }

    #[tokio::test]
    async fn reads_join_frames_and_writes_are_binary_frames() {
        let (near, mut far) = tokio::io::duplex(4096);
        let mut stream = WebSocketStream::new(near, 1024);
        let mut wire = masked(0x02, b"PUB a 1\r");
        wire.extend(masked(0x89, b"p"));
        wire.extend(masked(0x80, b"\nx\r\n"));
        far.write_all(&wire).await.expect("write");
        let mut got = vec![0; 12];
        stream.read_exact(&mut got).await.expect("read");
        assert_eq!(got, b"PUB a 1\r\nx\r\n");
        stream.write_all(b"INFO {}\r\n").await.expect("write");
        stream.flush().await.expect("flush");
        let mut reply = vec![0; 3 + 11];
        far.read_exact(&mut reply).await.expect("pong and frame");
        assert_eq!(&reply[..3], &[0x8A, 1, b'p']);
        assert_eq!(&reply[3..5], &[0x82, 9]);
        assert_eq!(&reply[5..], b"INFO {}\r\n");
    }

    #[tokio::test]
    async fn an_unmasked_frame_gets_a_1002_close_and_a_read_error() {
        let (near, mut far) = tokio::io::duplex(4096);
        let mut stream = WebSocketStream::new(near, 1024);
        far.write_all(&[0x82, 0x02, b'h', b'i'])
            .await
            .expect("write");
        let mut buffer = [0; 16];
        let error = stream.read(&mut buffer).await.expect_err("refused");
        assert!(error.to_string().contains("mask bit missing"));
        assert_eq!(
            stream.read(&mut buffer).await.expect("end"),
            0,
            "then end of stream"
        );
        let mut close = [0; 4];
        far.read_exact(&mut close).await.expect("close frame");
        assert_eq!(close[0], 0x88);
        assert_eq!(&close[2..4], &frame::CLOSE_PROTOCOL_ERROR.to_be_bytes());
    }

    #[tokio::test]
    async fn a_close_is_answered_then_the_stream_ends() {
        let (near, mut far) = tokio::io::duplex(4096);
        let mut stream = WebSocketStream::new(near, 1024);
        let mut wire = masked(0x82, b"PI");
        wire.extend(masked(0x88, &1000u16.to_be_bytes()));
        far.write_all(&wire).await.expect("write");
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.expect("read to end");
        assert_eq!(rest, b"PI");
        let mut reply = [0; 4];
        far.read_exact(&mut reply).await.expect("close reply");
        assert_eq!(reply, [0x88, 2, 0x03, 0xe8]);
        assert!(
            stream.write_all(b"late").await.is_err(),
            "no frame after a close"
        );
    }

    #[tokio::test]
    async fn an_oversized_frame_is_refused_before_its_payload() {
        let (near, mut far) = tokio::io::duplex(4096);
        let mut stream = WebSocketStream::new(near, 100);
        far.write_all(&[0x82, 0x80 | 126, 0x10, 0x00, 1, 2, 3, 4])
            .await
            .expect("write");
        let mut buffer = [0; 16];
        let error = stream.read(&mut buffer).await.expect_err("too big");
        assert!(error.to_string().contains("over the limit"));
        let mut close = [0; 4];
        far.read_exact(&mut close).await.expect("close frame");
        assert_eq!(&close[2..4], &frame::CLOSE_MESSAGE_TOO_BIG.to_be_bytes());
    }
}
