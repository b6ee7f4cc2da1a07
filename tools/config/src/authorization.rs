//! The `authorization` block and `no_auth_user`, converted to `natrium_auth::AuthConfig` with
//! the Go server's rules (opts.go `parseAuthorization`, `parseUsers`, `parseUserPermissions`).
//!
//! As at the top level, an unknown key in this block is an error, as in Go: a
//! misspelt `password` must not leave a user without one.

use std::time::Duration;

use natrium_auth::{
    AuthConfig, Authenticator, NkeyUserConfig, PermissionsConfig, ResponsePermission,
    SubjectPermission, UserConfig,
};

use crate::error::{Error, Result};
use crate::field::{Field, fields};
use crate::unsupported;
use crate::value::{Item, Value};

/// Go warns when the authorization timeout exceeds a minute (often an unquoted `1m`, which the
/// lexer reads as one million).
const AUTH_TIMEOUT_WARN: Duration = Duration::from_secs(60);
/// Stands for Go's negative `expires` ("no expiry") without overflowing `Instant` arithmetic:
/// about 136 years.
const RESPONSE_EXPIRES_UNLIMITED: Duration = Duration::from_secs(u32::MAX as u64);

/// Builds the authentication settings from the top-level `authorization` and `no_auth_user`.
pub(crate) fn from_fields(
    block: Option<Field<'_>>,
    no_auth_user: Option<Field<'_>>,
    warnings: &mut Vec<String>,
) -> Result<Option<AuthConfig>> {
    let Some(block) = block else {
        if let Some(field) = no_auth_user {
            let name = field.string()?;
            return Err(field.invalid(format!(
                "no_auth_user: {name:?} present, but users/nkeys are not defined"
            )));
        }
        return Ok(None);
    };
    let (mut config, users_array) = parse_block(block, warnings)?;
    if let Some(field) = no_auth_user {
        let name = field.string()?;
        // Go requires a users array: a single `user`/`password` does not qualify.
        if !users_array {
            return Err(field.invalid(format!(
                "no_auth_user: {name:?} present, but users/nkeys are not defined"
            )));
        }
        config.no_auth_user = Some(name);
    }
    // The authenticator's own validation: NKeys, permission subjects, duplicates.
    if let Err(error) = Authenticator::new(config.clone()) {
        let field = match (&error, no_auth_user) {
            (natrium_auth::Error::NoAuthUserUnknown { .. }, Some(field)) => field,
            _ => block,
        };
        return Err(field.invalid(error.to_string()));
    }
    Ok(Some(config))
}

#[derive(Default)]
struct Block {
    user: Option<String>,
    password: Option<String>,
    users: Option<(Vec<UserConfig>, Vec<NkeyUserConfig>)>,
    default_permissions: Option<PermissionsConfig>,
}

/// The settings, and whether a `users` array was present.
fn parse_block(block: Field<'_>, warnings: &mut Vec<String>) -> Result<(AuthConfig, bool)> {
    let mut config = AuthConfig::default();
    let mut parts = Block::default();
    for field in fields(block.map()?) {
        match field.name().as_str() {
            "user" | "username" => parts.user = Some(field.string()?),
            "pass" | "password" => parts.password = Some(field.string()?),
            "token" => config.token = Some(field.string()?),
            "timeout" => config.timeout = Some(timeout(field, warnings)?),
            "users" => parts.users = Some(users(field)?),
            "default_permission" | "default_permissions" | "permissions" => {
                parts.default_permissions = Some(permissions(field)?);
            }
            _ => unsupported::nested(
                field,
                unsupported::AUTHORIZATION_KEYS,
                "not implemented; ignoring it would admit clients it should refuse",
            )?,
        }
    }
    if (parts.user.is_some() || parts.password.is_some()) && config.token.is_some() {
        return Err(block.invalid("cannot have a user/pass and token"));
    }
    let users_array = parts.users.is_some();
    if let Some((users, nkeys)) = parts.users {
        if parts.user.is_some() {
            return Err(block.invalid("can not have a single user/pass and a users array"));
        }
        if config.token.is_some() {
            return Err(block.invalid("can not have a token and a users array"));
        }
        // Go requires authentication and then accepts nobody; an open server would be the
        // opposite, so refuse the ambiguous configuration.
        if users.is_empty() && nkeys.is_empty() {
            return Err(block.invalid("an empty users array would refuse every client"));
        }
        config.users = users;
        config.nkeys = nkeys;
    } else if let Some(user) = parts.user {
        let password = parts.password.unwrap_or_default();
        config.users = vec![UserConfig {
            user,
            password,
            permissions: None,
        }];
    } else if parts.password.is_some() {
        warnings.push(format!(
            "{}: password without a user is ignored",
            block.item().position
        ));
    }
    if let Some(defaults) = parts.default_permissions {
        for user in config
            .users
            .iter_mut()
            .filter(|user| user.permissions.is_none())
        {
            user.permissions = Some(defaults.clone());
        }
        for nkey in config
            .nkeys
            .iter_mut()
            .filter(|nkey| nkey.permissions.is_none())
        {
            nkey.permissions = Some(defaults.clone());
        }
    }
    Ok((config, users_array))
}

/// Seconds as an integer or float, or a duration string.
fn timeout(field: Field<'_>, warnings: &mut Vec<String>) -> Result<Duration> {
    let duration = match field.value() {
        Value::Integer(seconds) => Duration::from_secs(field.bounded::<u64>().map_err(|_| {
            field.invalid(format!("timeout of {seconds} seconds must not be negative"))
        })?),
        Value::Float(seconds) => Duration::try_from_secs_f64(*seconds)
            .map_err(|_| field.invalid("timeout must be a non-negative number of seconds"))?,
        Value::String(_) => field.duration_string()?,
        _ => return Err(field.type_error("seconds or a duration")),
    };
    if duration > AUTH_TIMEOUT_WARN {
        field.warn(
            warnings,
            "timeout is high, consider keeping it under 60 seconds (an unquoted 1m is one \
             million; write '1m')",
        );
    }
    Ok(duration)
}

