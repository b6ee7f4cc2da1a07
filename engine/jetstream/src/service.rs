//! The JetStream service of one server: the account's streams (the global account `$G` until
//! accounts exist; the layout already carries it: `<store_dir>/jetstream/$G/streams/<name>/`),
//! and the `$JS.API.>` subscription whose requests an API thread answers.
//!
//! Concurrency: requests arrive through a bounded queue ([`API_QUEUE_MAX`]) filled by the API
//! subscription's sink, which never blocks the router; one API thread handles them in order,
//! owning the stream registry behind a mutex that the server's shutdown also takes. Each
//! stream's store has its own writer thread (module `stream`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use natrium_router::{Broker, DeliveryOutcome, Message, PublishBatch, Sink, Subscription};
use natrium_store::MemStore;
use natrium_store::filestore::{FileStore, FileStoreOptions, SyncPolicy, WriterConfig};
use natrium_store::io::{RealStorage, write_atomic};
use parking_lot::Mutex;
use serde_json::json;

use crate::account::AccountUsage;
use crate::api;
use crate::config::{Storage, StreamConfig};
use crate::errors::ApiError;
use crate::stream::{
    JETSTREAM_CLIENT, Store, Stream, publish_message, publish_reply, publish_reply_raw,
};

/// API requests queued before further ones are dropped (the client times out).
pub const API_QUEUE_MAX: usize = 4096;
/// Largest API request body accepted.
pub const API_REQUEST_BYTES_MAX: usize = 1024 * 1024;
/// The only account until accounts exist.
pub const GLOBAL_ACCOUNT: &str = "$G";
/// A stream's JetStream metadata (config, created) next to its store files.
const STREAM_CONFIG_FILE: &str = "stream.json";

/// `stream.json`: what a file stream needs to be started again at the next server start.
#[derive(Debug, serde::Deserialize)]
struct SavedStream {
    config: StreamConfig,
    created_ns: u64,
}

/// How the server configured JetStream.
#[derive(Debug, Clone)]
pub struct JetStreamOptions {
    /// `store_dir`: streams live under `<store_dir>/jetstream/<account>/streams/`.
    pub store_dir: PathBuf,
    /// When file writes are fsynced: `Always` (natrium's default: a PubAck means durable) or
    /// an interval (Go's default, 2 minutes).
    pub sync: SyncPolicy,
    /// `max_memory_store` / `max_file_store`: bytes the account's memory / file streams may
    /// hold in all (`None`: unlimited).
    pub max_memory: Option<u64>,
    pub max_file: Option<u64>,
    /// The server's name: a stream info names it as the (only) cluster leader, as Go does
    /// outside a cluster.
    pub server_name: String,
    /// `strict`: a request field Go does not know is refused (10025, Go 2.12+'s words)
    /// instead of ignored.
    pub strict: bool,
}

/// Largest saved configuration file read back (`stream.json`, `consumers/<name>.json`): a
/// config arrived in one API request, so it is far below this; anything larger is damage.
const SAVED_JSON_MAX: u64 = 1 << 20;

/// Reads a saved configuration file, refusing one over [`SAVED_JSON_MAX`] before reading it.
pub(crate) fn read_saved_json(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut text = Vec::new();
    file.take(SAVED_JSON_MAX + 1).read_to_end(&mut text)?;
    if text.len() as u64 > SAVED_JSON_MAX {
        return Err(std::io::Error::other(format!(
            "{} is larger than {SAVED_JSON_MAX} bytes",
            path.display()
        )));
    }
    Ok(text)
}

/// One API request, copied out of the router.
pub(crate) struct Request {
    subject: String,
    reply: Bytes,
    body: Vec<u8>,
}

/// What the API thread is woken for.
pub(crate) enum Work {
    /// An API request, an ack or a flow-control reply.
    Request(Request),
    /// The named stream stored messages: its consumers deliver them now.
    Stored(String),
}

/// How long the API thread waits between looks at the subscriptions while a push consumer
/// has nobody on its deliver subject (clients subscribe right after creating it; each look
/// is one atomic load unless the subscriptions changed).
const INTEREST_POLL: std::time::Duration = std::time::Duration::from_millis(2);

