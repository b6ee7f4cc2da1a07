//! Client authentication (token, user/password, bcrypt, NKeys) and publish/subscribe permissions.
//!
//! The semantics follow the Go nats-server (server/auth.go, client.go): a server is open, or
//! requires a token, or a list of users (password, possibly bcrypt-hashed) and NKey users
//! (an ed25519 signature of the connection nonce). `no_auth_user` names the identity a client
//! that sends no credentials receives; with `verify_and_map` a verified client certificate names
//! the user (see `certificate`). Accounts and JWTs are out of scope.
//!
//! [`Authenticator`] is immutable after [`Authenticator::new`] validated its [`AuthConfig`]; it
//! is cheap to clone (an `Arc` inside) and shared by every connection task without locks.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

mod authenticator;
mod certificate;
mod config;
mod error;
mod nonce;
mod password;
mod permissions;

pub use authenticator::{Authenticator, Credentials, Identity, is_valid_user_nkey};
pub use certificate::DN_BYTES_MAX;
pub use config::{
    AuthConfig, DEFAULT_RESPONSE_EXPIRES, DEFAULT_RESPONSE_MAX_MSGS, NkeyUserConfig,
    PERMISSION_SUBJECTS_MAX, PermissionsConfig, ResponsePermission, SubjectPermission, USERS_MAX,
    UserConfig,
};
pub use error::{DenyReason, Error, Result};
pub use nonce::{NONCE_RAW_BYTES, new_nonce};
pub use permissions::Permissions;
