//! One task per NATS connection: INFO first, then read, parse and act on frames until the
//! client leaves, breaks the protocol, goes stale, or the server stops.
//!
//! The task owns the read half and a reusable read buffer; a spawned writer task owns the
//! write half and drains the connection's [`Outbound`] buffer. Frames borrow from the read
//! buffer and are handled synchronously (publishing never awaits), so nothing is copied
//! between the socket and the subscribers' outbound buffers.

mod read_buffer;
mod verbs;
pub mod view;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use natrium_auth::{Authenticator, Permissions};
use natrium_router::PublishBatch;
use natrium_router::sublist::LastMatch;
use natrium_router::transport::{Security, SecurityOffer};
use natrium_router::{
    Accepted, Broker, ByteStream, ClientId, ClientSnapshot, ClientView, PeerInfo, PhaseWatch,
    ServerPhase, ServerStats,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf};

use crate::ClosedReason;
use crate::connect::ClientFlags;
use crate::frontend::NatsFrontend;
use crate::info::{Info, write_err};
use crate::outbound::{Closing, Outbound};
use crate::parser::{self, Frame, Parsed, ParserLimits};
use crate::writer::run_writer;
use read_buffer::ReadBuffer;
use view::ClientShared;
use view::NATS_CLIENT_TYPE;

/// How long an RTT measurement stays fresh (Go's `DEFAULT_RTT_MEASUREMENT_INTERVAL`).
const RTT_MEASUREMENT_INTERVAL: Duration = Duration::from_secs(3600);

/// How long writing the plain-text INFO before a transport upgrade may take.
const GREETING_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long closing waits for the writer to flush before giving up on it.
const CLOSE_FLUSH_WAIT: Duration = Duration::from_secs(2);

/// How and why the connection loop ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Close {
    /// Flush what is buffered (usually a final `-ERR`), then close.
    Flush(ClosedReason),
    /// Drop what is buffered and close.
    Abort(ClosedReason),
}

/// One connection's protocol state, owned by its task.
pub(crate) struct Connection {
    frontend: Arc<NatsFrontend>,
    id: ClientId,
    shared: Arc<ClientShared>,
    outbound: Arc<Outbound>,
    auth: Authenticator,
    nonce: Option<String>,
    limits: ParserLimits,
    /// What the transport offered (INFO `tls_required`, `tls_verify`, `tls_available`).
    offer: SecurityOffer,
    /// The established TLS session, if any (its client certificate maps to a user with
    /// `verify_and_map`).
    security: Option<Arc<Security>>,
    flags: ClientFlags,
    connect_received: bool,
    permissions: Option<Arc<Permissions>>,
    pings_outstanding: u32,
    ping_sent_at: Option<Instant>,
    /// Last bytes from the client, last PING from the client, last RTT measurement: a server
    /// PING is skipped while the client is evidently alive, as Go's `processPingTimer` does.
    last_read_at: Instant,
    client_ping_at: Option<Instant>,
    rtt_measured_at: Option<Instant>,
    /// The match of the last subject published: publishers repeat subjects, and a hit skips
    /// the shared sublist cache entirely.
    last_match: LastMatch,
    /// Messages and bytes received in the current read batch, added to the server-wide
    /// counters once per batch.
    batch_in_msgs: u64,
    batch_in_bytes: u64,
    /// This connection's publish batch (one per read): deferred flushes of the subscribers
    /// it delivered to, and the stall a full subscriber asked for. Reused, so its list keeps
    /// its capacity.
    batch: PublishBatch,
}

