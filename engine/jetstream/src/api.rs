//! The `$JS.API.>` requests natrium serves, each answered with the Go server's response JSON
//! (`type`, fields, error shape). The others get a clear "not implemented" error rather than
//! silence, so a client fails fast instead of timing out.

use natrium_store::{StoredMsg, StreamStore};
use serde::Deserialize;
use serde_json::{Value, json};

use std::sync::Arc;

use bytes::Bytes;

use crate::account::AccountUsage;
use crate::config::StreamConfig;
use crate::consumer::ConsumerConfig;
use crate::errors::ApiError;
use crate::info::{merge, stream_info};
use crate::service::{Registry, StreamStoreKind};
use crate::stream::Stream;

const API_PREFIX: &str = "$JS.API.";
/// Stream names per `STREAM.NAMES` page, as Go.
const NAMES_PAGE: usize = 1024;
/// Stream infos per `STREAM.LIST` page, as Go.
const LIST_PAGE: usize = 256;

/// An API answer: Go's JSON, for a direct get the stored message itself (headers first), or
/// nothing (a pull request is answered by deliveries; an ack by an empty message if it asked).
pub(crate) enum Reply {
    Json(Value),
    Message { headers: Vec<u8>, payload: Vec<u8> },
    Nothing,
}

/// Answers one request (`reply` is where pulled messages go).
pub(crate) fn handle(registry: &mut Registry, subject: &str, reply: &Bytes, body: &[u8]) -> Reply {
    if subject.starts_with("$JS.FC.") {
        flow_control(registry, subject);
        return Reply::Nothing;
    }
    if let Some(ack) = subject.strip_prefix("$JS.ACK.") {
        acknowledge(registry, ack, body);
        return if reply.is_empty() {
            Reply::Nothing
        } else {
            Reply::Message {
                headers: Vec::new(),
                payload: Vec::new(),
            }
        };
    }
    let api = subject.strip_prefix(API_PREFIX).unwrap_or(subject);
    if let Some(rest) = api.strip_prefix("DIRECT.GET.") {
        return crate::direct::get(registry, rest, body);
    }
    if let Some(rest) = api.strip_prefix("CONSUMER.MSG.NEXT.") {
        // Go listens on MSG.NEXT per consumer: without one the requester gets no responders.
        return match pull(registry, rest, reply, body) {
            Ok(()) => Reply::Nothing,
            Err(_) => no_responders(subject),
        };
    }
    Reply::Json(handle_json(registry, subject, body))
}

/// What a requester gets from Go for a subject nobody serves: a 503 naming the subject.
pub(crate) fn no_responders(subject: &str) -> Reply {
    Reply::Message {
        headers: format!("NATS/1.0 503\r\nNats-Subject: {subject}\r\n\r\n").into_bytes(),
        payload: Vec::new(),
    }
}

/// `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>`; the
/// consumer then delivers what the ack made room for.
fn acknowledge(registry: &mut Registry, ack: &str, body: &[u8]) {
    let tokens: Vec<&str> = ack.split('.').collect();
    let [stream, consumer, _, seq, ..] = tokens.as_slice() else {
        return;
    };
    let Ok(seq) = seq.parse::<u64>() else {
        return;
    };
    with_consumer(registry, stream, consumer, |consumer, now| {
        consumer.ack(seq, body, now);
    });
}

/// `$JS.FC.<stream>.<consumer>.<n>`: a push consumer's flow-control reply.
fn flow_control(registry: &mut Registry, subject: &str) {
    let tokens: Vec<&str> = subject.split('.').collect();
    let [_, _, stream, consumer, _] = tokens.as_slice() else {
        return;
    };
    with_consumer(registry, stream, consumer, |consumer, now| {
        consumer.flow_control_reply(subject, now);
    });
}

/// Applies `change` to a consumer, then lets it deliver.
fn with_consumer(
    registry: &mut Registry,
    stream: &str,
    consumer: &str,
    change: impl FnOnce(&mut crate::consumer::Consumer, std::time::Instant),
) {
    let broker = Arc::clone(&registry.broker);
    if let Some(stream) = registry.streams.get_mut(stream)
        && let Some(consumer) = stream.consumers.get_mut(consumer)
    {
        let now = std::time::Instant::now();
        change(consumer, now);
        let store = stream.store.lock();
        consumer.serve(store.as_dyn(), &broker, now);
        drop(store);
        crate::retention::apply(stream);
    }
}

