//! One stream: its store, owned by a writer thread fed through a bounded queue, and the
//! router subscriptions (one per configured subject) whose sink feeds that queue.
//!
//! The life of a stored message: a publish matches the stream's subscription; the sink copies
//! it into the bounded ingest queue and returns at once (the router never waits on a disk; a
//! full queue drops the message for this stream, and its publisher gets no PubAck and retries
//! as clients do on timeout). The writer thread takes everything queued (up to
//! [`APPEND_BATCH_MAX`]), appends each (`FileStore::store_deferred`: buffered, with a ticket),
//! waits once for the last ticket to be durable (`sync: always`: one group-commit fsync for the
//! whole batch), then publishes each PubAck. A store error answers that publisher with the Go
//! error (JSStreamStoreFailedF, JSStreamMessageExceedsMaximumErr).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use natrium_router::{
    Broker, ClientId, DeliveryOutcome, Message, PublishBatch, Sink, Subscription,
};
use natrium_store::filestore::{DurableWaiter, FileStore};
use natrium_store::{MemStore, NewMsg, StreamStore};
use parking_lot::{Mutex, RwLock};
use serde_json::json;

use crate::account::AccountUsage;
use crate::config::{Storage, StreamConfig};
use crate::dedup::Dedup;
use crate::errors::ApiError;
use crate::publish::{self, PublishRules};

/// Messages queued for one stream's writer before publishes to it are dropped.
pub const INGEST_QUEUE_MAX: usize = 8192;
/// Messages appended per group commit.
pub const APPEND_BATCH_MAX: usize = 1024;
/// How often a stream's writer runs the store's timers (expiry, checkpoints).
pub const TICK_INTERVAL: Duration = Duration::from_secs(1);
/// How long a stopping writer or API thread may take to notice.
pub const STOP_POLL: Duration = Duration::from_millis(50);
/// The client id JetStream's own subscriptions and replies use (never a connection's).
pub const JETSTREAM_CLIENT: ClientId = ClientId(u64::MAX - 1);

/// A stream's store: file-backed (durable, group commit) or in memory.
pub enum Store {
    // Both boxed: the stores are a few hundred bytes to a few KiB, the enum a pointer.
    /// With the durable waiter under `sync: always` (a PubAck waits for the fsync); without
    /// one under an interval policy (a PubAck means written to the store, as in Go).
    File(Box<FileStore>, Option<DurableWaiter>),
    Memory(Box<MemStore>),
}

impl Store {
    pub fn as_dyn(&self) -> &dyn StreamStore {
        match self {
            Self::File(store, _) => store.as_ref(),
            Self::Memory(store) => store.as_ref(),
        }
    }

    pub fn as_dyn_mut(&mut self) -> &mut dyn StreamStore {
        match self {
            Self::File(store, _) => store.as_mut(),
            Self::Memory(store) => store.as_mut(),
        }
    }

    /// Appends `msg`; the ticket to wait on before acknowledging, for a file store.
    fn append(
        &mut self,
        msg: &NewMsg<'_>,
        now_ns: u64,
    ) -> natrium_store::Result<(u64, Option<u64>)> {
        match self {
            Self::File(store, _) => store
                .store_deferred(msg, now_ns)
                .map(|(seq, _, ticket)| (seq, Some(ticket))),
            Self::Memory(store) => store.store(msg, now_ns).map(|(seq, _)| (seq, None)),
        }
    }

    /// Appends at a given sequence and time stamp (a mirror's copy); the skipped sequences
    /// become gaps. Returns the durability ticket of a file store.
    fn append_at(
        &mut self,
        msg: &NewMsg<'_>,
        (seq, ts_ns): (u64, u64),
    ) -> natrium_store::Result<Option<u64>> {
        match self {
            Self::File(store, _) => store.store_raw_deferred(msg, seq, ts_ns).map(Some),
            Self::Memory(store) => store.store_raw(msg, seq, ts_ns).map(|()| None),
        }
    }
}

/// One message on its way to the writer.
struct Ingest {
    subject: String,
    headers: Vec<u8>,
    payload: Vec<u8>,
    reply: Bytes,
    /// A mirror's copy: the origin's sequence and time stamp, kept as they are.
    at: Option<(u64, u64)>,
}

