//! Pull requests (`$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>`): `batch`, `expires`,
//! `no_wait` and `idle_heartbeat`, queued up to `max_waiting`, answered by deliveries to the
//! request's inbox and ended with Go's status messages (`404 No Messages`, `408 Request
//! Timeout`, `409 Exceeded MaxWaiting`, `100 Idle Heartbeat`).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use natrium_router::{Broker, PublishBatch};
use natrium_store::{StoredMsg, StreamStore};
use serde_json::Value;

use super::{Consumer, DELIVER_BURST_MAX, Mode, send_status};

/// Largest `batch` of one pull request.
pub const PULL_BATCH_MAX: u64 = 1 << 20;

/// A pull request waiting for messages.
#[derive(Debug)]
struct Waiting {
    reply: Bytes,
    remaining: u64,
    delivered: u64,
    /// `max_bytes`: what the request may still receive (0: no limit), counted as Go counts a
    /// delivery (subject, ack reply, headers and payload).
    bytes_left: u64,
    expires: Option<Instant>,
    no_wait: bool,
    heartbeat: Option<Duration>,
    last_sent: Instant,
}

/// A pull consumer's queue of requests, oldest first.
#[derive(Debug, Default)]
pub(super) struct Requests {
    queue: VecDeque<Waiting>,
}

impl Requests {
    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }
}

impl Consumer {
    fn requests(&mut self) -> Option<&mut Requests> {
        match &mut self.mode {
            Mode::Pull(requests) => Some(requests),
            Mode::Push(_) => None,
        }
    }