/// `CONSUMER.MSG.NEXT.<stream>.<consumer>`: queues the pull; deliveries answer it.
fn pull(registry: &mut Registry, rest: &str, reply: &Bytes, body: &[u8]) -> Result<(), ApiError> {
    let (stream, consumer) = rest
        .split_once('.')
        .ok_or_else(ApiError::consumer_not_found)?;
    let broker = Arc::clone(&registry.broker);
    let stream = registry
        .streams
        .get_mut(stream)
        .ok_or_else(ApiError::stream_not_found)?;
    let store = Arc::clone(&stream.store);
    let consumer = stream
        .consumers
        .get_mut(consumer)
        .ok_or_else(ApiError::consumer_not_found)?;
    let store = store.lock();
    let now = std::time::Instant::now();
    consumer.pull(reply.clone(), body, (store.as_dyn(), &broker), now);
    drop(store);
    crate::retention::apply(stream);
    Ok(())
}

/// What the consumers need of the API thread after a turn.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Turn {
    /// A consumer stopped at its burst limit with more to deliver: come back at once.
    pub(crate) more: bool,
    /// A push consumer has nobody on its deliver subject: watch the subscriptions.
    pub(crate) unbound_push: bool,
}

impl Turn {
    pub(crate) fn add(&mut self, other: Self) {
        self.more |= other.more;
        self.unbound_push |= other.unbound_push;
    }
}

/// Lets the consumers of one stream deliver (its writer stored messages).
pub(crate) fn serve_consumers(registry: &mut Registry, stream: &str) -> Turn {
    let broker = Arc::clone(&registry.broker);
    let Some(stream) = registry.streams.get_mut(stream) else {
        return Turn::default();
    };
    stream
        .stored_queued
        .store(false, std::sync::atomic::Ordering::Release);
    serve_stream(stream, &broker, false)
}

/// Lets every consumer deliver.
pub(crate) fn serve_all_consumers(registry: &mut Registry) -> Turn {
    let broker = Arc::clone(&registry.broker);
    let mut turn = Turn::default();
    for stream in registry.streams.values_mut() {
        turn.add(serve_stream(stream, &broker, false));
    }
    turn
}

/// Serves (or with `timers`, ticks) a stream's consumers.
fn serve_stream(stream: &mut Stream, broker: &natrium_router::Broker, timers: bool) -> Turn {
    let mut turn = Turn::default();
    if !stream.consumers.is_empty() {
        let store = Arc::clone(&stream.store);
        let store = store.lock();
        let now = std::time::Instant::now();
        for consumer in stream.consumers.values_mut() {
            if timers {
                consumer.tick(store.as_dyn(), broker, now);
            } else {
                consumer.serve(store.as_dyn(), broker, now);
            }
            turn.more |= consumer.has_more();
            turn.unbound_push |= consumer.is_unbound_push();
        }
    }
    // Also without consumers: an interest stream keeps nothing nobody is interested in.
    crate::retention::apply(stream);
    turn
}

/// Every consumer's timers (pull expiry, heartbeats, redelivery, new messages), progress
/// writes and inactivity.
pub(crate) fn tick_consumers(registry: &mut Registry) -> Turn {
    let broker = Arc::clone(&registry.broker);
    let mut turn = Turn::default();
    for stream in registry.streams.values_mut() {
        if stream.consumers.is_empty() {
            continue;
        }
        turn.add(serve_stream(stream, &broker, true));
        // The state files are written (and fsynced) after the store lock is released, so the
        // stream's writer never waits on a consumer's fsync.
        for consumer in stream.consumers.values_mut() {
            consumer.persist();
        }
        let now = std::time::Instant::now();
        let dir = stream.dir.clone();
        stream.consumers.retain(|name, consumer| {
            if !consumer.is_inactive(now) {
                return true;
            }
            tracing::info!(stream = %consumer.stream, consumer = %name, "inactive consumer deleted");
            let advisory = crate::advisory::consumer_action(&consumer.stream, name, "delete");
            crate::advisory::publish(&broker, advisory);
            if let Some(dir) = dir.as_ref().filter(|_| consumer.config.durable) {
                crate::consumer::remove_files(dir, name);
            }
            false
        });
    }
    turn
}

