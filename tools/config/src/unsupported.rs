//! Keys the Go server knows and natrium does not implement yet, and what a configuration that
//! uses one gets: an error that stops the start. natrium fails closed: it never starts a server
//! weaker (open, plain text, unchecked) than the configuration asked for.
//!
//! Two classes:
//! - **security-relevant** keys (OCSP, accounts, JWT auth, other listeners with their own
//!   authorization, ...): always refused, with the reason ignoring them would be unsafe;
//! - **inert** keys whose absence weakens nothing (cluster, gateway, leafnodes, log rotation,
//!   profiling, ...): refused by default, and ignored (with a logged warning) only when the
//!   operator names them in [`LoadOptions::ignore_unsupported`] (`--ignore_unsupported`).
//!
//! A key the Go server does not know at all is `unknown field "..."`, an error as in Go.

use crate::error::{Error, Result};
use crate::field::Field;

/// Top-level keys that would leave the server less protected than configured if ignored, each
/// with the reason the start is refused.
const SECURITY_KEYS: &[(&str, &str)] = &[
    (
        "accounts",
        "accounts are not implemented; ignoring them would put every user in one account",
    ),
    ("operator", JWT_REASON),
    ("operators", JWT_REASON),
    ("resolver", JWT_REASON),
    ("resolver_preload", JWT_REASON),
    ("resolver_tls", JWT_REASON),
    ("resolver_pinned_accounts", JWT_REASON),
    ("trusted", JWT_REASON),
    ("trusted_keys", JWT_REASON),
    ("default_sentinel", JWT_REASON),
    ("system_account", ACCOUNTS_REASON),
    ("system", ACCOUNTS_REASON),
    ("no_system_account", ACCOUNTS_REASON),
    ("ocsp", OCSP_REASON),
    ("ocsp_cache", OCSP_REASON),
    (
        "https",
        "monitoring over TLS is not implemented; ignoring it would serve nothing or plain HTTP",
    ),
    (
        "https_port",
        "monitoring over TLS is not implemented; ignoring it would serve nothing or plain HTTP",
    ),
    ("mqtt", LISTENER_REASON),
    (
        "mappings",
        "subject mappings are not implemented; ignoring them would deliver to unmapped subjects",
    ),
    (
        "maps",
        "subject mappings are not implemented; ignoring them would deliver to unmapped subjects",
    ),
    (
        "max_sub_tokens",
        "this limit is not enforced; ignoring it would accept subscriptions it should refuse",
    ),
    (
        "max_subscription_tokens",
        "this limit is not enforced; ignoring it would accept subscriptions it should refuse",
    ),
];

const JWT_REASON: &str = "JWT (operator mode) authentication is not implemented; ignoring it would admit clients \
     the operator's accounts refuse";
const ACCOUNTS_REASON: &str =
    "accounts are not implemented; ignoring the system account would change who sees $SYS";
const OCSP_REASON: &str =
    "OCSP stapling is not implemented; ignoring it would serve without the staple clients expect";
const LISTENER_REASON: &str = "this listener is not implemented yet; ignoring it would drop the \
     authorization and TLS settings its clients expect";

/// Top-level keys natrium does not implement whose absence weakens nothing: no port is opened,
/// no check is skipped. Refused unless named in `--ignore_unsupported`.
pub const IGNORABLE_KEYS: &[&str] = &[
    "client_advertise",
    "cluster",
    "connect_error_reports",
    "disable_sublist_cache",
    "gateway",
    "http_base_path",
    "leaf",
    "leafnodes",
    "log_max_num",
    "log_size_limit",
    "logfile_max_num",
    "logfile_size_limit",
    "logtime_utc",
    "max_closed_clients",
    "max_traced_msg_len",
    "monitor_port",
    "no_sublist_cache",
    "ports_file_dir",
    "prof_port",
    "reconnect_error_reports",
    "remote_syslog",
    "server_tags",
    "syslog",
    "tags",
    "trace_verbose",
];

