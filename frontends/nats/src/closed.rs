//! Why a connection closed, in the Go server's words (its `ClosedState` strings), for the
//! `reason` of `/connz?state=closed`.

/// The reasons a NATS client connection of natrium can close for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedReason {
    /// The client closed its socket.
    ClientClosed,
    /// No CONNECT within the authentication timeout.
    AuthenticationTimeout,
    /// Bad credentials, or a verb before CONNECT when authentication is required.
    AuthenticationViolation,
    /// `max_pending` bytes were waiting for the client.
    SlowConsumerPendingBytes,
    /// A write did not finish within `write_deadline`.
    SlowConsumerWriteDeadline,
    WriteError,
    ReadError,
    /// The client sent `-ERR` (the Go server closes with this reason).
    ParseError,
    /// Unanswered server PINGs reached `ping_max`.
    StaleConnection,
    /// An unknown verb, malformed arguments or CONNECT, or headers without negotiating them.
    ProtocolViolation,
    BadClientProtocolVersion,
    MaxConnectionsExceeded,
    MaxPayloadExceeded,
    MaxControlLineExceeded,
    /// Server shutdown, or the end of lame-duck mode for this client.
    ServerShutdown,
    NoRespondersRequiresHeaders,
    /// The TLS handshake failed or timed out (a plain-text client on a TLS port, garbage, an
    /// untrusted certificate).
    TlsHandshakeFailure,
}

impl ClosedReason {
    /// The Go server's text for this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientClosed => "Client Closed",
            Self::AuthenticationTimeout => "Authentication Timeout",
            Self::AuthenticationViolation => "Authentication Failure",
            Self::SlowConsumerPendingBytes => "Slow Consumer (Pending Bytes)",
            Self::SlowConsumerWriteDeadline => "Slow Consumer (Write Deadline)",
            Self::WriteError => "Write Error",
            Self::ReadError => "Read Error",
            Self::ParseError => "Parse Error",
            Self::StaleConnection => "Stale Connection",
            Self::ProtocolViolation => "Protocol Violation",
            Self::BadClientProtocolVersion => "Bad Client Protocol Version",
            Self::MaxConnectionsExceeded => "Maximum Connections Exceeded",
            Self::MaxPayloadExceeded => "Maximum Message Payload Exceeded",
            Self::MaxControlLineExceeded => "Maximum Control Line Exceeded",
            Self::ServerShutdown => "Server Shutdown",
            Self::NoRespondersRequiresHeaders => "No Responders Requires Headers",
            Self::TlsHandshakeFailure => "TLS Handshake Failure",
        }
    }

    /// The reason a parse error closes the connection with, as the Go server names it.
    pub fn for_parse_error(error: &crate::Error) -> Self {
        match error {
            crate::Error::ControlLineTooLong { .. } => Self::MaxControlLineExceeded,
            crate::Error::PayloadTooLarge { .. } => Self::MaxPayloadExceeded,
            crate::Error::Io(_) => Self::ReadError,
            crate::Error::UnknownOperation
            | crate::Error::BadArguments { .. }
            | crate::Error::BadConnect(_) => Self::ProtocolViolation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_map_to_go_reasons() {
        let reason = |error: crate::Error| ClosedReason::for_parse_error(&error).as_str();
        assert_eq!(
            reason(crate::Error::ControlLineTooLong { len: 5, max: 4 }),
            "Maximum Control Line Exceeded"
        );
        assert_eq!(
            reason(crate::Error::PayloadTooLarge { size: 5, max: 4 }),
            "Maximum Message Payload Exceeded"
        );
        assert_eq!(reason(crate::Error::UnknownOperation), "Protocol Violation");
        assert_eq!(
            reason(crate::Error::BadArguments { verb: "SUB" }),
            "Protocol Violation"
        );
    }
}