/// Answers a JSON request; the JSON always carries `type`, and `error` when it failed.
fn handle_json(registry: &mut Registry, subject: &str, body: &[u8]) -> Value {
    let api = subject.strip_prefix(API_PREFIX).unwrap_or(subject);
    let (verb, name) = split_verb(api);
    let (kind, result) = match verb {
        "INFO" => ("account_info_response", Ok(account_info(registry))),
        "STREAM.CREATE" => ("stream_create_response", create(registry, name, body)),
        "STREAM.UPDATE" => ("stream_update_response", update(registry, name, body)),
        "STREAM.INFO" => ("stream_info_response", info(registry, name, body)),
        "STREAM.DELETE" => ("stream_delete_response", delete(registry, name)),
        "STREAM.NAMES" => ("stream_names_response", names(registry, body)),
        "STREAM.LIST" => ("stream_list_response", list(registry, body)),
        "STREAM.PURGE" => ("stream_purge_response", purge(registry, name, body)),
        "STREAM.MSG.GET" => ("stream_msg_get_response", msg_get(registry, name, body)),
        "STREAM.MSG.DELETE" => (
            "stream_msg_delete_response",
            msg_delete(registry, name, body),
        ),
        "CONSUMER.CREATE" | "CONSUMER.DURABLE.CREATE" => (
            "consumer_create_response",
            consumer_create(registry, name, body, verb == "CONSUMER.DURABLE.CREATE"),
        ),
        "CONSUMER.INFO" => ("consumer_info_response", consumer_info(registry, name)),
        "CONSUMER.DELETE" => ("consumer_delete_response", consumer_delete(registry, name)),
        "CONSUMER.PAUSE" => (
            "consumer_pause_response",
            consumer_pause(registry, name, body),
        ),
        "CONSUMER.NAMES" => (
            "consumer_names_response",
            consumer_names(registry, name, body),
        ),
        "CONSUMER.LIST" => (
            "consumer_list_response",
            consumer_list(registry, name, body),
        ),
        _ => ("error_response", Err(ApiError::not_implemented(subject))),
    };
    if let Ok(response) = &result
        && let Some(advisory) = crate::advisory::after_api(verb, name, response)
    {
        crate::advisory::publish(&registry.broker, advisory);
    }
    let typed = json!({ "type": format!("io.nats.jetstream.api.v1.{kind}") });
    match result {
        // Go's stream info outside a cluster names this server as the leader.
        Ok(fields) if verb == "STREAM.INFO" => merge(
            merge(typed, fields),
            json!({ "cluster": { "leader": registry.options.server_name } }),
        ),
        Ok(fields) => merge(typed, fields),
        Err(error) => merge(merge(typed, error_fields(verb)), json!({ "error": error })),
    }
}

/// The fields Go's response structs carry without `omitempty`, so they appear (zero) in an
/// error answer too.
fn error_fields(verb: &str) -> Value {
    let paged = json!({ "total": 0, "offset": 0, "limit": 0 });
    match verb {
        "STREAM.INFO" => paged,
        "STREAM.NAMES" => merge(paged, json!({ "streams": null })),
        "STREAM.LIST" => merge(paged, json!({ "streams": [] })),
        "CONSUMER.NAMES" | "CONSUMER.LIST" => merge(paged, json!({ "consumers": [] })),
        "STREAM.PURGE" => json!({ "purged": 0 }),
        _ => json!({}),
    }
}

/// `STREAM.INFO.ORDERS` -> (`STREAM.INFO`, `ORDERS`); `INFO` -> (`INFO`, ``).
fn split_verb(api: &str) -> (&str, &str) {
    const NAMED: &[&str] = &[
        "STREAM.CREATE.",
        "STREAM.UPDATE.",
        "STREAM.INFO.",
        "STREAM.DELETE.",
        "STREAM.PURGE.",
        "STREAM.MSG.GET.",
        "STREAM.MSG.DELETE.",
        "CONSUMER.DURABLE.CREATE.",
        "CONSUMER.CREATE.",
        "CONSUMER.INFO.",
        "CONSUMER.DELETE.",
        "CONSUMER.PAUSE.",
        "CONSUMER.NAMES.",
        "CONSUMER.LIST.",
    ];
    for prefix in NAMED {
        if let Some(name) = api.strip_prefix(prefix) {
            return (prefix.trim_end_matches('.'), name);
        }
    }
    (api, "")
}

