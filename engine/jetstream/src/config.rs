//! A stream's configuration as clients send it (`$JS.API.STREAM.CREATE`/`UPDATE`) and as the
//! Go server echoes it, with Go's field names, defaults and checks. natrium fails closed: a
//! field it does not implement, set to anything but its default, refuses the request (10052)
//! rather than creating a stream that silently lacks it.

use std::collections::BTreeMap;

use natrium_router::subject;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::errors::ApiError;

/// Go's default `duplicate_window`: two minutes, in ns.
const DUPLICATE_WINDOW_DEFAULT_NS: i64 = 120_000_000_000;
/// Go's bound on a stream name's length.
pub const STREAM_NAME_LEN_MAX: usize = 255;
/// Subjects one stream may list.
pub const STREAM_SUBJECTS_MAX: usize = 1024;

/// Fields natrium stores and acts on.
const SUPPORTED: &[&str] = &[
    "name",
    "description",
    "subjects",
    "retention",
    "max_consumers",
    "max_msgs",
    "max_bytes",
    "max_age",
    "max_msgs_per_subject",
    "max_msg_size",
    "discard",
    "storage",
    "num_replicas",
    "duplicate_window",
    "compression",
    "metadata",
    "allow_direct",
    "deny_delete",
    "deny_purge",
    "allow_rollup_hdrs",
    "allow_msg_ttl",
    "no_ack",
    "discard_new_per_subject",
    "first_seq",
    "sealed",
    "republish",
    "subject_transform",
    "sources",
    "mirror",
];
/// Sources one stream may list.
pub const SOURCES_MAX: usize = 256;

/// Where a stream keeps its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    File,
    Memory,
}

/// What a full stream does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Discard {
    Old,
    New,
}

/// A normalised stream configuration (every default filled in, as Go echoes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamConfig {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    pub retention: String,
    pub max_consumers: i64,
    pub max_msgs: i64,
    pub max_bytes: i64,
    /// ns; 0 is unlimited.
    pub max_age: i64,
    pub max_msgs_per_subject: i64,
    pub max_msg_size: i64,
    pub discard: Discard,
    /// With discard new and `max_msgs_per_subject`: refuse a subject's extra message instead
    /// of dropping its oldest.
    #[serde(default, skip_serializing_if = "is_false")]
    pub discard_new_per_subject: bool,
    pub storage: Storage,
    pub num_replicas: i64,
    /// ns; 0 (not shown) for a stream without subjects of its own (mirrors, sources only).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub duplicate_window: i64,
    pub compression: String,
    pub allow_direct: bool,
    pub mirror_direct: bool,
    pub sealed: bool,
    pub deny_delete: bool,
    pub deny_purge: bool,
    pub allow_rollup_hdrs: bool,
    pub consumer_limits: Map<String, Value>,
    pub allow_msg_ttl: bool,
    /// Publishes are stored without a PubAck.
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_ack: bool,
    /// The first sequence of a new stream (only at create).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub first_seq: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// Stored messages are published again to a transformed subject (ADR-28).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub republish: Option<Republish>,
    /// Subjects are rewritten before they are stored (ADR-30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_transform: Option<TransformConfig>,
    /// Streams on this server whose messages are copied in (see `crate::sources`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceConfig>,
    /// The stream on this server it mirrors (sequences, time stamps and headers kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror: Option<SourceConfig>,
}

/// One entry of `sources`, with Go's JSON names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceConfig {
    pub name: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub opt_start_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_start_time: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub filter_subject: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_transforms: Vec<TransformConfig>,
}

