//! Pull consumers: a cursor over a stream with explicit (or no, or cumulative) acknowledgement,
//! redelivery after `ack_wait` up to `max_deliver`, bounded by `max_ack_pending`, fed by pull
//! requests (`$JS.API.CONSUMER.MSG.NEXT`: `batch`, `expires`, `no_wait`, `idle_heartbeat`),
//! acknowledged on `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.
//! <timestamp>.<pending>` as the Go server's, so async-nats, nats.go and friends fetch from it.
//!
//! A state machine driven by the API thread (requests, acks) and its tick (expiry of pull
//! requests, heartbeats, redelivery, and new messages, at most [`crate::stream::STOP_POLL`]
//! after they are stored). Its progress (delivered, ack floor, pending, redelivery counts) is
//! written to the stream's consumer-state store (`consumers/<name>.state`, the store's own
//! checked format) at most once per tick when it changed, and at stop; its configuration to
//! `consumers/<name>.json`. A restart resumes from the last write: at worst messages
//! delivered since are delivered again, none is skipped. Ephemeral consumers (no
//! `durable_name`) are never written and, like any consumer with an `inactive_threshold`, are
//! deleted after that long without pull requests or acks. Not yet: push consumers.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use natrium_router::{Broker, Message, PublishBatch};
use natrium_store::consumer::{ConsumerState, ConsumerStore, Pending as StoredPending};
use natrium_store::{StoredMsg, StreamStore};
use serde_json::{Map, Value, json};

use crate::errors::ApiError;
use crate::stream::JETSTREAM_CLIENT;

/// Go's default `ack_wait`: 30 s.
const ACK_WAIT_DEFAULT: Duration = Duration::from_secs(30);
/// Go's default `max_ack_pending`.
const MAX_ACK_PENDING_DEFAULT: i64 = 1000;
/// Go's default `max_waiting` (pull requests queued per consumer).
const MAX_WAITING_DEFAULT: i64 = 512;
/// Go's default `inactive_threshold` of an ephemeral consumer.
const INACTIVE_THRESHOLD_DEFAULT: Duration = Duration::from_secs(5);
/// Largest `batch` of one pull request.
pub const PULL_BATCH_MAX: u64 = 1 << 20;

/// Config fields natrium acts on; any other set to a non-default value is refused.
const SUPPORTED: &[&str] = &[
    "name",
    "durable_name",
    "description",
    "deliver_policy",
    "opt_start_seq",
    "ack_policy",
    "ack_wait",
    "max_deliver",
    "filter_subject",
    "replay_policy",
    "max_waiting",
    "max_ack_pending",
    "inactive_threshold",
    "num_replicas",
    "metadata",
];

/// How far acknowledgements reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckPolicy {
    Explicit,
    None,
    All,
}

/// A consumer's normalised configuration, echoed as Go echoes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerConfig {
    pub name: String,
    pub durable: bool,
    pub json: Map<String, Value>,
    pub ack_policy: AckPolicy,
    pub ack_wait: Duration,
    pub max_deliver: Option<u64>,
    pub filter: String,
    pub max_ack_pending: usize,
    pub max_waiting: usize,
    /// The first stream sequence to consider.
    pub start: StartAt,
    /// Deleted after this long without pull requests or acks (Go's default for ephemeral
    /// consumers is 5 s; durable ones keep none unless asked).
    pub inactive_threshold: Option<Duration>,
}

/// Where a new consumer starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    All,
    Last,
    New,
    Sequence(u64),
}

fn consumer_error(detail: impl Into<String>) -> ApiError {
    ApiError::consumer_create(detail)
}