/// The running JetStream service.
pub struct JetStream {
    state: Arc<Mutex<Registry>>,
    stopping: Arc<AtomicBool>,
    subscriptions: Vec<Arc<Subscription>>,
    broker: Arc<Broker>,
    thread: Option<JoinHandle<()>>,
}

/// The account's streams and what the API thread needs.
pub(crate) struct Registry {
    pub(crate) broker: Arc<Broker>,
    pub(crate) options: JetStreamOptions,
    pub(crate) streams: BTreeMap<String, Stream>,
    pub(crate) api_total: u64,
    pub(crate) api_errors: u64,
    /// The account's storage limits and totals.
    pub(crate) usage: Arc<AccountUsage>,
    /// Where streams' writers send [`Work::Stored`].
    pub(crate) work: SyncSender<Work>,
    /// The streams requesters' tasks answer direct gets from (see [`crate::direct`]).
    pub(crate) direct: crate::direct::DirectIndex,
}

impl JetStream {
    /// Loads the streams found under the store directory, subscribes `$JS.API.>` and starts the
    /// API thread.
    pub fn start(broker: Arc<Broker>, options: JetStreamOptions) -> std::io::Result<Self> {
        let usage = Arc::new(AccountUsage::new(options.max_memory, options.max_file));
        let (sender, receiver) = sync_channel(API_QUEUE_MAX);
        let mut registry = Registry {
            broker: Arc::clone(&broker),
            options,
            streams: BTreeMap::new(),
            api_total: 0,
            api_errors: 0,
            usage,
            work: sender.clone(),
            direct: crate::direct::DirectIndex::default(),
        };
        registry.load_streams()?;
        registry.direct.publish(&registry);
        registry.refresh_notices(false);
        let sink: Arc<dyn Sink> = Arc::new(ApiSink {
            requests: sender,
            direct: registry.direct.clone(),
            broker: Arc::downgrade(&broker),
        });
        let state = Arc::new(Mutex::new(registry));
        // API requests, consumers' acknowledgements and flow-control replies go through the
        // same queue.
        let mut subscriptions = Vec::new();
        let internal = [
            ("$JS.API", "$JS.API.>"),
            ("$JS.ACK", "$JS.ACK.>"),
            ("$JS.FC", "$JS.FC.>"),
        ];
        for (sid, subject) in internal {
            let subscription = Subscription::new(
                JETSTREAM_CLIENT,
                Bytes::from_static(sid.as_bytes()),
                Bytes::from_static(subject.as_bytes()),
                None,
                Arc::clone(&sink),
            )
            .map_err(std::io::Error::other)?;
            let subscription = Arc::new(subscription);
            broker
                .subscribe(Arc::clone(&subscription))
                .map_err(std::io::Error::other)?;
            subscriptions.push(subscription);
        }
        let stopping = Arc::new(AtomicBool::new(false));
        let thread = {
            let state = Arc::clone(&state);
            let stopping = Arc::clone(&stopping);
            std::thread::Builder::new()
                .name("js-api".to_owned())
                .spawn(move || serve_api(&state, &receiver, &stopping))?
        };
        Ok(Self {
            state,
            stopping,
            subscriptions,
            broker,
            thread: Some(thread),
        })
    }

    /// A handle for the monitoring endpoint (`/jsz`, `/varz`, `/healthz`).
    pub fn monitor(&self) -> crate::monitor::JetStreamMonitor {
        crate::monitor::JetStreamMonitor {
            state: Arc::clone(&self.state),
        }
    }

    /// How many streams the account has.
    pub fn stream_count(&self) -> usize {
        self.state.lock().streams.len()
    }

    /// Stops answering, then stops every stream (their writers drain, their stores close).
    pub fn stop(&mut self) {
        for subscription in &self.subscriptions {
            self.broker.unsubscribe(subscription);
        }
        self.stopping.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let streams = std::mem::take(&mut self.state.lock().streams);
        drop(streams);
    }
}

