//! The `Authenticator`: validated settings, and the check of a client's CONNECT credentials.
//!
//! The order of checks is the Go server's `processClientOrLeafAuthentication`: NKey users
//! first (when configured and the client sent an `nkey`), then named users, then the token.
//! `no_auth_user` applies when the client sent no user, password, token or NKey.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use natrium_router::transport::PeerCertificate;

use crate::certificate;
use crate::config::{AuthConfig, USERS_MAX};
use crate::permissions::Permissions;
use crate::{DenyReason, Error, Result, password};

/// What a client sent in CONNECT, borrowed from the parsed frame.
#[derive(Debug, Clone, Copy, Default)]
pub struct Credentials<'a> {
    /// CONNECT `user`.
    pub user: Option<&'a str>,
    /// CONNECT `pass`.
    pub pass: Option<&'a str>,
    /// CONNECT `auth_token`.
    pub auth_token: Option<&'a str>,
    /// CONNECT `nkey`: the client's public user key.
    pub nkey: Option<&'a str>,
    /// CONNECT `sig`: base64url (Go also accepts standard base64) signature of the nonce.
    pub sig: Option<&'a str>,
    /// The client certificate the TLS transport verified, if any (`verify_and_map`).
    pub certificate: Option<&'a PeerCertificate>,
}

/// Who a client is once authenticated.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// The user name, or the public NKey; empty on an open server or with a token.
    pub name: String,
    /// `None`: everything is allowed.
    pub permissions: Option<Arc<Permissions>>,
}

#[derive(Debug)]
struct User {
    password: String,
    permissions: Option<Arc<Permissions>>,
}

#[derive(Debug)]
enum Mode {
    Open,
    Token(String),
    Users {
        users: HashMap<String, User>,
        nkeys: HashMap<String, Option<Arc<Permissions>>>,
    },
}

#[derive(Debug)]
struct Inner {
    mode: Mode,
    no_auth_user: Option<String>,
    timeout: Option<Duration>,
    map_certificates: bool,
}

/// Checks clients' credentials against the configured users. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

fn empty(value: Option<&str>) -> bool {
    value.is_none_or(str::is_empty)
}

impl Authenticator {
    /// A server without authentication: every client is accepted with full permissions.
    pub fn open() -> Self {
        let inner = Inner {
            mode: Mode::Open,
            no_auth_user: None,
            timeout: None,
            map_certificates: false,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Validates `config` (NKeys, permission subjects, duplicates, `no_auth_user`) and compiles
    /// every user's permissions.
    pub fn new(config: AuthConfig) -> Result<Self> {
        let AuthConfig {
            token,
            users,
            nkeys,
            no_auth_user,
            timeout,
            map_certificates,
        } = config;
        if users.len().saturating_add(nkeys.len()) > USERS_MAX {
            return Err(Error::Limit {
                what: "users",
                max: USERS_MAX,
            });
        }
        let has_users = !users.is_empty() || !nkeys.is_empty();
        let token = token.filter(|token| !token.is_empty());
        if token.is_some() && has_users {
            return Err(Error::TokenWithUsers);
        }
        let mode = match token {
            Some(token) => Mode::Token(token),
            None if has_users => build_users(users, nkeys)?,
            None => Mode::Open,
        };
        let no_auth_user = no_auth_user.filter(|name| !name.is_empty());
        if let Some(name) = &no_auth_user {
            let known = match &mode {
                Mode::Users { users, nkeys } => {
                    users.contains_key(name) || nkeys.contains_key(name)
                }
                _ => false,
            };
            if !known {
                return Err(Error::NoAuthUserUnknown { name: name.clone() });
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                mode,
                no_auth_user,
                timeout,
                map_certificates,
            }),
        })
    }

    /// True when clients must authenticate (a token or users are configured). The front-end
    /// calls [`Authenticator::authenticate`] for every CONNECT regardless: with
    /// `no_auth_user` it yields that user's identity and permissions.
    pub fn auth_required(&self) -> bool {
        !matches!(self.inner.mode, Mode::Open)
    }

    /// INFO `auth_required` as the Go server sends it: false when `no_auth_user` lets clients
    /// in without credentials.
    pub fn info_auth_required(&self) -> bool {
        self.auth_required() && self.inner.no_auth_user.is_none()
    }

