//! [`WebSocketTransport`]: the WebSocket listener's transport, for any protocol front-end.
//!
//! Per accepted connection, all within `handshake_timeout`: the TLS handshake first when the
//! listener is `wss` (natrium-tls, handshake first: a WebSocket client starts TLS before
//! it sends its HTTP request), then the HTTP/1.1 request head is read (at most
//! [`REQUEST_HEAD_BYTES_MAX`] bytes) and answered ([`crate::handshake`]). A refusal is written
//! as an HTTP error and closes that one connection; a success hands the protocol a
//! [`WebSocketStream`]. The protocol greets through it (NATS INFO in a binary frame) and
//! never learns about frames: nothing is pending after the upgrade, nothing is offered
//! (the stream is as secure as it will get).

use std::io;
use std::sync::Arc;

use natrium_router::ByteStream;
use natrium_router::plugin::BoxFuture;
use natrium_router::transport::{Accepted, Security, SecurityOffer, Transport};
use natrium_tls::{HandshakeFirst, TlsTransport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use crate::handshake::{self, REQUEST_HEAD_BYTES_MAX, Refusal};
use crate::settings::WebSocketSettings;
use crate::stream::WebSocketStream;

/// What monitoring calls a WebSocket client (Go's connz `type`).
pub const CLIENT_TYPE: &str = "websocket";
/// Bytes read from the connection at once while reading the request head.
const HEAD_READ_BYTES: usize = 1024;

/// The transport of one WebSocket listener.
pub struct WebSocketTransport {
    settings: Arc<WebSocketSettings>,
    tls: Option<Arc<TlsTransport>>,
}

impl WebSocketTransport {
    /// Builds the transport; for `wss`, reads the certificates (an error names the file).
    pub fn new(settings: &WebSocketSettings) -> crate::Result<Self> {
        settings.validate().map_err(crate::Error::Settings)?;
        let tls = match &settings.tls {
            Some(tls) => {
                let mut tls = tls.clone();
                // The HTTP request comes over TLS: the handshake is always first, and a
                // plain-text client is never served on a wss listener.
                tls.handshake_first = HandshakeFirst::Always;
                tls.allow_non_tls = false;
                tls.timeout = settings.handshake_timeout();
                Some(Arc::new(TlsTransport::new(&tls)?))
            }
            None => None,
        };
        Ok(Self {
            settings: Arc::new(settings.clone()),
            tls,
        })
    }

    /// The TLS transport of a wss listener, to reload its certificates.
    pub fn tls(&self) -> Option<&Arc<TlsTransport>> {
        self.tls.as_ref()
    }
}

impl Transport for WebSocketTransport {
    fn name(&self) -> &'static str {
        "websocket"
    }

    fn accept(&self, stream: ByteStream) -> BoxFuture<'static, io::Result<Accepted>> {
        let settings = Arc::clone(&self.settings);
        let tls = self.tls.clone();
        Box::pin(async move {
            let timeout = settings.handshake_timeout();
            let deadline = Instant::now() + timeout;
            let upgraded = tokio::time::timeout_at(deadline, upgrade(stream, &settings, tls));
            upgraded.await.map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("websocket handshake error: no upgrade within {timeout:?}"),
                )
            })?
        })
    }
}

/// TLS (for wss), then the HTTP upgrade.
async fn upgrade(
    stream: ByteStream,
    settings: &WebSocketSettings,
    tls: Option<Arc<TlsTransport>>,
) -> io::Result<Accepted> {
    let (mut stream, security): (ByteStream, Option<Arc<Security>>) = match tls {
        Some(tls) => {
            let accepted = tls.accept(stream).await?;
            (accepted.stream, accepted.security)
        }
        None => (stream, None),
    };
    let head = match read_head(&mut stream).await? {
        Ok(head) => head,
        Err(refusal) => return Err(refuse(&mut stream, &refusal).await),
    };
    let response = match handshake::answer(&head, settings, security.is_some()) {
        Ok(response) => response,
        Err(refusal) => return Err(refuse(&mut stream, &refusal).await),
    };
    stream.write_all(&response).await?;
    stream.flush().await?;
    let stream = WebSocketStream::new(stream, settings.frame_payload_max());
    Ok(Accepted {
        stream: Box::new(stream),
        offer: SecurityOffer::default(),
        security,
        pending: None,
        client_type: Some(CLIENT_TYPE),
    })
}

/// Reads the request head: `Ok(Err)` for a head too large or followed by early bytes.
async fn read_head(stream: &mut ByteStream) -> io::Result<Result<Vec<u8>, Refusal>> {
    let mut head = Vec::with_capacity(HEAD_READ_BYTES);
    let mut chunk = [0_u8; HEAD_READ_BYTES];
    loop {
        let count = stream.read(&mut chunk).await?;
        if count == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "websocket handshake error: the client closed before its request was complete",
            ));
        }
        head.extend_from_slice(chunk.get(..count).unwrap_or_default());
        if let Some(end) = handshake::head_end(&head) {
            if end != head.len() {
                return Ok(Err(Refusal {
                    status: 400,
                    reason: "client sent data before handshake is complete".to_owned(),
                }));
            }
            return Ok(Ok(head));
        }
        if head.len() > REQUEST_HEAD_BYTES_MAX {
            return Ok(Err(Refusal {
                status: 431,
                reason: format!("request head over {REQUEST_HEAD_BYTES_MAX} bytes"),
            }));
        }
    }
}

/// Writes the refusal (best effort: the client may be gone) and returns the error to log.
async fn refuse(stream: &mut ByteStream, refusal: &Refusal) -> io::Error {
    let written = stream.write_all(&refusal.response()).await;
    if written.is_ok() {
        let _ = stream.flush().await;
        let _ = stream.shutdown().await;
    }
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("websocket handshake error: {}", refusal.reason),
    )
}
