//! Go's JSON decoding rules for API requests, as the Go server applies them before it looks at
//! a value: a field Go knows, sent with the wrong JSON type or an enum value it does not know,
//! refuses the request with 10025 and Go's `encoding/json` text. Fields Go does not know are
//! ignored unless `jetstream { strict: true }` asks for Go 2.12+'s refusal ([`refuse_unknown`]). Checked against
//! nats-server 2.15.1's answers.

use serde_json::{Map, Value};

use crate::errors::ApiError;

/// The Go type of a request field, as `encoding/json` names it in its errors.
#[derive(Debug, Clone, Copy)]
pub(crate) enum GoType {
    String,
    Bool,
    /// An integer type: its Go name and range.
    Integer(&'static str, i128, i128),
    /// `[]string`.
    StringList,
    /// `[]time.Duration`.
    DurationList,
    /// `map[string]string`.
    StringMap,
    /// A struct or pointer to one: any object (its fields are not checked here).
    Object(&'static str),
    /// `[]T` of structs.
    ObjectList(&'static str),
    /// A Go enum with its own `UnmarshalJSON`: one of these JSON strings.
    Enum(&'static [&'static str]),
    /// Go's `*time.Time`: an RFC 3339 string (checked by the caller).
    Time,
}

const INT: GoType = GoType::Integer("int", i64::MIN as i128, i64::MAX as i128);
const INT32: GoType = GoType::Integer("int32", i32::MIN as i128, i32::MAX as i128);
const INT64: GoType = GoType::Integer("int64", i64::MIN as i128, i64::MAX as i128);
const UINT64: GoType = GoType::Integer("uint64", 0, u64::MAX as i128);
const DURATION: GoType = GoType::Integer("time.Duration", i64::MIN as i128, i64::MAX as i128);

/// Every field of Go's `StreamConfigRequest` (server/stream.go), with its type.
pub(crate) const STREAM_FIELDS: &[(&str, GoType)] = &[
    ("name", GoType::String),
    ("description", GoType::String),
    ("subjects", GoType::StringList),
    (
        "retention",
        GoType::Enum(&["limits", "interest", "workqueue"]),
    ),
    ("max_consumers", INT),
    ("max_msgs", INT64),
    ("max_bytes", INT64),
    ("max_age", DURATION),
    ("max_msgs_per_subject", INT64),
    ("max_msg_size", INT32),
    ("discard", GoType::Enum(&["old", "new"])),
    ("storage", GoType::Enum(&["file", "memory"])),
    ("num_replicas", INT),
    ("no_ack", GoType::Bool),
    ("template_owner", GoType::String),
    ("duplicate_window", DURATION),
    ("placement", GoType::Object("Placement")),
    ("mirror", GoType::Object("StreamSource")),
    ("sources", GoType::ObjectList("*server.StreamSource")),
    ("compression", GoType::String),
    ("first_seq", UINT64),
    (
        "subject_transform",
        GoType::Object("SubjectTransformConfig"),
    ),
    ("republish", GoType::Object("RePublish")),
    ("allow_direct", GoType::Bool),
    ("mirror_direct", GoType::Bool),
    ("discard_new_per_subject", GoType::Bool),
    ("sealed", GoType::Bool),
    ("deny_delete", GoType::Bool),
    ("deny_purge", GoType::Bool),
    ("allow_rollup_hdrs", GoType::Bool),
    ("consumer_limits", GoType::Object("StreamConsumerLimits")),
    ("allow_msg_ttl", GoType::Bool),
    ("subject_delete_marker_ttl", DURATION),
    ("allow_msg_counter", GoType::Bool),
    ("allow_atomic", GoType::Bool),
    ("allow_msg_schedules", GoType::Bool),
    ("allow_batched", GoType::Bool),
    ("persist_mode", GoType::String),
    ("metadata", GoType::StringMap),
    ("pedantic", GoType::Bool),
];

/// Every field of Go's `ConsumerConfig` (server/consumer.go), with its type.
pub(crate) const CONSUMER_FIELDS: &[(&str, GoType)] = &[
    ("durable_name", GoType::String),
    ("name", GoType::String),
    ("description", GoType::String),
    (
        "deliver_policy",
        GoType::Enum(&[
            "all",
            "undefined",
            "last",
            "last_per_subject",
            "new",
            "by_start_sequence",
            "by_start_time",
        ]),
    ),
    ("opt_start_seq", UINT64),
    ("opt_start_time", GoType::Time),
    (
        "ack_policy",
        GoType::Enum(&["none", "all", "explicit", "flow_control"]),
    ),
    ("ack_wait", DURATION),
    ("max_deliver", INT),
    ("backoff", GoType::DurationList),
    ("filter_subject", GoType::String),
    ("filter_subjects", GoType::StringList),
    ("replay_policy", GoType::Enum(&["instant", "original"])),
    ("rate_limit_bps", UINT64),
    ("sample_freq", GoType::String),
    ("max_waiting", INT),
    ("max_ack_pending", INT),
    ("flow_control", GoType::Bool),
    ("headers_only", GoType::Bool),
    ("max_batch", INT),
    ("max_expires", DURATION),
    ("max_bytes", INT),
    ("deliver_subject", GoType::String),
    ("deliver_group", GoType::String),
    ("idle_heartbeat", DURATION),
    ("inactive_threshold", DURATION),
    ("num_replicas", INT),
    ("mem_storage", GoType::Bool),
    ("direct", GoType::Bool),
    ("sourcing", GoType::Bool),
    ("metadata", GoType::StringMap),
    ("pause_until", GoType::Time),
    ("priority_groups", GoType::StringList),
    ("priority_policy", GoType::String),
    ("priority_timeout", DURATION),
];

/// Top-level fields of Go's consumer create request.
const CONSUMER_REQUEST_FIELDS: &[&str] = &["stream_name", "config", "action", "pedantic"];

/// Go 2.12+'s strict decoding (`jetstream { strict: true }`): a field Go's request struct does
/// not have refuses the request with 10025 and Go's `encoding/json` words. Nested objects
/// (`republish`, `sources[]`, ...) are not walked.
pub(crate) fn refuse_unknown(body: &[u8], consumer: bool) -> Result<(), ApiError> {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        // Not an object: the normal parse answers it.
        return Ok(());
    };
    let unknown = |key: &str| ApiError::invalid_json(&format!("json: unknown field {key:?}"));
    if !consumer {
        return match fields
            .keys()
            .find(|key| !knows(STREAM_FIELDS, key) && key.as_str() != "pedantic")
        {
            Some(key) => Err(unknown(key)),
            None => Ok(()),
        };
    }
    if let Some(key) = fields
        .keys()
        .find(|key| !CONSUMER_REQUEST_FIELDS.contains(&key.as_str()))
    {
        return Err(unknown(key));
    }
    if let Some(Value::Object(config)) = fields.get("config")
        && let Some(key) = config.keys().find(|key| !knows(CONSUMER_FIELDS, key))
    {
        return Err(unknown(key));
    }
    Ok(())
}

/// Whether Go's request struct has this field (natrium refuses those it does not implement).
pub(crate) fn knows(table: &[(&str, GoType)], key: &str) -> bool {
    table.iter().any(|(name, _)| *name == key)
}

/// Checks each field Go knows as Go's decoder would; `owner` is the Go struct named in the
/// error and `path` the JSON path before the field (`config.` inside a consumer request).
pub(crate) fn check(
    fields: &Map<String, Value>,
    table: &[(&str, GoType)],
    owner: &str,
    path: &str,
) -> Result<(), ApiError> {
    for (key, value) in fields {
        let Some((_, go_type)) = table.iter().find(|(name, _)| name == key) else {
            continue;
        };
        if let Err(detail) = check_value(value, *go_type) {
            return Err(ApiError::invalid_json(&match detail {
                Refusal::Enum(raw) => format!("can not unmarshal {}", go_quote(&raw)),
                Refusal::Type(json_kind, go_name) => format!(
                    "json: cannot unmarshal {json_kind} into Go struct field \
                     {owner}.{path}{key} of type {go_name}"
                ),
            }));
        }
    }
    Ok(())
}

/// Why a value does not decode.
enum Refusal {
    /// An enum's `UnmarshalJSON` refused these raw JSON bytes.
    Enum(String),
    /// `encoding/json`: the JSON kind (`string`, `number 1.5`) and the Go type.
    Type(String, String),
}

fn check_value(value: &Value, go_type: GoType) -> Result<(), Refusal> {
    let kind = || json_kind(value);
    let wrong = |go_name: &str| Err(Refusal::Type(kind(), go_name.to_owned()));
    match (go_type, value) {
        // encoding/json leaves a field alone on null (the enums' UnmarshalJSON aside, which
        // natrium takes as absent too).
        (_, Value::Null) => Ok(()),
        (GoType::String | GoType::Time, Value::String(_)) | (GoType::Bool, Value::Bool(_)) => {
            Ok(())
        }
        (GoType::String | GoType::Time, _) => wrong(if matches!(go_type, GoType::Time) {
            "time.Time"
        } else {
            "string"
        }),
        (GoType::Bool, _) => wrong("bool"),
        (GoType::Integer(name, min, max), Value::Number(number)) => {
            let fits = number
                .as_i64()
                .map(i128::from)
                .or_else(|| number.as_u64().map(i128::from))
                .is_some_and(|n| (min..=max).contains(&n));
            if fits {
                Ok(())
            } else {
                Err(Refusal::Type(format!("number {number}"), name.to_owned()))
            }
        }
        (GoType::Integer(name, _, _), _) => wrong(name),
        (GoType::StringList, Value::Array(items)) => {
            match items
                .iter()
                .find(|item| !item.is_string() && !item.is_null())
            {
                Some(item) => Err(Refusal::Type(json_kind(item), "string".to_owned())),
                None => Ok(()),
            }
        }
        (GoType::StringList, _) => wrong("[]string"),
        (GoType::DurationList, Value::Array(items)) => items
            .iter()
            .try_for_each(|item| check_value(item, DURATION)),
        (GoType::DurationList, _) => wrong("[]time.Duration"),
        (GoType::StringMap, Value::Object(map)) => {
            match map
                .values()
                .find(|item| !item.is_string() && !item.is_null())
            {
                Some(item) => Err(Refusal::Type(json_kind(item), "string".to_owned())),
                None => Ok(()),
            }
        }
        (GoType::StringMap, _) => wrong("map[string]string"),
        (GoType::Object(_), Value::Object(_)) | (GoType::ObjectList(_), Value::Array(_)) => Ok(()),
        (GoType::Object(name), _) => wrong(&format!("server.{name}")),
        (GoType::ObjectList(name), _) => wrong(&format!("[]{name}")),
        (GoType::Enum(allowed), Value::String(text)) if allowed.contains(&text.as_str()) => Ok(()),
        (GoType::Enum(_), _) => Err(Refusal::Enum(value.to_string())),
    }
}

/// `encoding/json`'s name for what it found: `string`, `bool`, `array`, `object`, `number`.
fn json_kind(value: &Value) -> String {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
    .to_owned()
}

/// Go's `%q` of raw JSON bytes: a double-quoted string with `"` and `\` escaped.
fn go_quote(raw: &str) -> String {
    let mut quoted = String::with_capacity(raw.len() + 2);
    quoted.push('"');
    for c in raw.chars() {
        match c {
            '"' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Go's `encoding/json` syntax error for `body`: its message and offset (the bytes read,
/// the bad one included), or `None` when the body is cut short (Go: "unexpected EOF").
/// Only called for a body serde refused, to give Go's text for it.
fn syntax_error_at(body: &[u8]) -> Option<(String, usize)> {
    let mut scanner = Scanner::default();
    for (index, &byte) in body.iter().enumerate() {
        if let Err(context) = scanner.step(byte) {
            return Some((
                format!("invalid character {} {context}", go_quote_char(byte)),
                index + 1,
            ));
        }
    }
    None
}

/// The description Go's API gives a body its decoder refused: a syntax error with its
/// offset, "unexpected EOF" for a cut body, else (a type error serde found) serde's text.
pub(crate) fn invalid_json(body: &[u8], error: &serde_json::Error) -> ApiError {
    match syntax_error_at(body) {
        Some((message, offset)) => ApiError::invalid_json(&format!("{message} at offset {offset}")),
        None if error.is_eof() => ApiError::invalid_json("unexpected EOF"),
        None => ApiError::invalid_json(&error.to_string()),
    }
}

/// The text `json.Unmarshal` gives a body serde refused (no offset, as a pull request's 400).
pub(crate) fn syntax_error(body: &[u8], error: &serde_json::Error) -> String {
    match syntax_error_at(body) {
        Some((message, _)) => message,
        None if error.is_eof() => "unexpected end of JSON input".to_owned(),
        None => error.to_string(),
    }
}

/// Go's `quoteChar`: `'n'`, `'\''`, `'"'`, `'\n'`, `'\x01'`.
fn go_quote_char(byte: u8) -> String {
    match byte {
        b'\'' => r"'\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        b'\n' => r"'\n'".to_owned(),
        b'\r' => r"'\r'".to_owned(),
        b'\t' => r"'\t'".to_owned(),
        byte if byte < 0x20 || byte == 0x7f => format!("'\\x{byte:02x}'"),
        byte => format!("'{}'", char::from(byte)),
    }
}

/// Where Go's scanner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ScanState {
    #[default]
    BeginValue,
    BeginKeyOrEnd,
    BeginKey,
    AfterKey,
    AfterObjectValue,
    BeginValueOrEnd,
    AfterArrayValue,
    End,
    InString,
    InEscape,
    InUnicode(u8),
    Minus,
    Zero,
    Digits,
    Dot,
    Fraction,
    Exponent,
    ExponentSign,
    ExponentDigits,
    /// A literal (`true`, `false`, `null`) and the next byte it expects.
    Literal(&'static [u8], usize),
}

/// A byte-at-a-time JSON checker with Go's scanner's error contexts.
#[derive(Debug, Default)]
struct Scanner {
    state: ScanState,
    /// Open objects (`true`) and arrays, bounded by the body's length.
    stack: Vec<bool>,
    /// The string being scanned is an object key.
    key: bool,
}

impl Scanner {
    fn step(&mut self, byte: u8) -> Result<(), String> {
        use ScanState as S;
        let space = matches!(byte, b' ' | b'\t' | b'\r' | b'\n');
        match self.state {
            S::BeginValue | S::BeginValueOrEnd if space => Ok(()),
            S::BeginValueOrEnd if byte == b']' => self.close(),
            S::BeginValue | S::BeginValueOrEnd => self.begin_value(byte),
            S::BeginKeyOrEnd | S::BeginKey if space => Ok(()),
            S::BeginKeyOrEnd if byte == b'}' => self.close(),
            S::BeginKeyOrEnd | S::BeginKey if byte == b'"' => {
                self.key = true;
                self.state = S::InString;
                Ok(())
            }
            S::BeginKeyOrEnd | S::BeginKey => {
                Err("looking for beginning of object key string".into())
            }
            S::AfterKey if space => Ok(()),
            S::AfterKey if byte == b':' => {
                self.state = S::BeginValue;
                Ok(())
            }
            S::AfterKey => Err("after object key".into()),
            S::AfterObjectValue | S::AfterArrayValue | S::End if space => Ok(()),
            S::AfterObjectValue if byte == b',' => {
                self.state = S::BeginKey;
                Ok(())
            }
            S::AfterObjectValue if byte == b'}' => self.close(),
            S::AfterObjectValue => Err("after object key:value pair".into()),
            S::AfterArrayValue if byte == b',' => {
                self.state = S::BeginValue;
                Ok(())
            }
            S::AfterArrayValue if byte == b']' => self.close(),
            S::AfterArrayValue => Err("after array element".into()),
            S::End => Err("after top-level value".into()),
            S::InString => self.in_string(byte),
            S::InEscape if b"\"\\/bfnrt".contains(&byte) => {
                self.state = S::InString;
                Ok(())
            }
            S::InEscape if byte == b'u' => {
                self.state = S::InUnicode(4);
                Ok(())
            }
            S::InEscape => Err("in string escape code".into()),
            S::InUnicode(left) if byte.is_ascii_hexdigit() => {
                self.state = if left > 1 {
                    S::InUnicode(left - 1)
                } else {
                    S::InString
                };
                Ok(())
            }
            S::InUnicode(_) => Err(r"in \u hexadecimal character escape".into()),
            S::Literal(word, at) => match word.get(at) {
                Some(&expected) if expected == byte => {
                    self.state = if at + 1 == word.len() {
                        self.after_value()
                    } else {
                        S::Literal(word, at + 1)
                    };
                    Ok(())
                }
                Some(&expected) => Err(format!(
                    "in literal {} (expecting {})",
                    String::from_utf8_lossy(word),
                    go_quote_char(expected)
                )),
                None => Err("in literal".into()),
            },
            _ => self.in_number(byte),
        }
    }

    fn begin_value(&mut self, byte: u8) -> Result<(), String> {
        use ScanState as S;
        self.state = match byte {
            b'{' => {
                self.stack.push(true);
                S::BeginKeyOrEnd
            }
            b'[' => {
                self.stack.push(false);
                S::BeginValueOrEnd
            }
            b'"' => {
                self.key = false;
                S::InString
            }
            b'-' => S::Minus,
            b'0' => S::Zero,
            b'1'..=b'9' => S::Digits,
            b't' => S::Literal(b"true", 1),
            b'f' => S::Literal(b"false", 1),
            b'n' => S::Literal(b"null", 1),
            _ => return Err("looking for beginning of value".into()),
        };
        Ok(())
    }

    fn in_string(&mut self, byte: u8) -> Result<(), String> {
        match byte {
            b'"' => {
                self.state = if self.key {
                    ScanState::AfterKey
                } else {
                    self.after_value()
                };
                Ok(())
            }
            b'\\' => {
                self.state = ScanState::InEscape;
                Ok(())
            }
            byte if byte < 0x20 => Err("in string literal".into()),
            _ => Ok(()),
        }
    }

    fn in_number(&mut self, byte: u8) -> Result<(), String> {
        use ScanState as S;
        let digit = byte.is_ascii_digit();
        let next = match (self.state, byte) {
            (S::Minus, b'0') => S::Zero,
            (S::Minus, b'1'..=b'9') => S::Digits,
            (S::Minus, _) => return Err("in numeric literal".into()),
            (S::Digits, _) if digit => S::Digits,
            (S::Zero | S::Digits, b'.') => S::Dot,
            (S::Zero | S::Digits | S::Fraction, b'e' | b'E') => S::Exponent,
            (S::Dot | S::Fraction, _) if digit => S::Fraction,
            (S::Dot, _) => return Err("after decimal point in numeric literal".into()),
            (S::Exponent, b'+' | b'-') => S::ExponentSign,
            (S::Exponent | S::ExponentSign | S::ExponentDigits, _) if digit => S::ExponentDigits,
            (S::Exponent | S::ExponentSign, _) => {
                return Err("in exponent of numeric literal".into());
            }
            // The number ended: this byte is whatever follows a value.
            _ => {
                self.state = self.after_value();
                return self.step(byte);
            }
        };
        self.state = next;
        Ok(())
    }

    fn close(&mut self) -> Result<(), String> {
        self.stack.pop();
        self.state = self.after_value();
        Ok(())
    }

    fn after_value(&self) -> ScanState {
        match self.stack.last() {
            Some(true) => ScanState::AfterObjectValue,
            Some(false) => ScanState::AfterArrayValue,
            None => ScanState::End,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn enums_and_types_refused_with_go_texts() {
        let bogus = check(
            &fields(json!({"retention": "bogus"})),
            STREAM_FIELDS,
            "StreamConfigRequest",
            "",
        )
        .unwrap_err();
        assert_eq!(bogus.err_code, Some(10025));
        assert_eq!(
            bogus.description,
            r#"invalid JSON: can not unmarshal "\"bogus\"""#
        );
        let typed = check(
            &fields(json!({"max_msgs": "ten"})),
            STREAM_FIELDS,
            "StreamConfigRequest",
            "",
        )
        .unwrap_err();
        assert_eq!(
            typed.description,
            "invalid JSON: json: cannot unmarshal string into Go struct field \
             StreamConfigRequest.max_msgs of type int64"
        );
        let bad = b"{nope";
        let error = serde_json::from_slice::<Value>(bad).unwrap_err();
        assert_eq!(
            invalid_json(bad, &error).description,
            "invalid JSON: invalid character 'n' looking for beginning of object key string \
             at offset 2"
        );
        let cut = br#"{"a":"#;
        let error = serde_json::from_slice::<Value>(cut).unwrap_err();
        assert_eq!(
            invalid_json(cut, &error).description,
            "invalid JSON: unexpected EOF"
        );
        let trailing = br#"{"a":1.5e+3} x"#;
        let error = serde_json::from_slice::<Value>(trailing).unwrap_err();
        assert_eq!(
            syntax_error(trailing, &error),
            "invalid character 'x' after top-level value"
        );
        let unknown = json!({"no_such_field": 1, "max_msgs": 5, "discard": "new"});
        assert!(check(&fields(unknown), STREAM_FIELDS, "StreamConfigRequest", "").is_ok());
    }
}
