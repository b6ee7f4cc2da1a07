//! What each client verb does: CONNECT (options, authentication), PUB/HPUB (permissions,
//! routing, no-responders), SUB (limits, permissions), UNSUB (auto-unsubscribe), PING/PONG.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use natrium_router::{Message, Sink, Subscription, subject};

use super::{Close, Connection};
use crate::ClosedReason;
use crate::connect::{CLIENT_PROTOCOL_MAX, ConnectOptions};
use crate::parser::Frame;

/// The header block of a no-responders status, as the Go server sends it.
const NO_RESPONDERS_HEADERS: &[u8] = b"NATS/1.0 503\r\n\r\n";

impl Connection {
    /// Acts on one frame split off the read buffer as `bytes` (a large publish): its payload
    /// is delivered by reference instead of copied.
    pub(super) fn handle_shared(&mut self, bytes: Bytes) -> Result<(), Close> {
        match crate::parser::parse(&bytes, &self.limits) {
            Ok(crate::parser::Parsed::Frame { frame, consumed }) => {
                assert_eq!(consumed, bytes.len(), "a split frame parses whole again");
                self.handle(frame, Some(&bytes))
            }
            // The same bytes parsed as this frame a moment ago: loud in tests, and a closed
            // connection rather than a panic if it ever happened in production.
            other => {
                debug_assert!(false, "a split frame no longer parses: {other:?}");
                tracing::error!(cid = self.id.0, "a split frame no longer parses");
                Err(Close::Abort(ClosedReason::ParseError))
            }
        }
    }