impl ConsumerConfig {
    /// Parses `{"stream_name", "config", "action"}`; `name_in_subject` from the API subject.
    pub fn from_request(body: &[u8], name_in_subject: Option<&str>) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| ApiError::invalid_json(&error.to_string()))?;
        let Some(Value::Object(config)) = value.get("config").cloned() else {
            return Err(ApiError::invalid_json("a consumer request needs a config"));
        };
        for (key, value) in &config {
            if !SUPPORTED.contains(&key.as_str()) && !crate::config::is_default(value) {
                return Err(consumer_error(format!(
                    "{key} is not supported by natrium yet"
                )));
            }
        }
        let text = |key: &str| config.get(key).and_then(Value::as_str).unwrap_or_default();
        let int = |key: &str| config.get(key).and_then(Value::as_i64).unwrap_or(0);
        let durable = text("durable_name");
        let name = [durable, text("name"), name_in_subject.unwrap_or_default()]
            .into_iter()
            .find(|name| !name.is_empty())
            .map_or_else(ephemeral_name, str::to_owned);
        crate::config::check_name(&name)?;
        if !durable.is_empty() && durable != name || name_in_subject.is_some_and(|n| n != name) {
            return Err(consumer_error(
                "consumer name in subject does not match durable name",
            ));
        }
        let (ack_policy, start) = policies(&config)?;
        if int("num_replicas") > 1 {
            return Err(ApiError::replicas_not_supported());
        }
        let ack_wait = match u64::try_from(int("ack_wait")) {
            Ok(ns) if ns > 0 => Duration::from_nanos(ns),
            _ => ACK_WAIT_DEFAULT,
        };
        let positive = |key: &str, default: i64| match int(key) {
            value if value > 0 => value,
            _ => default,
        };
        let max_ack_pending = positive("max_ack_pending", MAX_ACK_PENDING_DEFAULT);
        let max_waiting = positive("max_waiting", MAX_WAITING_DEFAULT);
        let max_deliver = u64::try_from(int("max_deliver"))
            .ok()
            .filter(|&max| max > 0);
        let inactive_threshold = match u64::try_from(int("inactive_threshold")) {
            Ok(ns) if ns > 0 => Some(Duration::from_nanos(ns)),
            _ if durable.is_empty() => Some(INACTIVE_THRESHOLD_DEFAULT),
            _ => None,
        };
        let mut json = echo(
            &config,
            &name,
            !durable.is_empty(),
            ack_policy,
            ack_wait,
            max_deliver,
            (max_waiting, max_ack_pending),
        );
        if let Some(threshold) = inactive_threshold {
            let ns = u64::try_from(threshold.as_nanos()).unwrap_or(u64::MAX);
            json.insert("inactive_threshold".to_owned(), json!(ns));
        }
        Ok(Self {
            name,
            durable: !durable.is_empty(),
            json,
            ack_policy,
            ack_wait,
            max_deliver,
            filter: text("filter_subject").to_owned(),
            max_ack_pending: usize::try_from(max_ack_pending).unwrap_or(usize::MAX),
            max_waiting: usize::try_from(max_waiting).unwrap_or(usize::MAX),
            start,
            inactive_threshold,
        })
    }

    fn filter(&self) -> &str {
        if self.filter.is_empty() {
            ">"
        } else {
            &self.filter
        }
    }
}

/// What a create request may do (Go's `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    CreateOrUpdate,
    Create,
    Update,
}

impl Action {
    pub fn from_request(body: &[u8]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| ApiError::invalid_json(&error.to_string()))?;
        match value
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "" => Ok(Self::CreateOrUpdate),
            "create" => Ok(Self::Create),
            "update" => Ok(Self::Update),
            other => Err(ApiError::invalid_json(&format!(
                "can not unmarshal consumer action {other:?}"
            ))),
        }
    }
}

/// Refuses an update of what Go keeps fixed for a consumer's lifetime (with Go's texts).
/// Everything else (description, metadata, ack_wait, max_deliver, max_ack_pending,
/// filter_subject, inactive_threshold) takes effect at once.
pub fn check_update(old: &ConsumerConfig, new: &ConsumerConfig) -> Result<(), String> {
    let fixed = [
        (
            std::mem::discriminant(&old.start) != std::mem::discriminant(&new.start),
            "deliver policy can not be updated",
        ),
        (old.start != new.start, "start sequence can not be updated"),
        (
            old.ack_policy != new.ack_policy,
            "ack policy can not be updated",
        ),
        (
            old.max_waiting != new.max_waiting,
            "max waiting can not be updated",
        ),
        (old.durable != new.durable, "durable can not be updated"),
    ];
    match fixed.into_iter().find(|(changed, _)| *changed) {
        Some((_, reason)) => Err(reason.to_owned()),
        None => Ok(()),
    }
}