/// A running stream.
pub struct Stream {
    pub config: StreamConfig,
    /// The stream's pull consumers, by name (driven by the API thread).
    pub consumers: std::collections::BTreeMap<String, crate::consumer::Consumer>,
    pub created: SystemTime,
    /// `<store_dir>/jetstream/<account>/streams/<name>` for a file stream.
    pub dir: Option<PathBuf>,
    pub store: Arc<Mutex<Store>>,
    subscriptions: Vec<Arc<Subscription>>,
    ingest: Option<SyncSender<Ingest>>,
    writer: Option<JoinHandle<()>>,
    /// Publishes dropped because the ingest queue was full.
    pub dropped: Arc<AtomicU64>,
    stopping: Arc<AtomicBool>,
    /// What publishes may ask for, from the configuration (the writer reads it per batch).
    rules: Arc<RwLock<PublishRules>>,
    /// The republish rule, from the configuration (the writer reads it per batch).
    republish: crate::republish::SharedRepublish,
    /// The streams it copies from and how far (driven by the API thread).
    pub(crate) sources: Vec<crate::sources::Source>,
    /// `subject_transform`, from the configuration (the writer reads it per batch).
    subject_transform: SharedTransform,
    /// The account's limits and totals, and this stream's share of them.
    usage: Arc<AccountUsage>,
    bytes: Arc<AtomicU64>,
    pub(crate) broker: Arc<Broker>,
    /// Set while a [`crate::service::Work::Stored`] for this stream waits in the API queue.
    pub(crate) stored_queued: Arc<AtomicBool>,
    /// Why the store failed (an I/O error on append or fsync), if it did: `/healthz` fails.
    failure: Arc<Mutex<Option<String>>>,
    /// The last sequence consumers may deliver: under `sync: always` the last one whose
    /// group commit completed, so no consumer ever sees a message a crash could take back
    /// (and whose sequence the next publish after a restart would get again).
    pub(crate) visible: Arc<AtomicU64>,
    /// Whether the writer tells the API thread about stored messages.
    notice_wanted: Arc<AtomicBool>,
}

/// Tells the API thread that a stream stored messages, so its consumers deliver them at once
/// rather than at the next tick. At most one notice per stream waits in the queue: the flag
/// is cleared by the API thread before it serves the stream's consumers.
#[derive(Clone)]
struct StoredNotice {
    work: SyncSender<crate::service::Work>,
    queued: Arc<AtomicBool>,
    /// False while nobody needs the notice (no consumers, limits retention): the API thread
    /// is then not woken for every store (see [`Stream::refresh_notice`]).
    wanted: Arc<AtomicBool>,
    stream: String,
}

impl StoredNotice {
    fn send(&self) {
        if !self.wanted.load(Ordering::Acquire) || self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let notice = crate::service::Work::Stored(self.stream.clone());
        if self.work.try_send(notice).is_err() {
            // A full queue: the next tick serves the consumers anyway.
            self.queued.store(false, Ordering::Release);
        }
    }
}