impl Drop for JetStream {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Direct gets, which [`ApiSink`] answers itself.
const DIRECT_GET_PREFIX: &[u8] = b"$JS.API.DIRECT.GET.";

/// The `$JS.API.>` sink: copies each request into the bounded queue (direct gets excepted).
struct ApiSink {
    requests: SyncSender<Work>,
    /// Direct gets are answered here, on the requester's task.
    direct: crate::direct::DirectIndex,
    /// Weak: the broker holds this sink through the subscription.
    broker: std::sync::Weak<Broker>,
}

impl Sink for ApiSink {
    fn deliver(
        &self,
        _: &Subscription,
        message: &Message<'_>,
        batch: &mut PublishBatch,
    ) -> DeliveryOutcome {
        if let Some(rest) = message.subject.strip_prefix(DIRECT_GET_PREFIX)
            && !message.reply.is_empty()
            && message.payload.len() <= API_REQUEST_BYTES_MAX
            && let Ok(rest) = std::str::from_utf8(rest)
        {
            let request = (rest, message.reply, message.payload);
            crate::direct::answer_inline(&self.direct, &self.broker, batch, request);
            return DeliveryOutcome::Delivered;
        }
        let is_ack =
            message.subject.starts_with(b"$JS.ACK.") || message.subject.starts_with(b"$JS.FC.");
        if (message.reply.is_empty() && !is_ack) || message.payload.len() > API_REQUEST_BYTES_MAX {
            return DeliveryOutcome::Dropped;
        }
        let request = Request {
            subject: String::from_utf8_lossy(message.subject).into_owned(),
            reply: Bytes::copy_from_slice(message.reply),
            body: message.payload.to_vec(),
        };
        match self.requests.try_send(Work::Request(request)) {
            Ok(()) => DeliveryOutcome::Delivered,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => DeliveryOutcome::Dropped,
        }
    }
}

fn serve_api(state: &Mutex<Registry>, receiver: &Receiver<Work>, stopping: &AtomicBool) {
    let broker = Arc::clone(&state.lock().broker);
    let mut next_tick = Instant::now() + crate::stream::STOP_POLL;
    let mut turn = api::Turn::default();
    let mut generation = broker.sublist().generation();
    // Copies of the sender may outlive the subscription in connections' match caches, so the
    // thread also watches `stopping`.
    while !stopping.load(Ordering::Acquire) {
        let timeout = if turn.more {
            std::time::Duration::ZERO
        } else if turn.unbound_push {
            INTEREST_POLL
        } else {
            next_tick.saturating_duration_since(Instant::now())
        };
        match receiver.recv_timeout(timeout) {
            Ok(Work::Request(request)) => answer(state, &broker, &request),
            Ok(Work::Stored(stream)) => {
                let mut registry = state.lock();
                turn.add(api::serve_consumers(&mut registry, &stream));
                turn.more |= crate::sources::pump(&mut registry, Some(&stream));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let now = Instant::now();
        let subscriptions_changed = broker.sublist().generation() != generation;
        if now >= next_tick {
            let mut registry = state.lock();
            turn = api::tick_consumers(&mut registry);
            turn.more |= crate::sources::pump(&mut registry, None);
            // Inactive consumers may have gone.
            registry.refresh_notices(false);
            drop(registry);
            next_tick = now + crate::stream::STOP_POLL;
        } else if turn.more || (turn.unbound_push && subscriptions_changed) {
            let mut registry = state.lock();
            turn = api::serve_all_consumers(&mut registry);
            turn.more |= crate::sources::pump(&mut registry, None);
        }
        if subscriptions_changed {
            generation = broker.sublist().generation();
        }
    }
}

/// Answers one API request (or handles an ack or flow-control reply).
fn answer(state: &Mutex<Registry>, broker: &Broker, request: &Request) {
    let mut registry = state.lock();
    let changes_consumers = ["$JS.API.STREAM.", "$JS.API.CONSUMER."]
        .iter()
        .any(|prefix| request.subject.starts_with(prefix));
    if changes_consumers {
        registry.refresh_notices(true);
    }
    let response = api::handle(
        &mut registry,
        &request.subject,
        &request.reply,
        &request.body,
    );
    let changes_streams = ["CREATE.", "UPDATE.", "DELETE."].iter().any(|verb| {
        request
            .subject
            .strip_prefix("$JS.API.STREAM.")
            .is_some_and(|rest| rest.starts_with(verb))
    });
    if changes_streams {
        registry.direct.publish(&registry);
    }
    if changes_consumers {
        registry.refresh_notices(false);
    }
    if request.subject.starts_with("$JS.API.") {
        registry.api_total += 1;
        if matches!(&response, api::Reply::Json(json) if json.get("error").is_some()) {
            registry.api_errors += 1;
        }
    }
    drop(registry);
    if request.subject.starts_with("$JS.API.") {
        let text = match &response {
            api::Reply::Json(json) => json.to_string(),
            _ => String::new(),
        };
        crate::advisory::api_audit(broker, &request.subject, &request.body, &text);
    }
    // Batched, so the answer is written from this thread when the socket takes it at once.
    let mut batch = PublishBatch::new();
    match response {
        api::Reply::Json(json) => publish_reply(broker, &mut batch, &request.reply, &json),
        api::Reply::Message { headers, payload } if headers.is_empty() => {
            publish_reply_raw(broker, &mut batch, &request.reply, &payload);
        }
        api::Reply::Message { headers, payload } => {
            publish_message(broker, &mut batch, &request.reply, &headers, &payload);
        }
        api::Reply::Nothing => {}
    }
    batch.finish();
}

impl Registry {
    /// See [`Stream::refresh_notice`].
    pub(crate) fn refresh_notices(&self, force: bool) {
        let origins = crate::sources::origins(self);
        for stream in self.streams.values() {
            stream.refresh_notice(force || origins.contains(&stream.config.name));
        }
    }

    fn account_dir(&self) -> PathBuf {
        self.options
            .store_dir
            .join("jetstream")
            .join(GLOBAL_ACCOUNT)
            .join("streams")
    }

    /// Opens the store of a stream named by `config`.
    pub(crate) fn open_store(
        &self,
        config: &StreamConfig,
    ) -> Result<(Store, Option<PathBuf>), ApiError> {
        let store_failed = |error: natrium_store::Error| ApiError::store_failed(error.to_string());
        match config.storage {
            Storage::Memory => Ok((
                Store::Memory(Box::new(MemStore::new(config.store_config()))),
                None,
            )),
            Storage::File => {
                let dir = self.account_dir().join(&config.name);
                let options = FileStoreOptions {
                    name: config.name.clone(),
                    compression: if config.compression == "s2" {
                        natrium_store::filestore::Compression::Snappy
                    } else {
                        natrium_store::filestore::Compression::None
                    },
                    writer: WriterConfig {
                        sync: self.options.sync,
                        ..WriterConfig::default()
                    },
                    ..FileStoreOptions::default()
                };
                let store = FileStore::open(
                    Arc::new(RealStorage::new()),
                    &dir,
                    options,
                    config.store_config(),
                )
                .map_err(store_failed)?;
                let waiter =
                    matches!(self.options.sync, SyncPolicy::Always).then(|| store.durable_waiter());
                Ok((Store::File(Box::new(store), waiter), Some(dir)))
            }
        }
    }

    /// Writes a file stream's `stream.json` (config and creation time) atomically.
    pub(crate) fn save_config(&self, stream: &Stream) -> Result<(), ApiError> {
        let Some(dir) = &stream.dir else {
            return Ok(());
        };
        let created = stream
            .created
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let body = json!({
            "config": stream.config,
            "created_ns": u64::try_from(created.as_nanos()).unwrap_or(u64::MAX),
        });
        write_atomic(
            &RealStorage::new(),
            &dir.join(STREAM_CONFIG_FILE),
            body.to_string().as_bytes(),
        )
        .map_err(|error| ApiError::store_failed(format!("saving the stream config: {error}")))
    }

    /// Starts every file stream found under the account directory.
    fn load_streams(&mut self) -> std::io::Result<()> {
        let dir = self.account_dir();
        std::fs::create_dir_all(&dir)?;
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|entry| Some(entry.ok()?.path()))
            .collect();
        entries.sort();
        for path in entries {
            match self.load_stream(&path) {
                Ok(()) => {}
                Err(error) => tracing::error!(
                    dir = %path.display(),
                    "stream not loaded: {}",
                    error.description
                ),
            }
        }
        Ok(())
    }

    fn load_stream(&mut self, path: &Path) -> Result<(), ApiError> {
        let text = read_saved_json(&path.join(STREAM_CONFIG_FILE))
            .map_err(|error| ApiError::store_failed(error.to_string()))?;
        let saved: SavedStream = serde_json::from_slice(&text)
            .map_err(|error| ApiError::invalid_json(&error.to_string()))?;
        let (config, created_ns) = (saved.config, saved.created_ns);
        // The name becomes a path and subscriptions: check it as a create would, and that it
        // names the directory it was found in.
        crate::config::check_name(&config.name)?;
        if path.file_name().and_then(|name| name.to_str()) != Some(config.name.as_str()) {
            return Err(ApiError::bad_name("stream.json names another stream"));
        }
        let created = SystemTime::UNIX_EPOCH + std::time::Duration::from_nanos(created_ns);
        let (store, dir) = self.open_store(&config)?;
        let name = config.name.clone();
        let usage = Arc::clone(&self.usage);
        let mut stream = Stream::start(
            Arc::clone(&self.broker),
            usage,
            config,
            created,
            dir,
            store,
            self.work.clone(),
        )?;
        crate::stream::load_consumers(&mut stream);
        tracing::info!(stream = %name, "stream loaded");
        self.streams.insert(name, stream);
        Ok(())
    }

    /// Removes a stream's files (after its store is closed).
    pub(crate) fn remove_files(&self, stream: &Stream) -> Result<(), ApiError> {
        match &stream.dir {
            Some(dir) => std::fs::remove_dir_all(dir)
                .map_err(|error| ApiError::store_failed(format!("deleting the stream: {error}"))),
            None => Ok(()),
        }
    }

    /// Total bytes stored in memory and in files.
    pub(crate) fn usage(&self) -> (u64, u64) {
        self.usage.totals()
    }

    /// True when `subjects` overlap a subject of another stream than `except`.
    pub(crate) fn overlaps(&self, subjects: &[String], except: &str) -> bool {
        self.streams
            .values()
            .filter(|stream| stream.config.name != except)
            .flat_map(|stream| stream.config.subjects.iter())
            .any(|theirs| subjects.iter().any(|ours| filters_overlap(ours, theirs)))
    }

    /// A stream's store directory, whether or not it exists (for a failed create).
    pub(crate) fn stream_dir(&self, name: &str) -> PathBuf {
        self.account_dir().join(name)
    }

    /// Consumers of all the account's streams.
    pub(crate) fn consumer_count(&self) -> usize {
        self.streams
            .values()
            .map(|stream| stream.consumers.len())
            .sum()
    }

    pub(crate) fn storage_kind_of(&self, name: &str) -> Option<StreamStoreKind> {
        self.streams
            .get(name)
            .map(|stream| match stream.config.storage {
                Storage::File => StreamStoreKind::File,
                Storage::Memory => StreamStoreKind::Memory,
            })
    }
}

/// Which store a stream uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamStoreKind {
    File,
    Memory,
}

/// True when some subject matches both filters (token by token: `>` matches the rest, `*`
/// any one token).
pub fn filters_overlap(a: &str, b: &str) -> bool {
    let (mut left, mut right) = (a.split('.'), b.split('.'));
    loop {
        match (left.next(), right.next()) {
            (None, None) => return true,
            (Some(">"), Some(_)) | (Some(_), Some(">")) => return true,
            (Some(x), Some(y)) if x == "*" || y == "*" || x == y => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_follows_the_wildcards() {
        assert!(filters_overlap("orders.>", "orders.eu"));
        assert!(filters_overlap("orders.*", "orders.eu"));
        assert!(filters_overlap("*.eu", "orders.*"));
        assert!(filters_overlap(">", "a"));
        assert!(!filters_overlap("orders.*", "orders.eu.x"));
        assert!(!filters_overlap("orders.eu", "orders.us"));
        assert!(!filters_overlap("a.b", "a"));
    }

    #[test]
    fn a_saved_config_over_the_limit_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let small = dir.path().join("small.json");
        std::fs::write(&small, b"{}").expect("write");
        assert_eq!(read_saved_json(&small).expect("read"), b"{}");
        let huge = dir.path().join("huge.json");
        let file = std::fs::File::create(&huge).expect("create");
        file.set_len(SAVED_JSON_MAX + 1).expect("sparse file");
        let error = read_saved_json(&huge).expect_err("too large");
        assert!(error.to_string().contains("larger than"), "{error}");
    }
}
