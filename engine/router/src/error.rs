//! The router's one error type.

/// Errors the router reports to its callers (front-ends turn them into protocol errors).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// A subject (or subscription filter) that the NATS grammar does not allow.
    #[error("invalid subject")]
    InvalidSubject,
    /// A queue group name that the NATS grammar does not allow.
    #[error("invalid queue name")]
    InvalidQueue,
    /// A configured limit was reached.
    #[error("limit reached: {what} (max {max})")]
    Limit { what: &'static str, max: u64 },
}

/// Shorthand for results carrying [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