fn account_info(registry: &Registry) -> Value {
    let (memory, storage) = registry.usage();
    // Go reserves each stream's max_bytes, when it has one, in its storage's total.
    let reserved = |kind: crate::config::Storage| -> u64 {
        let limits = registry
            .streams
            .values()
            .filter(|s| s.config.storage == kind);
        limits
            .filter_map(|stream| u64::try_from(stream.config.max_bytes).ok())
            .sum()
    };
    json!({
        "memory": memory,
        "storage": storage,
        "reserved_memory": reserved(crate::config::Storage::Memory),
        "reserved_storage": reserved(crate::config::Storage::File),
        "streams": registry.streams.len(),
        "consumers": registry.consumer_count(),
        "limits": {
            "max_memory": AccountUsage::reported(registry.usage.max_memory),
            "max_storage": AccountUsage::reported(registry.usage.max_file),
            "max_streams": -1,
            "max_consumers": -1,
            "max_ack_pending": -1,
            "memory_max_stream_bytes": -1,
            "storage_max_stream_bytes": -1,
            "max_bytes_required": false,
        },
        // Level 0 (Go 2.10's): natrium serves 2.11's per-message TTL but not yet the rest of
        // level 1 (consumer pause, batch direct get, priority groups).
        "api": { "level": 0, "total": registry.api_total, "errors": registry.api_errors },
    })
}

pub(crate) fn stream_named<'a>(registry: &'a Registry, name: &str) -> Result<&'a Stream, ApiError> {
    registry
        .streams
        .get(name)
        .ok_or_else(ApiError::stream_not_found)
}

fn create(registry: &mut Registry, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    if registry.options.strict {
        crate::gojson::refuse_unknown(body, false)?;
    }
    let mut config = StreamConfig::from_request(body, name)?;
    // Go marks a mirror of a stream with direct gets as able to answer them too.
    if let Some(mirror) = &config.mirror
        && registry
            .streams
            .get(&mirror.name)
            .is_some_and(|origin| origin.config.allow_direct)
    {
        config.mirror_direct = true;
    }
    if config.sealed {
        return Err(ApiError::invalid_config(
            "stream configuration for create can not be sealed",
        ));
    }
    if let Some(existing) = registry.streams.get(&config.name) {
        // Go answers an identical create with the stream's info, a different one with 10058.
        if existing.config != config {
            return Err(ApiError::name_in_use());
        }
        return Ok(merge(stream_info(existing), json!({ "did_create": true })));
    }
    if registry.overlaps(&config.subjects, &config.name) {
        return Err(ApiError::subjects_overlap());
    }
    registry
        .usage
        .check_stream(config.storage, config.max_bytes)?;
    let (mut store, dir) = registry.open_store(&config)?;
    if config.first_seq > 1 && store.as_dyn().state().last_seq == 0 {
        // The sequences before first_seq are consumed without messages.
        let now = crate::stream::now_ns();
        store
            .as_dyn_mut()
            .skip_many(1, config.first_seq - 1, now)
            .map_err(|error| ApiError::store_failed(error.to_string()))?;
    }
    let created = std::time::SystemTime::now();
    let usage = Arc::clone(&registry.usage);
    let stream = Stream::start(
        registry.broker.clone(),
        usage,
        config,
        created,
        dir,
        store,
        registry.work.clone(),
    )?;
    if let Err(error) = registry.save_config(&stream) {
        let dir = registry.stream_dir(&stream.config.name);
        drop(stream);
        let _ = std::fs::remove_dir_all(dir);
        return Err(error);
    }
    let info = merge(stream_info(&stream), json!({ "did_create": true }));
    registry.streams.insert(stream.config.name.clone(), stream);
    Ok(info)
}