impl Stream {
    /// Starts the writer and subscribes the stream's subjects.
    pub(crate) fn start(
        broker: Arc<Broker>,
        usage: Arc<AccountUsage>,
        config: StreamConfig,
        created: SystemTime,
        dir: Option<PathBuf>,
        store: Store,
        work: SyncSender<crate::service::Work>,
    ) -> Result<Self, ApiError> {
        let stored = StoredNotice {
            work,
            queued: Arc::new(AtomicBool::new(false)),
            wanted: Arc::new(AtomicBool::new(true)),
            stream: config.name.clone(),
        };
        let bytes = Arc::new(AtomicU64::new(0));
        usage.record(config.storage, &bytes, store.as_dyn().state().bytes);
        let store = Arc::new(Mutex::new(store));
        let (sender, receiver) = sync_channel(INGEST_QUEUE_MAX);
        let stopping = Arc::new(AtomicBool::new(false));
        let rules = Arc::new(RwLock::new(rules_of(&config)));
        let republish = Arc::new(RwLock::new(crate::republish::Republisher::of(&config)));
        let sources = crate::sources::open(
            &config.sources,
            config.mirror.as_ref(),
            store.lock().as_dyn(),
        );
        let subject_transform = Arc::new(RwLock::new(transform_of(&config)));
        let failure = Arc::new(Mutex::new(None));
        let visible = Arc::new(AtomicU64::new(store.lock().as_dyn().state().last_seq));
        let writer = {
            let context = WriterContext {
                name: config.name.clone(),
                storage: config.storage,
                store: Arc::clone(&store),
                rules: Arc::clone(&rules),
                republish: Arc::clone(&republish),
                subject_transform: Arc::clone(&subject_transform),
                usage: Arc::clone(&usage),
                bytes: Arc::clone(&bytes),
                broker: Arc::clone(&broker),
                stopping: Arc::clone(&stopping),
                stored: stored.clone(),
                failure: Arc::clone(&failure),
                visible: Arc::clone(&visible),
            };
            std::thread::Builder::new()
                .name(format!("js-{}", config.name))
                .spawn(move || run_writer(&context, &receiver))
                .map_err(|error| ApiError::store_failed(format!("writer thread: {error}")))?
        };
        let mut stream = Self {
            consumers: std::collections::BTreeMap::new(),
            config,
            created,
            dir,
            store,
            subscriptions: Vec::new(),
            ingest: Some(sender),
            writer: Some(writer),
            dropped: Arc::new(AtomicU64::new(0)),
            stopping,
            rules,
            republish,
            sources,
            subject_transform,
            usage,
            bytes,
            broker,
            stored_queued: stored.queued,
            notice_wanted: stored.wanted,
            failure,
            visible,
        };
        stream.subscribe()?;
        Ok(stream)
    }

    /// Makes the writer tell the API thread about stored messages only when someone needs
    /// them: a consumer, or interest / work-queue retention. `force` turns the notices on
    /// whatever the state (before a request that may add a consumer, so nothing stored in
    /// between waits for the next tick).
    pub(crate) fn refresh_notice(&self, force: bool) {
        let wanted = force
            || !self.consumers.is_empty()
            || crate::retention::Retention::of(self) != crate::retention::Retention::Limits;
        self.notice_wanted.store(wanted, Ordering::Release);
    }

