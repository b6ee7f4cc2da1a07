//! A connection's outbound side: the bounded buffer that deliveries and protocol replies are
//! appended to, and the [`Sink`] the broker delivers through. The writer task that drains it
//! is in [`crate::writer`].
//!
//! Concurrency: one `parking_lot::Mutex` around [`OutboundState`], taken briefly by the
//! publishers' tasks (one append per delivery), by the connection task (replies), by the
//! writer (one buffer swap per batch) and by monitoring; never held across an `.await`. The
//! socket's write half sits behind a `tokio::sync::Mutex`: the writer task holds it while it
//! writes; a publisher only ever `try_lock`s it for one non-blocking write at the end of its
//! read batch ([`DeferredFlush::flush_now`]). Lock order: socket, then state; never the reverse.
//!
//! Wake-ups: a delivery that makes the buffer non-empty either lists this outbound in the
//! publisher's [`PublishBatch`] for one end-of-batch flush or, when the publisher does not
//! batch, wakes the writer, so a burst costs one signal per subscriber. A publisher never
//! blocks on a subscriber: past half of `pending_bytes_max` it is asked (through its batch)
//! to pause briefly on this outbound's [`StallGate`]; past `pending_bytes_max` the subscriber
//! is closed as a slow consumer and the message is dropped for it alone.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use natrium_auth::Permissions;
use natrium_router::{
    Broker, ByteStream, DeferredFlush, DeliveryOutcome, Message, PublishBatch, ServerStats, Sink,
    StallGate, Subscription,
};

use parking_lot::Mutex;
use tokio::io::{AsyncWrite, WriteHalf};
use tokio::sync::Notify;

use crate::ClosedReason;
use crate::spliced::Spliced;

/// Reply subjects a client with `allow_responses` may answer at once (expired ones are
/// pruned first; beyond this a request's reply is not granted).
pub const REPLY_PERMITS_MAX: usize = 4096;

/// Why the outbound side is closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// Write what is buffered, then close (a `-ERR` before closing, server stop).
    Flush,
    /// Close now and drop what is buffered (slow consumer, socket error).
    Abort,
}

/// A grant to publish to a reply subject (`allow_responses`).
#[derive(Debug, Clone, Copy)]
struct ReplyPermit {
    remaining: u32,
    expires_at: Instant,
}

/// Everything behind the outbound mutex.
#[derive(Debug, Default)]
pub struct OutboundState {
    /// What waits to be written: copied bytes with shared payloads spliced in.
    pub(crate) out: Spliced,
    pub(crate) in_flight_bytes: usize,
    pub(crate) batch_msgs: u64,
    pub(crate) batch_bytes: u64,
    /// Messages and bytes delivered to this client (monitoring `out_msgs`/`out_bytes`).
    pub out_msgs: u64,
    pub out_bytes: u64,
    pub(crate) closing: Option<Closing>,
    /// Why the outbound side failed (slow consumer, write error); the first reason wins.
    failure: Option<ClosedReason>,
    /// Subscriptions that reached their auto-unsubscribe limit, for the connection task.
    expired: Vec<Bytes>,
    /// Set at CONNECT: delivery filtering (subscribe deny) and response permits.
    permissions: Option<Arc<Permissions>>,
    reply_permits: HashMap<Bytes, ReplyPermit>,
}

/// The outbound side of one connection; also its [`Sink`].
pub struct Outbound {
    pub(crate) state: Mutex<OutboundState>,
    pub(crate) writer_wake: Notify,
    /// Lets a publisher pause briefly while this client drains (see [`StallGate`]).
    pub(crate) stall: Arc<StallGate>,
    connection_wake: Notify,
    pending_bytes_max: usize,
    /// For counting slow consumers when detected; weak because the broker holds this sink.
    broker: Weak<Broker>,
    /// The socket's write half: the writer task's, or a publisher's for one non-blocking
    /// write at the end of its batch (`try_lock`, never awaited by publishers).
    pub(crate) socket: tokio::sync::Mutex<Option<WriteHalf<ByteStream>>>,
    /// This outbound, for handing itself to the end-of-batch flush list.
    me: Weak<Outbound>,
}