/// Reads and checks `mirror` (Go's refusals: subjects, sources, first sequence, a start
/// sequence with a start time).
fn mirror(
    fields: &Map<String, Value>,
    name: &str,
    subjects: &[String],
    listed_sources: &[SourceConfig],
) -> Result<Option<SourceConfig>, ApiError> {
    let Some(value) = fields.get("mirror").filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    if !subjects.is_empty() {
        return Err(ApiError::go_400(
            10034,
            "stream mirrors can not contain subjects",
        ));
    }
    if !listed_sources.is_empty() {
        return Err(ApiError::go_400(
            10031,
            "stream mirrors can not also contain other sources",
        ));
    }
    if fields
        .get("first_seq")
        .is_some_and(|first| !is_default(first))
    {
        return Err(ApiError::go_400(
            10143,
            "stream mirrors can not have first sequence configured",
        ));
    }
    let wrapped = Map::from_iter([("sources".to_owned(), Value::Array(vec![value.clone()]))]);
    let mut mirror = sources(&wrapped, name)?;
    let mirror = mirror
        .pop()
        .ok_or_else(|| ApiError::invalid_json("mirror"))?;
    if mirror.opt_start_seq > 0 && mirror.opt_start_time.is_some() {
        return Err(ApiError::go_400(
            10032,
            "stream mirrors can not have both start seq and start time configured",
        ));
    }
    if !mirror.filter_subject.is_empty() || !mirror.subject_transforms.is_empty() {
        return Err(ApiError::invalid_config(
            "mirror filters and subject transforms are not supported by natrium yet",
        ));
    }
    Ok(Some(mirror))
}

/// Reads and checks `sources`.
fn sources(fields: &Map<String, Value>, name: &str) -> Result<Vec<SourceConfig>, ApiError> {
    let Some(value) = fields.get("sources").filter(|value| !value.is_null()) else {
        return Ok(Vec::new());
    };
    let listed = value
        .as_array()
        .ok_or_else(|| ApiError::invalid_json("sources must be an array"))?;
    if listed.len() > SOURCES_MAX {
        return Err(ApiError::invalid_config("too many sources"));
    }
    let mut sources = Vec::with_capacity(listed.len());
    for entry in listed {
        if entry
            .get("external")
            .is_some_and(|external| !is_default(external))
        {
            return Err(ApiError::invalid_config(
                "sources from another domain or account (external) are not supported by natrium yet",
            ));
        }
        let source: SourceConfig = serde_json::from_value(entry.clone())
            .map_err(|error| ApiError::invalid_json(&error.to_string()))?;
        check_name(&source.name)?;
        if source.name == name {
            return Err(ApiError::invalid_config(
                "stream configuration for sources can not contain itself",
            ));
        }
        if !source.filter_subject.is_empty()
            && !subject::is_valid_filter(source.filter_subject.as_bytes())
        {
            return Err(ApiError::invalid_config(format!(
                "source filter subject {:?} is invalid",
                source.filter_subject
            )));
        }
        if !source.filter_subject.is_empty() && !source.subject_transforms.is_empty() {
            return Err(ApiError::invalid_config(
                "source can not have both a filter subject and subject transforms",
            ));
        }
        for transform in &source.subject_transforms {
            transform.transform()?;
        }
        if let Some(start) = &source.opt_start_time
            && natrium_router::timefmt::parse_rfc3339(start).is_none()
        {
            return Err(ApiError::invalid_json(
                "source opt_start_time is not RFC 3339",
            ));
        }
        // Go tells two sources of one stream apart by their filters; natrium keys a source's
        // progress by the stream's name alone, so it refuses the same stream twice.
        if sources
            .iter()
            .any(|earlier: &SourceConfig| earlier.name == source.name)
        {
            return Err(ApiError::invalid_config(
                "duplicate source configuration detected",
            ));
        }
        sources.push(source);
    }
    Ok(sources)
}

/// `subject_transform`: `src` (empty: every subject) rewritten to `dest` (empty: unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransformConfig {
    #[serde(default)]
    pub src: String,
    #[serde(default)]
    pub dest: String,
}

impl TransformConfig {
    /// The transform, or `None` when the destination is empty (nothing to rewrite).
    pub fn transform(
        &self,
    ) -> Result<Option<natrium_router::transform::SubjectTransform>, ApiError> {
        if !self.src.is_empty() && !subject::is_valid_filter(self.src.as_bytes()) {
            return Err(ApiError::transform_invalid_source(format!(
                "invalid subject {}",
                self.src
            )));
        }
        if self.dest.is_empty() {
            return Ok(None);
        }
        natrium_router::transform::SubjectTransform::new(&self.src, &self.dest)
            .map(Some)
            .map_err(ApiError::transform_invalid_destination)
    }
}