    /// Why the stream's store failed, if it did.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().clone()
    }

    /// Reports the store's bytes to the account (after a purge, a delete, an update).
    pub fn record_usage(&self) {
        let bytes = self.store.lock().as_dyn().state().bytes;
        self.usage.record(self.config.storage, &self.bytes, bytes);
    }

    /// Applies a changed configuration's publish rules (after an update).
    pub fn refresh_rules(&self) {
        *self.rules.write() = rules_of(&self.config);
        *self.republish.write() = crate::republish::Republisher::of(&self.config);
        *self.subject_transform.write() = transform_of(&self.config);
    }

    /// Queues a message a source copied, like a publish without a reply; false when the
    /// queue is full (or the stream stopping), and nothing was queued.
    /// With `at` (a mirror), the copy keeps the origin's sequence and time stamp.
    pub(crate) fn enqueue_copy(
        &self,
        (subject, headers, payload): (String, Vec<u8>, Vec<u8>),
        at: Option<(u64, u64)>,
    ) -> bool {
        let Some(sender) = &self.ingest else {
            return false;
        };
        let copy = Ingest {
            subject,
            headers,
            payload,
            reply: Bytes::new(),
            at,
        };
        sender.try_send(copy).is_ok()
    }

    /// (Re)subscribes every configured subject.
    pub fn subscribe(&mut self) -> Result<(), ApiError> {
        self.unsubscribe();
        let Some(sender) = &self.ingest else {
            return Ok(());
        };
        let sink: Arc<dyn Sink> = Arc::new(StreamSink {
            ingest: sender.clone(),
            dropped: Arc::clone(&self.dropped),
        });
        for subject in &self.config.subjects {
            let subscription = Subscription::new(
                JETSTREAM_CLIENT,
                Bytes::from(format!("$JS.STREAM.{}", self.config.name)),
                Bytes::copy_from_slice(subject.as_bytes()),
                None,
                Arc::clone(&sink),
            )
            .map_err(|error| ApiError::invalid_config(error.to_string()))?;
            let subscription = Arc::new(subscription);
            self.broker
                .subscribe(Arc::clone(&subscription))
                .map_err(|error| ApiError::invalid_config(error.to_string()))?;
            self.subscriptions.push(subscription);
        }
        Ok(())
    }

    fn unsubscribe(&mut self) {
        for subscription in self.subscriptions.drain(..) {
            self.broker.unsubscribe(&subscription);
        }
    }

    /// Unsubscribes, lets the writer drain and stop, and closes the store.
    /// Idempotent: a deleted stream is stopped, then dropped.
    pub fn stop(&mut self) {
        self.unsubscribe();
        if self.ingest.is_none() {
            return;
        }
        for consumer in self.consumers.values_mut() {
            consumer.persist();
        }
        drop(self.ingest.take());
        self.stopping.store(true, Ordering::Release);
        if let Some(writer) = self.writer.take()
            && writer.join().is_err()
        {
            tracing::error!(stream = %self.config.name, "stream writer panicked");
        }
        if let Err(error) = self.store.lock().as_dyn_mut().close() {
            tracing::error!(stream = %self.config.name, %error, "closing the stream store");
        }
        // A stopped stream holds nothing the account counts (its files may be deleted next;
        // if they are not, the next start counts them again).
        self.usage.record(self.config.storage, &self.bytes, 0);
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A stream's `subject_transform`, shared like [`PublishRules`].
type SharedTransform = Arc<RwLock<Option<Arc<natrium_router::transform::SubjectTransform>>>>;

/// The subject transform `config` asks for (checked when the config was read).
fn transform_of(config: &StreamConfig) -> Option<Arc<natrium_router::transform::SubjectTransform>> {
    let transform = config.subject_transform.as_ref()?.transform().ok()??;
    Some(Arc::new(transform))
}

fn rules_of(config: &StreamConfig) -> PublishRules {
    PublishRules {
        allow_rollup: config.allow_rollup_hdrs,
        allow_msg_ttl: config.allow_msg_ttl,
        duplicate_window_ns: u64::try_from(config.duplicate_window).unwrap_or(0),
        no_ack: config.no_ack,
        sealed: config.sealed,
    }
}

/// The sink of a stream's subscriptions: copies the message into the ingest queue.
struct StreamSink {
    ingest: SyncSender<Ingest>,
    dropped: Arc<AtomicU64>,
}

impl Sink for StreamSink {
    fn deliver(
        &self,
        _: &Subscription,
        message: &Message<'_>,
        _: &mut PublishBatch,
    ) -> DeliveryOutcome {
        let Ok(subject) = std::str::from_utf8(message.subject) else {
            return DeliveryOutcome::Dropped;
        };
        let ingest = Ingest {
            subject: subject.to_owned(),
            headers: message.headers.unwrap_or_default().to_vec(),
            payload: message.payload.to_vec(),
            reply: Bytes::copy_from_slice(message.reply),
            at: None,
        };
        match self.ingest.try_send(ingest) {
            Ok(()) => DeliveryOutcome::Delivered,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                DeliveryOutcome::Dropped
            }
        }
    }
}

pub(crate) fn now_ns() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_nanos()).expect("ns since 1970 fit u64 until 2554")
}

/// What a stream's writer thread works with.
struct WriterContext {
    name: String,
    storage: Storage,
    store: Arc<Mutex<Store>>,
    rules: Arc<RwLock<PublishRules>>,
    republish: crate::republish::SharedRepublish,
    subject_transform: SharedTransform,
    usage: Arc<AccountUsage>,
    bytes: Arc<AtomicU64>,
    broker: Arc<Broker>,
    stopping: Arc<AtomicBool>,
    stored: StoredNotice,
    failure: Arc<Mutex<Option<String>>>,
    /// The last sequence consumers may deliver (see [`Stream::visible`]).
    visible: Arc<AtomicU64>,
}

impl WriterContext {
    /// Records a store failure for `/healthz` (the first one stays).
    fn failed(&self, error: &dyn std::fmt::Display) {
        let mut failure = self.failure.lock();
        if failure.is_none() {
            *failure = Some(error.to_string());
        }
    }

    /// Reports the store's bytes to the account (the store lock is held by the caller).
    fn record_usage(&self, store: &Store) {
        let bytes = store.as_dyn().state().bytes;
        self.usage.record(self.storage, &self.bytes, bytes);
    }
}

