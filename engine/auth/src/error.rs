//! The crate's error type: configuration problems found by `Authenticator::new`, and the
//! reasons a client is refused by `Authenticator::authenticate`.

/// Why a client's credentials were refused. The front-end answers every one of them with
/// `-ERR 'Authorization Violation'`; the reason is for the server's debug log only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// Authentication is required and the client sent no usable credentials.
    MissingCredentials,
    /// The token did not match.
    BadToken,
    /// No configured user has this name.
    UnknownUser,
    /// The password did not match the user's.
    BadPassword,
    /// No configured NKey user has this public key.
    UnknownNkey,
    /// An NKey was sent without a signature of the nonce.
    MissingSignature,
    /// The signature is not base64 or does not verify against the nonce.
    BadSignature,
    /// `verify_and_map` is on and the client presented no verified certificate.
    MissingCertificate,
    /// `verify_and_map` is on and the certificate names no configured user.
    UnmappedCertificate,
}

impl std::fmt::Display for DenyReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            Self::MissingCredentials => "credentials missing",
            Self::BadToken => "token mismatch",
            Self::UnknownUser => "unknown user",
            Self::BadPassword => "password mismatch",
            Self::UnknownNkey => "unknown nkey",
            Self::MissingSignature => "signature missing",
            Self::BadSignature => "signature not verified",
            Self::MissingCertificate => "client certificate required",
            Self::UnmappedCertificate => "no user found in the client certificate",
        };
        f.write_str(text)
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A client failed authentication.
    #[error("authorization violation: {0}")]
    Denied(DenyReason),
    /// A configured NKey is not a valid public user key.
    #[error("not a valid public nkey for a user: {nkey:?}")]
    InvalidNkey { nkey: String },
    /// Two users (or two NKey users) share a name.
    #[error("duplicate user {name:?} detected")]
    DuplicateUser { name: String },
    /// A user entry has an empty name.
    #[error("user entry requires a user")]
    EmptyUser,
    /// A token and a users list cannot be configured together.
    #[error("can not have a token and a users array")]
    TokenWithUsers,
    /// `no_auth_user` names no configured user or NKey.
    #[error(
        "no_auth_user: {name:?} not present as user or nkey in authorization block or account configuration"
    )]
    NoAuthUserUnknown { name: String },
    /// A permission subject is not a valid subject (or `subject queue` pair).
    #[error(
        "invalid permissions for user {user:?}: {list}: subject {subject:?} is not a valid subject"
    )]
    InvalidPermission {
        user: String,
        list: &'static str,
        subject: String,
    },
    /// A configured list exceeds its limit.
    #[error("{what} exceeds the limit of {max}")]
    Limit { what: &'static str, max: usize },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