/// Serves one accepted connection until it closes.
pub(crate) async fn serve(
    frontend: Arc<NatsFrontend>,
    accepted: Accepted,
    peer: PeerInfo,
    phase: PhaseWatch,
) {
    let broker = frontend.broker().clone();
    let options = frontend.options();
    let stats = broker.stats();
    let open_before = stats
        .connections
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ServerStats::add(&stats.total_connections, 1);
    let _open = OpenConnection(broker.clone());

    let id = broker.next_client_id();
    let auth = frontend.authenticator();
    let nonce = auth.nonce_required().then(natrium_auth::new_nonce);
    let client_ip = peer.remote.ip().to_string();
    let offer = accepted.offer;
    let client_type = accepted.client_type.unwrap_or(NATS_CLIENT_TYPE);
    let mut info = Info::new(options, id.0, &client_ip);
    info.auth_required = auth.info_auth_required();
    info.set_offer(offer);
    info.nonce = nonce.as_deref();

    let greeted = accepted.pending.is_some();
    let Some((stream, security)) = greet_and_upgrade(accepted, &info, id, &peer, &broker).await
    else {
        return;
    };
    let (read_half, write_half) = tokio::io::split(stream);
    let pending_bytes_max = usize::try_from(options.max_pending)
        .expect("a u64 fits usize on the 64-bit targets natrium-nats builds for");
    let outbound = Outbound::new(pending_bytes_max, Arc::downgrade(&broker), Some(write_half));
    if !greeted {
        outbound.push(|out| info.write_line(out));
    }
    let writer = tokio::spawn(run_writer(
        outbound.clone(),
        options.write_deadline,
        broker.clone(),
    ));

    let shared = Arc::new(ClientShared::new(
        id.0,
        peer.remote,
        outbound.clone(),
        security.clone(),
    ));
    shared.set_client_type(client_type);
    let max_connections = u64::from(options.max_connections);
    if max_connections > 0 && open_before >= max_connections {
        outbound.push(|out| write_err(out, "maximum connections exceeded"));
        outbound.close(Closing::Flush);
        // Never registered as live, but listed among the closed, as the Go server does.
        let record = closed_record(&shared, ClosedReason::MaxConnectionsExceeded);
        broker.clients().close(id, record);
        let _ = tokio::time::timeout(CLOSE_FLUSH_WAIT, writer).await;
        return;
    }

    broker.clients().insert(id, shared.clone());
    let connection = Connection {
        limits: ParserLimits {
            control_line_max: usize::try_from(options.max_control_line)
                .expect("a u32 fits usize on the 64-bit targets natrium builds for"),
            payload_max: usize::try_from(options.max_payload)
                .expect("a u32 fits usize on the 64-bit targets natrium builds for"),
        },
        frontend: frontend.clone(),
        id,
        shared: shared.clone(),
        outbound: outbound.clone(),
        auth,
        nonce,
        offer,
        security,
        flags: ClientFlags::default(),
        connect_received: false,
        permissions: None,
        pings_outstanding: 0,
        ping_sent_at: None,
        last_read_at: Instant::now(),
        client_ping_at: None,
        rtt_measured_at: None,
        last_match: LastMatch::new(),
        batch_in_msgs: 0,
        batch_in_bytes: 0,
        batch: PublishBatch::new(),
    };
    let close = connection.run(read_half, phase).await;
    let (closing, reason) = match close {
        Close::Flush(reason) => (Closing::Flush, reason),
        Close::Abort(reason) => (Closing::Abort, reason),
    };
    // A failure the outbound side recorded first (slow consumer, write error) is the cause.
    let record = closed_record(&shared, outbound.failure().unwrap_or(reason));
    unsubscribe_all(&broker, &shared);
    broker.clients().close(id, record);
    outbound.close(closing);
    let _ = tokio::time::timeout(CLOSE_FLUSH_WAIT.max(options.write_deadline), writer).await;
}

/// With a transport step pending (TLS after INFO, as the Go server does it): writes INFO in
/// plain text, then lets the client start the handshake. Without one, hands the stream back
/// as it is (INFO then goes through the outbound buffer). A failed step closes the
/// connection, is logged, and is listed among the closed connections (Go's
/// `TLS Handshake Failure`): `None`.
async fn greet_and_upgrade(
    accepted: Accepted,
    info: &Info<'_>,
    id: ClientId,
    peer: &PeerInfo,
    broker: &Arc<Broker>,
) -> Option<(ByteStream, Option<Arc<Security>>)> {
    if accepted.pending.is_none() {
        return Some((accepted.stream, accepted.security));
    }
    let mut accepted = accepted;
    let mut line = Vec::new();
    info.write_line(&mut line);
    // The transport's own timeout bounds the handshake; this bounds the INFO write, which a
    // client that does not read could otherwise hold up.
    let greeted =
        tokio::time::timeout(GREETING_WRITE_TIMEOUT, accepted.stream.write_all(&line)).await;
    let result = match greeted {
        Ok(Ok(())) => accepted.upgrade().await,
        Ok(Err(error)) => Err(error),
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "INFO write timed out",
        )),
    };
    match result {
        Ok(upgraded) => Some((upgraded.stream, upgraded.security)),
        Err(error) => {
            tracing::error!(
                "{} - cid:{} - TLS handshake error: {error}",
                peer.remote,
                id.0
            );
            let outbound = Outbound::new(0, Arc::downgrade(broker), None);
            let shared = ClientShared::new(id.0, peer.remote, outbound, None);
            let record = closed_record(&shared, ClosedReason::TlsHandshakeFailure);
            broker.clients().close(id, record);
            None
        }
    }
}

/// Removes every subscription of a closing client from the broker.
fn unsubscribe_all(broker: &Broker, shared: &ClientShared) {
    let subscriptions: Vec<_> = shared
        .subscriptions
        .lock()
        .drain()
        .map(|(_, s)| s)
        .collect();
    for subscription in &subscriptions {
        broker.unsubscribe(subscription);
    }
}