    /// Queues a pull request (`body`: `{"batch","expires","no_wait","idle_heartbeat"}` or a
    /// bare batch size) and serves what it can now.
    pub fn pull(
        &mut self,
        reply: Bytes,
        body: &[u8],
        (store, broker): (&dyn StreamStore, &Broker),
        now: Instant,
    ) {
        self.last_active = now;
        let max_waiting = self.config.max_waiting;
        let Some(requests) = self.requests() else {
            send_status(broker, &reply, "409 Consumer is push based", b"");
            return;
        };
        // An empty body asks for one message; anything else must be JSON (Go: 400).
        let request: Value = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            match serde_json::from_slice(body) {
                Ok(request) => request,
                Err(error) => {
                    let status = format!(
                        "400 Bad Request - {}",
                        crate::gojson::syntax_error(body, &error)
                    );
                    send_status(broker, &reply, &status, b"");
                    return;
                }
            }
        };
        let number = |key: &str| request.get(key).and_then(Value::as_u64).unwrap_or(0);
        let batch = match &request {
            Value::Number(batch) => batch.as_u64().unwrap_or(1),
            _ => number("batch").max(1),
        }
        .min(PULL_BATCH_MAX);
        if requests.queue.len() >= max_waiting {
            send_status(broker, &reply, "409 Exceeded MaxWaiting", b"");
            return;
        }
        let nanos = |ns: u64| (ns > 0).then(|| Duration::from_nanos(ns));
        requests.queue.push_back(Waiting {
            reply,
            remaining: batch,
            delivered: 0,
            bytes_left: number("max_bytes"),
            expires: nanos(number("expires")).map(|expires| now + expires),
            no_wait: request
                .get("no_wait")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            heartbeat: nanos(number("idle_heartbeat")),
            last_sent: now,
        });
        self.serve(store, broker, now);
    }

    /// Delivers to waiting requests what is due (at most [`DELIVER_BURST_MAX`]); a `no_wait`
    /// request ends as soon as nothing more is available.
    pub(super) fn serve_pull(&mut self, store: &dyn StreamStore, broker: &Broker, now: Instant) {
        let mut sent = 0;
        // One flush per subscriber per burst, not one wake per message.
        let mut batch = PublishBatch::new();
        while sent < DELIVER_BURST_MAX {
            let Some(reply) = self
                .requests()
                .and_then(|requests| requests.queue.front())
                .map(|request| request.reply.clone())
            else {
                break;
            };
            let before = (self.next_seq, self.start_list.len(), self.redelivered);
            let Some((message, deliveries)) = self.next_message(store, now) else {
                break;
            };
            if !self.fits_request(&message, deliveries, store) {
                // Go ends the request and keeps the message for the next one.
                if deliveries > 1 {
                    self.redelivered = before.2;
                } else if self.start_list.len() < before.1 {
                    self.start_list.push_front(message.seq);
                } else {
                    self.next_seq = before.0;
                }
                if let Some(request) = self.requests().and_then(|r| r.queue.pop_front()) {
                    let status = format!(
                        "409 Message Size Exceeds MaxBytes\r\nNats-Pending-Messages: {}\r\n\
                         Nats-Pending-Bytes: {}",
                        request.remaining, request.bytes_left
                    );
                    send_status(broker, &request.reply, &status, b"");
                }
                continue;
            }
            self.send(
                &message,
                deliveries,
                &reply,
                (store, broker, &mut batch),
                now,
            );
            let Some(requests) = self.requests() else {
                break;
            };
            if let Some(request) = requests.queue.front_mut() {
                request.remaining -= 1;
                request.delivered += 1;
                request.last_sent = now;
                if request.remaining == 0
                    && let Some(request) = requests.queue.pop_front()
                    && request.bytes_left > 0
                {
                    // Go tells a request that ends on its batch what bytes it had left.
                    let status = format!(
                        "409 Batch Completed\r\nNats-Pending-Messages: 0\r\n\
                         Nats-Pending-Bytes: {}",
                        request.bytes_left
                    );
                    send_status(broker, &request.reply, &status, b"");
                }
            }
            sent += 1;
        }
        batch.finish();
        self.more = sent == DELIVER_BURST_MAX;
        let Some(requests) = self.requests() else {
            return;
        };
        // Go ends a no_wait request at the end of the stream with 404, unless it also has
        // an expiry and got nothing yet: that one waits for a message or its 408.
        requests.queue.retain(|request| {
            if !request.no_wait || request.expires.is_some() && request.delivered == 0 {
                return true;
            }
            send_status(broker, &request.reply, "404 No Messages", b"");
            false
        });
    }

    /// Whether the oldest request's `max_bytes` leaves room for `message`; takes its size from
    /// what is left (a request whose budget runs out takes this message as its last).
    fn fits_request(
        &mut self,
        message: &StoredMsg,
        deliveries: u64,
        store: &dyn StreamStore,
    ) -> bool {
        let limited = self
            .requests()
            .and_then(|requests| requests.queue.front())
            .is_some_and(|request| request.bytes_left > 0);
        if !limited {
            return true;
        }
        let size = self.delivery_size(message, deliveries, store);
        let Some(request) = self
            .requests()
            .and_then(|requests| requests.queue.front_mut())
        else {
            return true;
        };
        if size > request.bytes_left {
            return false;
        }
        request.bytes_left -= size;
        if request.bytes_left == 0 {
            request.remaining = 1;
        }
        true
    }

    /// Go's size of a delivery: subject, ack reply, headers and payload as sent.
    fn delivery_size(&self, message: &StoredMsg, deliveries: u64, store: &dyn StreamStore) -> u64 {
        let consumer_seq = if deliveries == 1 {
            self.delivered.0 + 1
        } else {
            self.pending
                .get(&message.seq)
                .map_or(self.delivered.0, |pending| pending.consumer_seq)
        };
        let pending_after = match self.pending_in_turn {
            Some(left) if deliveries == 1 => left.saturating_sub(1),
            Some(left) => left,
            None => self.num_pending(store),
        };
        let ack_reply = format!(
            "$JS.ACK.{}.{}.{deliveries}.{}.{consumer_seq}.{}.{pending_after}",
            self.stream, self.config.name, message.seq, message.ts_ns
        );
        let (headers, payload) = if self.config.headers_only {
            let headers = super::with_msg_size(&message.headers, message.payload.len());
            (headers.len(), 0)
        } else {
            (message.headers.len(), message.payload.len())
        };
        (message.subject.len() + ack_reply.len() + headers + payload) as u64
    }

    /// Ends expired requests (408) and sends due heartbeats (100).
    pub(super) fn tick_pull(&mut self, broker: &Broker, now: Instant) {
        let (consumer_seq, stream_seq) = self.delivered;
        let Some(requests) = self.requests() else {
            return;
        };
        requests.queue.retain_mut(|request| {
            // Go drops a request nobody listens for any more (its requester went away).
            if std::str::from_utf8(&request.reply)
                .is_ok_and(|reply| !super::push::has_interest(broker, reply))
            {
                return false;
            }
            if request.expires.is_some_and(|expires| expires <= now) {
                // What the request still wanted, as Go says it (natrium keeps no byte budget).
                let status = format!(
                    "408 Request Timeout\r\nNats-Pending-Messages: {}\r\nNats-Pending-Bytes: {}",
                    request.remaining, request.bytes_left
                );
                send_status(broker, &request.reply, &status, b"");
                return false;
            }
            if let Some(heartbeat) = request.heartbeat
                && now.duration_since(request.last_sent) >= heartbeat
            {
                let status = format!(
                    "100 Idle Heartbeat\r\nNats-Last-Consumer: {consumer_seq}\r\nNats-Last-Stream: {stream_seq}"
                );
                send_status(broker, &request.reply, &status, b"");
                request.last_sent = now;
            }
            true
        });
    }
}
