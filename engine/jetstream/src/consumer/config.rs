//! A consumer's configuration as clients send it (`CONSUMER.CREATE`, `DURABLE.CREATE`) and as
//! the Go server echoes it: Go's field names, defaults, checks and error texts. natrium fails
//! closed: a field it does not act on, set to anything but its default, refuses the create.

use std::time::{Duration, SystemTime};

use natrium_router::subject;
use serde_json::{Map, Value, json};

use crate::errors::ApiError;

/// Go's default `ack_wait`: 30 s.
const ACK_WAIT_DEFAULT: Duration = Duration::from_secs(30);
/// Go's default `max_ack_pending`.
const MAX_ACK_PENDING_DEFAULT: i64 = 1000;
/// Go's default `max_waiting` (pull requests queued per consumer).
const MAX_WAITING_DEFAULT: i64 = 512;
/// Go's default `inactive_threshold` of an ephemeral consumer.
const INACTIVE_THRESHOLD_DEFAULT: Duration = Duration::from_secs(5);

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
    "filter_subjects",
    "opt_start_time",
    "deliver_subject",
    "deliver_group",
    "flow_control",
    "idle_heartbeat",
    "headers_only",
    "mem_storage",
    "backoff",
    "pause_until",
];
/// Values one `backoff` list may hold.
const BACKOFF_LEN_MAX: usize = 1024;
/// Filter subjects one consumer may list.
pub const FILTER_SUBJECTS_MAX: usize = 1024;
/// Go's lower bound on `idle_heartbeat`.
const IDLE_HEARTBEAT_MIN: Duration = Duration::from_millis(100);

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
    /// `backoff`: the wait before the n-th redelivery (the last value repeats); empty: `ack_wait`.
    pub backoff: Vec<Duration>,
    pub max_deliver: Option<u64>,
    /// `filter_subject` or `filter_subjects` (non-overlapping); empty: the whole stream.
    pub filters: Vec<String>,
    /// Set for a push consumer (`deliver_subject`).
    pub push: Option<PushConfig>,
    /// `headers_only`: deliveries carry the headers and `Nats-Msg-Size`, not the payload.
    pub headers_only: bool,
    pub max_ack_pending: usize,
    pub max_waiting: usize,
    /// The first stream sequence to consider.
    pub start: StartAt,
    /// `pause_until`: no deliveries before this time.
    pub pause_until: Option<SystemTime>,
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
    /// `by_start_time`: the first message stored at or after this time (ns since 1970).
    Time(u64),
    /// `last_per_subject`: the last message of each matching subject, then what follows.
    LastPerSubject,
}

/// Where and how a push consumer delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushConfig {
    pub subject: String,
    pub group: Option<String>,
    pub flow_control: bool,
    pub heartbeat: Option<Duration>,
}

fn consumer_error(detail: impl Into<String>) -> ApiError {
    ApiError::consumer_create(detail)
}

/// A config field read as text, integer, flag or nanoseconds (absent: the default).
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn text(&self, key: &str) -> &str {
        self.0.get(key).and_then(Value::as_str).unwrap_or_default()
    }
    fn int(&self, key: &str) -> i64 {
        self.0.get(key).and_then(Value::as_i64).unwrap_or(0)
    }
    fn flag(&self, key: &str) -> bool {
        self.0.get(key).and_then(Value::as_bool).unwrap_or(false)
    }
    fn nanos(&self, key: &str) -> Option<Duration> {
        u64::try_from(self.int(key))
            .ok()
            .filter(|&ns| ns > 0)
            .map(Duration::from_nanos)
    }
}

