//! Consumers: a cursor over a stream with explicit (or no, or cumulative) acknowledgement,
//! redelivery after `ack_wait` up to `max_deliver`, bounded by `max_ack_pending`, delivering
//! either to pull requests (`$JS.API.CONSUMER.MSG.NEXT`, module `pull`) or to a push
//! consumer's `deliver_subject` (with flow control and idle heartbeats, module `push`).
//! Every delivery's reply subject is the ack subject Go uses, `$JS.ACK.<stream>.<consumer>.
//! <delivered>.<stream seq>.<consumer seq>.<timestamp>.<pending>`, so async-nats, nats.go and
//! friends (and their ordered consumers, KV watchers and object readers) work unchanged.
//!
//! A state machine driven by the API thread: requests and acks, a wake-up from the stream's
//! writer when messages are stored, and a tick (expiry of pull requests, heartbeats,
//! redelivery). Its progress (delivered, ack floor, pending, redelivery counts) is written to
//! the stream's consumer-state store (`consumers/<name>.state`, the store's own checked
//! format) at most once per tick when it changed, and at stop; its configuration to
//! `consumers/<name>.json`. A restart resumes from the last write: at worst messages
//! delivered since are delivered again, none is skipped. Ephemeral consumers (no
//! `durable_name`) are never written and, like any consumer with an `inactive_threshold`, are
//! deleted after that long without pull requests or acks (a push consumer: without a
//! subscriber on its deliver subject).

mod config;
mod files;
mod pull;
mod push;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Instant, SystemTime};

use natrium_router::{Broker, LastMatch, Message, PublishBatch};
use natrium_store::consumer::{ConsumerState, ConsumerStore, Pending as StoredPending};
use natrium_store::{StoredMsg, StreamStore};
use serde_json::{Value, json};

pub use config::{
    AckPolicy, Action, ConsumerConfig, PushConfig, StartAt, check_request, check_update, random_id,
    state_config,
};
pub use files::{remove_files, save_config, saved_configs};
pub use pull::PULL_BATCH_MAX;

use crate::errors::ApiError;
use crate::stream::JETSTREAM_CLIENT;

/// Messages one consumer delivers in one turn of the API thread; more wait for the next turn
/// (which comes at once, see [`Consumer::has_more`]), so one consumer's backlog never holds
/// up API requests and other consumers.
const DELIVER_BURST_MAX: usize = 4096;

/// A delivered, unacknowledged message.
#[derive(Debug, Clone, Copy)]
struct Pending {
    consumer_seq: u64,
    deliveries: u64,
    deadline: Instant,
}

/// Who asks for messages.
enum Mode {
    Pull(pull::Requests),
    Push(push::Push),
}