/// Largest buffer a publisher writes itself at the end of its batch; bigger ones go to the
/// writer task, so a publisher never spends long on someone else's socket.
const DIRECT_WRITE_BYTES_MAX: usize = 64 * 1024;

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("state", &self.state)
            .field("pending_bytes_max", &self.pending_bytes_max)
            .finish_non_exhaustive()
    }
}

impl Outbound {
    /// An empty outbound side that turns slow past `pending_bytes_max` buffered bytes.
    pub fn new(
        pending_bytes_max: usize,
        broker: Weak<Broker>,
        socket: Option<WriteHalf<ByteStream>>,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            state: Mutex::new(OutboundState::default()),
            writer_wake: Notify::new(),
            stall: Arc::new(StallGate::default()),
            connection_wake: Notify::new(),
            pending_bytes_max,
            broker,
            socket: tokio::sync::Mutex::new(socket),
            me: me.clone(),
        })
    }

    /// Leaves the flush to the end of the publisher's `batch`, or wakes the writer when the
    /// batch does not collect.
    fn signal_writer(&self, batch: &mut PublishBatch) {
        let listed = match self.me.upgrade() {
            Some(me) => batch.defer(me),
            None => false,
        };
        if !listed {
            self.writer_wake.notify_one();
        }
    }

    /// One non-blocking write of the whole (small) buffer; true when it left nothing behind.
    fn try_write_now(&self) -> bool {
        let Ok(mut socket) = self.socket.try_lock() else {
            return false;
        };
        let Some(socket) = socket.as_mut() else {
            return false;
        };
        let mut state = self.state.lock();
        // Bytes the writer has taken but not written yet must go out first.
        if state.closing.is_some() || state.in_flight_bytes > 0 {
            return false;
        }
        if state.out.is_empty() {
            return true;
        }
        // Spliced payloads are large: the writer task writes them with vectored writes.
        if !state.out.is_contiguous() || state.out.buffer.len() > DIRECT_WRITE_BYTES_MAX {
            return false;
        }
        // A no-op waker: if the socket is not ready, the writer task is woken and polls
        // with its own waker; nobody waits on this poll.
        let mut context = Context::from_waker(Waker::noop());
        let written = match Pin::new(&mut *socket).poll_write(&mut context, &state.out.buffer) {
            Poll::Ready(Ok(written)) => written,
            Poll::Ready(Err(_)) | Poll::Pending => 0,
        };
        let written = written.min(state.out.buffer.len());
        state.out.buffer.drain(..written);
        if !state.out.buffer.is_empty() {
            return false;
        }
        // A transport that buffers (TLS, WebSocket) must also be flushed; when it can not be
        // at once, the writer task is woken and flushes it.
        if !matches!(
            Pin::new(&mut *socket).poll_flush(&mut context),
            Poll::Ready(Ok(()))
        ) {
            return false;
        }
        let (msgs, bytes) = (state.batch_msgs, state.batch_bytes);
        state.out_msgs += msgs;
        state.out_bytes += bytes;
        state.batch_msgs = 0;
        state.batch_bytes = 0;
        drop(state);
        if let Some(broker) = self.broker.upgrade() {
            ServerStats::add(&broker.stats().out_msgs, msgs);
            ServerStats::add(&broker.stats().out_bytes, bytes);
        }
        self.stall.drained();
        true
    }

    /// Appends protocol bytes written by `write` (INFO, PING, -ERR) and wakes the writer.
    /// Returns false when the connection is closing (nothing was appended).
    pub fn push(&self, write: impl FnOnce(&mut Vec<u8>)) -> bool {
        self.push_batched(&mut PublishBatch::unbatched(), write)
    }

    /// Like [`Outbound::push`] from inside a batch (PONG, +OK, -ERR answering the frames of
    /// this connection's own read batch): flushed with the batch's other writes.
    pub fn push_batched(&self, batch: &mut PublishBatch, write: impl FnOnce(&mut Vec<u8>)) -> bool {
        let mut state = self.state.lock();
        if state.closing.is_some() {
            return false;
        }
        let was_empty = state.out.is_empty();
        write(&mut state.out.buffer);
        drop(state);
        if was_empty {
            self.signal_writer(batch);
        }
        true
    }

    /// Starts closing; `Abort` wins over `Flush`.
    pub fn close(&self, how: Closing) {
        let mut state = self.state.lock();
        if state.closing != Some(Closing::Abort) {
            state.closing = Some(how);
        }
        drop(state);
        self.writer_wake.notify_one();
        self.connection_wake.notify_one();
    }

    /// True once closing started.
    pub fn is_closing(&self) -> bool {
        self.state.lock().closing.is_some()
    }

    /// Closes the client as a slow consumer (`reason` says which limit) and counts it
    /// server-wide, once. The Go server closes without a `-ERR`; what is buffered is dropped.
    pub(crate) fn slow_consumer(&self, reason: ClosedReason) {
        if self.fail(reason)
            && let Some(broker) = self.broker.upgrade()
        {
            ServerStats::add(&broker.stats().slow_consumers, 1);
        }
    }

    /// Records why the outbound side failed, unless it already had; aborts the connection.
    /// True when this was the first failure.
    pub(crate) fn fail(&self, reason: ClosedReason) -> bool {
        let mut state = self.state.lock();
        let first = state.failure.is_none();
        if first {
            state.failure = Some(reason);
        }
        drop(state);
        self.close(Closing::Abort);
        first
    }

    /// True when the client was closed as a slow consumer.
    pub fn was_slow_consumer(&self) -> bool {
        matches!(
            self.state.lock().failure,
            Some(ClosedReason::SlowConsumerPendingBytes | ClosedReason::SlowConsumerWriteDeadline)
        )
    }

    /// Why the outbound side failed, if it did.
    pub fn failure(&self) -> Option<ClosedReason> {
        self.state.lock().failure
    }

    /// Resolves when the connection task has something to look at (expired subscriptions,
    /// closing).
    pub async fn connection_attention(&self) {
        self.connection_wake.notified().await;
    }

    /// Takes the sids of subscriptions that reached their delivery limit.
    pub fn take_expired(&self) -> Vec<Bytes> {
        std::mem::take(&mut self.state.lock().expired)
    }

    /// Sets the permissions that filter deliveries and grant responses (at CONNECT).
    pub fn set_permissions(&self, permissions: Option<Arc<Permissions>>) {
        self.state.lock().permissions = permissions;
    }

    /// Bytes buffered or being written (monitoring `pending_bytes`) and messages/bytes out.
    pub fn counters(&self) -> (u64, u64, u64) {
        let state = self.state.lock();
        let pending = (state.out.len() + state.in_flight_bytes) as u64;
        (pending, state.out_msgs, state.out_bytes)
    }

    /// Uses up one response permit for `subject`, if the client received a request with that
    /// reply subject and the permit is still valid.
    pub fn take_reply_permit(&self, subject: &[u8], now: Instant) -> bool {
        let mut state = self.state.lock();
        let Some(permit) = state.reply_permits.get_mut(subject) else {
            return false;
        };
        if permit.expires_at <= now {
            state.reply_permits.remove(subject);
            return false;
        }
        // `u32::MAX` means unlimited responses.
        if permit.remaining != u32::MAX {
            // A permit is removed when it reaches 0, so a stored one has at least one left.
            assert!(permit.remaining > 0, "a spent reply permit was kept");
            permit.remaining -= 1;
            if permit.remaining == 0 {
                state.reply_permits.remove(subject);
            }
        }
        true
    }
}