fn update(registry: &mut Registry, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    if registry.options.strict {
        crate::gojson::refuse_unknown(body, false)?;
    }
    let config = StreamConfig::from_request(body, name)?;
    let kind = registry
        .storage_kind_of(&config.name)
        .ok_or_else(ApiError::stream_not_found)?;
    let requested = match config.storage {
        crate::config::Storage::File => StreamStoreKind::File,
        crate::config::Storage::Memory => StreamStoreKind::Memory,
    };
    if kind != requested {
        return Err(ApiError::invalid_config(
            "stream configuration update can not change storage type",
        ));
    }
    if registry.overlaps(&config.subjects, &config.name) {
        return Err(ApiError::subjects_overlap());
    }
    if let Some(existing) = registry.streams.get(&config.name) {
        if existing.config.mirror != config.mirror {
            return Err(ApiError::go_400(
                10055,
                "stream mirror configuration can not be updated",
            ));
        }
        let fixed = [
            (
                existing.config.compression != config.compression,
                "stream configuration update can not change compression",
            ),
            (
                existing.config.first_seq != config.first_seq,
                "stream configuration update can not change first sequence",
            ),
            // One-way switches: set once, never cleared.
            (
                existing.config.sealed && !config.sealed,
                "stream configuration update can not unseal a sealed stream",
            ),
            (
                existing.config.deny_delete && !config.deny_delete,
                "stream configuration update can not cancel deny message deletes",
            ),
            (
                existing.config.deny_purge && !config.deny_purge,
                "stream configuration update can not cancel deny purge",
            ),
        ];
        if let Some((_, reason)) = fixed.into_iter().find(|(changed, _)| *changed) {
            return Err(ApiError::invalid_config(reason));
        }
    }
    if let Some(existing) = registry.streams.get(&config.name)
        && existing.config.retention != config.retention
        && [&existing.config.retention, &config.retention].contains(&&"workqueue".to_owned())
    {
        return Err(ApiError::invalid_config(
            "stream configuration update can not change retention policy to/from workqueue",
        ));
    }
    let Some(mut stream) = registry.streams.remove(&config.name) else {
        return Err(ApiError::stream_not_found());
    };
    let previous = std::mem::replace(&mut stream.config, config);
    let store_config = stream.config.store_config();
    let updated = stream.store.lock().as_dyn_mut().update_config(store_config);
    let applied = updated
        .map_err(|error| ApiError::invalid_config(error.to_string()))
        .and_then(|()| stream.subscribe())
        .and_then(|()| registry.save_config(&stream));
    stream.refresh_rules();
    if let Err(error) = applied {
        stream.config = previous;
        let store_config = stream.config.store_config();
        let restored = stream.store.lock().as_dyn_mut().update_config(store_config);
        stream.refresh_rules();
        if let Err(restore) = restored
            .map_err(|e| e.to_string())
            .and(stream.subscribe().map_err(|e| e.description))
        {
            tracing::error!(stream = %stream.config.name, "restoring the configuration: {restore}");
        }
        registry.streams.insert(stream.config.name.clone(), stream);
        return Err(error);
    }
    stream.sources =
        crate::sources::reconfigure(std::mem::take(&mut stream.sources), &stream.config.sources);
    stream.record_usage();
    let info = stream_info(&stream);
    registry.streams.insert(stream.config.name.clone(), stream);
    Ok(info)
}

fn info(registry: &Registry, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    let stream = stream_named(registry, name)?;
    let request: crate::info::InfoRequest = parse(body)?;
    Ok(crate::info::stream_info_detailed(stream, &request))
}

fn delete(registry: &mut Registry, name: &str) -> Result<Value, ApiError> {
    let Some(mut stream) = registry.streams.remove(name) else {
        return Err(ApiError::stream_not_found());
    };
    stream.stop();
    registry.remove_files(&stream)?;
    Ok(json!({ "success": true }))
}

/// A list request: `offset` (paging) and, for streams, `subject` (only streams whose
/// subjects overlap it, as clients look a stream up by subject).
#[derive(Debug, Default, Deserialize)]
struct ListRequest {
    #[serde(default)]
    offset: usize,
    #[serde(default)]
    subject: String,
}

/// The streams a list request selects, in name order.
fn selected_streams<'a>(registry: &'a Registry, request: &ListRequest) -> Vec<&'a Stream> {
    registry
        .streams
        .values()
        .filter(|stream| {
            request.subject.is_empty()
                || stream
                    .config
                    .subjects
                    .iter()
                    .any(|subject| crate::service::filters_overlap(subject, &request.subject))
        })
        .collect()
}

fn names(registry: &Registry, body: &[u8]) -> Result<Value, ApiError> {
    let request: ListRequest = parse(body)?;
    let streams = selected_streams(registry, &request);
    // Go cuts the offset to the total, and answers an empty page of names with null.
    let offset = request.offset.min(streams.len());
    let page: Vec<&String> = streams
        .iter()
        .skip(offset)
        .take(NAMES_PAGE)
        .map(|stream| &stream.config.name)
        .collect();
    Ok(json!({
        "total": streams.len(),
        "offset": offset,
        "limit": NAMES_PAGE,
        "streams": if page.is_empty() { Value::Null } else { json!(page) },
    }))
}