/// `republish`: after a message is stored, it is published to `dest` (a transform of `src`)
/// with Nats-Stream, Nats-Subject, Nats-Sequence, Nats-Time-Stamp and Nats-Last-Sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Republish {
    #[serde(default)]
    pub src: String,
    #[serde(default)]
    pub dest: String,
    /// Only the headers, with Nats-Msg-Size, and no payload.
    #[serde(default, skip_serializing_if = "is_false")]
    pub headers_only: bool,
}

impl Republish {
    /// The checked transform (Go's checks and words).
    pub fn transform(&self) -> Result<natrium_router::transform::SubjectTransform, ApiError> {
        natrium_router::transform::SubjectTransform::new(&self.src, &self.dest).map_err(|error| {
            let detail = match error {
                natrium_router::transform::TransformError::Unsupported(_) => format!(": {error}"),
                _ => String::new(),
            };
            ApiError::invalid_config(format!(
                "stream configuration for republish with transform from '{}' to '{}' not valid{detail}",
                self.src, self.dest
            ))
        })
    }
}

/// Reads and checks `republish` against the stream's subjects.
fn republish(
    fields: &Map<String, Value>,
    subjects: &[String],
) -> Result<Option<Republish>, ApiError> {
    let Some(value) = fields.get("republish").filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    let mut republish: Republish = serde_json::from_value(value.clone())
        .map_err(|error| ApiError::invalid_json(&error.to_string()))?;
    if republish.src.is_empty() {
        republish.src = ">".to_owned();
    }
    if subjects
        .iter()
        .any(|subject| crate::service::filters_overlap(&republish.dest, subject))
    {
        return Err(ApiError::invalid_config(
            "stream configuration for republish destination forms a cycle",
        ));
    }
    republish.transform()?;
    Ok(Some(republish))
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(flag: &bool) -> bool {
    !*flag
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(value: &u64) -> bool {
    *value == 0
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero_i64(value: &i64) -> bool {
    *value == 0
}

impl StreamConfig {
    /// Parses and checks a request body; `name_in_subject` is the name the API subject gave.
    pub fn from_request(body: &[u8], name_in_subject: &str) -> Result<Self, ApiError> {
        // Go decodes an empty body as an empty configuration (whose name then mismatches).
        let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            serde_json::from_slice(body)
                .map_err(|error| crate::gojson::invalid_json(body, &error))?
        };
        let Value::Object(fields) = value else {
            return Err(ApiError::invalid_json("expected an object"));
        };
        let go_fields = crate::gojson::STREAM_FIELDS;
        crate::gojson::check(&fields, go_fields, "StreamConfigRequest", "")?;
        let text = |key: &str| fields.get(key).and_then(Value::as_str).unwrap_or_default();
        let int = |key: &str, default: i64| match fields.get(key).and_then(Value::as_i64) {
            Some(0) | None => default,
            Some(value) => value,
        };
        // Go requires the name in the body too: a missing one mismatches the subject's.
        let name = text("name").to_owned();
        if name != name_in_subject {
            return Err(ApiError::name_mismatch());
        }
        refuse_unsupported(&fields)?;
        Self::from_request_named(&fields, &name, int)
    }

    fn from_request_named(
        fields: &Map<String, Value>,
        name: &str,
        int: impl Fn(&str, i64) -> i64,
    ) -> Result<Self, ApiError> {
        check_name(name)?;
        let text = |key: &str| fields.get(key).and_then(Value::as_str).unwrap_or_default();
        let subjects = subjects(fields, name)?;
        let retention = match text("retention") {
            "" | "limits" => "limits".to_owned(),
            policy @ ("interest" | "workqueue") => policy.to_owned(),
            other => return Err(ApiError::invalid_config(format!("retention {other:?}"))),
        };
        let storage = match text("storage") {
            "" | "file" => Storage::File,
            "memory" => Storage::Memory,
            other => return Err(ApiError::invalid_config(format!("storage {other:?}"))),
        };
        let discard = match text("discard") {
            "" | "old" => Discard::Old,
            "new" => Discard::New,
            other => return Err(ApiError::invalid_config(format!("discard {other:?}"))),
        };
        let compression = match text("compression") {
            "" | "none" => "none".to_owned(),
            // natrium compresses file blocks with Snappy, the format S2 extends.
            "s2" => "s2".to_owned(),
            other => return Err(ApiError::invalid_config(format!("compression {other:?}"))),
        };
        let num_replicas = int("num_replicas", 1);
        if num_replicas > 1 {
            return Err(ApiError::replicas_not_supported());
        }
        let (max_age, duplicate_window) = ages(int("max_age", 0), int("duplicate_window", 0))?;
        // Go gives the default window only to a stream that takes publishes of its own.
        let duplicate_window = if subjects.is_empty() && int("duplicate_window", 0) == 0 {
            0
        } else {
            duplicate_window
        };
        let flag = |key: &str| fields.get(key).and_then(Value::as_bool).unwrap_or(false);
        let (allow_rollup_hdrs, deny_purge) = (flag("allow_rollup_hdrs"), flag("deny_purge"));
        if allow_rollup_hdrs && deny_purge {
            return Err(ApiError::invalid_config(
                "roll-ups require the purge permission",
            ));
        }
        let sealed = flag("sealed");
        // Sealing freezes the stream as Go does: nothing added, deleted, purged or aged out.
        let (discard, max_age, deny_delete, deny_purge, allow_rollup_hdrs) = if sealed {
            (Discard::New, 0, true, true, false)
        } else {
            (
                discard,
                max_age,
                flag("deny_delete"),
                deny_purge,
                allow_rollup_hdrs,
            )
        };
        let discard_new_per_subject = flag("discard_new_per_subject");
        if discard_new_per_subject && discard != Discard::New {
            return Err(ApiError::invalid_config(
                "discard new per subject requires discard new policy to be set",
            ));
        }
        if discard_new_per_subject && int("max_msgs_per_subject", -1) <= 0 {
            return Err(ApiError::invalid_config(
                "discard new per subject requires max msgs per subject > 0",
            ));
        }
        let republish = republish(fields, &subjects)?;
        let sources = sources(fields, name)?;
        let mirror = mirror(fields, name, &subjects, &sources)?;
        let subject_transform = match fields.get("subject_transform") {
            Some(value) if !value.is_null() => {
                let transform: TransformConfig = serde_json::from_value(value.clone())
                    .map_err(|error| ApiError::invalid_json(&error.to_string()))?;
                transform.transform()?;
                Some(transform)
            }
            _ => None,
        };
        let metadata = fields
            .get("metadata")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            name: name.to_owned(),
            description: Some(text("description").to_owned()).filter(|text| !text.is_empty()),
            subjects,
            retention,
            max_consumers: int("max_consumers", -1),
            max_msgs: int("max_msgs", -1),
            max_bytes: int("max_bytes", -1),
            max_age,
            max_msgs_per_subject: int("max_msgs_per_subject", -1),
            max_msg_size: int("max_msg_size", -1),
            discard,
            discard_new_per_subject,
            storage,
            num_replicas: 1,
            duplicate_window,
            compression,
            allow_direct: flag("allow_direct"),
            mirror_direct: false,
            sealed,
            deny_delete,
            deny_purge,
            allow_rollup_hdrs,
            consumer_limits: Map::new(),
            allow_msg_ttl: flag("allow_msg_ttl"),
            no_ack: flag("no_ack"),
            first_seq: u64::try_from(int("first_seq", 0)).unwrap_or(0),
            metadata,
            republish,
            subject_transform,
            sources,
            mirror,
        })
    }

    /// The store limits this configuration asks for.
    pub fn store_config(&self) -> natrium_store::StoreConfig {
        let limit = |value: i64| u64::try_from(value).ok().filter(|&value| value > 0);
        natrium_store::StoreConfig {
            max_msgs: limit(self.max_msgs),
            max_bytes: limit(self.max_bytes),
            max_age_ns: limit(self.max_age),
            max_msgs_per_subject: limit(self.max_msgs_per_subject),
            max_msg_size: limit(self.max_msg_size),
            discard: match self.discard {
                Discard::Old => natrium_store::DiscardPolicy::Old,
                Discard::New => natrium_store::DiscardPolicy::New,
            },
            allow_msg_ttl: self.allow_msg_ttl,
            discard_new_per_subject: self.discard_new_per_subject,
        }
    }
}