/// One consumer.
pub struct Consumer {
    pub stream: String,
    pub config: ConsumerConfig,
    pub created: SystemTime,
    /// The next stream sequence to look at.
    next_seq: u64,
    /// `last_per_subject`: the last message of each matching subject when the consumer was
    /// created, ascending, all below `next_seq`; delivered first.
    start_list: VecDeque<u64>,
    /// (consumer sequence, stream sequence) of the last delivery.
    delivered: (u64, u64),
    ack_floor: (u64, u64),
    pending: BTreeMap<u64, Pending>,
    redelivered: u64,
    mode: Mode,
    /// Where the progress is kept (`None` until attached).
    state_store: Option<Box<dyn ConsumerStore>>,
    /// Progress changed since it was last written.
    dirty: bool,
    /// The last pull request or ack, or the last time a push consumer had a subscriber (for
    /// `inactive_threshold`).
    last_active: Instant,
    /// When the last message went out (Go's `delivered.last_active`).
    last_delivered_at: Option<SystemTime>,
    /// The last turn stopped at [`DELIVER_BURST_MAX`] with more to deliver.
    more: bool,
    /// Messages left after the last delivery of this turn: counted once per turn (under the
    /// store lock, so the store cannot change), then decremented per new delivery; without it
    /// every delivery would count again, which costs the stream's length on some filters.
    pending_in_turn: Option<u64>,
    /// Acknowledged since the last [`Consumer::take_acked`].
    acked: Vec<u64>,
    /// Advisories raised since the last [`Consumer::take_advisories`].
    advisories: Vec<crate::advisory::Advisory>,
    /// The last stream sequence it may deliver (the stream's durable point), if limited.
    ceiling: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// The match of the last delivery target (a push consumer's deliver subject, a pull
    /// request's inbox): a burst to one target matches it once.
    last_match: LastMatch,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("stream", &self.stream)
            .field("name", &self.config.name)
            .field("delivered", &self.delivered)
            .field("ack_floor", &self.ack_floor)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Consumer {
    pub fn new(stream: &str, config: ConsumerConfig, store: &dyn StreamStore) -> Self {
        let state = store.state();
        let filters = config.store_filters();
        let mut start_list = VecDeque::new();
        let next_seq = match config.start {
            StartAt::All => state.first_seq.max(1),
            StartAt::New => state.last_seq + 1,
            StartAt::Last => filters
                .iter()
                .filter_map(|filter| store.load_last(filter).ok().map(|message| message.seq))
                .max()
                .unwrap_or(state.last_seq + 1),
            StartAt::Sequence(seq) => seq,
            StartAt::Time(ns) => store.seq_from_time(ns),
            StartAt::LastPerSubject => {
                start_list = last_per_subject(store, &filters);
                state.last_seq + 1
            }
        };
        let first = start_list.front().copied().unwrap_or(next_seq);
        let mode = match config.push {
            Some(_) => Mode::Push(push::Push::new()),
            None => Mode::Pull(pull::Requests::default()),
        };
        Self {
            stream: stream.to_owned(),
            config,
            created: SystemTime::now(),
            next_seq,
            start_list,
            delivered: (0, first.saturating_sub(1)),
            ack_floor: (0, first.saturating_sub(1)),
            pending: BTreeMap::new(),
            redelivered: 0,
            mode,
            state_store: None,
            dirty: true,
            last_active: Instant::now(),
            last_delivered_at: None,
            more: false,
            pending_in_turn: None,
            acked: Vec::new(),
            advisories: Vec::new(),
            ceiling: None,
            last_match: LastMatch::new(),
        }
    }

    /// Delivers nothing past the sequence `ceiling` holds (the stream's durable point).
    pub fn limit_to(&mut self, ceiling: std::sync::Arc<std::sync::atomic::AtomicU64>) {
        self.ceiling = Some(ceiling);
    }

    /// True when `seq` may be delivered.
    fn visible(&self, seq: u64) -> bool {
        self.ceiling
            .as_ref()
            .is_none_or(|ceiling| seq <= ceiling.load(std::sync::atomic::Ordering::Acquire))
    }

    /// Attaches the state store; when it holds progress (a restart), resumes from it. A
    /// `last_per_subject` start list is dropped then: what follows the last delivery is
    /// delivered, possibly again, never skipped.
    /// Progress past the stream's last sequence (delivered before a crash took the messages
    /// back) is cut to it: the sequences will be given again, to new messages, which must be
    /// delivered.
    pub fn attach(&mut self, state_store: Box<dyn ConsumerStore>, store: &dyn StreamStore) {
        let mut state = state_store.state();
        let last_seq = store.state().last_seq;
        let clamped = state.delivered_stream_seq > last_seq;
        if clamped {
            tracing::warn!(
                stream = %self.stream,
                consumer = %self.config.name,
                delivered = state.delivered_stream_seq,
                last_seq,
                "consumer progress past the stream's end: resuming at its end"
            );
            state.delivered_stream_seq = last_seq;
            state.ack_floor_stream_seq = state.ack_floor_stream_seq.min(last_seq);
            state.pending.retain(|&seq, _| seq <= last_seq);
            state.redelivered.retain(|&seq, _| seq <= last_seq);
        }
        if state.delivered_stream_seq > 0 || !state.pending.is_empty() {
            let deadline = Instant::now() + self.config.ack_wait;
            self.delivered = (state.delivered_consumer_seq, state.delivered_stream_seq);
            self.ack_floor = (state.ack_floor_consumer_seq, state.ack_floor_stream_seq);
            self.next_seq = state.delivered_stream_seq + 1;
            self.start_list.clear();
            self.pending = state
                .pending
                .iter()
                .map(|(&seq, pending)| {
                    let deliveries = state.redelivered.get(&seq).map_or(1, |count| count + 1);
                    let pending = Pending {
                        consumer_seq: pending.consumer_seq,
                        deliveries,
                        deadline,
                    };
                    (seq, pending)
                })
                .collect();
            // A cut progress is written back at the next tick.
            self.dirty = clamped;
        }
        self.state_store = Some(state_store);
    }

    /// Applies an update `check_update` allowed. A durable consumer's state store is reopened
    /// with the new limits (`max_ack_pending`) and the current progress written to it.
    pub fn reconfigure(
        &mut self,
        config: ConsumerConfig,
        store: &mut dyn StreamStore,
    ) -> Result<(), ApiError> {
        if self.state_store.is_some() {
            self.persist();
            let state_store = store
                .consumer_store(&config.name, state_config(&config))
                .map_err(|error| ApiError::consumer_create(error.to_string()))?;
            self.state_store = Some(state_store);
            self.dirty = true;
        }
        self.config = config;
        Ok(())
    }

    /// Nothing asked for messages for `inactive_threshold`: no pull request waits and none
    /// came, nor an ack; for a push consumer, nobody subscribed to its deliver subject.
    pub fn is_inactive(&self, now: Instant) -> bool {
        let idle = match &self.mode {
            Mode::Pull(requests) => requests.is_empty(),
            Mode::Push(push) => !push.bound,
        };
        self.config.inactive_threshold.is_some_and(|threshold| {
            idle && now.saturating_duration_since(self.last_active) >= threshold
        })
    }

    /// How much longer the consumer is paused (`pause_until` in the future).
    pub fn paused_for(&self) -> Option<std::time::Duration> {
        let until = self.config.pause_until?;
        until
            .duration_since(SystemTime::now())
            .ok()
            .filter(|left| !left.is_zero())
    }

    /// Pauses deliveries until `until` (`None`, or a past time, resumes them); the
    /// configuration Go echoes carries it.
    pub fn pause(&mut self, until: Option<SystemTime>) {
        self.config.pause_until = until;
        match until {
            Some(until) => {
                let text = natrium_router::timefmt::rfc3339(until);
                self.config
                    .json
                    .insert("pause_until".to_owned(), json!(text));
            }
            None => {
                self.config.json.remove("pause_until");
            }
        }
    }

    /// A push consumer with nobody on its deliver subject at the last look.
    pub fn is_unbound_push(&self) -> bool {
        matches!(&self.mode, Mode::Push(push) if !push.bound)
    }

    /// The last turn stopped with more to deliver: the API thread should come back at once.
    pub fn has_more(&self) -> bool {
        self.more
    }

    /// Writes the progress when it changed since the last write.
    pub fn persist(&mut self) {
        if !self.dirty {
            return;
        }
        let Some(state_store) = &mut self.state_store else {
            return;
        };
        let state = ConsumerState {
            delivered_consumer_seq: self.delivered.0,
            delivered_stream_seq: self.delivered.1,
            ack_floor_consumer_seq: self.ack_floor.0,
            ack_floor_stream_seq: self.ack_floor.1,
            pending: self
                .pending
                .iter()
                .map(|(&seq, pending)| {
                    let stored = StoredPending {
                        consumer_seq: pending.consumer_seq,
                        timestamp_ns: 0,
                    };
                    (seq, stored)
                })
                .collect(),
            redelivered: self
                .pending
                .iter()
                .filter(|(_, pending)| pending.deliveries > 1)
                .map(|(&seq, pending)| (seq, pending.deliveries - 1))
                .collect(),
        };
        match state_store
            .replace(state)
            .and_then(|()| state_store.flush())
        {
            Ok(()) => self.dirty = false,
            Err(error) => {
                tracing::error!(consumer = %self.config.name, %error, "saving consumer state")
            }
        }
    }

    /// Messages left to deliver (never reading a block: the store's subject index counts).
    fn num_pending(&self, store: &dyn StreamStore) -> u64 {
        let after: u64 = self
            .config
            .store_filters()
            .iter()
            .map(|filter| store.num_pending(self.next_seq, filter, false))
            .sum();
        after + self.start_list.len() as u64
    }

    /// The consumer info Go answers.
    pub fn info(&self, store: &dyn StreamStore, broker: &Broker) -> Value {
        let mut info = json!({
            "stream_name": self.stream,
            "name": self.config.name,
            "created": natrium_router::timefmt::rfc3339(self.created),
            "config": self.config.json,
            "delivered": {"consumer_seq": self.delivered.0, "stream_seq": self.delivered.1},
            "ack_floor": {"consumer_seq": self.ack_floor.0, "stream_seq": self.ack_floor.1},
            "num_ack_pending": self.pending.len(),
            "num_redelivered": self.redelivered,
            "num_waiting": match &self.mode {
                Mode::Pull(requests) => requests.len(),
                Mode::Push(_) => 0,
            },
            "num_pending": self.num_pending(store),
            "ts": natrium_router::timefmt::rfc3339(SystemTime::now()),
        });
        if let Some(at) = self.last_delivered_at
            && let Some(delivered) = info.get_mut("delivered").and_then(Value::as_object_mut)
        {
            delivered.insert(
                "last_active".to_owned(),
                json!(natrium_router::timefmt::rfc3339(at)),
            );
        }
        if let Some(push) = &self.config.push
            && push::has_interest(broker, &push.subject)
            && let Some(info) = info.as_object_mut()
        {
            info.insert("push_bound".to_owned(), json!(true));
        }
        if let Some(left) = self.paused_for()
            && let Some(info) = info.as_object_mut()
        {
            info.insert("paused".to_owned(), json!(true));
            let ns = u64::try_from(left.as_nanos()).unwrap_or(u64::MAX);
            info.insert("pause_remaining".to_owned(), json!(ns));
        }
        info
    }

    /// Delivers what is due, to waiting pull requests or to the deliver subject.
    pub fn serve(&mut self, store: &dyn StreamStore, broker: &Broker, now: Instant) {
        if self.paused_for().is_some() {
            return;
        }
        self.pending_in_turn = None;
        match self.mode {
            Mode::Pull(_) => self.serve_pull(store, broker, now),
            Mode::Push(_) => self.serve_push(store, broker, now),
        }
        self.pending_in_turn = None;
    }

    /// Timers (pull expiry, heartbeats, redelivery) at `now`, then whatever is due.
    pub fn tick(&mut self, store: &dyn StreamStore, broker: &Broker, now: Instant) {
        match self.mode {
            Mode::Pull(_) => self.tick_pull(broker, now),
            Mode::Push(_) => self.tick_push(broker, now),
        }
        self.serve(store, broker, now);
    }

    /// The next message to deliver and how many times it will have been delivered:
    /// redeliveries first, then the start list, then new messages.
    fn next_message(&mut self, store: &dyn StreamStore, now: Instant) -> Option<(StoredMsg, u64)> {
        while let Some((seq, deliveries)) = self
            .pending
            .iter()
            .find(|(_, pending)| pending.deadline <= now)
            .map(|(&seq, pending)| (seq, pending.deliveries))
        {
            if self.config.max_deliver.is_some_and(|max| deliveries >= max) {
                // Delivered as often as allowed: it stops counting against max_ack_pending.
                self.pending.remove(&seq);
                self.advisories.push(crate::advisory::max_deliveries(
                    &self.stream,
                    &self.config.name,
                    seq,
                    deliveries,
                ));
                self.advance_floor();
                continue;
            }
            if let Ok(message) = store.load(seq) {
                self.redelivered += 1;
                return Some((message, deliveries + 1));
            }
            self.pending.remove(&seq);
            self.advance_floor();
        }
        if self.config.ack_policy != AckPolicy::None
            && self.pending.len() >= self.config.max_ack_pending
        {
            return None;
        }
        while let Some(&seq) = self.start_list.front() {
            if !self.visible(seq) {
                return None;
            }
            self.start_list.pop_front();
            if let Ok(message) = store.load(seq) {
                return Some((message, 1));
            }
            // Gone since the consumer was created: no longer pending either.
            self.pending_in_turn = self.pending_in_turn.map(|left| left.saturating_sub(1));
        }
        let message = match self.config.filters.as_slice() {
            [] => store.load_next(">", self.next_seq),
            [filter] => store.load_next(filter, self.next_seq),
            _ => store.load_next_any(&self.config.store_filters(), self.next_seq),
        }
        .ok()?;
        if !self.visible(message.seq) {
            return None;
        }
        self.next_seq = message.seq + 1;
        Some((message, 1))
    }

    /// Sends `message` to `target` with its ack subject as reply and records the delivery;
    /// returns the bytes sent.
    fn send(
        &mut self,
        message: &StoredMsg,
        deliveries: u64,
        target: &[u8],
        (store, broker, batch): (&dyn StreamStore, &Broker, &mut PublishBatch),
        now: Instant,
    ) -> u64 {
        self.last_delivered_at = Some(SystemTime::now());
        let consumer_seq = if deliveries == 1 {
            self.delivered.0 += 1;
            self.delivered = (self.delivered.0, self.delivered.1.max(message.seq));
            self.delivered.0
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
        self.pending_in_turn = Some(pending_after);
        let ack_subject = format!(
            "$JS.ACK.{}.{}.{deliveries}.{}.{consumer_seq}.{}.{pending_after}",
            self.stream, self.config.name, message.seq, message.ts_ns
        );
        let headers_only;
        let (headers, payload) = if self.config.headers_only {
            headers_only = with_msg_size(&message.headers, message.payload.len());
            (headers_only.as_slice(), &[][..])
        } else {
            (message.headers.as_slice(), message.payload.as_slice())
        };
        let delivery = Message {
            payload_shared: None,
            subject: message.subject.as_bytes(),
            reply: ack_subject.as_bytes(),
            headers: (!headers.is_empty()).then_some(headers),
            payload,
        };
        // Delivered to the subscribers of `target` (an inbox, the deliver subject) under the
        // message's own subject, as Go delivers.
        let matched = self.last_match.lookup(broker.sublist(), target);
        broker.deliver(matched, batch, JETSTREAM_CLIENT, true, &delivery);
        self.dirty = true;
        match self.config.ack_policy {
            AckPolicy::None => {
                self.ack_floor = self.delivered;
                self.acked.push(message.seq);
            }
            AckPolicy::Explicit | AckPolicy::All => {
                self.pending.insert(
                    message.seq,
                    Pending {
                        consumer_seq,
                        deliveries,
                        deadline: now + self.config.redelivery_wait(deliveries),
                    },
                );
            }
        }
        (message.subject.len() + headers.len() + payload.len()) as u64
    }

    /// Handles an acknowledgement sent to an ack subject for stream sequence `seq`.
    pub fn ack(&mut self, seq: u64, body: &[u8], now: Instant) {
        self.last_active = now;
        self.dirty = true;
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
        match verb {
            // `-NAK` or `-NAK {"delay": <ns>}`: redeliver now or after the delay.
            "-NAK" => {
                let delay = serde_json::from_str::<Value>(rest)
                    .ok()
                    .and_then(|value| value.get("delay").and_then(Value::as_u64))
                    .map_or(std::time::Duration::ZERO, std::time::Duration::from_nanos);
                if let Some(pending) = self.pending.get_mut(&seq) {
                    pending.deadline = now + delay;
                }
            }
            "+WPI" => {
                let config = &self.config;
                if let Some(pending) = self.pending.get_mut(&seq) {
                    pending.deadline = now + config.redelivery_wait(pending.deliveries);
                }
            }
            // An empty ack, `+ACK`, `+OK`, `+NXT ...` and `+TERM [reason]`: the message is
            // done. Anything else is ignored, as Go ignores it.
            "" | "+ACK" | "+OK" | "+NXT" | "+TERM" => {
                if verb == "+TERM"
                    && let Some(pending) = self.pending.get(&seq)
                {
                    self.advisories.push(crate::advisory::terminated(
                        (&self.stream, &self.config.name),
                        (seq, pending.consumer_seq),
                        pending.deliveries,
                        rest,
                    ));
                }
                if self.config.ack_policy == AckPolicy::All {
                    let done: Vec<u64> = self.pending.range(..=seq).map(|(&s, _)| s).collect();
                    self.pending.retain(|&pending, _| pending > seq);
                    self.acked.extend(done);
                } else if self.pending.remove(&seq).is_some() {
                    self.acked.push(seq);
                }
                self.advance_floor();
            }
            _ => {}
        }
    }

    /// Advisories raised since the last call (max deliveries, terminations).
    pub fn take_advisories(&mut self) -> Vec<crate::advisory::Advisory> {
        std::mem::take(&mut self.advisories)
    }

    /// Stream sequences acknowledged since the last call (acks, terms, cumulative acks, and
    /// deliveries of a consumer without acks): what interest and work-queue retention remove.
    pub fn take_acked(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.acked)
    }

    /// This consumer is done with stream sequence `seq`: acknowledged, or passed by without
    /// matching, or before where it started.
    pub fn has_acked(&self, seq: u64) -> bool {
        seq < self.next_seq
            && !self.pending.contains_key(&seq)
            && self.start_list.binary_search(&seq).is_err()
    }

    /// Every stream sequence below this one is done for this consumer.
    pub fn done_below(&self) -> u64 {
        let pending = self.pending.keys().next().copied();
        [
            Some(self.next_seq),
            pending,
            self.start_list.front().copied(),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(self.next_seq)
    }

    /// True when the consumer's filters take `subject`.
    pub fn wants(&self, subject: &str) -> bool {
        self.config.filters.is_empty()
            || self.config.filters.iter().any(|filter| {
                natrium_router::subject::filter_matches(filter.as_bytes(), subject.as_bytes())
            })
    }

    /// The ack floor: everything delivered below the oldest pending message is acknowledged.
    fn advance_floor(&mut self) {
        self.ack_floor = match self.pending.iter().next() {
            Some((&seq, pending)) => (pending.consumer_seq - 1, seq - 1),
            None => self.delivered,
        };
    }
}

/// The last message of each subject matching `filters`, in stream order.
fn last_per_subject(store: &dyn StreamStore, filters: &[&str]) -> VecDeque<u64> {
    let mut seqs: Vec<u64> = filters
        .iter()
        .flat_map(|filter| store.subjects_state(filter).into_values())
        .map(|state| state.last_seq)
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    seqs.into()
}

/// A `headers_only` delivery's header block: the message's headers plus `Nats-Msg-Size`.
fn with_msg_size(headers: &[u8], size: usize) -> Vec<u8> {
    let line = format!("Nats-Msg-Size: {size}\r\n\r\n");
    match headers.strip_suffix(b"\r\n") {
        Some(head) if headers.ends_with(b"\r\n\r\n") => [head, line.as_bytes()].concat(),
        _ => format!("NATS/1.0\r\n{line}").into_bytes(),
    }
}

/// A status message (`NATS/1.0 <status>`, extra header lines, no payload) to `target`, with
/// `reply` as its reply subject (a flow-control request's) or none.
fn send_status(broker: &Broker, target: &[u8], status: &str, reply: &[u8]) {
    let headers = format!("NATS/1.0 {status}\r\n\r\n");
    let message = Message {
        payload_shared: None,
        subject: target,
        reply,
        headers: Some(headers.as_bytes()),
        payload: b"",
    };
    broker.publish(
        &mut PublishBatch::unbatched(),
        JETSTREAM_CLIENT,
        true,
        &message,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_only_adds_the_size_to_the_headers() {
        assert_eq!(
            with_msg_size(b"", 5),
            b"NATS/1.0\r\nNats-Msg-Size: 5\r\n\r\n".to_vec()
        );
        assert_eq!(
            with_msg_size(b"NATS/1.0\r\nKV-Operation: DEL\r\n\r\n", 0),
            b"NATS/1.0\r\nKV-Operation: DEL\r\nNats-Msg-Size: 0\r\n\r\n".to_vec()
        );
    }
}