impl ConsumerConfig {
    /// Parses `{"stream_name", "config", "action"}`; `name_in_subject` from the API subject.
    pub fn from_request(body: &[u8], name_in_subject: Option<&str>) -> Result<Self, ApiError> {
        let value = request_json(body)?;
        // Go decodes a request without a config as the empty (all defaults) configuration.
        let config = match value.get("config") {
            Some(Value::Object(config)) => config.clone(),
            _ => Map::new(),
        };
        for (key, value) in &config {
            // A field Go does not know is ignored, as Go does outside strict mode.
            let go_knows = crate::gojson::knows(crate::gojson::CONSUMER_FIELDS, key);
            if go_knows && !SUPPORTED.contains(&key.as_str()) && !crate::config::is_default(value) {
                return Err(consumer_error(format!(
                    "{key} is not supported by natrium yet"
                )));
            }
        }
        let fields = Fields(&config);
        let durable = fields.text("durable_name");
        let name = [
            durable,
            fields.text("name"),
            name_in_subject.unwrap_or_default(),
        ]
        .into_iter()
        .find(|name| !name.is_empty());
        // Go echoes no name for an ephemeral consumer it named itself.
        let named = name.is_some();
        let name = name.map_or_else(ephemeral_name, str::to_owned);
        if !durable.is_empty() && durable != name || name_in_subject.is_some_and(|n| n != name) {
            return Err(ApiError::consumer_durable_mismatch());
        }
        check_name(&name, !durable.is_empty())?;
        let (ack_policy, start) = policies(&fields)?;
        if fields.int("num_replicas") > 1 {
            return Err(ApiError::replicas_not_supported());
        }
        let filters = filters(&fields)?;
        let push = push_config(&fields)?;
        let backoff = backoff(&fields)?;
        if fields.int("ack_wait") < 0 {
            return Err(ApiError::consumer_ack_wait_negative());
        }
        // Go: with a backoff list, ack_wait is its first value.
        let ack_wait = backoff
            .first()
            .copied()
            .or_else(|| fields.nanos("ack_wait"))
            .unwrap_or(ACK_WAIT_DEFAULT);
        let positive = |key: &str, default: i64| match fields.int(key) {
            value if value > 0 => value,
            _ => default,
        };
        let max_ack_pending = positive("max_ack_pending", MAX_ACK_PENDING_DEFAULT);
        // A push consumer has no pull requests to queue (Go echoes no max_waiting for it).
        let max_waiting = if push.is_some() {
            0
        } else {
            positive("max_waiting", MAX_WAITING_DEFAULT)
        };
        let max_deliver = u64::try_from(fields.int("max_deliver"))
            .ok()
            .filter(|&max| max > 0);
        if max_deliver.is_some_and(|max| max <= backoff.len() as u64) {
            return Err(ApiError::consumer_max_deliver_backoff());
        }
        let inactive_threshold = fields
            .nanos("inactive_threshold")
            .or_else(|| durable.is_empty().then_some(INACTIVE_THRESHOLD_DEFAULT));
        let mut json = echo(
            &config,
            &name,
            !durable.is_empty(),
            ack_policy,
            ack_wait,
            max_deliver,
            (max_waiting, max_ack_pending),
        );
        if !named {
            json.remove("name");
        }
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
            backoff,
            pause_until: match fields.text("pause_until") {
                "" => None,
                text => Some(natrium_router::timefmt::parse_rfc3339(text).ok_or_else(|| {
                    ApiError::invalid_json(&format!("pause_until {text:?} is not an RFC 3339 time"))
                })?),
            },
            max_deliver,
            filters,
            push,
            headers_only: fields.flag("headers_only"),
            max_ack_pending: usize::try_from(max_ack_pending).unwrap_or(usize::MAX),
            max_waiting: usize::try_from(max_waiting).unwrap_or(usize::MAX),
            start,
            inactive_threshold,
        })
    }

    /// The filters as the store takes them (`>` for the whole stream).
    pub fn store_filters(&self) -> Vec<&str> {
        if self.filters.is_empty() {
            vec![">"]
        } else {
            self.filters.iter().map(String::as_str).collect()
        }
    }
}

/// A consumer request's JSON: an empty body is Go's empty request.
fn request_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|error| crate::gojson::invalid_json(body, &error))
}