/// A fresh name for an ephemeral consumer created without one: eight characters from
/// `[A-Za-z0-9]`, like the Go server's. Unique enough to never collide in one stream (62^8):
/// the std hasher's random per-process keys mixed with the clock and a counter.
fn ephemeral_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let clock = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    hasher.write_u128(clock);
    let mut bits = hasher.finish();
    (0..8)
        .map(|_| {
            let index = usize::try_from(bits % 62).unwrap_or(0);
            bits /= 62;
            char::from(ALPHABET.get(index).copied().unwrap_or(b'0'))
        })
        .collect()
}

/// The acknowledgement policy and where the consumer starts.
fn policies(config: &Map<String, Value>) -> Result<(AckPolicy, StartAt), ApiError> {
    let text = |key: &str| config.get(key).and_then(Value::as_str).unwrap_or_default();
    let int = |key: &str| config.get(key).and_then(Value::as_i64).unwrap_or(0);
    let ack_policy = match text("ack_policy") {
        "" | "explicit" => AckPolicy::Explicit,
        "none" => AckPolicy::None,
        "all" => AckPolicy::All,
        other => return Err(consumer_error(format!("ack_policy {other:?}"))),
    };
    if !matches!(text("replay_policy"), "" | "instant") {
        return Err(consumer_error(
            "replay_policy original is not supported by natrium yet",
        ));
    }
    let start = match text("deliver_policy") {
        "" | "all" => StartAt::All,
        "last" => StartAt::Last,
        "new" => StartAt::New,
        "by_start_sequence" => {
            StartAt::Sequence(u64::try_from(int("opt_start_seq")).unwrap_or(0).max(1))
        }
        other => {
            return Err(consumer_error(format!(
                "deliver_policy {other:?} is not supported by natrium yet"
            )));
        }
    };
    Ok((ack_policy, start))
}

/// The configuration as Go echoes it: the request's fields with every default filled in.
fn echo(
    config: &Map<String, Value>,
    name: &str,
    durable: bool,
    ack_policy: AckPolicy,
    ack_wait: Duration,
    max_deliver: Option<u64>,
    (max_waiting, max_ack_pending): (i64, i64),
) -> Map<String, Value> {
    let text = |key: &str| config.get(key).and_then(Value::as_str).unwrap_or_default();
    let mut json = config.clone();
    let defaults = [
        (
            "deliver_policy",
            json!(match text("deliver_policy") {
                "" => "all",
                other => other,
            }),
        ),
        (
            "ack_policy",
            json!(match ack_policy {
                AckPolicy::Explicit => "explicit",
                AckPolicy::None => "none",
                AckPolicy::All => "all",
            }),
        ),
        (
            "ack_wait",
            json!(u64::try_from(ack_wait.as_nanos()).unwrap_or(u64::MAX)),
        ),
        (
            "max_deliver",
            json!(max_deliver.map_or(-1, |max| i64::try_from(max).unwrap_or(i64::MAX))),
        ),
        ("replay_policy", json!("instant")),
        ("max_waiting", json!(max_waiting)),
        ("max_ack_pending", json!(max_ack_pending)),
        ("num_replicas", json!(0)),
    ];
    for (key, value) in defaults {
        json.insert(key.to_owned(), value);
    }
    if durable {
        json.insert("durable_name".to_owned(), json!(name));
    }
    json.insert("name".to_owned(), json!(name));
    json
}

/// A delivered, unacknowledged message.
#[derive(Debug, Clone, Copy)]
struct Pending {
    consumer_seq: u64,
    deliveries: u64,
    deadline: Instant,
}

/// A pull request waiting for messages.
#[derive(Debug)]
struct Waiting {
    reply: Bytes,
    remaining: u64,
    delivered: u64,
    expires: Option<Instant>,
    no_wait: bool,
    heartbeat: Option<Duration>,
    last_sent: Instant,
}

