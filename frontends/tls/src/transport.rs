//! [`TlsTransport`]: TLS for any protocol, as a [`Transport`].
//!
//! Per connection, with the settings in force when it was accepted:
//! * `handshake_first: false` (NATS's default): nothing happens before the greeting; the
//!   protocol greets (INFO with `tls_required`) and then calls the pending upgrade, which
//!   reads the first bytes: a TLS record (`0x16`) starts the handshake; plain text is Go's
//!   `first record does not look like a TLS handshake` (the connection closes), or, with
//!   `allow_non_tls`, a plain-text client (so is a client silent for `timeout`, as in Go).
//! * `handshake_first: true`: the handshake comes first; INFO follows over TLS.
//! * `handshake_first: <delay>`: a client that sends nothing within the delay is greeted and
//!   served as with `false`; one that sends something gets the handshake first.
//!
//! Every handshake (and the read that decides on it) ends within `timeout`; a failure closes
//! that one connection with an error saying why. Nothing here blocks other connections.
//!
//! Concurrency: the active settings and rustls configuration sit behind one `RwLock`, read
//! (an `Arc` clone) once per accepted connection and replaced whole on reload; established
//! sessions keep the configuration they started with, so a reload drops nobody.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use natrium_router::ByteStream;
use natrium_router::plugin::BoxFuture;
use natrium_router::transport::{Accepted, Security, SecurityOffer, Transport, Upgrade, Upgraded};
use parking_lot::RwLock;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::error::Result;
use crate::replay::{PREFIX_BYTES_MAX, Replay};
use crate::settings::{HandshakeFirst, TlsSettings};
use crate::{load, names, suites};

/// The first byte of a TLS handshake record (a ClientHello).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;
/// Bytes read to decide between TLS and plain text (Go reads up to 6).
const SNIFF_BYTES: usize = 6;
const _: () = assert!(SNIFF_BYTES <= PREFIX_BYTES_MAX);

/// The TLS transport of one listener.
pub struct TlsTransport {
    active: RwLock<Arc<Active>>,
}

/// Settings and the rustls configuration built from them.
struct Active {
    settings: TlsSettings,
    acceptor: TlsAcceptor,
}

impl TlsTransport {
    /// Reads the certificates and keys `settings` name; an error says which file is wrong.
    pub fn new(settings: &TlsSettings) -> Result<Self> {
        Ok(Self {
            active: RwLock::new(Arc::new(Active::new(settings)?)),
        })
    }

    /// Replaces the settings and re-reads every file (SIGHUP). On error nothing changes.
    /// Connected clients keep their sessions.
    pub fn reload(&self, settings: &TlsSettings) -> Result<()> {
        let fresh = Arc::new(Active::new(settings)?);
        *self.active.write() = fresh;
        Ok(())
    }

    /// The settings in force.
    pub fn settings(&self) -> TlsSettings {
        self.active.read().settings.clone()
    }
}

impl Transport for TlsTransport {
    fn name(&self) -> &'static str {
        "tls"
    }

    fn accept(&self, stream: ByteStream) -> BoxFuture<'static, io::Result<Accepted>> {
        let active = Arc::clone(&self.active.read());
        Box::pin(active.accept(stream))
    }
}

/// The handshake a protocol runs after its greeting.
struct AfterGreeting(Arc<Active>);

impl Upgrade for AfterGreeting {
    fn upgrade(self: Box<Self>, stream: ByteStream) -> BoxFuture<'static, io::Result<Upgraded>> {
        Box::pin(async move { self.0.after_greeting(stream).await })
    }
}

impl Active {
    fn new(settings: &TlsSettings) -> Result<Self> {
        let config = load::server_config(settings)?;
        Ok(Self {
            settings: settings.clone(),
            acceptor: TlsAcceptor::from(config),
        })
    }

    /// What a greeting sent before the handshake advertises (Go's INFO fields).
    fn offer(&self) -> SecurityOffer {
        SecurityOffer {
            required: !self.settings.allow_non_tls,
            verify: self.settings.verifies(),
            available: self.settings.allow_non_tls,
        }
    }

    /// The connection with the handshake left for after the greeting.
    fn later(self: Arc<Self>, stream: ByteStream) -> Accepted {
        Accepted {
            stream,
            offer: self.offer(),
            security: None,
            pending: Some(Box::new(AfterGreeting(self))),
            client_type: None,
        }
    }