/// Go's checks of a create request against its subject, before the configuration's own:
/// `rest` is what follows `CONSUMER.CREATE.` (`<stream>[.<consumer>[.<filter>]]`) or, with
/// `durable_api`, `CONSUMER.DURABLE.CREATE.` (`<stream>.<durable>`).
pub fn check_request(body: &[u8], rest: &str, durable_api: bool) -> Result<(), ApiError> {
    let value = request_json(body)?;
    let config = match value.get("config") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(config)) => config.clone(),
        Some(other) => {
            let kind = if other.is_array() { "array" } else { "value" };
            return Err(ApiError::invalid_json(&format!(
                "json: cannot unmarshal {kind} into Go struct field \
                 JSApiConsumerCreateRequest.config of type server.ConsumerConfig"
            )));
        }
    };
    crate::gojson::check(
        &config,
        crate::gojson::CONSUMER_FIELDS,
        "ConsumerConfig",
        "config.",
    )?;
    let tokens: Vec<&str> = rest.split('.').collect();
    let stream = tokens.first().copied().unwrap_or_default();
    let in_body = value.get("stream_name").and_then(Value::as_str);
    if in_body.unwrap_or_default() != stream {
        return Err(ApiError::name_mismatch());
    }
    let fields = Fields(&config);
    let durable = fields.text("durable_name");
    let consumer = tokens.get(1).copied().unwrap_or_default();
    if durable_api {
        if tokens.len() != 2 {
            return Err(ApiError::consumer_durable_not_in_subject());
        }
        if durable.is_empty() {
            return Err(ApiError::consumer_durable_not_set());
        }
    }
    if tokens.len() == 1 {
        if !durable.is_empty() {
            return Err(ApiError::consumer_ephemeral_with_durable());
        }
        return Ok(());
    }
    if !durable.is_empty() && durable != consumer {
        return Err(ApiError::consumer_durable_mismatch());
    }
    let filter = tokens.get(2..).unwrap_or_default().join(".");
    if !filter.is_empty() && !durable_api {
        if config
            .get("filter_subjects")
            .and_then(Value::as_array)
            .is_some_and(|filters| !filters.is_empty())
        {
            return Err(ApiError::consumer_multiple_filters_not_allowed());
        }
        if fields.text("filter_subject") != filter {
            return Err(ApiError::consumer_filter_in_subject_mismatch());
        }
    }
    Ok(())
}

/// Go's consumer name rules (`isValidAssetName`, at most 255 bytes), with its texts.
fn check_name(name: &str, durable: bool) -> Result<(), ApiError> {
    let refused = |c: char| c.is_whitespace() || matches!(c, '.' | '*' | '>' | '/' | '\\');
    if name.chars().any(refused) {
        return Err(ApiError::invalid_config(if durable {
            "consumer durable name can not contain '.', '*', '>', '\\', '/'"
        } else {
            "consumer name can not contain '.', '*', '>', '\\', '/'"
        }));
    }
    if name.len() > crate::config::STREAM_NAME_LEN_MAX {
        return Err(ApiError::consumer_name_too_long(
            crate::config::STREAM_NAME_LEN_MAX,
        ));
    }
    Ok(())
}

/// `backoff`: a list of nanosecond waits, each positive.
fn backoff(fields: &Fields<'_>) -> Result<Vec<Duration>, ApiError> {
    let items = match fields.0.get("backoff") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::invalid_json("backoff must be a list")),
    };
    if items.len() > BACKOFF_LEN_MAX {
        return Err(consumer_error(format!(
            "more than {BACKOFF_LEN_MAX} backoff values"
        )));
    }
    items
        .iter()
        .map(|item| {
            item.as_u64()
                .filter(|&ns| ns > 0)
                .map(Duration::from_nanos)
                .ok_or_else(ApiError::consumer_backoff_negative)
        })
        .collect()
}

impl ConsumerConfig {
    /// How long a message delivered `deliveries` times waits for its ack before it is due
    /// again: the backoff value for that delivery (the last repeats), else `ack_wait`.
    pub fn redelivery_wait(&self, deliveries: u64) -> Duration {
        let index = usize::try_from(deliveries.saturating_sub(1)).unwrap_or(usize::MAX);
        self.backoff
            .get(index)
            .or(self.backoff.last())
            .copied()
            .unwrap_or(self.ack_wait)
    }
}

