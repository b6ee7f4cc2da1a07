//! The crate's error type and source positions (file, line, column) carried by every error.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where something is in a configuration file: 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The file, as given to `load` or `parse_str` (or reached through `include`).
    pub file: Arc<Path>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// Everything that can go wrong reading a configuration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not valid configuration syntax.
    #[error("{position}: {reason}")]
    Syntax { position: Position, reason: String },
    /// A value has the wrong type for its key.
    #[error("{position}: {key}: expected {expected}, got {found}")]
    Type {
        position: Position,
        key: String,
        expected: &'static str,
        found: &'static str,
    },
    /// A value has the right type but is not acceptable.
    #[error("{position}: {key}: {reason}")]
    Invalid {
        position: Position,
        key: String,
        reason: String,
    },
    /// A key the Go server knows and natrium does not implement: natrium refuses to start
    /// rather than serve less than the configuration asks for.
    #[error("{position}: {key:?} is not supported by natrium: {reason}")]
    Unsupported {
        position: Position,
        key: String,
        reason: String,
    },
    /// A key neither natrium nor the Go server knows (Go's wording).
    #[error("{position}: unknown field {key:?}")]
    UnknownField { position: Position, key: String },
    /// A file could not be read.
    #[error("{}: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    /// A file named by `include` could not be read.
    #[error("{position}: include {}: {source}", file.display())]
    Include {
        position: Position,
        file: PathBuf,
        source: std::io::Error,
    },
    /// A bound on the input was exceeded (size, nesting, includes, values).
    #[error("{position}: {what} exceeds the limit of {max}")]
    Limit {
        position: Position,
        what: &'static str,
        max: usize,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