/// The writer loop: batches of queued messages, one durable wait per batch, then PubAcks; and
/// every [`TICK_INTERVAL`] the store's timers (max_age and TTL expiry, checkpoints). It ends
/// when `stopping` is set: the sink's copies of the sender may outlive the stream in
/// connections' match caches, so the channel alone would never close.
fn run_writer(context: &WriterContext, receiver: &Receiver<Ingest>) {
    let mut next_tick = Instant::now() + TICK_INTERVAL;
    let mut dedup = {
        let store = context.store.lock();
        let window = context.rules.read().duplicate_window_ns;
        Dedup::rebuild(store.as_dyn(), window, now_ns())
    };
    while !context.stopping.load(Ordering::Acquire) {
        let first = match receiver.recv_timeout(TICK_INTERVAL.min(STOP_POLL)) {
            Ok(first) => Some(first),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if Instant::now() >= next_tick {
            tick(context);
            dedup.expire(context.rules.read().duplicate_window_ns, now_ns());
            next_tick = Instant::now() + TICK_INTERVAL;
        }
        let Some(first) = first else {
            continue;
        };
        let mut batch = vec![first];
        while batch.len() < APPEND_BATCH_MAX {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        // Subjects are rewritten first: the store, the PubAck's checks and republish see the
        // stored subject.
        if let Some(transform) = context.subject_transform.read().clone() {
            for message in &mut batch {
                if let Some(subject) = transform.apply(&message.subject) {
                    message.subject = subject;
                }
            }
        }
        let republisher = context.republish.read().clone();
        let appended_at = now_ns();
        let mut lasts = Vec::new();
        let outcomes = append_batch(
            context,
            &mut dedup,
            &batch,
            republisher.is_some().then_some(&mut lasts),
        );
        if outcomes.iter().any(Result::is_ok) {
            context.stored.send();
        }
        // Batched: at the end each client's PubAcks are written from this thread when its
        // socket takes them at once, saving the hand-off to the connection's writer task.
        let mut replies = PublishBatch::new();
        // As Go: the republished copies go out before the PubAcks.
        if let Some(republisher) = republisher {
            republish(
                context,
                &republisher,
                &mut replies,
                (&batch, &outcomes, &lasts),
                appended_at,
            );
        }
        let no_ack = context.rules.read().no_ack;
        for (message, outcome) in batch.iter().zip(outcomes) {
            if message.reply.is_empty() || no_ack {
                continue;
            }
            let body = match outcome {
                Ok((seq, false)) => json!({"stream": context.name, "seq": seq}),
                Ok((seq, true)) => json!({"stream": context.name, "seq": seq, "duplicate": true}),
                Err(error) => json!({"error": error, "stream": context.name, "seq": 0}),
            };
            publish_reply(&context.broker, &mut replies, &message.reply, &body);
        }
        replies.finish();
    }
    // Whatever is still queued was never acknowledged; the stream is going away.
}

/// What a publish became: its sequence, and whether it was a duplicate (not stored again).
type Appended = Result<(u64, bool), ApiError>;

/// Republishes what the batch stored (duplicates and refusals excepted).
fn republish(
    context: &WriterContext,
    republisher: &crate::republish::Republisher,
    replies: &mut PublishBatch,
    (batch, outcomes, lasts): (&[Ingest], &[Appended], &[u64]),
    ts_ns: u64,
) {
    for ((message, outcome), &last_on_subject) in batch.iter().zip(outcomes).zip(lasts) {
        if let Ok((seq, false)) = *outcome {
            let stored = crate::republish::Stored {
                subject: &message.subject,
                headers: &message.headers,
                payload: &message.payload,
                seq,
                last_on_subject,
                ts_ns,
            };
            republisher.publish(&context.broker, replies, &stored);
        }
    }
}

/// Appends a batch under the store lock, then waits (unlocked) for it to be durable.
/// With `lasts`, each message's subject's last sequence before it is pushed there (for
/// republish).
fn append_batch(
    context: &WriterContext,
    dedup: &mut Dedup,
    batch: &[Ingest],
    mut lasts: Option<&mut Vec<u64>>,
) -> Vec<Appended> {
    let mut outcomes = Vec::with_capacity(batch.len());
    let (mut last_ticket, mut waiter) = (None, None);
    let appended_to;
    {
        let mut store = context.store.lock();
        let rules = *context.rules.read();
        for message in batch {
            if let Some(lasts) = lasts.as_deref_mut() {
                let store = store.as_dyn();
                lasts.push(crate::republish::Republisher::last_on_subject(
                    store,
                    &message.subject,
                ));
            }
            outcomes.push(append_one(
                context,
                (&mut store, &mut *dedup),
                rules,
                message,
                &mut last_ticket,
            ));
        }
        if let Store::File(_, Some(durable)) = &*store {
            waiter = Some(durable.clone());
        }
        appended_to = store.as_dyn().state().last_seq;
    }
    // The lock is released: other API calls proceed while the fsync runs.
    let synced = match (last_ticket, waiter) {
        (Some(ticket), Some(waiter)) => waiter.wait(ticket),
        _ => Ok(()),
    };
    if synced.is_ok() {
        // Consumers deliver only what a crash cannot take back (under sync: always).
        context.visible.fetch_max(appended_to, Ordering::AcqRel);
    }
    if let Err(error) = synced {
        tracing::error!(stream = %context.name, %error, "stream fsync failed");
        context.failed(&error);
        let failed = ApiError::store_failed(error.to_string());
        for outcome in &mut outcomes {
            if outcome.is_ok() {
                *outcome = Err(failed.clone());
            }
        }
    }
    outcomes
}

/// The store's timers: messages past max_age or their TTL go, and a file store writes its
/// checkpoint when its policy says so.
fn tick(context: &WriterContext) {
    let now = now_ns();
    let name = &context.name;
    let mut store = context.store.lock();
    if let Err(error) = store.as_dyn_mut().expire(now) {
        tracing::error!(stream = %name, %error, "expiring messages");
    }
    if let Store::File(file, _) = &mut *store
        && let Err(error) = file.tick(now)
    {
        tracing::error!(stream = %name, %error, "stream checkpoint");
    }
    context.record_usage(&store);
}

fn append_one(
    context: &WriterContext,
    (store, dedup): (&mut Store, &mut Dedup),
    rules: PublishRules,
    message: &Ingest,
    last_ticket: &mut Option<u64>,
) -> Appended {
    if let Some(at) = message.at {
        return append_mirrored(context, store, message, at, last_ticket);
    }
    let id = crate::dedup::msg_id(&message.headers);
    if let Some(id) = &id {
        if id.len() > crate::dedup::MSG_ID_LEN_MAX {
            return Err(ApiError::invalid_config("Nats-Msg-Id is too long"));
        }
        if let Some(seq) = dedup.seen(id) {
            return Ok((seq, true));
        }
    }
    if !message.headers.is_empty() {
        let text = String::from_utf8_lossy(&message.headers);
        if let Some(expected) = publish::header(&text, "Nats-Expected-Last-Msg-Id")
            && expected != dedup.last_msg_id()
        {
            return Err(ApiError::wrong_last_msg_id(dedup.last_msg_id()));
        }
    }
    let checked = publish::check(
        store.as_dyn(),
        &context.name,
        rules,
        &message.subject,
        &message.headers,
    )?;
    let adding = natrium_store::types::stored_msg_bytes(
        message.subject.len(),
        message.headers.len(),
        message.payload.len(),
    );
    context.usage.check(context.storage, adding)?;
    let msg = NewMsg {
        subject: &message.subject,
        headers: &message.headers,
        payload: &message.payload,
        ttl: checked.ttl,
    };
    let now = now_ns();
    match store.append(&msg, now) {
        Ok((seq, ticket)) => {
            if ticket.is_some() {
                *last_ticket = ticket;
            }
            dedup.stored(id.as_deref(), seq, now);
            let rolled =
                publish::apply_rollup(store.as_dyn_mut(), checked.rollup, &message.subject, seq);
            context.record_usage(store);
            rolled.map_err(|error| ApiError::rollup_failed(error.to_string()))?;
            Ok((seq, false))
        }
        Err(natrium_store::Error::MsgTooLarge { .. }) => Err(ApiError::message_exceeds_maximum()),
        Err(error @ natrium_store::Error::Io { .. }) => {
            context.failed(&error);
            Err(ApiError::store_failed(error.to_string()))
        }
        Err(error) => Err(ApiError::store_failed(error.to_string())),
    }
}

/// A mirror's copy: stored as it is, at the origin's sequence and time stamp (no publish
/// checks, no deduplication: the origin did those). A sequence the mirror already has (a
/// copy queued twice around a restart) is skipped.
fn append_mirrored(
    context: &WriterContext,
    store: &mut Store,
    message: &Ingest,
    (seq, ts_ns): (u64, u64),
    last_ticket: &mut Option<u64>,
) -> Appended {
    if seq <= store.as_dyn().state().last_seq {
        return Ok((seq, true));
    }
    let msg = NewMsg {
        subject: &message.subject,
        headers: &message.headers,
        payload: &message.payload,
        ttl: natrium_store::types::MsgTtl::Stream,
    };
    match store.append_at(&msg, (seq, ts_ns)) {
        Ok(ticket) => {
            if ticket.is_some() {
                *last_ticket = ticket;
            }
            context.record_usage(store);
            Ok((seq, false))
        }
        Err(error @ natrium_store::Error::Io { .. }) => {
            context.failed(&error);
            Err(ApiError::store_failed(error.to_string()))
        }
        Err(error) => Err(ApiError::store_failed(error.to_string())),
    }
}

/// Publishes `body` (JSON) to `reply` as JetStream's internal client.
pub fn publish_reply(
    broker: &Broker,
    batch: &mut PublishBatch,
    reply: &[u8],
    body: &serde_json::Value,
) {
    let payload = body.to_string();
    let message = Message {
        payload_shared: None,
        subject: reply,
        reply: b"",
        headers: None,
        payload: payload.as_bytes(),
    };
    broker.publish(batch, JETSTREAM_CLIENT, true, &message);
}

/// Publishes `payload` (no headers) to `reply` as JetStream's internal client.
pub fn publish_reply_raw(broker: &Broker, batch: &mut PublishBatch, reply: &[u8], payload: &[u8]) {
    let message = Message {
        payload_shared: None,
        subject: reply,
        reply: b"",
        headers: None,
        payload,
    };
    broker.publish(batch, JETSTREAM_CLIENT, true, &message);
}

/// Publishes a message with a NATS header block to `reply` as JetStream's internal client (a
/// direct get's answer).
pub fn publish_message(
    broker: &Broker,
    batch: &mut PublishBatch,
    reply: &[u8],
    headers: &[u8],
    payload: &[u8],
) {
    let message = Message {
        payload_shared: None,
        subject: reply,
        reply: b"",
        headers: Some(headers),
        payload,
    };
    broker.publish(batch, JETSTREAM_CLIENT, true, &message);
}

/// Creates consumer `config` on `stream`; a durable one is attached to its state store
/// (resuming saved progress, if any).
pub fn open_consumer(
    stream: &Stream,
    config: crate::consumer::ConsumerConfig,
) -> Result<crate::consumer::Consumer, ApiError> {
    let mut store = stream.store.lock();
    // Only a durable consumer's progress is kept.
    let state_store = if config.durable {
        let state_config = crate::consumer::state_config(&config);
        let state_store = store
            .as_dyn_mut()
            .consumer_store(&config.name, state_config)
            .map_err(|error| ApiError::consumer_create(error.to_string()))?;
        Some(state_store)
    } else {
        None
    };
    let mut consumer = crate::consumer::Consumer::new(&stream.config.name, config, store.as_dyn());
    consumer.limit_to(Arc::clone(&stream.visible));
    if let Some(state_store) = state_store {
        consumer.attach(state_store, store.as_dyn());
    }
    Ok(consumer)
}

/// Recreates the consumers saved under the stream's directory (at start).
pub fn load_consumers(stream: &mut Stream) {
    let Some(dir) = stream.dir.clone() else {
        return;
    };
    for (name, body) in crate::consumer::saved_configs(&dir) {
        let loaded = crate::consumer::ConsumerConfig::from_request(&body, Some(&name))
            .and_then(|config| open_consumer(stream, config));
        match loaded {
            Ok(consumer) => {
                stream.consumers.insert(name, consumer);
            }
            Err(error) => tracing::error!(
                stream = %stream.config.name,
                consumer = %name,
                "consumer not loaded: {}",
                error.description
            ),
        }
    }
}
