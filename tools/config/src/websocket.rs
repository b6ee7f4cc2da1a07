//! The `websocket {}` block (alias `ws`), converted to `natrium_websocket::WebSocketSettings`
//! with the Go server's keys and rules (opts.go `parseWebsocket`, `validateWebsocketOptions`).
//! Keys natrium does not implement are refused with the reason, never ignored.

use natrium_websocket::{Origins, WebSocketSettings};

use crate::error::Result;
use crate::field::{Field, fields};
use crate::unsupported;
use crate::value::{Item, Value};

/// Keys of Go's `websocket {}` that natrium does not implement, with why ignoring each would
/// be unsafe or wrong.
const UNSUPPORTED_KEYS: &[(&str, &str)] = &[
    (
        "authorization",
        "a separate authorization for WebSocket clients is not implemented; ignoring it would \
         let them in with the client port's",
    ),
    (
        "authentication",
        "a separate authorization for WebSocket clients is not implemented; ignoring it would \
         let them in with the client port's",
    ),
    (
        "no_auth_user",
        "a WebSocket no_auth_user is not implemented; ignoring it would refuse or admit clients \
         differently than configured",
    ),
    (
        "jwt_cookie",
        "JWT authentication is not implemented; ignoring it would refuse the clients it names",
    ),
    (
        "username_cookie",
        "credentials from cookies are not implemented; ignoring it would refuse the clients \
         that send them",
    ),
    (
        "user_cookie",
        "credentials from cookies are not implemented; ignoring it would refuse the clients \
         that send them",
    ),
    (
        "password_cookie",
        "credentials from cookies are not implemented; ignoring it would refuse the clients \
         that send them",
    ),
    (
        "token_cookie",
        "credentials from cookies are not implemented; ignoring it would refuse the clients \
         that send them",
    ),
    (
        "ping_interval",
        "WebSocket-level pings are not implemented; ignoring it would let idle proxies drop \
         connections the configuration keeps alive",
    ),
];

/// Converts the `websocket` block.
pub(crate) fn from_field(
    block: Field<'_>,
    warnings: &mut Vec<String>,
) -> Result<WebSocketSettings> {
    let mut settings = WebSocketSettings::default();
    let mut same_origin = false;
    let mut allowed_origins: Option<(Vec<String>, Field<'_>)> = None;
    for field in fields(block.map()?) {
        match field.name().as_str() {
            "listen" => {
                let (host, port) = field.host_port()?;
                settings.host = host.or(settings.host.take());
                settings.port = crate::server::port_option(field, port)?;
            }
            "host" | "net" => settings.host = Some(field.string()?),
            "port" => settings.port = crate::server::port_option(field, field.integer()?)?,
            "advertise" => settings.advertise = Some(field.string()?),
            "tls" => settings.tls = Some(crate::tls::from_field(field)?),
            "no_tls" => settings.no_tls = field.boolean()?,
            "same_origin" => same_origin = field.boolean()?,
            "allowed_origins" | "allowed_origin" | "allow_origins" | "allow_origin" | "origins"
            | "origin" => allowed_origins = Some((strings(field)?, field)),
            "compression" => {
                if field.boolean()? {
                    return Err(unsupported::refused(
                        field,
                        "permessage-deflate is not implemented; remove it or set it to false \
                         (clients then exchange uncompressed frames)",
                    ));
                }
            }
            "handshake_timeout" => settings.handshake_timeout = field.duration(warnings)?,
            "headers" => settings.headers = headers(field)?,
            name => {
                if field.entry.used_as_variable {
                    continue;
                }
                let Some((_, reason)) = UNSUPPORTED_KEYS.iter().find(|(key, _)| *key == name)
                else {
                    return Err(unsupported::unknown(field));
                };
                return Err(unsupported::refused(field, reason));
            }
        }
    }
    let (origins, origins_field) = match allowed_origins {
        Some((origins, field)) => (origins, Some(field)),
        None => (Vec::new(), None),
    };
    settings.origins = Origins::new(same_origin, &origins)
        .map_err(|error| origins_field.unwrap_or(block).invalid(error))?;
    // As in Go: without a port the block starts no listener and nothing else is checked.
    if settings.port.is_some() {
        settings.validate().map_err(|error| block.invalid(error))?;
    }
    Ok(settings)
}

/// A string or an array of strings.
fn strings(field: Field<'_>) -> Result<Vec<String>> {
    match field.value() {
        Value::String(text) => Ok(vec![text.clone()]),
        Value::Array(items) => items.iter().map(|item| item_string(item, field)).collect(),
        _ => Err(field.type_error("a string or an array of strings")),
    }
}

fn item_string(item: &Item, field: Field<'_>) -> Result<String> {
    match &item.value {
        Value::String(text) => Ok(text.clone()),
        other => Err(crate::error::Error::Type {
            position: item.position.clone(),
            key: field.key().to_owned(),
            expected: "a string",
            found: other.type_name(),
        }),
    }
}

/// `headers { Name: "value" }`, in file order.
fn headers(field: Field<'_>) -> Result<Vec<(String, String)>> {
    fields(field.map()?)
        .map(|header| Ok((header.key().to_owned(), header.string()?)))
        .collect()
}