/// One pull consumer.
pub struct Consumer {
    pub stream: String,
    pub config: ConsumerConfig,
    pub created: SystemTime,
    next_seq: u64,
    delivered: (u64, u64),
    ack_floor: (u64, u64),
    pending: BTreeMap<u64, Pending>,
    redelivered: u64,
    waiting: VecDeque<Waiting>,
    /// Where the progress is kept (`None` until attached).
    state_store: Option<Box<dyn ConsumerStore>>,
    /// Progress changed since it was last written.
    dirty: bool,
    /// The last pull request or ack (for `inactive_threshold`).
    last_active: Instant,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("stream", &self.stream)
            .field("name", &self.config.name)
            .field("delivered", &self.delivered)
            .field("ack_floor", &self.ack_floor)
            .field("pending", &self.pending.len())
            .field("waiting", &self.waiting.len())
            .finish_non_exhaustive()
    }
}

impl Consumer {
    pub fn new(stream: &str, config: ConsumerConfig, store: &dyn StreamStore) -> Self {
        let state = store.state();
        let next_seq = match config.start {
            StartAt::All => state.first_seq.max(1),
            StartAt::New => state.last_seq + 1,
            StartAt::Last => state.last_seq.max(1),
            StartAt::Sequence(seq) => seq,
        };
        Self {
            stream: stream.to_owned(),
            config,
            created: SystemTime::now(),
            next_seq,
            delivered: (0, next_seq.saturating_sub(1)),
            ack_floor: (0, next_seq.saturating_sub(1)),
            pending: BTreeMap::new(),
            redelivered: 0,
            waiting: VecDeque::new(),
            state_store: None,
            dirty: true,
            last_active: Instant::now(),
        }
    }

