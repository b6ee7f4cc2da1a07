//! The crate's error: settings that cannot be served, and TLS files that cannot be read.

/// Why a WebSocket listener cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Settings(String),
    #[error(transparent)]
    Tls(#[from] natrium_tls::Error),
}

/// The crate's result.
pub type Result<T> = std::result::Result<T, Error>;
