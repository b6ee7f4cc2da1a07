//! The TLS transport's one error type: settings and files refused at start or reload. (A
//! failed handshake is an `std::io::Error` of that one connection: the transport seam speaks
//! `io::Result`.)

use std::path::PathBuf;

/// Why TLS settings cannot be used. Each message names the key and the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is missing or out of range.
    #[error("{0}")]
    Settings(String),
    /// A file named by a setting cannot be read or does not hold what it should.
    #[error("{key} {path}: {reason}", path = path.display())]
    File {
        /// The setting that names the file (`cert_file`, `key_file`, `ca_file`).
        key: &'static str,
        path: PathBuf,
        reason: String,
    },
    /// rustls refused the configuration (a key that does not match its certificate, a
    /// protocol version no selected suite supports).
    #[error("TLS configuration refused: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client certificate verifier could not be built from `ca_file`.
    #[error("ca_file: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// Shorthand for results carrying [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