    /// True when NKey users are configured: INFO must then carry a nonce (see `new_nonce`).
    pub fn nonce_required(&self) -> bool {
        matches!(&self.inner.mode, Mode::Users { nkeys, .. } if !nkeys.is_empty())
    }

    /// `authorization { timeout }`, when configured.
    pub fn timeout(&self) -> Option<Duration> {
        self.inner.timeout
    }

    /// True when a configured token or password is a bcrypt hash. Checking one then costs tens
    /// to hundreds of milliseconds of CPU by design (about 250 ms at cost 11 on a loaded test
    /// box), so an async front-end should run [`Authenticator::authenticate`] on a blocking
    /// thread (`tokio::task::spawn_blocking`) rather than on its reactor.
    pub fn uses_bcrypt(&self) -> bool {
        match &self.inner.mode {
            Mode::Open => false,
            Mode::Token(token) => password::is_bcrypt(token),
            Mode::Users { users, .. } => users
                .values()
                .any(|user| password::is_bcrypt(&user.password)),
        }
    }

    /// Checks CONNECT credentials. `nonce` is the nonce sent in this connection's INFO (empty
    /// when none was sent). An `Err` means the client is refused.
    pub fn authenticate(&self, credentials: &Credentials<'_>, nonce: &[u8]) -> Result<Identity> {
        match &self.inner.mode {
            Mode::Open => Ok(Identity::default()),
            Mode::Token(token) => {
                if password::matches(token, credentials.auth_token.unwrap_or_default()) {
                    Ok(Identity::default())
                } else {
                    Err(Error::Denied(DenyReason::BadToken))
                }
            }
            Mode::Users { users, nkeys } => {
                self.authenticate_user(users, nkeys, credentials, nonce)
            }
        }
    }

    fn authenticate_user(
        &self,
        users: &HashMap<String, User>,
        nkeys: &HashMap<String, Option<Arc<Permissions>>>,
        credentials: &Credentials<'_>,
        nonce: &[u8],
    ) -> Result<Identity> {
        // As in Go, a mapped certificate names the user and `no_auth_user` does not apply;
        // a client that signs with an NKey is still checked as an NKey user first.
        let nkey_user = credentials.nkey.is_some_and(|nkey| !nkey.is_empty()) && !nkeys.is_empty();
        if self.inner.map_certificates && !nkey_user {
            return map_certificate(users, credentials);
        }
        if let Some(identity) = self.no_auth_identity(users, nkeys, credentials) {
            return Ok(identity);
        }
        // As in Go, an nkey is only looked at when NKey users are configured.
        if let Some(nkey) = credentials
            .nkey
            .filter(|nkey| !nkey.is_empty() && !nkeys.is_empty())
        {
            let permissions = nkeys
                .get(nkey)
                .ok_or(Error::Denied(DenyReason::UnknownNkey))?;
            verify_signature(nkey, credentials.sig, nonce)?;
            return Ok(Identity {
                name: nkey.to_owned(),
                permissions: permissions.clone(),
            });
        }
        let name = credentials.user.filter(|name| !name.is_empty());
        let name = name.ok_or(Error::Denied(DenyReason::MissingCredentials))?;
        let user = users
            .get(name)
            .ok_or(Error::Denied(DenyReason::UnknownUser))?;
        if !password::matches(&user.password, credentials.pass.unwrap_or_default()) {
            return Err(Error::Denied(DenyReason::BadPassword));
        }
        Ok(Identity {
            name: name.to_owned(),
            permissions: user.permissions.clone(),
        })
    }
}

impl Authenticator {
    /// The `no_auth_user` identity when the client sent no user, password or token, with Go's
    /// precedence: an NKey no-auth user needs no `nkey` either; a named one applies unless an
    /// `nkey` was sent while NKey users are configured (that NKey must then authenticate).
    fn no_auth_identity(
        &self,
        users: &HashMap<String, User>,
        nkeys: &HashMap<String, Option<Arc<Permissions>>>,
        credentials: &Credentials<'_>,
    ) -> Option<Identity> {
        let name = self.inner.no_auth_user.as_deref()?;
        let no_secrets =
            empty(credentials.user) && empty(credentials.pass) && empty(credentials.auth_token);
        if !no_secrets {
            return None;
        }
        let no_nkey = empty(credentials.nkey);
        // The no-auth identity needs no password or signature.
        let permissions = match (nkeys.get(name), users.get(name)) {
            (Some(permissions), _) if no_nkey => permissions.clone(),
            (_, Some(user)) if no_nkey || nkeys.is_empty() => user.permissions.clone(),
            _ => return None,
        };
        Some(Identity {
            name: name.to_owned(),
            permissions,
        })
    }
}