/// The final snapshot of a closing client, subscriptions included, for the closed ring.
fn closed_record(shared: &ClientShared, reason: ClosedReason) -> ClientSnapshot {
    let mut record = shared.snapshot(true);
    record.stop = Some(SystemTime::now());
    record.reason = reason.as_str();
    record
}

/// Counts an open connection in `connections` until dropped.
struct OpenConnection(Arc<Broker>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0
            .stats()
            .connections
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Connection {
    /// The read loop; returns how to close.
    async fn run(mut self, mut reader: ReadHalf<ByteStream>, mut phase: PhaseWatch) -> Close {
        let options = self.frontend.options().clone();
        let mut buffer = ReadBuffer::new(self.limits.frame_bytes_max());
        let ping_interval = options.ping_interval.max(Duration::from_millis(1));
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + ping_interval, ping_interval);
        let auth_timeout = self.auth.timeout().unwrap_or(options.auth_timeout);
        let auth_deadline = tokio::time::sleep(auth_timeout);
        tokio::pin!(auth_deadline);
        let needs_auth = self.auth.info_auth_required();
        let far_future = Duration::from_secs(365 * 24 * 3600);
        let lame_duck_close = tokio::time::sleep(far_future);
        tokio::pin!(lame_duck_close);
        let mut phase_open = true;
        if *phase.borrow_and_update() == ServerPhase::Stopping {
            return Close::Flush(ClosedReason::ServerShutdown);
        }
        loop {
            tokio::select! {
                read = reader.read_buf(buffer.prepare()) => {
                    match read {
                        Ok(0) => return Close::Abort(ClosedReason::ClientClosed),
                        Err(_) => return Close::Abort(ClosedReason::ReadError),
                        Ok(count) => {
                            buffer.filled(count);
                            self.last_read_at = Instant::now();
                        }
                    }
                    let processed = self.process(&mut buffer);
                    self.batch.finish();
                    if let Err(close) = processed {
                        return close;
                    }
                    // A subscriber this batch filled past half of its max_pending: give it a
                    // moment to drain before reading more (bounded).
                    if let Some(gate) = self.batch.take_stall() {
                        ServerStats::add(&self.frontend.broker().stats().stalled_clients, 1);
                        gate.wait().await;
                    }
                }
                _ = ping.tick() => {
                    if let Err(close) = self.server_ping(options.ping_max, ping_interval) {
                        return close;
                    }
                }
                () = self.outbound.connection_attention() => {
                    if self.outbound.is_closing() {
                        // The outbound side failed (it recorded why) or the writer ended.
                        let reason = self.outbound.failure().unwrap_or(ClosedReason::WriteError);
                        return Close::Abort(reason);
                    }
                    self.remove_expired();
                }
                changed = phase.changed(), if phase_open => {
                    let current = match changed {
                        Ok(()) => *phase.borrow_and_update(),
                        Err(_) => { phase_open = false; continue; }
                    };
                    match current {
                        ServerPhase::Running => {}
                        ServerPhase::Stopping => {
                            return Close::Flush(ClosedReason::ServerShutdown);
                        }
                        ServerPhase::LameDuck => {
                            self.send_lame_duck_info();
                            let delay = lame_duck_delay(&options);
                            lame_duck_close.as_mut().reset(tokio::time::Instant::now() + delay);
                        }
                    }
                }
                () = &mut auth_deadline, if needs_auth && !self.connect_received => {
                    self.send_err("Authentication Timeout");
                    return Close::Flush(ClosedReason::AuthenticationTimeout);
                }
                () = &mut lame_duck_close => return Close::Flush(ClosedReason::ServerShutdown),
            }
        }
    }

    /// Parses and handles every complete frame in `buffer`.
    fn process(&mut self, buffer: &mut ReadBuffer) -> Result<(), Close> {
        let result = loop {
            let parsed = parser::parse(buffer.unparsed(), &self.limits);
            match parsed {
                Ok(Parsed::Frame { frame, consumed }) => {
                    let handled = if shares_payload(&frame, buffer.capacity()) {
                        let bytes = buffer.split_frame(consumed);
                        self.handle_shared(bytes)
                    } else {
                        let handled = self.handle(frame, None);
                        buffer.consume(consumed);
                        handled
                    };
                    if let Err(close) = handled {
                        break Err(close);
                    }
                }
                Ok(Parsed::Incomplete { needed }) => {
                    buffer.expect(needed);
                    break Ok(());
                }
                Err(error) => {
                    tracing::debug!(cid = self.id.0, %error, "protocol error");
                    if let Some(text) = error.client_text() {
                        self.send_err(text);
                    }
                    break Err(Close::Flush(ClosedReason::for_parse_error(&error)));
                }
            }
        };
        self.flush_in_counters();
        // This connection's own publishes may have used up one of its auto-unsubscribe limits.
        self.remove_expired();
        result
    }

    /// Adds this batch's inbound counters to the connection's and the server's.
    fn flush_in_counters(&mut self) {
        self.shared.touch();
        if self.batch_in_msgs == 0 {
            return;
        }
        let stats = self.frontend.broker().stats();
        ServerStats::add(&stats.in_msgs, self.batch_in_msgs);
        ServerStats::add(&stats.in_bytes, self.batch_in_bytes);
        ServerStats::add(&self.shared.in_msgs, self.batch_in_msgs);
        ServerStats::add(&self.shared.in_bytes, self.batch_in_bytes);
        self.batch_in_msgs = 0;
        self.batch_in_bytes = 0;
    }

    /// Sends a server PING, or closes a client that left `ping_max` PINGs unanswered. Skipped
    /// while the client showed activity within the interval and the RTT is fresh.
    fn server_ping(&mut self, ping_max: u32, ping_interval: Duration) -> Result<(), Close> {
        let now = Instant::now();
        let rtt_needed = self
            .rtt_measured_at
            .is_none_or(|at| now.duration_since(at) > RTT_MEASUREMENT_INTERVAL);
        let recent = |at: Instant| now.duration_since(at) < ping_interval;
        if !rtt_needed && (recent(self.last_read_at) || self.client_ping_at.is_some_and(recent)) {
            return Ok(());
        }
        if self.pings_outstanding + 1 > ping_max {
            self.send_err("Stale Connection");
            ServerStats::add(&self.frontend.broker().stats().stale_connections, 1);
            return Err(Close::Flush(ClosedReason::StaleConnection));
        }
        self.pings_outstanding += 1;
        self.ping_sent_at = Some(Instant::now());
        self.outbound.push(|out| out.extend_from_slice(b"PING\r\n"));
        Ok(())
    }

    /// Sends INFO again with `ldm: true`.
    fn send_lame_duck_info(&self) {
        let options = self.frontend.options();
        let client_ip = self.shared.remote.ip().to_string();
        let mut info = Info::new(options, self.id.0, &client_ip);
        info.auth_required = self.auth.info_auth_required();
        info.set_offer(self.offer);
        info.nonce = self.nonce.as_deref();
        info.ldm = true;
        self.outbound.push(|out| info.write_line(out));
    }

    /// Removes subscriptions that reached their auto-unsubscribe limit.
    fn remove_expired(&mut self) {
        for sid in self.outbound.take_expired() {
            let removed = self.shared.subscriptions.lock().remove(&sid);
            if let Some(subscription) = removed {
                self.frontend.broker().unsubscribe(&subscription);
            }
        }
    }

    /// Queues `-ERR '<text>'`, flushed with the current batch.
    fn send_err(&mut self, text: &str) {
        self.outbound
            .push_batched(&mut self.batch, |out| write_err(out, text));
    }

    /// Queues `+OK` when the client asked for verbose mode, flushed with the current batch.
    fn send_ok(&mut self) {
        if self.flags.verbose {
            self.outbound
                .push_batched(&mut self.batch, |out| out.extend_from_slice(b"+OK\r\n"));
        }
    }
}