fn list(registry: &Registry, body: &[u8]) -> Result<Value, ApiError> {
    let request: ListRequest = parse(body)?;
    let streams = selected_streams(registry, &request);
    let infos: Vec<Value> = streams
        .iter()
        .skip(request.offset)
        .take(LIST_PAGE)
        .map(|stream| stream_info(stream))
        .collect();
    Ok(json!({
        "total": streams.len(),
        "offset": request.offset.min(streams.len()),
        "limit": LIST_PAGE,
        "streams": infos,
    }))
}

/// `STREAM.PURGE` request: everything, or by `filter`, below `seq`, keeping `keep`.
#[derive(Debug, Default, Deserialize)]
struct PurgeRequest {
    #[serde(default)]
    filter: String,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    keep: u64,
}

fn parse<T: Default + for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    // Go decodes `null` (async-nats sends it) as it decodes nothing: all defaults.
    if body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null" {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|error| crate::gojson::invalid_json(body, &error))
}

fn purge(registry: &Registry, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    let stream = stream_named(registry, name)?;
    if stream.config.sealed {
        return Err(ApiError::stream_sealed());
    }
    if stream.config.deny_purge {
        return Err(ApiError::purge_failed("stream purge not permitted"));
    }
    let request: PurgeRequest = parse(body)?;
    if request.seq > 0 && request.keep > 0 {
        return Err(ApiError::bad_request());
    }
    let purged = {
        let mut guard = stream.store.lock();
        let store = guard.as_dyn_mut();
        if request.filter.is_empty() && request.seq == 0 && request.keep == 0 {
            store.purge()
        } else {
            let filter = if request.filter.is_empty() {
                ">"
            } else {
                &request.filter
            };
            store.purge_ex(filter, request.seq, request.keep)
        }
    };
    // The store lock is released before the usage is read again.
    stream.record_usage();
    let purged = purged.map_err(|error| ApiError::store_failed(error.to_string()))?;
    Ok(json!({ "success": true, "purged": purged }))
}

/// A message lookup (`STREAM.MSG.GET` and `DIRECT.GET`): by `seq`, `last_by_subj`, or
/// `next_by_subj` from `seq`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct MsgGetRequest {
    #[serde(default)]
    pub(crate) seq: u64,
    #[serde(default)]
    pub(crate) last_by_subj: String,
    #[serde(default)]
    pub(crate) next_by_subj: String,
}

impl MsgGetRequest {
    /// The message the request names, if the stream has it.
    pub(crate) fn find(&self, stream: &Stream) -> natrium_store::Result<StoredMsg> {
        self.find_in(stream.store.lock().as_dyn())
    }

    /// The message the request names, if `store` has it.
    pub(crate) fn find_in(&self, store: &dyn StreamStore) -> natrium_store::Result<StoredMsg> {
        if !self.last_by_subj.is_empty() {
            store.load_last(&self.last_by_subj)
        } else if !self.next_by_subj.is_empty() {
            store.load_next(&self.next_by_subj, self.seq)
        } else {
            store.load(self.seq)
        }
    }
}

/// Go's `isEmptyRequest`: no body, or a JSON object without fields.
fn is_empty_request(body: &[u8]) -> bool {
    body.is_empty()
        || serde_json::from_slice::<Value>(body)
            .is_ok_and(|value| value.as_object().is_some_and(serde_json::Map::is_empty))
}

fn msg_get(registry: &Registry, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    // Go checks the request before it looks the stream up.
    if is_empty_request(body) {
        return Err(ApiError::bad_request());
    }
    let request: MsgGetRequest = parse(body)?;
    let (by_seq, last, next) = (
        request.seq > 0,
        !request.last_by_subj.is_empty(),
        !request.next_by_subj.is_empty(),
    );
    if last && (by_seq || next) || !(by_seq || last || next) {
        return Err(ApiError::bad_request());
    }
    let stream = stream_named(registry, name)?;
    let found = request
        .find(stream)
        .map_err(|_| ApiError::no_message_found())?;
    let mut message = json!({
        "subject": found.subject.to_string(),
        "seq": found.seq,
        "time": natrium_router::timefmt::rfc3339(
            std::time::UNIX_EPOCH + std::time::Duration::from_nanos(found.ts_ns),
        ),
    });
    if let Some(fields) = message.as_object_mut() {
        if !found.headers.is_empty() {
            fields.insert("hdrs".to_owned(), json!(base64_encode(&found.headers)));
        }
        if !found.payload.is_empty() {
            fields.insert("data".to_owned(), json!(base64_encode(&found.payload)));
        }
    }
    Ok(json!({ "message": message }))
}

