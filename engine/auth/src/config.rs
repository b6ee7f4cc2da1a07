//! The authentication settings, as the configuration file's `authorization` block and
//! `no_auth_user` describe them. Plain data; `Authenticator::new` validates it.

use std::time::Duration;

/// Configured users plus NKey users, at most: a bound on the maps built at start.
pub const USERS_MAX: usize = 100_000;
/// Subjects in one allow or deny list, at most.
pub const PERMISSION_SUBJECTS_MAX: usize = 10_000;
/// Responses a requester's reply subject may receive when `allow_responses` gives no `max`
/// (Go's `DEFAULT_ALLOW_RESPONSE_MAX_MSGS`).
pub const DEFAULT_RESPONSE_MAX_MSGS: u32 = 1;
/// How long a reply subject stays publishable when `allow_responses` gives no `expires`
/// (Go's `DEFAULT_ALLOW_RESPONSE_EXPIRATION`).
pub const DEFAULT_RESPONSE_EXPIRES: Duration = Duration::from_secs(120);

/// How clients authenticate. The default is an open server.
///
/// A single `authorization { user, password }` is a one-element `users` list. A token and
/// users are mutually exclusive, as in the Go server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthConfig {
    /// `authorization { token }`: plain or a bcrypt hash.
    pub token: Option<String>,
    /// `authorization { users [...] }` entries with a user name.
    pub users: Vec<UserConfig>,
    /// `authorization { users [...] }` entries with an `nkey`.
    pub nkeys: Vec<NkeyUserConfig>,
    /// The user (name or NKey) a client that sends no credentials is logged in as.
    pub no_auth_user: Option<String>,
    /// `authorization { timeout }`: how long a client may take to send CONNECT.
    pub timeout: Option<Duration>,
    /// `tls { verify_and_map }`: the verified client certificate names the user (its e-mail,
    /// DNS name, URI or subject DN is a user name of `users`).
    pub map_certificates: bool,
}

/// A user with a password (plain, or a bcrypt hash starting `$2a$`/`$2b$`/...).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserConfig {
    /// The user name sent in CONNECT `user`.
    pub user: String,
    /// The password, compared with CONNECT `pass`.
    pub password: String,
    /// What the user may publish and subscribe to; `None` allows everything.
    pub permissions: Option<PermissionsConfig>,
}

/// A user identified by an NKey: the client signs the INFO nonce with the private key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NkeyUserConfig {
    /// The public user key (`U...`, 56 characters).
    pub nkey: String,
    /// What the user may publish and subscribe to; `None` allows everything.
    pub permissions: Option<PermissionsConfig>,
}

/// A user's publish and subscribe permissions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PermissionsConfig {
    /// Subjects the user may publish to (literal or wildcard filters).
    pub publish: SubjectPermission,
    /// Subjects the user may subscribe to; entries may be `subject queue` pairs.
    pub subscribe: SubjectPermission,
    /// Let the user publish to reply subjects of requests it received. When set and
    /// `publish.allow` is empty, publishing is otherwise denied (Go turns off the blanket
    /// allow in that case).
    pub allow_responses: Option<ResponsePermission>,
}

/// An allow and a deny list. An empty allow list allows everything; deny overrides allow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectPermission {
    /// Subjects allowed; empty means all.
    pub allow: Vec<String>,
    /// Subjects denied, even when allowed.
    pub deny: Vec<String>,
}

/// How many responses to a received request may be published, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponsePermission {
    /// Responses per reply subject; 0 means the default (1). `u32::MAX` means unlimited.
    pub max_msgs: u32,
    /// Lifetime of the permission; zero means the default (2 minutes).
    pub expires: Duration,
}

impl Default for ResponsePermission {
    fn default() -> Self {
        Self {
            max_msgs: DEFAULT_RESPONSE_MAX_MSGS,
            expires: DEFAULT_RESPONSE_EXPIRES,
        }
    }
}

impl ResponsePermission {
    /// Replaces zero fields with the defaults, as Go's `validateResponsePermissions`.
    pub(crate) fn with_defaults(self) -> Self {
        Self {
            max_msgs: if self.max_msgs == 0 {
                DEFAULT_RESPONSE_MAX_MSGS
            } else {
                self.max_msgs
            },
            expires: if self.expires.is_zero() {
                DEFAULT_RESPONSE_EXPIRES
            } else {
                self.expires
            },
        }
    }
}
