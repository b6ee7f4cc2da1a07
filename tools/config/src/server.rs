//! The typed server options: the top-level keys of a nats-server configuration that natrium
//! acts on, with the Go server's names, aliases and value rules (server/opts.go).

use std::path::PathBuf;
use std::time::Duration;

use natrium_auth::AuthConfig;

use crate::authorization;
use crate::error::Result;
use crate::field::{Field, fields};
use crate::unsupported::{self, LoadOptions};
use crate::value::{Map, Value};

/// Go refuses `max_payload` and `max_control_line` above this (they are `int32` there).
const INT32_MAX: i64 = (1 << 31) - 1;
/// The Go server's minimum `lame_duck_duration`.
const LAME_DUCK_DURATION_MIN: Duration = Duration::from_secs(30);

/// Options read from a configuration file; `None` means "not configured, use the default".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerConfig {
    /// `host`/`net`, or the host part of `listen`.
    pub host: Option<String>,
    /// `port`, or the port of `listen`. Go's `-1` (random port) is `Some(0)`; `0` is `None`.
    pub port: Option<u16>,
    /// `server_name`.
    pub server_name: Option<String>,
    /// `max_payload` in bytes.
    pub max_payload: Option<u32>,
    /// `max_pending` in bytes.
    pub max_pending: Option<u64>,
    /// `max_control_line` in bytes.
    pub max_control_line: Option<u32>,
    /// `max_connections`/`max_conn`.
    pub max_connections: Option<u32>,
    /// `max_subscriptions`/`max_subs`; 0 means unlimited.
    pub max_subscriptions: Option<u32>,
    /// `ping_interval`.
    pub ping_interval: Option<Duration>,
    /// `ping_max`.
    pub ping_max: Option<u32>,
    /// `write_deadline`.
    pub write_deadline: Option<Duration>,
    /// `authorization { ... }` and `no_auth_user`.
    pub auth: Option<AuthConfig>,
    /// `jetstream` (and a top-level `store_dir`).
    pub jetstream: Option<JetStreamConfig>,
    /// `debug`.
    pub debug: Option<bool>,
    /// `trace`.
    pub trace: Option<bool>,
    /// `logtime`.
    pub logtime: Option<bool>,
    /// `logfile`/`log_file`.
    pub log_file: Option<PathBuf>,
    /// `pidfile`/`pid_file`.
    pub pid_file: Option<PathBuf>,
    /// The host part of `http`.
    pub http_host: Option<String>,
    /// `http_port`, or the port of `http`. `-1` (random) is `Some(0)`; `0` is `None` (off).
    pub http_port: Option<u16>,
    /// `lame_duck_duration` (at least 30 s).
    pub lame_duck_duration: Option<Duration>,
    /// `lame_duck_grace_period`.
    pub lame_duck_grace_period: Option<Duration>,
    /// `tls { ... }` of the client port (`allow_non_tls` is kept apart, as in Go).
    pub tls: Option<natrium_tls::TlsSettings>,
    /// `allow_non_tls`: clients may stay in plain text on a TLS port.
    pub allow_non_tls: Option<bool>,
    /// `websocket { ... }` (alias `ws`); its listener starts only with a port.
    pub websocket: Option<natrium_websocket::WebSocketSettings>,
}

/// `jetstream: true` or `jetstream { ... }`. The default (from a lone top-level `store_dir`)
/// is disabled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JetStreamConfig {
    /// False for `jetstream: false`/`"disabled"` or `enabled: false` in the block.
    pub enabled: bool,
    /// `store_dir`/`store`/`storedir` (or the top-level `store_dir`).
    pub store_dir: Option<PathBuf>,
    /// `max_memory_store`/`max_mem_store`/`max_mem`, bytes.
    pub max_memory_store: Option<u64>,
    /// `max_file_store`/`max_file`, bytes.
    pub max_file_store: Option<u64>,
    /// `sync_interval`/`sync`.
    pub sync: Option<JetStreamSync>,
    /// `strict`: API requests with fields Go does not know are refused.
    pub strict: Option<bool>,
}

