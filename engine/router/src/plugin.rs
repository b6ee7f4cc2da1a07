//! The plugin API: the seams through which protocols and transports attach to the broker.
//!
//! * A [`Transport`] turns an accepted byte stream into an [`Accepted`] connection: plain TCP
//!   is the identity; TLS and WebSocket wrap it, at once or (TLS in NATS) when the protocol
//!   asks after its greeting. It knows nothing about the protocol spoken on top (see
//!   [`crate::transport`]).
//! * A [`Frontend`] serves one protocol (NATS, MQTT) over an [`Accepted`] connection until the
//!   peer leaves or the server stops. The server binary registers front-ends from its
//!   configuration.
//! * A [`Sink`] is how the broker hands a routed message to a subscriber, whatever protocol the
//!   subscriber speaks (a NATS connection, an MQTT session, a JetStream stream).
//!
//! The router depends on tokio's I/O traits only, never on a socket type.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::batch::PublishBatch;
use crate::sublist::Subscription;
pub use crate::transport::{
    Accepted, PeerCertificate, PlainTransport, Security, SecurityOffer, Transport, Upgrade,
    Upgraded,
};

/// A boxed future, as returned by the object-safe plugin traits.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Any bidirectional byte stream a front-end can serve.
pub trait AsyncStream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> AsyncStream for T {}

/// An owned, type-erased byte stream.
pub type ByteStream = Box<dyn AsyncStream>;

/// Where a connection comes from, as the listener saw it.
#[derive(Debug, Clone, Copy)]
pub struct PeerInfo {
    /// The remote address of the connection.
    pub remote: SocketAddr,
    /// The local address the connection was accepted on.
    pub local: SocketAddr,
}

/// The server's life phase, broadcast to every connection task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerPhase {
    /// Normal operation.
    Running,
    /// Lame-duck mode: tell clients (NATS: INFO with `ldm: true`), accept no new connections,
    /// and expect to be closed within the grace period.
    LameDuck,
    /// Shutting down: close the connection now (flushing what is already buffered).
    Stopping,
}

/// A receiver of [`ServerPhase`] changes.
pub type PhaseWatch = tokio::sync::watch::Receiver<ServerPhase>;

/// A protocol front-end: serves one connection until it ends.
pub trait Frontend: Send + Sync + 'static {
    /// The protocol's name (`"nats"`, `"mqtt"`).
    fn name(&self) -> &'static str;
    /// True when the protocol itself calls [`Accepted::upgrade`] after its greeting (NATS
    /// sends INFO in plain text, then the client starts TLS). When false (the default: MQTT,
    /// WebSocket), the listener completes a pending upgrade before [`Frontend::serve`], so
    /// the protocol only ever sees the final stream.
    fn upgrades_after_greeting(&self) -> bool {
        false
    }
    /// Serves one connection. The future ends when the peer leaves, the protocol closes the
    /// connection, or `phase` reaches [`ServerPhase::Stopping`].
    fn serve(
        self: Arc<Self>,
        connection: Accepted,
        peer: PeerInfo,
        phase: PhaseWatch,
    ) -> BoxFuture<'static, ()>;
}

/// One message as routed by the broker. Every slice borrows from the publisher's read buffer:
/// nothing is copied on the way in.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The same bytes as `payload`, as a reference-counted handle, when the publisher could
    /// share them (large payloads): a sink may keep a clone instead of copying the payload.
    /// `None` means the payload is only borrowed and a sink that keeps it must copy it.
    pub payload_shared: Option<&'a bytes::Bytes>,
    /// The subject published to (already validated as a literal subject).
    pub subject: &'a [u8],
    /// The reply subject; empty when there is none.
    pub reply: &'a [u8],
    /// The NATS header block (`NATS/1.0...\r\n\r\n`), when the publish carried headers.
    pub headers: Option<&'a [u8]>,
    /// The payload.
    pub payload: &'a [u8],
}

impl Message<'_> {
    /// Header and payload bytes together, as counted by `in_bytes`/`out_bytes`.
    pub fn size(&self) -> usize {
        self.headers.map_or(0, <[u8]>::len) + self.payload.len()
    }
}

/// What a sink did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The message was queued for the subscriber.
    Delivered,
    /// The subscriber could not take it (slow consumer, closed); the message was dropped for
    /// this subscriber only.
    Dropped,
}

/// Receives routed messages for the subscriptions it owns.
///
/// `deliver` is called on the publisher's task and must never block or await: a sink appends
/// to its own bounded buffer, then lists itself in the publisher's `batch` for one flush at
/// the end of the batch (or wakes its writer when the batch does not collect), and asks the
/// publisher to pause through `batch` when its buffer fills.
pub trait Sink: Send + Sync {
    /// Hands `message`, matched by `subscription`, to the subscriber.
    fn deliver(
        &self,
        subscription: &Subscription,
        message: &Message<'_>,
        batch: &mut PublishBatch,
    ) -> DeliveryOutcome;
}