    /// Acts on one frame; `source` holds the frame's bytes when they were split off the read
    /// buffer. `Err` ends the connection.
    pub(super) fn handle(&mut self, frame: Frame<'_>, source: Option<&Bytes>) -> Result<(), Close> {
        if !self.connect_received
            && self.auth.info_auth_required()
            && !matches!(frame, Frame::Connect(_))
        {
            self.send_err("Authorization Violation");
            return Err(Close::Flush(ClosedReason::AuthenticationViolation));
        }
        match frame {
            Frame::Connect(json) => self.connect(json),
            Frame::Pub {
                subject,
                reply,
                payload,
            } => {
                let shared = source.map(|bytes| bytes.slice_ref(payload));
                self.publish(&Message {
                    payload_shared: shared.as_ref(),
                    subject,
                    reply,
                    headers: None,
                    payload,
                });
                Ok(())
            }
            Frame::HPub {
                subject,
                reply,
                headers,
                payload,
            } => {
                if !self.flags.headers {
                    // The Go server closes without a word when headers were not negotiated.
                    return Err(Close::Flush(ClosedReason::ProtocolViolation));
                }
                let shared = source.map(|bytes| bytes.slice_ref(payload));
                self.publish(&Message {
                    payload_shared: shared.as_ref(),
                    subject,
                    reply,
                    headers: Some(headers),
                    payload,
                });
                Ok(())
            }
            Frame::Sub {
                subject,
                queue,
                sid,
            } => {
                self.subscribe(subject, queue, sid);
                Ok(())
            }
            Frame::Unsub { sid, max } => {
                self.unsubscribe(sid, max);
                Ok(())
            }
            Frame::Ping => {
                self.client_ping_at = Some(Instant::now());
                self.outbound
                    .push_batched(&mut self.batch, |out| out.extend_from_slice(b"PONG\r\n"));
                Ok(())
            }
            Frame::Pong => {
                self.pings_outstanding = 0;
                if let Some(sent) = self.ping_sent_at.take() {
                    self.rtt_measured_at = Some(Instant::now());
                    let rtt = u64::try_from(sent.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    self.shared.rtt_nanos.store(rtt, Ordering::Relaxed);
                }
                Ok(())
            }
            Frame::Ok => Ok(()),
            // A client's INFO is ignored, but the Go server closes on one it cannot parse.
            Frame::Info(json) => match serde_json::from_slice::<serde::de::IgnoredAny>(json) {
                Ok(_) => Ok(()),
                Err(_) => Err(Close::Flush(ClosedReason::ProtocolViolation)),
            },
            // The Go server names this close a parse error.
            Frame::Err(_) => Err(Close::Flush(ClosedReason::ParseError)),
        }
    }

    /// CONNECT: reads options, checks the protocol version and credentials.
    fn connect(&mut self, json: &[u8]) -> Result<(), Close> {
        self.estimate_rtt();
        let connect = match ConnectOptions::parse(json) {
            Ok(connect) => connect,
            Err(error) => {
                tracing::debug!(cid = self.id.0, %error, "bad CONNECT");
                return Err(Close::Flush(ClosedReason::ProtocolViolation));
            }
        };
        if connect
            .protocol
            .is_some_and(|p| !(0..=CLIENT_PROTOCOL_MAX).contains(&p))
        {
            self.send_err("invalid client protocol");
            return Err(Close::Flush(ClosedReason::BadClientProtocolVersion));
        }
        let flags = connect.flags(self.flags);
        if flags.no_responders && !flags.headers {
            self.send_err("no responders requires headers support");
            return Err(Close::Flush(ClosedReason::NoRespondersRequiresHeaders));
        }
        let nonce = self.nonce.as_deref().unwrap_or_default().as_bytes();
        let mut credentials = connect.credentials();
        credentials.certificate = self
            .security
            .as_ref()
            .and_then(|security| security.peer_certificate.as_ref());
        let identity = match self.auth.authenticate(&credentials, nonce) {
            Ok(identity) => identity,
            Err(error) => {
                tracing::info!(cid = self.id.0, %error, "authorization violation");
                self.send_err("Authorization Violation");
                // The Go server shows the user name a failed client claimed.
                self.shared.metadata.lock().authorized_user =
                    connect.user.clone().unwrap_or_default();
                return Err(Close::Flush(ClosedReason::AuthenticationViolation));
            }
        };
        self.flags = flags;
        self.connect_received = true;
        self.outbound.set_permissions(identity.permissions.clone());
        self.permissions = identity.permissions;
        {
            let mut metadata = self.shared.metadata.lock();
            metadata.name = connect.name.unwrap_or_default();
            metadata.lang = connect.lang.unwrap_or_default();
            metadata.version = connect.version.unwrap_or_default();
            metadata.authorized_user = identity.name;
        }
        self.send_ok();
        Ok(())
    }

    /// A first RTT, until a server PING measures it: the time from accepting the connection
    /// to its CONNECT, which spans the INFO/CONNECT round trip (the Go server's estimate).
    fn estimate_rtt(&self) {
        if self.shared.rtt_nanos.load(Ordering::Relaxed) != 0 {
            return;
        }
        let elapsed = SystemTime::now()
            .duration_since(self.shared.start)
            .unwrap_or_default();
        // At least 1 ns: 0 means "not measured".
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.shared.rtt_nanos.store(nanos, Ordering::Relaxed);
    }

    /// PUB/HPUB: checks the subject and permissions, routes, answers no-responders.
    fn publish(&mut self, message: &Message<'_>) {
        // Only pedantic clients have the subject checked, as in Go. Without pedantic mode a
        // `*` or `>` token in a published subject is an ordinary token: the router matches it
        // literally (`foo.*` reaches `foo.*` and `foo.>` subscribers, never `foo.bar`).
        if self.flags.pedantic && !subject::is_valid_literal(message.subject) {
            self.send_err("Invalid Publish Subject");
            // The Go server still acknowledges the PUB in verbose mode.
            self.send_ok();
            return;
        }
        if let Some(permissions) = &self.permissions
            && !permissions.can_publish(message.subject)
            && !self
                .outbound
                .take_reply_permit(message.subject, Instant::now())
        {
            let subject = String::from_utf8_lossy(message.subject);
            self.send_err(&format!(
                "Permissions Violation for Publish to \"{subject}\""
            ));
            return;
        }
        self.batch_in_msgs += 1;
        self.batch_in_bytes += message.size() as u64;
        // The Go server acknowledges before routing, so +OK precedes an echoed MSG.
        self.send_ok();
        let broker = self.frontend.broker();
        let outcome = broker.publish_with(
            &mut self.last_match,
            &mut self.batch,
            self.id,
            self.flags.echo,
            message,
        );
        if outcome.matched == 0 && self.flags.no_responders && !message.reply.is_empty() {
            self.no_responders(message.reply);
        }
    }

    /// Sends `HMSG <reply> <sid> 16 16` with a 503 status on the client's own subscription
    /// matching `reply`, as the Go server does for a request nobody listens to.
    fn no_responders(&mut self, reply: &[u8]) {
        let subscription = self
            .shared
            .subscriptions
            .lock()
            .values()
            .find(|sub| sub.queue.is_none() && subject::filter_matches(&sub.subject, reply))
            .cloned();
        if let Some(subscription) = subscription {
            let status = Message {
                payload_shared: None,
                subject: reply,
                reply: b"",
                headers: Some(NO_RESPONDERS_HEADERS),
                payload: b"",
            };
            self.outbound
                .deliver(&subscription, &status, &mut self.batch);
        }
    }

    /// SUB: checks limits, the subject and permissions, then subscribes.
    fn subscribe(&mut self, subject: &[u8], queue: Option<&[u8]>, sid: &[u8]) {
        let max_subscriptions = self.frontend.options().max_subscriptions as usize;
        let count = self.shared.subscriptions.lock().len();
        if max_subscriptions > 0 && count >= max_subscriptions {
            self.send_err("maximum subscriptions exceeded");
            return;
        }
        let valid_queue = queue.is_none_or(subject::is_valid_queue);
        if !subject::is_valid_filter(subject) || !valid_queue {
            self.send_err("Invalid Subject");
            return;
        }
        if let Some(permissions) = &self.permissions
            && !permissions.can_subscribe(subject, queue)
        {
            let subject = String::from_utf8_lossy(subject);
            let text = match queue {
                None => format!("Permissions Violation for Subscription to \"{subject}\""),
                Some(queue) => format!(
                    "Permissions Violation for Subscription to \"{subject}\" using queue \"{}\"",
                    String::from_utf8_lossy(queue)
                ),
            };
            self.send_err(&text);
            return;
        }
        // A second SUB with a sid already in use is ignored, as the Go server does.
        if !self.shared.subscriptions.lock().contains_key(sid) {
            let sink: Arc<dyn Sink> = self.outbound.clone();
            let created = Subscription::new(
                self.id,
                Bytes::copy_from_slice(sid),
                Bytes::copy_from_slice(subject),
                queue.map(Bytes::copy_from_slice),
                sink,
            );
            let Ok(subscription) = created else {
                self.send_err("Invalid Subject");
                return;
            };
            let subscription = Arc::new(subscription);
            if self
                .frontend
                .broker()
                .subscribe(subscription.clone())
                .is_err()
            {
                self.send_err("Invalid Subject");
                return;
            }
            self.shared
                .subscriptions
                .lock()
                .insert(subscription.sid.clone(), subscription);
        }
        self.send_ok();
    }

    /// UNSUB: removes now, or after `max` deliveries in total (counting those already made).
    fn unsubscribe(&mut self, sid: &[u8], max: Option<u64>) {
        let subscription = self.shared.subscriptions.lock().get(sid).cloned();
        if let Some(subscription) = subscription {
            let delivered = subscription.delivered.load(Ordering::Relaxed);
            match max {
                Some(max) if max > delivered => {
                    subscription.max_deliveries.store(max, Ordering::Relaxed);
                }
                _ => {
                    self.shared.subscriptions.lock().remove(sid);
                    self.frontend.broker().unsubscribe(&subscription);
                }
            }
        }
        self.send_ok();
    }
}