/// `max_age` and `duplicate_window` (ns) checked as Go checks them; an unset window is Go's
/// default, cut to `max_age`.
fn ages(max_age: i64, duplicate_window: i64) -> Result<(i64, i64), ApiError> {
    if max_age < 0 {
        return Err(ApiError::invalid_config("max age can not be negative"));
    }
    let window = match duplicate_window {
        0 if max_age > 0 => DUPLICATE_WINDOW_DEFAULT_NS.min(max_age),
        0 => DUPLICATE_WINDOW_DEFAULT_NS,
        window => window,
    };
    if window < 0 {
        return Err(ApiError::invalid_config(
            "duplicates window can not be negative",
        ));
    }
    if max_age != 0 && window > max_age {
        return Err(ApiError::invalid_config(
            "duplicates window can not be larger then max age",
        ));
    }
    Ok((max_age, window))
}

/// Go's stream name rules: not empty, at most 255 bytes, no whitespace, `.`, `*`, `>` or path
/// separators (the name is a directory and an API subject token).
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let refused = |c: char| c.is_whitespace() || matches!(c, '.' | '*' | '>' | '/' | '\\');
    if name.is_empty() || name.chars().any(refused) {
        return Err(ApiError::invalid_config(
            "stream name is required and can not contain '.', '*', '>', '\\', '/'",
        ));
    }
    if name.len() > STREAM_NAME_LEN_MAX {
        return Err(ApiError::invalid_config(format!(
            "stream name is too long, maximum allowed is {STREAM_NAME_LEN_MAX}"
        )));
    }
    Ok(())
}