/// Smallest payload delivered by reference to the read buffer instead of copied into each
/// subscriber's outbound buffer: below it the copy is cheaper than the shared handle.
const SHARED_PAYLOAD_BYTES_MIN: usize = 8 * 1024;
/// A shared payload keeps its whole read allocation alive until written; sharing only
/// payloads of at least 1/this of that allocation bounds the memory a subscriber's pending
/// bytes may hold to this many times what `max_pending` counts.
const SHARED_ALLOCATION_FACTOR_MAX: usize = 8;

/// True when `frame` is a publish whose payload is worth delivering from the read buffer.
fn shares_payload(frame: &Frame<'_>, allocation_bytes: usize) -> bool {
    let payload_len = match frame {
        Frame::Pub { payload, .. } | Frame::HPub { payload, .. } => payload.len(),
        _ => return false,
    };
    payload_len >= SHARED_PAYLOAD_BYTES_MIN
        && payload_len.saturating_mul(SHARED_ALLOCATION_FACTOR_MAX) >= allocation_bytes
}

/// When a lame-duck client is closed: after the grace period, at a random point of the rest
/// of the lame-duck duration, so clients do not all reconnect at once (as the Go server does).
fn lame_duck_delay(options: &crate::options::NatsOptions) -> Duration {
    let grace = options.lame_duck_grace_period;
    let spread = options.lame_duck_duration.saturating_sub(grace);
    let spread_ms = u64::try_from(spread.as_millis()).unwrap_or(u64::MAX);
    let jitter_ms = if spread_ms == 0 {
        0
    } else {
        rand::random_range(0..spread_ms)
    };
    grace + Duration::from_millis(jitter_ms)
}