/// `STREAM.MSG.DELETE` request.
#[derive(Debug, Default, Deserialize)]
struct MsgDeleteRequest {
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    no_erase: bool,
}

fn msg_delete(registry: &Registry, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    // Go checks the request before it looks the stream up.
    if is_empty_request(body) {
        return Err(ApiError::bad_request());
    }
    let request: MsgDeleteRequest = parse(body)?;
    let stream = stream_named(registry, name)?;
    if stream.config.sealed {
        return Err(ApiError::stream_sealed());
    }
    if stream.config.deny_delete {
        return Err(ApiError::msg_delete_failed("message delete not permitted"));
    }
    let removed = {
        let mut guard = stream.store.lock();
        let store = guard.as_dyn_mut();
        // Go erases (overwrites) unless told not to.
        if request.no_erase {
            store.remove(request.seq)
        } else {
            store.erase(request.seq)
        }
    };
    // The store lock is released before the usage is read again.
    stream.record_usage();
    let removed = removed.map_err(|error| ApiError::msg_delete_failed(error.to_string()))?;
    if !removed {
        return Err(missing_for_delete(stream, request.seq));
    }
    Ok(json!({ "success": true }))
}

/// Go's answer to deleting a sequence the stream does not hold: its file store fails on 0
/// and past the last sequence (10057), anything else is 10043.
fn missing_for_delete(stream: &Stream, seq: u64) -> ApiError {
    if stream.config.storage == crate::config::Storage::File {
        if seq == 0 {
            return ApiError::msg_delete_failed("no message found");
        }
        if seq > stream.store.lock().as_dyn().state().last_seq {
            return ApiError::msg_delete_failed("stream store EOF");
        }
    }
    ApiError::sequence_not_found(seq)
}

/// Standard base64 with padding, as Go's `[]byte` JSON.
fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `<stream>.<consumer>[.<filter>]` of a consumer API subject.
fn consumer_path(name: &str) -> (&str, Option<&str>) {
    match name.split_once('.') {
        Some((stream, rest)) => (stream, Some(rest.split('.').next().unwrap_or(rest))),
        None => (name, None),
    }
}

/// `CONSUMER.CREATE` and `CONSUMER.DURABLE.CREATE`: creates, or updates what may change
/// (Go's `action`: `create` refuses a different existing config, `update` a missing consumer).
fn consumer_create(
    registry: &mut Registry,
    name: &str,
    body: &[u8],
    durable_api: bool,
) -> Result<Value, ApiError> {
    if registry.options.strict {
        crate::gojson::refuse_unknown(body, true)?;
    }
    crate::consumer::check_request(body, name, durable_api)?;
    let (stream_name, consumer_name) = consumer_path(name);
    let config = ConsumerConfig::from_request(body, consumer_name)?;
    let action = crate::consumer::Action::from_request(body)?;
    let stream = registry
        .streams
        .get_mut(stream_name)
        .ok_or_else(ApiError::stream_not_found)?;
    if let Some(existing) = stream.consumers.get_mut(&config.name) {
        if existing.config != config {
            if action == crate::consumer::Action::Create {
                return Err(ApiError::consumer_already_exists());
            }
            crate::consumer::check_update(&existing.config, &config)
                .map_err(ApiError::consumer_create)?;
            if let Some(dir) = stream.dir.as_ref().filter(|_| config.durable) {
                crate::consumer::save_config(&config, dir)?;
            }
            existing.reconfigure(config, stream.store.lock().as_dyn_mut())?;
        }
        return Ok(existing.info(stream.store.lock().as_dyn(), &registry.broker));
    }
    if action == crate::consumer::Action::Update {
        return Err(ApiError::consumer_does_not_exist());
    }
    crate::retention::check_consumer(stream, &config)?;
    if usize::try_from(stream.config.max_consumers).is_ok_and(|max| stream.consumers.len() >= max) {
        return Err(ApiError::maximum_consumers());
    }
    let consumer = crate::stream::open_consumer(stream, config)?;
    let info = consumer.info(stream.store.lock().as_dyn(), &registry.broker);
    if let Some(dir) = stream.dir.as_ref().filter(|_| consumer.config.durable) {
        crate::consumer::save_config(&consumer.config, dir)?;
    }
    stream
        .consumers
        .insert(consumer.config.name.clone(), consumer);
    Ok(info)
}

