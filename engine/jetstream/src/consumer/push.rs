//! Push consumers: deliveries go to `deliver_subject` while someone subscribes to it, with
//! Go's flow control and idle heartbeats, which ordered consumers (KV watch, keys, history,
//! object get and list) rely on:
//! - **Flow control** (`flow_control: true`): after every [`FC_WINDOW_BYTES`] or
//!   [`FC_WINDOW_MSGS`] delivered, a `NATS/1.0 100 FlowControl Request` status goes to the
//!   deliver subject with reply `$JS.FC.<stream>.<consumer>.<n>`. The client answers it once
//!   it has processed what came before; with [`FC_OUTSTANDING_MAX`] requests unanswered the
//!   consumer stalls, so a slow subscriber holds at most that many windows in flight.
//! - **Idle heartbeat** (`idle_heartbeat`): after that long without a delivery, `NATS/1.0 100
//!   Idle Heartbeat` with `Nats-Last-Consumer` and `Nats-Last-Stream` (the last delivery's
//!   sequences, which an ordered consumer checks for gaps), plus `Nats-Consumer-Stalled`
//!   naming the flow-control reply subject while stalled.

use std::collections::VecDeque;
use std::time::Instant;

use natrium_router::{Broker, PublishBatch};
use natrium_store::StreamStore;

use super::{Consumer, DELIVER_BURST_MAX, Mode, send_status};

/// Bytes delivered between two flow-control requests.
const FC_WINDOW_BYTES: u64 = 1 << 20;
/// Messages delivered between two flow-control requests.
const FC_WINDOW_MSGS: u64 = 8192;
/// Unanswered flow-control requests before delivery stalls: at most 8 MiB in flight per
/// consumer, well below a connection's default `max_pending` (64 MiB). Clients answer a
/// request only once they have processed what came before it, so with 2 (Go's 2 MiB) the
/// consumer idled between windows: an ordered read of 1.5 M messages ran at 0.6 M msg/s,
/// with 8 at 1.1 M (`natrium-bench js-ordered`, docs/benchmarks.md).
const FC_OUTSTANDING_MAX: usize = 8;

/// A push consumer's delivery state.
#[derive(Debug)]
pub(super) struct Push {
    /// Someone subscribed to the deliver subject at the last look.
    pub(super) bound: bool,
    /// The last delivery or heartbeat (for the idle heartbeat).
    last_sent: Instant,
    /// Delivered since the last flow-control request.
    window_bytes: u64,
    window_msgs: u64,
    /// Reply subjects of the flow-control requests not answered yet, oldest first.
    outstanding: VecDeque<String>,
    /// Numbers the flow-control reply subjects.
    requests_sent: u64,
}

impl Push {
    pub(super) fn new() -> Self {
        Self {
            bound: false,
            last_sent: Instant::now(),
            window_bytes: 0,
            window_msgs: 0,
            outstanding: VecDeque::new(),
            requests_sent: 0,
        }
    }

    fn stalled(&self) -> bool {
        self.outstanding.len() >= FC_OUTSTANDING_MAX
    }
}

/// True when some subscription matches the deliver subject.
pub(super) fn has_interest(broker: &Broker, subject: &str) -> bool {
    !broker.sublist().matches(subject.as_bytes()).is_empty()
}

impl Consumer {
    fn push_state(&mut self) -> Option<&mut Push> {
        match &mut self.mode {
            Mode::Push(push) => Some(push),
            Mode::Pull(_) => None,
        }
    }

    /// Delivers what is due to the deliver subject while someone listens and flow control
    /// allows (at most [`DELIVER_BURST_MAX`]).
    pub(super) fn serve_push(&mut self, store: &dyn StreamStore, broker: &Broker, now: Instant) {
        let Some(config) = self.config.push.clone() else {
            return;
        };
        let bound = has_interest(broker, &config.subject);
        if bound {
            self.last_active = now;
        }
        let mut sent = 0;
        // One flush per subscriber per burst, not one wake per message.
        let mut batch = PublishBatch::new();
        while let Some(push) = self.push_state() {
            push.bound = bound;
            if !bound || push.stalled() || sent == DELIVER_BURST_MAX {
                break;
            }
            let Some((message, deliveries)) = self.next_message(store, now) else {
                break;
            };
            let bytes = self.send(
                &message,
                deliveries,
                config.subject.as_bytes(),
                (store, broker, &mut batch),
                now,
            );
            sent += 1;
            let stream = self.stream.clone();
            let name = self.config.name.clone();
            let Some(push) = self.push_state() else {
                break;
            };
            push.last_sent = now;
            push.window_bytes += bytes;
            push.window_msgs += 1;
            if config.flow_control
                && (push.window_bytes >= FC_WINDOW_BYTES || push.window_msgs >= FC_WINDOW_MSGS)
            {
                push.requests_sent += 1;
                let reply = format!("$JS.FC.{stream}.{name}.{}", push.requests_sent);
                send_status(
                    broker,
                    config.subject.as_bytes(),
                    "100 FlowControl Request",
                    reply.as_bytes(),
                );
                push.outstanding.push_back(reply);
                (push.window_bytes, push.window_msgs) = (0, 0);
            }
        }
        batch.finish();
        self.more = sent == DELIVER_BURST_MAX;
    }

    /// A reply to a flow-control request: it and every older request are answered.
    pub fn flow_control_reply(&mut self, subject: &str, now: Instant) {
        self.last_active = now;
        if let Some(push) = self.push_state()
            && let Some(index) = push.outstanding.iter().position(|sent| sent == subject)
        {
            push.outstanding.drain(..=index);
        }
    }

    /// Sends the idle heartbeat when due.
    pub(super) fn tick_push(&mut self, broker: &Broker, now: Instant) {
        let Some(config) = &self.config.push else {
            return;
        };
        let Some(heartbeat) = config.heartbeat else {
            return;
        };
        let subject = config.subject.clone();
        let (consumer_seq, stream_seq) = self.delivered;
        let Some(push) = self.push_state() else {
            return;
        };
        if now.duration_since(push.last_sent) < heartbeat {
            return;
        }
        push.last_sent = now;
        let mut status = format!(
            "100 Idle Heartbeat\r\nNats-Last-Consumer: {consumer_seq}\r\nNats-Last-Stream: {stream_seq}"
        );
        if push.stalled()
            && let Some(waiting_for) = push.outstanding.back()
        {
            status.push_str("\r\nNats-Consumer-Stalled: ");
            status.push_str(waiting_for);
        }
        send_status(broker, subject.as_bytes(), &status, b"");
    }
}