    async fn accept(self: Arc<Self>, mut stream: ByteStream) -> io::Result<Accepted> {
        let deadline = match self.settings.handshake_first {
            HandshakeFirst::Off => return Ok(self.later(stream)),
            HandshakeFirst::Always => Instant::now() + self.settings.timeout(),
            HandshakeFirst::Fallback(delay) => {
                let waited = tokio::time::timeout(delay, read_first(&mut stream)).await;
                let Ok(prefix) = waited else {
                    // Nothing came: the client waits for a greeting.
                    return Ok(self.later(stream));
                };
                let prefix = prefix?;
                let deadline = Instant::now() + self.settings.timeout();
                return self.first(stream, prefix, deadline).await;
            }
        };
        let prefix = tokio::time::timeout_at(deadline, read_first(&mut stream))
            .await
            .map_err(|_| self.timed_out())??;
        self.first(stream, prefix, deadline).await
    }

    /// The handshake before any greeting, the client's first bytes in `prefix`.
    async fn first(
        &self,
        stream: ByteStream,
        prefix: Vec<u8>,
        deadline: Instant,
    ) -> io::Result<Accepted> {
        if prefix.first() != Some(&TLS_HANDSHAKE_RECORD) {
            return Err(not_tls());
        }
        let (stream, security) = self.handshake(stream, prefix, true, deadline).await?;
        Ok(Accepted {
            stream,
            // Go says `tls_required` in the INFO that follows a first handshake.
            offer: SecurityOffer {
                required: true,
                ..self.offer()
            },
            security: Some(security),
            pending: None,
            client_type: None,
        })
    }

    async fn after_greeting(&self, mut stream: ByteStream) -> io::Result<Upgraded> {
        let deadline = Instant::now() + self.settings.timeout();
        let plain_allowed = self.settings.plain_allowed();
        let prefix = match tokio::time::timeout_at(deadline, read_first(&mut stream)).await {
            Ok(prefix) => prefix?,
            // As in Go: a client silent for the whole timeout stays in plain text when that
            // is allowed (its protocol's own timers take over).
            Err(_) if plain_allowed => {
                return Ok(Upgraded {
                    stream,
                    security: None,
                });
            }
            Err(_) => return Err(self.timed_out()),
        };
        if prefix.first() != Some(&TLS_HANDSHAKE_RECORD) {
            if plain_allowed {
                return Ok(Upgraded {
                    stream: Box::new(Replay::new(prefix, stream)),
                    security: None,
                });
            }
            return Err(not_tls());
        }
        let (stream, security) = self.handshake(stream, prefix, false, deadline).await?;
        Ok(Upgraded {
            stream,
            security: Some(security),
        })
    }

    /// Runs the server handshake (the client's first bytes in `prefix`), then checks pins.
    async fn handshake(
        &self,
        stream: ByteStream,
        prefix: Vec<u8>,
        first: bool,
        deadline: Instant,
    ) -> io::Result<(ByteStream, Arc<Security>)> {
        let replay = Replay::new(prefix, stream);
        let tls = tokio::time::timeout_at(deadline, self.acceptor.accept(replay))
            .await
            .map_err(|_| self.timed_out())??;
        let security = {
            let (_, connection) = tls.get_ref();
            let leaf = connection.peer_certificates().and_then(<[_]>::first);
            let parsed = match leaf {
                Some(der) => Some(names::parse(der).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        "client certificate does not parse",
                    )
                })?),
                None => None,
            };
            let pins = &self.settings.pinned_certs;
            if !pins.is_empty()
                && !parsed
                    .as_ref()
                    .is_some_and(|c| pins.contains(&names::public_key_pin(c)))
            {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "certificate not pinned",
                ));
            }
            Security {
                version: suites::version_name(connection.protocol_version()),
                cipher_suite: connection
                    .negotiated_cipher_suite()
                    .map_or("unknown", suites::name),
                handshake_first: first,
                peer_certificate: parsed.as_ref().map(names::peer_certificate),
            }
        };
        Ok((Box::new(tls), Arc::new(security)))
    }

    fn timed_out(&self) -> io::Error {
        timed_out(self.settings.timeout())
    }
}

fn timed_out(timeout: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("i/o timeout: no TLS handshake within {timeout:?}"),
    )
}

/// Go's words for plain text where a handshake was expected.
fn not_tls() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "tls: first record does not look like a TLS handshake",
    )
}

/// The client's first bytes (one read, at most [`SNIFF_BYTES`]).
async fn read_first(stream: &mut ByteStream) -> io::Result<Vec<u8>> {
    let mut first = [0_u8; SNIFF_BYTES];
    let count = stream.read(&mut first).await?;
    if count == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the client closed the connection before the TLS handshake",
        ));
    }
    Ok(first.get(..count).unwrap_or_default().to_vec())
}