/// `filter_subject` and `filter_subjects`, checked as Go checks them: valid, not both, none
/// empty, none overlapping another (so a message matches at most one, and counts add up).
fn filters(fields: &Fields<'_>) -> Result<Vec<String>, ApiError> {
    let single = fields.text("filter_subject");
    let many: Vec<String> = match fields.0.get("filter_subjects") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| ApiError::invalid_json("filter_subjects must be strings"))?,
        Some(_) => return Err(ApiError::invalid_json("filter_subjects must be a list")),
    };
    if !single.is_empty() && !many.is_empty() {
        return Err(ApiError::consumer_duplicate_filter_subjects());
    }
    if many.len() > FILTER_SUBJECTS_MAX {
        return Err(consumer_error(format!(
            "more than {FILTER_SUBJECTS_MAX} filter subjects"
        )));
    }
    if many.iter().any(String::is_empty) {
        return Err(ApiError::consumer_empty_filter());
    }
    let filters = if single.is_empty() {
        many
    } else {
        vec![single.to_owned()]
    };
    for filter in &filters {
        if !subject::is_valid_filter(filter.as_bytes()) {
            return Err(ApiError::invalid_config("invalid subject"));
        }
    }
    for (index, filter) in filters.iter().enumerate() {
        let others = filters.iter().skip(index + 1);
        if others
            .into_iter()
            .any(|other| crate::service::filters_overlap(filter, other))
        {
            return Err(ApiError::consumer_overlapping_filters());
        }
    }
    Ok(filters)
}

