//! The transport seam: how a byte stream becomes a connection a protocol can serve.
//!
//! A [`Transport`] is handed every accepted stream and answers with an [`Accepted`]: the
//! stream, what the protocol's greeting must advertise about security ([`SecurityOffer`]),
//! the [`Security`] already established (a handshake that came first), and possibly an
//! [`Upgrade`] still to perform. The upgrade is a one-shot object because of NATS: the server
//! greets in plain text (INFO says `tls_required`), and only then does the client start the
//! TLS handshake. A protocol that greets first calls [`Accepted::upgrade`] after its greeting;
//! for every other protocol the listener calls it before the protocol sees the stream, which
//! is a plain "handshake first" and needs no code of the protocol's.
//!
//! Invariant: neither a transport nor this module knows a protocol verb; the router and the
//! store never see a certificate. What a protocol may learn of the security is the plain data
//! here: versions and names for monitoring, and the names of a verified client certificate
//! for mapping it to a user.

use std::io;
use std::sync::Arc;

use crate::plugin::{BoxFuture, ByteStream};

/// What the protocol's greeting advertises about transport security (NATS INFO
/// `tls_required`, `tls_verify`, `tls_available`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecurityOffer {
    /// Clients must secure the stream.
    pub required: bool,
    /// Clients must present a certificate the server verifies.
    pub verify: bool,
    /// Clients may secure the stream or stay in plain text.
    pub available: bool,
}

/// The security of an established stream, as monitoring and authentication see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Security {
    /// The protocol version in the Go server's words (`"1.2"`, `"1.3"`).
    pub version: &'static str,
    /// The cipher suite's IANA name, as the Go server reports it (`"TLS_AES_128_GCM_SHA256"`).
    pub cipher_suite: &'static str,
    /// True when the handshake came before the protocol's greeting (`handshake_first`).
    pub handshake_first: bool,
    /// The client certificate, when the client presented one and the transport verified it.
    pub peer_certificate: Option<PeerCertificate>,
}

/// The names a verified client certificate carries, for mapping it to a user
/// (`verify_and_map`). Plain data, parsed by the transport.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerCertificate {
    /// The subject's relative distinguished names in certificate order; each RDN is a set of
    /// (attribute type, value) pairs. Types use the short names of the Go server's LDAP
    /// library (`CN`, `O`, `OU`, `C`, `L`, `ST`, `STREET`, `POSTALCODE`, `SERIALNUMBER`, `DC`)
    /// and the dotted OID for any other.
    pub subject: Vec<Vec<(String, String)>>,
    /// E-mail addresses of the subject alternative names.
    pub emails: Vec<String>,
    /// DNS names of the subject alternative names.
    pub dns_names: Vec<String>,
    /// URIs of the subject alternative names.
    pub uris: Vec<String>,
}

/// A stream after a pending upgrade: secured, or left plain when the transport allows plain
/// clients and this one did not start a handshake (`security` is then `None`).
pub struct Upgraded {
    /// The stream to serve from now on.
    pub stream: ByteStream,
    /// The security established, if any.
    pub security: Option<Arc<Security>>,
}

/// A transport step still to perform on a connection (the TLS handshake after NATS's INFO).
pub trait Upgrade: Send {
    /// Performs the step on `stream`, within the transport's own time limit. An error means
    /// the connection must be closed; it says why, for the log.
    fn upgrade(self: Box<Self>, stream: ByteStream) -> BoxFuture<'static, io::Result<Upgraded>>;
}

/// A connection as a transport hands it to a protocol front-end.
pub struct Accepted {
    /// The stream to serve (secured already when `security` is set).
    pub stream: ByteStream,
    /// What the protocol's greeting advertises.
    pub offer: SecurityOffer,
    /// The security established before the protocol's greeting, if any.
    pub security: Option<Arc<Security>>,
    /// A step the protocol performs after its greeting (see [`Accepted::upgrade`]).
    pub pending: Option<Box<dyn Upgrade>>,
    /// What monitoring calls a client that came through this transport, when that is not
    /// the protocol's own name (Go's connz `type`: `"websocket"`). Plain data for
    /// monitoring: a protocol serves the stream the same way whatever this says.
    pub client_type: Option<&'static str>,
}

impl Accepted {
    /// A plain stream: nothing offered, nothing pending.
    pub fn plain(stream: ByteStream) -> Self {
        Self {
            stream,
            offer: SecurityOffer::default(),
            security: None,
            pending: None,
            client_type: None,
        }
    }

    /// Performs the pending step, if any; afterwards nothing is pending.
    pub async fn upgrade(mut self) -> io::Result<Self> {
        if let Some(pending) = self.pending.take() {
            let Upgraded { stream, security } = pending.upgrade(self.stream).await?;
            self.stream = stream;
            self.security = security;
        }
        Ok(self)
    }
}

/// A transport: what happens to an accepted stream before (and, with an [`Upgrade`], right
/// after) the protocol's greeting.
pub trait Transport: Send + Sync + 'static {
    /// A short name for logs and monitoring (`"tcp"`, `"tls"`, `"websocket"`).
    fn name(&self) -> &'static str;
    /// Takes over an accepted stream. An error closes the connection before any protocol
    /// byte is exchanged; it says why, for the log.
    fn accept(&self, stream: ByteStream) -> BoxFuture<'static, io::Result<Accepted>>;
}

/// The identity transport: plain TCP.
#[derive(Debug, Default, Clone, Copy)]
pub struct PlainTransport;

impl Transport for PlainTransport {
    fn name(&self) -> &'static str {
        "tcp"
    }

    fn accept(&self, stream: ByteStream) -> BoxFuture<'static, io::Result<Accepted>> {
        Box::pin(async move { Ok(Accepted::plain(stream)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Prefixes everything the peer reads with a marker: stands in for a real wrapper.
    struct Marking;

    impl Upgrade for Marking {
        fn upgrade(
            self: Box<Self>,
            stream: ByteStream,
        ) -> BoxFuture<'static, io::Result<Upgraded>> {
            Box::pin(async move {
                let mut stream = stream;
                stream.write_all(b"upgraded ").await?;
                Ok(Upgraded {
                    stream,
                    security: Some(Arc::new(Security {
                        version: "1.3",
                        ..Security::default()
                    })),
                })
            })
        }
    }

    #[tokio::test]
    async fn an_upgrade_runs_once_and_records_the_security() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut accepted = Accepted::plain(Box::new(near));
        accepted.pending = Some(Box::new(Marking));
        let accepted = accepted.upgrade().await.expect("upgrade");
        assert!(accepted.pending.is_none());
        assert_eq!(accepted.security.as_ref().map(|s| s.version), Some("1.3"));
        let accepted = accepted.upgrade().await.expect("nothing left to do");
        drop(accepted);
        let mut seen = Vec::new();
        far.read_to_end(&mut seen).await.expect("read");
        assert_eq!(seen, b"upgraded ");
    }

    #[tokio::test]
    async fn plain_transport_offers_nothing() {
        let (near, _far) = tokio::io::duplex(64);
        let accepted = PlainTransport.accept(Box::new(near)).await.expect("accept");
        assert_eq!(accepted.offer, SecurityOffer::default());
        assert!(accepted.security.is_none() && accepted.pending.is_none());
    }
}