impl DeferredFlush for Outbound {
    /// At the end of a publisher's batch: writes the buffer to the socket right away when
    /// that can be done without waiting, else wakes the writer task.
    fn flush_now(&self) {
        if !self.try_write_now() {
            self.writer_wake.notify_one();
        }
    }
}

/// Counts the delivery against the subscription's auto-unsubscribe limit. False when the limit
/// was already reached (the message must not be delivered). Every delivery is counted, so an
/// UNSUB with a limit counts the messages already delivered, as Go does.
fn count_delivery(state: &mut OutboundState, subscription: &Subscription) -> bool {
    let max = subscription.max_deliveries.load(Ordering::Relaxed);
    let delivered = subscription.delivered.fetch_add(1, Ordering::Relaxed) + 1;
    if max == 0 {
        return true;
    }
    if delivered > max {
        return false;
    }
    if delivered == max {
        state.expired.push(subscription.sid.clone());
    }
    true
}

/// Appends `MSG subject sid [reply] size\r\npayload\r\n` (or HMSG with the header size); a
/// shared payload is spliced in rather than copied.
fn write_message(out: &mut Spliced, sid: &[u8], message: &Message<'_>) {
    let buffer = &mut out.buffer;
    let mut numbers = itoa::Buffer::new();
    buffer.extend_from_slice(if message.headers.is_some() {
        b"HMSG "
    } else {
        b"MSG "
    });
    buffer.extend_from_slice(message.subject);
    buffer.push(b' ');
    buffer.extend_from_slice(sid);
    buffer.push(b' ');
    if !message.reply.is_empty() {
        buffer.extend_from_slice(message.reply);
        buffer.push(b' ');
    }
    if let Some(headers) = message.headers {
        buffer.extend_from_slice(numbers.format(headers.len()).as_bytes());
        buffer.push(b' ');
    }
    buffer.extend_from_slice(numbers.format(message.size()).as_bytes());
    buffer.extend_from_slice(b"\r\n");
    if let Some(headers) = message.headers {
        buffer.extend_from_slice(headers);
    }
    match message.payload_shared {
        Some(shared) => {
            debug_assert_eq!(&shared[..], message.payload, "the handle is the payload");
            out.splice(shared.clone());
        }
        None => buffer.extend_from_slice(message.payload),
    }
    out.buffer.extend_from_slice(b"\r\n");
}