/// `deliver_subject` and what only a push consumer may set, with Go's checks and texts.
fn push_config(fields: &Fields<'_>) -> Result<Option<PushConfig>, ApiError> {
    let subject = fields.text("deliver_subject");
    let heartbeat = fields.nanos("idle_heartbeat");
    let flow_control = fields.flag("flow_control");
    if subject.is_empty() {
        if heartbeat.is_some() {
            return Err(ApiError::consumer_heartbeat_requires_push());
        }
        if flow_control {
            return Err(ApiError::consumer_flow_control_requires_push());
        }
        if !fields.text("deliver_group").is_empty() {
            return Err(consumer_error(
                "consumer deliver group requires a push based consumer",
            ));
        }
        return Ok(None);
    }
    if subject.split('.').any(|token| token == "*" || token == ">") {
        return Err(ApiError::consumer_deliver_to_wildcards());
    }
    if !subject::is_valid_literal_subject(subject.as_bytes()) {
        return Err(ApiError::consumer_invalid_deliver_subject());
    }
    if fields.int("max_waiting") != 0 {
        return Err(ApiError::consumer_push_max_waiting());
    }
    if flow_control && heartbeat.is_none() {
        return Err(ApiError::consumer_flow_control_needs_heartbeat());
    }
    if heartbeat.is_some_and(|heartbeat| heartbeat < IDLE_HEARTBEAT_MIN) {
        return Err(ApiError::consumer_small_heartbeat());
    }
    let group = Some(fields.text("deliver_group"))
        .filter(|group| !group.is_empty())
        .map(str::to_owned);
    Ok(Some(PushConfig {
        subject: subject.to_owned(),
        group,
        flow_control,
        heartbeat,
    }))
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
        let value = request_json(body)?;
        match value.get("action") {
            None | Some(Value::Null) => Ok(Self::CreateOrUpdate),
            Some(Value::String(action)) if action.is_empty() => Ok(Self::CreateOrUpdate),
            Some(Value::String(action)) if action == "create" => Ok(Self::Create),
            Some(Value::String(action)) if action == "update" => Ok(Self::Update),
            // Go's text, with the raw JSON it refused.
            Some(other) => Err(ApiError::invalid_json(&format!(
                "unknown consumer action: {other}"
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
        (
            old.push.is_some() != new.push.is_some(),
            "can not update push consumer to pull based",
        ),
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
    random_id(8)
}

/// `len` characters from `[A-Za-z0-9]`: the std hasher's random per-process keys mixed with
/// a counter and the clock, eight characters per hash (advisory ids, ephemeral names).
pub fn random_id(len: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut id = String::with_capacity(len);
    while id.len() < len {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        let clock = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        hasher.write_u128(clock);
        let mut bits = hasher.finish();
        for _ in 0..8.min(len - id.len()) {
            let index = usize::try_from(bits % 62).unwrap_or(0);
            bits /= 62;
            id.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'0')));
        }
    }
    id
}

/// The acknowledgement policy and where the consumer starts, with Go's checks and texts.
fn policies(fields: &Fields<'_>) -> Result<(AckPolicy, StartAt), ApiError> {
    // Go's zero value: a consumer that does not say is without acks.
    let ack_policy = match fields.text("ack_policy") {
        "explicit" => AckPolicy::Explicit,
        "" | "none" => AckPolicy::None,
        "all" => AckPolicy::All,
        other => return Err(consumer_error(format!("ack_policy {other:?}"))),
    };
    if !matches!(fields.text("replay_policy"), "" | "instant") {
        return Err(consumer_error(
            "replay_policy original is not supported by natrium yet",
        ));
    }
    let policy = fields.text("deliver_policy");
    let start_time = fields.text("opt_start_time");
    let start_seq = u64::try_from(fields.int("opt_start_seq")).unwrap_or(0);
    let described = match policy {
        "" | "all" | "undefined" => "all",
        "last_per_subject" => "last per subject",
        "by_start_sequence" => "by start sequence",
        "by_start_time" => "by start time",
        other => other,
    };
    let refuse = |detail: String| Err(ApiError::consumer_invalid_policy(detail));
    let also_set = |start: &str| {
        format!(
            "consumer delivery policy is deliver {described}, but optional start {start} is also set"
        )
    };
    let not_set = |what: &str| {
        format!("consumer delivery policy is deliver {described}, but optional {what} is not set")
    };
    if start_seq > 0 && !matches!(policy, "by_start_sequence") {
        return refuse(also_set("sequence"));
    }
    if !start_time.is_empty() && !matches!(policy, "by_start_time") {
        return refuse(also_set("time"));
    }
    let start = match policy {
        "" | "all" | "undefined" => StartAt::All,
        "last" => StartAt::Last,
        "new" => StartAt::New,
        "last_per_subject" => {
            if fields.text("filter_subject").is_empty()
                && fields
                    .0
                    .get("filter_subjects")
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty)
            {
                return refuse(not_set("filter subject"));
            }
            StartAt::LastPerSubject
        }
        "by_start_sequence" if start_seq == 0 => return refuse(not_set("start sequence")),
        "by_start_sequence" => StartAt::Sequence(start_seq),
        "by_start_time" => {
            let time = natrium_router::timefmt::parse_rfc3339(start_time)
                .ok_or_else(|| ApiError::consumer_invalid_policy(not_set("start time")))?;
            let since = time
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            StartAt::Time(u64::try_from(since.as_nanos()).unwrap_or(u64::MAX))
        }
        other => return Err(consumer_error(format!("deliver_policy {other:?}"))),
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
    // Go leaves out what does not apply: max_waiting of a push consumer, max_ack_pending
    // without acks.
    for key in ["max_waiting", "max_ack_pending"] {
        if json.get(key).and_then(Value::as_i64) == Some(0) {
            json.remove(key);
        }
    }
    if ack_policy == AckPolicy::None {
        json.remove("max_ack_pending");
        // Go's default ack_wait is for consumers with acks only.
        if !config.contains_key("ack_wait") {
            json.remove("ack_wait");
        }
    }
    if durable {
        json.insert("durable_name".to_owned(), json!(name));
    }
    json.insert("name".to_owned(), json!(name));
    json
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