/// When JetStream file writes are fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JetStreamSync {
    /// `sync: always`: before each acknowledgement.
    Always,
    /// A background flush at this interval.
    Interval(Duration),
}

/// Converts the parsed tree; unknown and unimplemented keys, and wrong types, are errors
/// (except inert keys `options` asks to ignore, which add warnings).
pub(crate) fn from_tree(
    tree: &Map,
    options: &LoadOptions,
    warnings: &mut Vec<String>,
) -> Result<ServerConfig> {
    let mut config = ServerConfig::default();
    let mut store_dir: Option<(PathBuf, Field<'_>)> = None;
    let mut no_auth_user: Option<Field<'_>> = None;
    let mut authorization_field: Option<Field<'_>> = None;
    for field in fields(tree) {
        match field.name().as_str() {
            "authorization" => authorization_field = Some(field),
            "no_auth_user" => no_auth_user = Some(field),
            "store_dir" | "storedir" => store_dir = Some((PathBuf::from(field.string()?), field)),
            "jetstream" => config.jetstream = Some(jetstream(field, warnings)?),
            name => apply_simple(&mut config, name, field, options, warnings)?,
        }
    }
    if let Some((dir, field)) = store_dir {
        let jetstream = config
            .jetstream
            .get_or_insert_with(JetStreamConfig::default);
        if jetstream.store_dir.is_some() {
            return Err(field.invalid("duplicate 'store_dir' configuration"));
        }
        jetstream.store_dir = Some(dir);
    }
    config.auth = authorization::from_fields(authorization_field, no_auth_user, warnings)?;
    check_limits(&config, tree)?;
    Ok(config)
}

fn apply_simple(
    config: &mut ServerConfig,
    name: &str,
    field: Field<'_>,
    options: &LoadOptions,
    warnings: &mut Vec<String>,
) -> Result<()> {
    match name {
        "listen" => {
            let (host, port) = field.host_port()?;
            config.host = host.or(config.host.take());
            config.port = port_option(field, port)?;
        }
        "host" | "net" => config.host = Some(field.string()?),
        "port" => config.port = port_option(field, field.integer()?)?,
        "server_name" => {
            let name = field.string()?;
            if name.contains(' ') {
                return Err(field.invalid("server name cannot contain spaces"));
            }
            config.server_name = Some(name);
        }
        "max_payload" => config.max_payload = Some(int32(field)?),
        "max_control_line" => config.max_control_line = Some(int32(field)?),
        "max_pending" => config.max_pending = Some(field.bounded()?),
        "max_connections" | "max_conn" => {
            let count: u32 = field.bounded()?;
            // The Go server refuses every client when this is 0; natrium's 0 means unlimited,
            // so refuse the ambiguous value rather than invert its meaning.
            if count == 0 {
                return Err(
                    field.invalid("must be positive (nats-server refuses all clients at 0)")
                );
            }
            config.max_connections = Some(count);
        }
        "max_subscriptions" | "max_subs" => config.max_subscriptions = Some(field.bounded()?),
        "ping_interval" => config.ping_interval = Some(field.duration(warnings)?),
        "ping_max" => config.ping_max = Some(field.bounded()?),
        "write_deadline" => config.write_deadline = Some(field.duration(warnings)?),
        "debug" => config.debug = Some(field.boolean()?),
        "trace" => config.trace = Some(field.boolean()?),
        "logtime" => config.logtime = Some(field.boolean()?),
        "logfile" | "log_file" => config.log_file = Some(PathBuf::from(field.string()?)),
        "pidfile" | "pid_file" => config.pid_file = Some(PathBuf::from(field.string()?)),
        "http" => {
            let (host, port) = field.host_port()?;
            config.http_host = host;
            config.http_port = port_option(field, port)?;
        }
        "http_port" => config.http_port = port_option(field, field.integer()?)?,
        "lame_duck_duration" => {
            let duration = field.duration_string()?;
            if duration < LAME_DUCK_DURATION_MIN {
                return Err(field.invalid("invalid lame_duck_duration, minimum is 30 seconds"));
            }
            config.lame_duck_duration = Some(duration);
        }
        "lame_duck_grace_period" => config.lame_duck_grace_period = Some(field.duration_string()?),
        "tls" => config.tls = Some(crate::tls::from_field(field)?),
        "allow_non_tls" => config.allow_non_tls = Some(field.boolean()?),
        "websocket" | "ws" => {
            config.websocket = Some(crate::websocket::from_field(field, warnings)?)
        }
        _ => unsupported::top_level(field, options, warnings)?,
    }
    Ok(())
}

/// Go's port rules: `0` is the default, `-1` a random port (`Some(0)` to bind).
pub(crate) fn port_option(field: Field<'_>, port: i64) -> Result<Option<u16>> {
    match port {
        0 => Ok(None),
        -1 => Ok(Some(0)),
        _ => u16::try_from(port)
            .map(Some)
            .map_err(|_| field.invalid(format!("port {port} is out of range"))),
    }
}

fn int32(field: Field<'_>) -> Result<u32> {
    let value = field.integer()?;
    if value > INT32_MAX {
        return Err(field.invalid("value is too big"));
    }
    u32::try_from(value).map_err(|_| field.invalid("value must not be negative"))
}

fn jetstream(field: Field<'_>, warnings: &mut Vec<String>) -> Result<JetStreamConfig> {
    let mut config = JetStreamConfig {
        enabled: true,
        ..JetStreamConfig::default()
    };
    let block = match field.value() {
        Value::Bool(enabled) => {
            config.enabled = *enabled;
            return Ok(config);
        }
        Value::String(text) => {
            config.enabled = match text.to_ascii_lowercase().as_str() {
                "enabled" | "enable" => true,
                "disabled" | "disable" => false,
                _ => return Err(field.invalid("expected 'enabled' or 'disabled'")),
            };
            return Ok(config);
        }
        Value::Map(block) => block,
        _ => return Err(field.type_error("a boolean or a map")),
    };
    for item in fields(block) {
        match item.name().as_str() {
            "store" | "store_dir" | "storedir" => {
                config.store_dir = Some(PathBuf::from(item.string()?));
            }
            "max_memory_store" | "max_mem_store" | "max_mem" => {
                config.max_memory_store = Some(item.storage_size()?);
            }
            "max_file_store" | "max_file" => config.max_file_store = Some(item.storage_size()?),
            "sync" | "sync_interval" => {
                config.sync = Some(match item.value() {
                    Value::String(text) if text.eq_ignore_ascii_case("always") => {
                        JetStreamSync::Always
                    }
                    _ => JetStreamSync::Interval(item.duration(warnings)?),
                });
            }
            "enable" | "enabled" => config.enabled = item.boolean()?,
            "strict" => config.strict = Some(item.boolean()?),
            name if unsupported::JETSTREAM_ENCRYPTION_KEYS.contains(&name) => {
                return Err(unsupported::refused(
                    item,
                    "encryption at rest is not wired to the server yet; ignoring it would \
                     store messages in plain text",
                ));
            }
            _ => unsupported::nested(
                item,
                unsupported::JETSTREAM_KEYS,
                "not implemented by natrium's JetStream yet",
            )?,
        }
    }
    Ok(config)
}

/// Cross-field rules of Go's `validateOptions` that concern the keys above.
fn check_limits(config: &ServerConfig, tree: &Map) -> Result<()> {
    if let (Some(payload), Some(pending)) = (config.max_payload, config.max_pending)
        && u64::from(payload) > pending
    {
        let field = fields(tree).find(|field| field.name() == "max_payload");
        if let Some(field) = field {
            return Err(field.invalid(format!(
                "max_payload ({payload}) cannot be higher than max_pending ({pending})"
            )));
        }
    }
    Ok(())
}