fn users(field: Field<'_>) -> Result<(Vec<UserConfig>, Vec<NkeyUserConfig>)> {
    let Value::Array(items) = field.value() else {
        return Err(field.type_error("an array of users"));
    };
    let mut users = Vec::new();
    let mut nkeys = Vec::new();
    for item in items {
        let Value::Map(map) = &item.value else {
            return Err(item_type_error(item, "users", "a map for each user"));
        };
        let (mut nkey, mut user, mut password, mut permissions_config) = (None, None, None, None);
        for entry in fields(map) {
            match entry.name().as_str() {
                "nkey" => nkey = Some(entry.string()?),
                "user" | "username" => user = Some(entry.string()?),
                "pass" | "password" => password = Some(entry.string()?),
                "permission" | "permissions" | "authorization" => {
                    permissions_config = Some(permissions(entry)?);
                }
                _ => unsupported::nested(
                    entry,
                    unsupported::USER_KEYS,
                    "not implemented; ignoring it would let this user connect where or as it \
                     should not",
                )?,
            }
        }
        let invalid = |reason: &str| Error::Invalid {
            position: item.position.clone(),
            key: "users".to_owned(),
            reason: reason.to_owned(),
        };
        match (nkey, user) {
            (Some(nkey), user) => {
                if user.is_some() || password.is_some() {
                    return Err(invalid("nkey users do not take usernames or passwords"));
                }
                if !natrium_auth::is_valid_user_nkey(&nkey) {
                    return Err(invalid("not a valid public nkey for a user"));
                }
                nkeys.push(NkeyUserConfig {
                    nkey,
                    permissions: permissions_config,
                });
            }
            (None, Some(user)) => users.push(UserConfig {
                user,
                password: password.unwrap_or_default(),
                permissions: permissions_config,
            }),
            (None, None) => return Err(invalid("user entry requires a user")),
        }
    }
    Ok((users, nkeys))
}

fn item_type_error(item: &Item, key: &str, expected: &'static str) -> Error {
    Error::Type {
        position: item.position.clone(),
        key: key.to_owned(),
        expected,
        found: item.value.type_name(),
    }
}

fn permissions(field: Field<'_>) -> Result<PermissionsConfig> {
    let mut config = PermissionsConfig::default();
    for entry in fields(field.map()?) {
        match entry.name().as_str() {
            "pub" | "publish" | "import" => config.publish = subject_permission(entry)?,
            "sub" | "subscribe" | "export" => config.subscribe = subject_permission(entry)?,
            "publish_allow_responses" | "allow_responses" => {
                config.allow_responses = allow_responses(entry)?;
            }
            _ if entry.entry.used_as_variable => {}
            _ => return Err(entry.invalid("unknown field parsing permissions")),
        }
    }
    Ok(config)
}

/// A subject, a list of subjects (the allow list), or `{ allow, deny }`.
fn subject_permission(field: Field<'_>) -> Result<SubjectPermission> {
    let Value::Map(map) = field.value() else {
        return Ok(SubjectPermission {
            allow: subjects(field)?,
            deny: Vec::new(),
        });
    };
    let mut permission = SubjectPermission::default();
    for entry in fields(map) {
        match entry.name().as_str() {
            "allow" => permission.allow = subjects(entry)?,
            "deny" => permission.deny = subjects(entry)?,
            _ if entry.entry.used_as_variable => {}
            _ => return Err(entry.invalid("only 'allow' or 'deny' are permitted")),
        }
    }
    Ok(permission)
}

fn subjects(field: Field<'_>) -> Result<Vec<String>> {
    match field.value() {
        Value::String(subject) => Ok(vec![subject.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| match &item.value {
                Value::String(subject) => Ok(subject.clone()),
                _ => Err(item_type_error(item, field.key(), "a subject string")),
            })
            .collect(),
        _ => Err(field.type_error("a subject or an array of subjects")),
    }
}

/// `true`, `false`, or `{ max, expires }`. Go reads a negative `max` or `expires` as unlimited
/// and zero as the default.
fn allow_responses(field: Field<'_>) -> Result<Option<ResponsePermission>> {
    let map = match field.value() {
        Value::Bool(true) => return Ok(Some(ResponsePermission::default())),
        Value::Bool(false) => return Ok(None),
        Value::Map(map) => map,
        _ => return Err(field.type_error("a boolean or a map")),
    };
    let mut permission = ResponsePermission::default();
    for entry in fields(map) {
        match entry.name().as_str() {
            "max" | "max_msgs" | "max_messages" | "max_responses" => {
                permission.max_msgs = match entry.integer()? {
                    0 => permission.max_msgs,
                    negative if negative < 0 => u32::MAX,
                    count => u32::try_from(count).unwrap_or(u32::MAX),
                };
            }
            "expires" | "expiration" | "ttl" => {
                let text = entry
                    .string()
                    .map_err(|_| entry.type_error("a duration string"))?;
                let nanos =
                    crate::parse_go_duration(&text).map_err(|reason| entry.invalid(reason))?;
                permission.expires = match u64::try_from(nanos) {
                    Ok(0) => permission.expires,
                    Ok(nanos) => Duration::from_nanos(nanos),
                    Err(_) => RESPONSE_EXPIRES_UNLIMITED,
                };
            }
            _ if entry.entry.used_as_variable => {}
            _ => return Err(entry.invalid("unknown field parsing allow_responses")),
        }
    }
    Ok(Some(permission))
}
