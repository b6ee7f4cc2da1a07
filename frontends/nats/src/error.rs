//! The NATS front-end's one error type, and how each protocol error reads on the wire.

/// Errors of the NATS front-end. Protocol errors close the connection; [`Error::client_text`]
/// says what the Go server writes to the client before closing (some closes are silent).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client sent bytes that start no known protocol verb, or a payload not followed by
    /// CRLF.
    #[error("unknown protocol operation")]
    UnknownOperation,
    /// A control line (the arguments of a verb) longer than `max_control_line`.
    #[error("control line of {len} bytes exceeds max_control_line {max}")]
    ControlLineTooLong { len: usize, max: usize },
    /// A PUB/HPUB announced a payload larger than `max_payload`.
    #[error("payload of {size} bytes exceeds max_payload {max}")]
    PayloadTooLarge { size: usize, max: usize },
    /// A verb with the wrong number or shape of arguments (the Go server closes silently).
    #[error("malformed {verb} arguments")]
    BadArguments { verb: &'static str },
    /// CONNECT carried JSON the server cannot read (closed silently, as Go does).
    #[error("malformed CONNECT: {0}")]
    BadConnect(#[from] serde_json::Error),
    /// The socket failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The `-ERR` text the Go server sends before closing for this error; `None` when it closes
    /// without a word.
    pub fn client_text(&self) -> Option<&'static str> {
        match self {
            Error::UnknownOperation => Some("Unknown Protocol Operation"),
            Error::ControlLineTooLong { .. } => Some("maximum control line exceeded"),
            Error::PayloadTooLarge { .. } => Some("Maximum Payload Violation"),
            Error::BadArguments { .. } | Error::BadConnect(_) | Error::Io(_) => None,
        }
    }
}

/// Shorthand for results carrying [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