    /// Attaches the state store; when it holds progress (a restart), resumes from it.
    pub fn attach(&mut self, state_store: Box<dyn ConsumerStore>) {
        let state = state_store.state();
        if state.delivered_stream_seq > 0 || !state.pending.is_empty() {
            let deadline = Instant::now() + self.config.ack_wait;
            self.delivered = (state.delivered_consumer_seq, state.delivered_stream_seq);
            self.ack_floor = (state.ack_floor_consumer_seq, state.ack_floor_stream_seq);
            self.next_seq = state.delivered_stream_seq + 1;
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
            self.dirty = false;
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

    /// No pull request waits and none came, nor an ack, for `inactive_threshold`: the
    /// consumer is to be deleted.
    pub fn is_inactive(&self, now: Instant) -> bool {
        self.config.inactive_threshold.is_some_and(|threshold| {
            self.waiting.is_empty() && now.saturating_duration_since(self.last_active) >= threshold
        })
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

    /// The consumer info Go answers.
    pub fn info(&self, store: &dyn StreamStore) -> Value {
        json!({
            "stream_name": self.stream,
            "name": self.config.name,
            "created": natrium_router::timefmt::rfc3339(self.created),
            "config": self.config.json,
            "delivered": {"consumer_seq": self.delivered.0, "stream_seq": self.delivered.1},
            "ack_floor": {"consumer_seq": self.ack_floor.0, "stream_seq": self.ack_floor.1},
            "num_ack_pending": self.pending.len(),
            "num_redelivered": self.redelivered,
            "num_waiting": self.waiting.len(),
            "num_pending": store.num_pending(self.next_seq, self.config.filter(), false),
            "ts": natrium_router::timefmt::rfc3339(SystemTime::now()),
        })
    }

    /// Queues a pull request (`body`: `{"batch","expires","no_wait","idle_heartbeat"}` or a
    /// bare batch size) and serves what it can now.
    pub fn pull(&mut self, reply: Bytes, body: &[u8], store: &dyn StreamStore, broker: &Broker) {
        let now = Instant::now();
        self.last_active = now;
        let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let number = |key: &str| request.get(key).and_then(Value::as_u64).unwrap_or(0);
        let batch = match &request {
            Value::Number(batch) => batch.as_u64().unwrap_or(1),
            _ => number("batch").max(1),
        }
        .min(PULL_BATCH_MAX);
        if self.waiting.len() >= self.config.max_waiting {
            send_status(broker, &reply, "409 Exceeded MaxWaiting");
            return;
        }
        let nanos = |ns: u64| (ns > 0).then(|| Duration::from_nanos(ns));
        self.waiting.push_back(Waiting {
            reply,
            remaining: batch,
            delivered: 0,
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

    /// Delivers to waiting requests what is due: redeliveries first, then new messages.
    fn serve(&mut self, store: &dyn StreamStore, broker: &Broker, now: Instant) {
        while !self.waiting.is_empty() {
            let Some((message, deliveries)) = self.next_message(store, now) else {
                break;
            };
            self.deliver(&message, deliveries, store, broker, now);
        }
        // A no_wait request ends as soon as nothing more is available.
        let mut kept = VecDeque::with_capacity(self.waiting.len());
        for request in std::mem::take(&mut self.waiting) {
            if request.no_wait {
                let status = if request.delivered == 0 {
                    "404 No Messages"
                } else {
                    "408 Request Timeout"
                };
                send_status(broker, &request.reply, status);
            } else {
                kept.push_back(request);
            }
        }
        self.waiting = kept;
    }

    /// The next message to deliver and how many times it will have been delivered.
    fn next_message(&mut self, store: &dyn StreamStore, now: Instant) -> Option<(StoredMsg, u64)> {
        let due = self
            .pending
            .iter()
            .find(|(_, pending)| pending.deadline <= now)
            .map(|(&seq, pending)| (seq, pending.deliveries));
        if let Some((seq, deliveries)) = due {
            if self.config.max_deliver.is_some_and(|max| deliveries >= max) {
                // Delivered as often as allowed: it stops counting against max_ack_pending.
                self.pending.remove(&seq);
                self.advance_floor();
                return self.next_message(store, now);
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
        let message = store.load_next(self.config.filter(), self.next_seq).ok()?;
        self.next_seq = message.seq + 1;
        Some((message, 1))
    }

    fn deliver(
        &mut self,
        message: &StoredMsg,
        deliveries: u64,
        store: &dyn StreamStore,
        broker: &Broker,
        now: Instant,
    ) {
        let Some(request) = self.waiting.front_mut() else {
            return;
        };
        let consumer_seq = if deliveries == 1 {
            self.delivered.0 += 1;
            self.delivered = (self.delivered.0, self.delivered.1.max(message.seq));
            self.delivered.0
        } else {
            self.pending
                .get(&message.seq)
                .map_or(self.delivered.0, |pending| pending.consumer_seq)
        };
        let pending_after = store.num_pending(self.next_seq, self.config.filter(), false);
        let ack_subject = format!(
            "$JS.ACK.{}.{}.{deliveries}.{}.{consumer_seq}.{}.{pending_after}",
            self.stream, self.config.name, message.seq, message.ts_ns
        );
        let matched = broker.sublist().matches(&request.reply);
        let delivery = Message {
            payload_shared: None,
            subject: message.subject.as_bytes(),
            reply: ack_subject.as_bytes(),
            headers: (!message.headers.is_empty()).then_some(message.headers.as_slice()),
            payload: &message.payload,
        };
        broker.deliver(
            &matched,
            &mut PublishBatch::unbatched(),
            JETSTREAM_CLIENT,
            true,
            &delivery,
        );
        request.remaining -= 1;
        request.delivered += 1;
        request.last_sent = now;
        self.dirty = true;
        if request.remaining == 0 {
            self.waiting.pop_front();
        }
        match self.config.ack_policy {
            AckPolicy::None => self.ack_floor = self.delivered,
            AckPolicy::Explicit | AckPolicy::All => {
                self.pending.insert(
                    message.seq,
                    Pending {
                        consumer_seq,
                        deliveries,
                        deadline: now + self.config.ack_wait,
                    },
                );
            }
        }
    }

    /// Handles an acknowledgement sent to an ack subject for stream sequence `seq`.
    pub fn ack(&mut self, seq: u64, body: &[u8]) {
        let now = Instant::now();
        self.last_active = now;
        self.dirty = true;
        let kind = String::from_utf8_lossy(body);
        let kind = kind.trim();
        match kind {
            "-NAK" => {
                if let Some(pending) = self.pending.get_mut(&seq) {
                    pending.deadline = now;
                }
            }
            "+WPI" => {
                if let Some(pending) = self.pending.get_mut(&seq) {
                    pending.deadline = now + self.config.ack_wait;
                }
            }
            // "+ACK", "" (an empty ack), "+TERM" and "+NXT": the message is done.
            _ => {
                if self.config.ack_policy == AckPolicy::All {
                    self.pending.retain(|&pending, _| pending > seq);
                } else {
                    self.pending.remove(&seq);
                }
                self.advance_floor();
            }
        }
    }

    /// The ack floor: everything delivered below the oldest pending message is acknowledged.
    fn advance_floor(&mut self) {
        self.ack_floor = match self.pending.iter().next() {
            Some((&seq, pending)) => (pending.consumer_seq - 1, seq - 1),
            None => self.delivered,
        };
    }

    /// Expires pull requests, sends heartbeats, and serves redeliveries and new messages.
    pub fn tick(&mut self, store: &dyn StreamStore, broker: &Broker) {
        let now = Instant::now();
        let mut kept = VecDeque::with_capacity(self.waiting.len());
        for mut request in std::mem::take(&mut self.waiting) {
            if request.expires.is_some_and(|expires| expires <= now) {
                send_status(broker, &request.reply, "408 Request Timeout");
                continue;
            }
            if let Some(heartbeat) = request.heartbeat
                && now.duration_since(request.last_sent) >= heartbeat
            {
                send_status(broker, &request.reply, "100 Idle Heartbeat");
                request.last_sent = now;
            }
            kept.push_back(request);
        }
        self.waiting = kept;
        self.serve(store, broker, now);
    }
}

/// A status message (`NATS/1.0 <status>`, no payload) to a pull request's inbox.
fn send_status(broker: &Broker, reply: &[u8], status: &str) {
    let headers = format!("NATS/1.0 {status}\r\n\r\n");
    crate::stream::publish_message(
        broker,
        &mut PublishBatch::unbatched(),
        reply,
        headers.as_bytes(),
        b"",
    );
}

/// The consumer-state store's view of a configuration.
pub fn state_config(config: &ConsumerConfig) -> natrium_store::consumer::ConsumerConfig {
    use natrium_store::consumer::AckPolicy as Stored;
    natrium_store::consumer::ConsumerConfig {
        ack_policy: match config.ack_policy {
            AckPolicy::Explicit => Stored::Explicit,
            AckPolicy::None => Stored::None,
            AckPolicy::All => Stored::All,
        },
        max_deliver: config.max_deliver.unwrap_or(0),
        pending_max: u64::try_from(config.max_ack_pending)
            .unwrap_or(u64::MAX)
            .max(natrium_store::consumer::PENDING_MAX_DEFAULT),
    }
}

/// `<stream dir>/consumers/<name>.json`: the configuration a restart recreates it from.
fn config_path(stream_dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    stream_dir.join("consumers").join(format!("{name}.json"))
}

/// Writes the consumer's configuration next to its state (atomically).
pub fn save_config(config: &ConsumerConfig, stream_dir: &std::path::Path) -> Result<(), ApiError> {
    let body = json!({ "config": config.json });
    let storage = natrium_store::io::RealStorage::new();
    let path = config_path(stream_dir, &config.name);
    natrium_store::io::create_dir_durable(&storage, path.parent().unwrap_or(stream_dir))
        .and_then(|()| {
            natrium_store::io::write_atomic(&storage, &path, body.to_string().as_bytes())
        })
        .map_err(|error| ApiError::consumer_create(format!("saving the consumer: {error}")))
}

/// Removes a deleted consumer's files.
pub fn remove_files(stream_dir: &std::path::Path, name: &str) {
    for path in [
        config_path(stream_dir, name),
        stream_dir.join("consumers").join(format!("{name}.state")),
    ] {
        if let Err(error) = std::fs::remove_file(&path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::error!(path = %path.display(), %error, "removing a deleted consumer");
        }
    }
}

/// The configurations saved under `stream_dir`, by consumer name.
pub fn saved_configs(stream_dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(stream_dir.join("consumers")) else {
        return Vec::new();
    };
    let mut saved: Vec<(String, Vec<u8>)> = entries
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(".json")?
                .to_owned();
            match crate::service::read_saved_json(&path) {
                Ok(text) => Some((name, text)),
                Err(error) => {
                    // Left in place: nothing is deleted because it could not be read.
                    tracing::error!(path = %path.display(), %error, "consumer not loaded");
                    None
                }
            }
        })
        .collect();
    saved.sort();
    saved
}