fn subjects(fields: &Map<String, Value>, name: &str) -> Result<Vec<String>, ApiError> {
    let listed: Vec<String> = match fields.get("subjects") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| ApiError::invalid_json("subjects must be strings"))?,
        Some(_) => return Err(ApiError::invalid_json("subjects must be an array")),
    };
    let sourcing = fields
        .get("sources")
        .and_then(Value::as_array)
        .is_some_and(|sources| !sources.is_empty())
        || fields.get("mirror").is_some_and(|mirror| !mirror.is_null());
    // Go gives a stream without subjects its own name, unless it only takes from sources.
    let subjects = if listed.is_empty() && sourcing {
        Vec::new()
    } else if listed.is_empty() {
        vec![name.to_owned()]
    } else {
        listed
    };
    if subjects.len() > STREAM_SUBJECTS_MAX {
        return Err(ApiError::invalid_config("too many subjects"));
    }
    for (at, subject) in subjects.iter().enumerate() {
        if !subject::is_valid_filter(subject.as_bytes()) {
            return Err(ApiError::invalid_config("invalid subject"));
        }
        if subject::filter_matches(b"$JS.API.>", subject.as_bytes())
            || subject::filter_matches(subject.as_bytes(), b"$JS.API.STREAM.INFO.X")
        {
            return Err(ApiError::invalid_config(
                "subjects that overlap with jetstream api require no-ack to be true",
            ));
        }
        if subjects.iter().take(at).any(|earlier| earlier == subject) {
            return Err(ApiError::invalid_config("duplicate subjects detected"));
        }
        // Go checks each subject against the later ones (a repeated subject overlaps itself).
        if let Some(later) = subjects
            .iter()
            .skip(at + 1)
            .find(|later| crate::service::filters_overlap(later, subject))
        {
            return Err(ApiError::invalid_config(format!(
                "subject {subject:?} overlaps with {later:?}"
            )));
        }
    }
    Ok(subjects)
}

/// A field natrium does not implement, set to a non-default value, refuses the request.
fn refuse_unsupported(fields: &Map<String, Value>) -> Result<(), ApiError> {
    for (key, value) in fields {
        // A field Go does not know is ignored, as Go does outside strict mode.
        if SUPPORTED.contains(&key.as_str())
            || !crate::gojson::knows(crate::gojson::STREAM_FIELDS, key)
            || is_default(value)
        {
            continue;
        }
        return Err(ApiError::invalid_config(format!(
            "{key} is not supported by natrium yet"
        )));
    }
    Ok(())
}

pub(crate) fn is_default(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(flag) => !flag,
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
    }
}
