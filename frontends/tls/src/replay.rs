//! A stream that first replays bytes already read from it: the transport reads a few bytes to
//! tell a TLS ClientHello from plain text (Go's `tlsMixConn`), then hands them on.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use natrium_router::ByteStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes read ahead of the protocol, at most (Go reads at most 6 to decide).
pub const PREFIX_BYTES_MAX: usize = 8;

/// `prefix`, then the rest of `inner`.
pub struct Replay {
    prefix: Vec<u8>,
    position: usize,
    inner: ByteStream,
}

impl Replay {
    /// Replays `prefix` (at most [`PREFIX_BYTES_MAX`] bytes) before reading `inner`.
    pub fn new(prefix: Vec<u8>, inner: ByteStream) -> Self {
        assert!(
            prefix.len() <= PREFIX_BYTES_MAX,
            "a sniffed prefix is short"
        );
        Self {
            prefix,
            position: 0,
            inner,
        }
    }
}

impl AsyncRead for Replay {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let rest = this.prefix.get(this.position..).unwrap_or_default();
        if rest.is_empty() {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let count = rest.len().min(buf.remaining());
        buf.put_slice(rest.get(..count).unwrap_or_default());
        this.position += count;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Replay {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn prefix_then_stream() {
        let (near, mut far) = tokio::io::duplex(64);
        far.write_all(b"NECT\r\n").await.expect("write");
        drop(far);
        let mut replay = Replay::new(b"CON".to_vec(), Box::new(near));
        let mut all = Vec::new();
        replay.read_to_end(&mut all).await.expect("read");
        assert_eq!(all, b"CONNECT\r\n");
    }
}