/// `verify_and_map`: the user the client certificate names; its password, if it has one,
/// must match CONNECT `pass` (Go compares them too, and a mapped user usually has none).
fn map_certificate(
    users: &HashMap<String, User>,
    credentials: &Credentials<'_>,
) -> Result<Identity> {
    let certificate = credentials
        .certificate
        .ok_or(Error::Denied(DenyReason::MissingCertificate))?;
    let name = certificate::mapped_user(certificate, users.keys().map(String::as_str), |name| {
        users.contains_key(name)
    })
    .ok_or(Error::Denied(DenyReason::UnmappedCertificate))?;
    let user = users
        .get(&name)
        .ok_or(Error::Denied(DenyReason::UnmappedCertificate))?;
    if !password::matches(&user.password, credentials.pass.unwrap_or_default()) {
        return Err(Error::Denied(DenyReason::BadPassword));
    }
    Ok(Identity {
        name,
        permissions: user.permissions.clone(),
    })
}

fn build_users(users: Vec<crate::UserConfig>, nkeys: Vec<crate::NkeyUserConfig>) -> Result<Mode> {
    let mut user_map = HashMap::with_capacity(users.len());
    for user in users {
        if user.user.is_empty() {
            return Err(Error::EmptyUser);
        }
        let permissions = compile_permissions(&user.user, user.permissions.as_ref())?;
        let entry = User {
            password: user.password,
            permissions,
        };
        if user_map.insert(user.user.clone(), entry).is_some() {
            return Err(Error::DuplicateUser { name: user.user });
        }
    }
    let mut nkey_map = HashMap::with_capacity(nkeys.len());
    for nkey_user in nkeys {
        let nkey = nkey_user.nkey;
        if !is_valid_user_nkey(&nkey) {
            return Err(Error::InvalidNkey { nkey });
        }
        let permissions = compile_permissions(&nkey, nkey_user.permissions.as_ref())?;
        if user_map.contains_key(&nkey) || nkey_map.insert(nkey.clone(), permissions).is_some() {
            return Err(Error::DuplicateUser { name: nkey });
        }
    }
    Ok(Mode::Users {
        users: user_map,
        nkeys: nkey_map,
    })
}

fn compile_permissions(
    user: &str,
    config: Option<&crate::PermissionsConfig>,
) -> Result<Option<Arc<Permissions>>> {
    config
        .map(|config| Permissions::new(user, config).map(Arc::new))
        .transpose()
}

/// True for a valid public user NKey (`U` prefix, checksum intact), as Go's
/// `nkeys.IsValidPublicUserKey`.
pub fn is_valid_user_nkey(nkey: &str) -> bool {
    nkey.starts_with('U') && nkeys::KeyPair::from_public_key(nkey).is_ok()
}

/// Verifies `sig` as the ed25519 signature of `nonce` by `nkey`. The signature is unpadded
/// base64url as clients send it; like Go, standard base64 is accepted as a fallback.
fn verify_signature(nkey: &str, sig: Option<&str>, nonce: &[u8]) -> Result<()> {
    let sig = sig.filter(|sig| !sig.is_empty());
    let sig = sig.ok_or(Error::Denied(DenyReason::MissingSignature))?;
    let decoded = URL_SAFE_NO_PAD
        .decode(sig)
        .or_else(|_| STANDARD.decode(sig));
    let decoded = decoded.map_err(|_| Error::Denied(DenyReason::BadSignature))?;
    let key = nkeys::KeyPair::from_public_key(nkey)
        .map_err(|_| Error::Denied(DenyReason::BadSignature))?;
    key.verify(nonce, &decoded)
        .map_err(|_| Error::Denied(DenyReason::BadSignature))
}