/// Keys of `authorization {}` that natrium does not implement: all security-relevant.
pub(crate) const AUTHORIZATION_KEYS: &[&str] = &["auth_callout", "auth_hook", "proxy_required"];

/// Keys of a user entry that natrium does not implement: all security-relevant (each narrows
/// where or how the user may connect, or which account it lands in).
pub(crate) const USER_KEYS: &[&str] = &[
    "account",
    "allowed_connection_types",
    "clients",
    "connection_types",
    "proxy_required",
];

/// Keys of `jetstream {}` that natrium does not implement yet.
pub(crate) const JETSTREAM_KEYS: &[&str] = &[
    "domain",
    "extension_hint",
    "limits",
    "max_buffered_msgs",
    "max_buffered_size",
    "max_outstanding_catchup",
    "request_queue_limit",
    "tpm",
    "unique_tag",
];

/// `jetstream { cipher, key }`: encryption at rest, refused with its own reason.
pub(crate) const JETSTREAM_ENCRYPTION_KEYS: &[&str] = &["cipher", "key", "prev_encryption_key"];

/// How a configuration load treats keys natrium does not implement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Inert top-level keys (from [`IGNORABLE_KEYS`]) the operator asked to ignore; each
    /// occurrence still draws a warning.
    pub ignore_unsupported: Vec<String>,
}

impl LoadOptions {
    /// Checks that every name may be ignored: a security-relevant or unknown name is an error
    /// that says why.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for name in &self.ignore_unsupported {
            let name = name.to_ascii_lowercase();
            if let Some(reason) = security_reason(&name) {
                return Err(format!(
                    "--ignore_unsupported: {name:?} cannot be ignored: {reason}"
                ));
            }
            if !IGNORABLE_KEYS.contains(&name.as_str()) {
                return Err(format!(
                    "--ignore_unsupported: {name:?} is not a key natrium can ignore (one of: {})",
                    IGNORABLE_KEYS.join(", ")
                ));
            }
        }
        Ok(())
    }

    fn ignores(&self, name: &str) -> bool {
        self.ignore_unsupported
            .iter()
            .any(|ignored| ignored.eq_ignore_ascii_case(name))
    }
}

fn security_reason(name: &str) -> Option<&'static str> {
    SECURITY_KEYS
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, reason)| *reason)
}

/// A top-level key natrium does not act on: an error, unless it is inert and the operator
/// asked to ignore it (then a warning). A key used only as a `$variable` is fine (Go's rule).
pub(crate) fn top_level(
    field: Field<'_>,
    options: &LoadOptions,
    warnings: &mut Vec<String>,
) -> Result<()> {
    if field.entry.used_as_variable {
        return Ok(());
    }
    let name = field.name();
    if let Some(reason) = security_reason(&name) {
        return Err(refused(field, reason));
    }
    if IGNORABLE_KEYS.contains(&name.as_str()) {
        if options.ignores(&name) {
            field.warn(
                warnings,
                "not supported by natrium, ignored as --ignore_unsupported asks",
            );
            return Ok(());
        }
        return Err(refused(
            field,
            &format!("remove it, or start with --ignore_unsupported={name} to run without it"),
        ));
    }
    Err(unknown(field))
}

/// A key inside a block natrium parses that it does not implement (`keys`), or does not know.
pub(crate) fn nested(field: Field<'_>, keys: &[&str], reason: &str) -> Result<()> {
    if field.entry.used_as_variable {
        return Ok(());
    }
    if keys.contains(&field.name().as_str()) {
        return Err(refused(field, reason));
    }
    Err(unknown(field))
}

/// The refusal of a key natrium knows but does not implement, at the key's position.
pub(crate) fn refused(field: Field<'_>, reason: &str) -> Error {
    Error::Unsupported {
        position: field.entry.key_position.clone(),
        key: field.key().to_owned(),
        reason: reason.to_owned(),
    }
}

/// Go's `unknown field "name"`, at the key's position.
pub(crate) fn unknown(field: Field<'_>) -> Error {
    Error::UnknownField {
        position: field.entry.key_position.clone(),
        key: field.key().to_owned(),
    }
}