fn consumer_info(registry: &Registry, name: &str) -> Result<Value, ApiError> {
    let (stream_name, consumer_name) = consumer_path(name);
    let stream = stream_named(registry, stream_name)?;
    let consumer = consumer_name
        .and_then(|consumer| stream.consumers.get(consumer))
        .ok_or_else(ApiError::consumer_not_found)?;
    Ok(consumer.info(stream.store.lock().as_dyn(), &registry.broker))
}

fn consumer_delete(registry: &mut Registry, name: &str) -> Result<Value, ApiError> {
    let (stream_name, consumer_name) = consumer_path(name);
    let stream = registry
        .streams
        .get_mut(stream_name)
        .ok_or_else(ApiError::stream_not_found)?;
    let consumer = consumer_name
        .and_then(|consumer| stream.consumers.remove(consumer))
        .ok_or_else(ApiError::consumer_not_found)?;
    if let Some(dir) = &stream.dir {
        crate::consumer::remove_files(dir, &consumer.config.name);
    }
    // What only the deleted consumer held goes now (interest retention).
    crate::retention::apply(stream);
    Ok(json!({ "success": true }))
}

/// `CONSUMER.PAUSE.<stream>.<consumer>` with `{"pause_until": <RFC 3339>}`; an empty or past
/// time resumes. Saved with a durable consumer's configuration.
fn consumer_pause(registry: &mut Registry, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    #[derive(Debug, Default, Deserialize)]
    struct PauseRequest {
        #[serde(default)]
        pause_until: String,
    }
    let request: PauseRequest = parse(body)?;
    let until = match request.pause_until.as_str() {
        "" => None,
        text => Some(
            natrium_router::timefmt::parse_rfc3339(text)
                .ok_or_else(|| ApiError::invalid_json(&format!("pause_until {text:?}")))?,
        ),
    };
    let (stream_name, consumer_name) = consumer_path(name);
    let stream = registry
        .streams
        .get_mut(stream_name)
        .ok_or_else(ApiError::stream_not_found)?;
    let consumer = consumer_name
        .and_then(|consumer| stream.consumers.get_mut(consumer))
        .ok_or_else(ApiError::consumer_not_found)?;
    consumer.pause(until);
    if let Some(dir) = stream.dir.as_ref().filter(|_| consumer.config.durable) {
        crate::consumer::save_config(&consumer.config, dir)?;
    }
    let mut response = json!({
        "paused": consumer.paused_for().is_some(),
        "pause_until": until.map_or_else(
            || "0001-01-01T00:00:00Z".to_owned(),
            natrium_router::timefmt::rfc3339,
        ),
    });
    if let Some(left) = consumer.paused_for()
        && let Some(fields) = response.as_object_mut()
    {
        let ns = u64::try_from(left.as_nanos()).unwrap_or(u64::MAX);
        fields.insert("pause_remaining".to_owned(), json!(ns));
    }
    let advisory = crate::advisory::consumer_pause(
        stream_name,
        &consumer.config.name,
        consumer.paused_for().is_some(),
        response.get("pause_until").unwrap_or(&Value::Null),
    );
    crate::advisory::publish(&registry.broker, advisory);
    Ok(response)
}

fn consumer_names(registry: &Registry, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    let request: ListRequest = parse(body)?;
    let stream = stream_named(registry, name)?;
    let names: Vec<&String> = stream
        .consumers
        .keys()
        .skip(request.offset)
        .take(NAMES_PAGE)
        .collect();
    Ok(json!({
        "total": stream.consumers.len(),
        "offset": request.offset.min(stream.consumers.len()),
        "limit": NAMES_PAGE,
        "consumers": names,
    }))
}

fn consumer_list(registry: &Registry, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    let request: ListRequest = parse(body)?;
    let stream = stream_named(registry, name)?;
    let store = stream.store.lock();
    let infos: Vec<Value> = stream
        .consumers
        .values()
        .skip(request.offset)
        .take(LIST_PAGE)
        .map(|consumer| consumer.info(store.as_dyn(), &registry.broker))
        .collect();
    Ok(json!({
        "total": stream.consumers.len(),
        "offset": request.offset.min(stream.consumers.len()),
        "limit": LIST_PAGE,
        "consumers": infos,
    }))
}
