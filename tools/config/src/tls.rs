//! The `tls {}` block of the client port, converted to `natrium_tls::TlsSettings` with the Go
//! server's keys, aliases and value rules (opts.go `parseTLS`). Keys natrium does not
//! implement are refused with the reason, never ignored: a server must not run with less
//! checking than its configuration asks for.
//!
//! Only the block is read here; the files it names are read when the server builds its TLS
//! transport (and by `-t`), so that errors about them name the file.

use std::time::Duration;

use natrium_tls::{HandshakeFirst, TlsSettings, TlsVersion};

use crate::error::{Error, Result};
use crate::field::{Field, fields};
use crate::unsupported;
use crate::value::{Item, Value};

/// Keys of Go's `tls {}` that natrium does not implement, with why ignoring each is unsafe.
const UNSUPPORTED_KEYS: &[(&str, &str)] = &[
    (
        "insecure",
        "it only concerns outgoing connections, which natrium does not make",
    ),
    (
        "verify_cert_and_check_known_urls",
        "ignoring it would accept certificates for any host",
    ),
    (
        "allow_insecure_cipher_suites",
        "natrium offers only AEAD suites with forward secrecy",
    ),
    (
        "curve_preferences",
        "ignoring it would negotiate curves it forbids",
    ),
    (
        "connection_rate_limit",
        "ignoring it would accept handshakes faster than it allows",
    ),
    ("cert_store", "ignoring it would serve no certificate"),
    ("cert_match_by", "ignoring it would serve no certificate"),
    ("cert_match", "ignoring it would serve no certificate"),
    ("ca_certs_match", "ignoring it would trust other CAs"),
    (
        "cert_match_skip_invalid",
        "ignoring it would serve no certificate",
    ),
    (
        "ocsp_peer",
        "ignoring it would accept revoked client certificates",
    ),
    ("certs", "ignoring it would serve the wrong certificate"),
    (
        "certificates",
        "ignoring it would serve the wrong certificate",
    ),
];

/// Converts the top-level `tls` block.
pub(crate) fn from_field(block: Field<'_>) -> Result<TlsSettings> {
    let mut settings = TlsSettings::default();
    for field in fields(block.map()?) {
        match field.name().as_str() {
            "cert_file" => settings.cert_file = field.string()?.into(),
            "key_file" => settings.key_file = field.string()?.into(),
            "ca_file" => settings.ca_file = Some(field.string()?.into()),
            "verify" => settings.verify = field.boolean()?,
            "verify_and_map" => {
                let map = field.boolean()?;
                settings.verify |= map;
                settings.map_certificates = map;
            }
            "timeout" => settings.timeout = timeout(field)?,
            "handshake_first" | "first" | "immediate" => {
                settings.handshake_first = handshake_first(field)?;
            }
            "min_version" => {
                settings.min_version = TlsVersion::parse(&field.string()?)
                    .map_err(|e| field.invalid(e.to_string()))?;
            }
            "cipher_suites" => settings.cipher_suites = cipher_suites(field)?,
            "pinned_certs" => {
                for item in array(field)? {
                    let pin = item_string(item, field)?.to_ascii_lowercase();
                    if !natrium_tls::settings::is_sha256_hex(&pin) {
                        return Err(item_invalid(
                            item,
                            field,
                            &format!(
                                "'pinned_certs' key {pin} does not look like hex-encoded sha256 \
                             of DER encoded SubjectPublicKeyInfo"
                            ),
                        ));
                    }
                    settings.pinned_certs.insert(pin);
                }
            }
            name => {
                if field.entry.used_as_variable {
                    continue;
                }
                let Some((_, reason)) = UNSUPPORTED_KEYS.iter().find(|(key, _)| *key == name)
                else {
                    return Err(unsupported::unknown(field));
                };
                return Err(unsupported::refused(
                    field,
                    &format!("not implemented; {reason}"),
                ));
            }
        }
    }
    settings
        .validate()
        .map_err(|error| block.invalid(error.to_string()))?;
    Ok(settings)
}

/// Seconds (integer or float) or a duration string, as Go's `timeout`.
fn timeout(field: Field<'_>) -> Result<Duration> {
    match field.value() {
        Value::Integer(_) => Ok(Duration::from_secs(field.bounded::<u64>()?)),
        Value::Float(seconds) => Duration::try_from_secs_f64(*seconds)
            .map_err(|_| field.invalid("timeout must be a non-negative number of seconds")),
        Value::String(_) => field.duration_string(),
        _ => Err(field.type_error("seconds or a duration")),
    }
}

/// `true`/`false`, or Go's strings: `on`/`off`, `auto` (50 ms fallback), or a fallback
/// duration (`"300ms"`).
fn handshake_first(field: Field<'_>) -> Result<HandshakeFirst> {
    let text = match field.value() {
        Value::Bool(true) => return Ok(HandshakeFirst::Always),
        Value::Bool(false) => return Ok(HandshakeFirst::Off),
        Value::String(text) => text,
        _ => return Err(field.type_error("a boolean or a string")),
    };
    match text.to_ascii_lowercase().as_str() {
        "true" | "on" => Ok(HandshakeFirst::Always),
        "false" | "off" => Ok(HandshakeFirst::Off),
        "auto" | "auto_fallback" => Ok(HandshakeFirst::Fallback(
            natrium_tls::FALLBACK_DELAY_DEFAULT,
        )),
        _ => {
            let invalid = || {
                field.invalid(format!(
                    "field {:?}'s value {text:?} is invalid",
                    field.key()
                ))
            };
            let nanos = crate::parse_go_duration(text).map_err(|_| invalid())?;
            let nanos = u64::try_from(nanos).map_err(|_| invalid())?;
            match nanos {
                0 => Ok(HandshakeFirst::Always),
                _ => Ok(HandshakeFirst::Fallback(Duration::from_nanos(nanos))),
            }
        }
    }
}

fn cipher_suites(field: Field<'_>) -> Result<Vec<String>> {
    let items = array(field)?;
    if items.is_empty() {
        return Err(field.invalid("error parsing tls config, 'cipher_suites' cannot be empty"));
    }
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        let name = item_string(item, field)?;
        natrium_tls::suites::check_name(name)
            .map_err(|error| item_invalid(item, field, &error.to_string()))?;
        names.push(name.to_owned());
    }
    Ok(names)
}

fn array<'a>(field: Field<'a>) -> Result<&'a [Item]> {
    match field.value() {
        Value::Array(items) => Ok(items),
        _ => Err(field.type_error("an array")),
    }
}

fn item_string<'a>(item: &'a Item, field: Field<'_>) -> Result<&'a str> {
    match &item.value {
        Value::String(text) => Ok(text),
        other => Err(Error::Type {
            position: item.position.clone(),
            key: field.key().to_owned(),
            expected: "a string",
            found: other.type_name(),
        }),
    }
}

fn item_invalid(item: &Item, field: Field<'_>, reason: &str) -> Error {
    Error::Invalid {
        position: item.position.clone(),
        key: field.key().to_owned(),
        reason: reason.to_owned(),
    }
}
