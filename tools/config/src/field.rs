//! Typed access to one `key: value` of the tree, with errors that carry the value's position.

use std::time::Duration;

use crate::duration::parse_go_duration;
use crate::error::{Error, Result};
use crate::value::{Entry, Item, Map, Value};

/// One entry being converted: its key as written and its value.
#[derive(Clone, Copy)]
pub(crate) struct Field<'a> {
    pub(crate) entry: &'a Entry,
}

impl<'a> Field<'a> {
    pub(crate) fn key(&self) -> &'a str {
        &self.entry.key
    }

    pub(crate) fn item(&self) -> &'a Item {
        &self.entry.item
    }

    pub(crate) fn value(&self) -> &'a Value {
        &self.entry.item.value
    }

    /// The key lower-cased: the Go server matches option names case-insensitively.
    pub(crate) fn name(&self) -> String {
        self.entry.key.to_ascii_lowercase()
    }

    pub(crate) fn type_error(&self, expected: &'static str) -> Error {
        Error::Type {
            position: self.item().position.clone(),
            key: self.entry.key.clone(),
            expected,
            found: self.value().type_name(),
        }
    }

    pub(crate) fn invalid(&self, reason: impl Into<String>) -> Error {
        Error::Invalid {
            position: self.item().position.clone(),
            key: self.entry.key.clone(),
            reason: reason.into(),
        }
    }

    /// Records a warning at the key's position.
    pub(crate) fn warn(&self, warnings: &mut Vec<String>, text: &str) {
        warnings.push(format!(
            "{}: {}: {text}",
            self.entry.key_position, self.entry.key
        ));
    }

    pub(crate) fn string(&self) -> Result<String> {
        match self.value() {
            Value::String(text) => Ok(text.clone()),
            _ => Err(self.type_error("a string")),
        }
    }

    pub(crate) fn boolean(&self) -> Result<bool> {
        match self.value() {
            Value::Bool(flag) => Ok(*flag),
            _ => Err(self.type_error("a boolean")),
        }
    }

    pub(crate) fn integer(&self) -> Result<i64> {
        match self.value() {
            Value::Integer(number) => Ok(*number),
            _ => Err(self.type_error("an integer")),
        }
    }

    /// An integer that must fit `T` (non-negative for unsigned types).
    pub(crate) fn bounded<T: TryFrom<i64>>(&self) -> Result<T> {
        let number = self.integer()?;
        T::try_from(number).map_err(|_| self.invalid(format!("value {number} is out of range")))
    }

    pub(crate) fn map(&self) -> Result<&'a Map> {
        match self.value() {
            Value::Map(map) => Ok(map),
            _ => Err(self.type_error("a map")),
        }
    }

    /// A Go duration string; an integer is taken as seconds with a warning, as the Go server
    /// does for `ping_interval`, `write_deadline` and `sync_interval`.
    pub(crate) fn duration(&self, warnings: &mut Vec<String>) -> Result<Duration> {
        match self.value() {
            Value::Integer(seconds) => {
                self.warn(warnings, "should be converted to a duration (e.g. \"2m\")");
                let seconds = u64::try_from(*seconds)
                    .map_err(|_| self.invalid("duration must not be negative"))?;
                Ok(Duration::from_secs(seconds))
            }
            Value::String(_) => self.duration_string(),
            _ => Err(self.type_error("a duration")),
        }
    }

    /// A Go duration string only (`"30s"`, `"2m"`), not negative.
    pub(crate) fn duration_string(&self) -> Result<Duration> {
        let text = self
            .string()
            .map_err(|_| self.type_error("a duration string"))?;
        let nanos = parse_go_duration(&text).map_err(|reason| self.invalid(reason))?;
        let nanos =
            u64::try_from(nanos).map_err(|_| self.invalid("duration must not be negative"))?;
        Ok(Duration::from_nanos(nanos))
    }

    /// A JetStream storage size: an integer (unit suffixes already applied by the lexer), or a
    /// string with a `K`, `M`, `G` or `T` suffix in powers of 1024 (Go's `getStorageSize`).
    pub(crate) fn storage_size(&self) -> Result<u64> {
        let bytes = match self.value() {
            Value::Integer(number) => *number,
            Value::String(text) if text.is_empty() => 0,
            Value::String(text) => {
                let split = text.len().saturating_sub(1);
                let (number, suffix) = text.split_at_checked(split).unwrap_or((text, ""));
                let shift = match suffix {
                    "K" => 10,
                    "M" => 20,
                    "G" => 30,
                    "T" => 40,
                    _ => {
                        return Err(self.invalid("sizes defined as strings must end in K, M, G, T"));
                    }
                };
                let number: i64 = number.parse().map_err(|_| self.invalid("invalid size"))?;
                number
                    .checked_mul(1 << shift)
                    .ok_or_else(|| self.invalid("size out of range"))?
            }
            _ => return Err(self.type_error("a size")),
        };
        u64::try_from(bytes).map_err(|_| self.invalid("size must not be negative"))
    }

    /// `listen`/`http`: a port, or `host:port` (`[::1]:4222`). The host is `None` when empty.
    pub(crate) fn host_port(&self) -> Result<(Option<String>, i64)> {
        let text = match self.value() {
            Value::Integer(port) => return Ok((None, *port)),
            Value::String(text) => text,
            _ => return Err(self.type_error("a port or host:port")),
        };
        let unparsable = || self.invalid(format!("could not parse address string {text:?}"));
        let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
            bracketed.split_once("]:").ok_or_else(unparsable)?
        } else {
            let (host, port) = text.rsplit_once(':').ok_or_else(unparsable)?;
            if host.contains(':') {
                return Err(unparsable());
            }
            (host, port)
        };
        let port: i64 = port
            .parse()
            .map_err(|_| self.invalid(format!("could not parse port {port:?}")))?;
        let host = (!host.is_empty()).then(|| host.to_owned());
        Ok((host, port))
    }
}

/// The fields of `map`, in file order.
pub(crate) fn fields(map: &Map) -> impl Iterator<Item = Field<'_>> {
    map.entries().iter().map(|entry| Field { entry })
}