/// Bytes [`write_message`] appends.
fn message_bytes(sid: &[u8], message: &Message<'_>) -> usize {
    // "HMSG " + spaces + two 10-digit sizes + CRLFs: a generous upper bound is fine here, it
    // only decides slow-consumer status a few bytes early.
    5 + message.subject.len() + sid.len() + message.reply.len() + 2 * 11 + 6 + message.size()
}

impl Sink for Outbound {
    fn deliver(
        &self,
        subscription: &Subscription,
        message: &Message<'_>,
        batch: &mut PublishBatch,
    ) -> DeliveryOutcome {
        let mut state = self.state.lock();
        if state.closing.is_some() {
            return DeliveryOutcome::Dropped;
        }
        if let Some(permissions) = &state.permissions
            && permissions.delivery_denied(message.subject)
        {
            return DeliveryOutcome::Dropped;
        }
        let frame_bytes = message_bytes(&subscription.sid, message);
        if state.out.len() + state.in_flight_bytes + frame_bytes > self.pending_bytes_max {
            drop(state);
            tracing::info!(sid = ?subscription.sid, "slow consumer detected: max_pending exceeded");
            self.slow_consumer(ClosedReason::SlowConsumerPendingBytes);
            return DeliveryOutcome::Dropped;
        }
        let expired_before = state.expired.len();
        if !count_delivery(&mut state, subscription) {
            return DeliveryOutcome::Dropped;
        }
        let expired_now = state.expired.len() != expired_before;
        let was_empty = state.out.is_empty();
        write_message(&mut state.out, &subscription.sid, message);
        let pending = state.out.len() + state.in_flight_bytes;
        if pending > self.pending_bytes_max / 2 {
            batch.request_stall(&self.stall);
        }
        state.batch_msgs += 1;
        state.batch_bytes += message.size() as u64;
        if !message.reply.is_empty() {
            grant_reply(&mut state, message.reply);
        }
        drop(state);
        if was_empty {
            self.signal_writer(batch);
        }
        if expired_now {
            self.connection_wake.notify_one();
        }
        DeliveryOutcome::Delivered
    }
}

/// Records a response permit for `reply` when the client's permissions allow responses.
fn grant_reply(state: &mut OutboundState, reply: &[u8]) {
    let Some(allowed) = state.permissions.as_ref().and_then(|p| p.allow_responses()) else {
        return;
    };
    let now = Instant::now();
    if state.reply_permits.len() >= REPLY_PERMITS_MAX {
        state
            .reply_permits
            .retain(|_, permit| permit.expires_at > now);
        if state.reply_permits.len() >= REPLY_PERMITS_MAX {
            return;
        }
    }
    let remaining = if allowed.max_msgs == 0 {
        1
    } else {
        allowed.max_msgs
    };
    let expires = if allowed.expires.is_zero() {
        Duration::from_secs(120)
    } else {
        allowed.expires
    };
    state.reply_permits.insert(
        Bytes::copy_from_slice(reply),
        ReplyPermit {
            remaining,
            expires_at: now + expires,
        },
    );
}
