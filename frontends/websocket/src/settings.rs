//! The settings of the WebSocket listener, as the nats-server `websocket {}` block describes
//! them. Plain data; the configuration crate fills it, the server binds and builds the
//! transport from it.

use std::time::Duration;

use natrium_tls::TlsSettings;

use crate::origin::Origins;

/// The upgrade (TLS handshake included) must end within this when `handshake_timeout` is
/// not set. Go sets no limit by default; natrium puts a limit on everything, and takes Go's
/// TLS timeout for it.
pub const HANDSHAKE_TIMEOUT_DEFAULT: Duration = Duration::from_secs(2);
/// Custom response headers at most, and bytes of each name and value.
pub const HEADERS_MAX: usize = 64;
pub const HEADER_BYTES_MAX: usize = 1024;
/// Frame payload bytes allowed above `max_payload` + `max_control_line`: a client may put
/// several protocol lines, or its buffered small messages (async-nats flattens up to 64 KiB),
/// in one frame.
pub const FRAME_SLACK_BYTES: u64 = 256 * 1024;

/// One WebSocket listener's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebSocketSettings {
    /// `host` (or the host of `listen`); `None` is the Go default `0.0.0.0`.
    pub host: Option<String>,
    /// `port`; `Some(0)` asks for any free port (Go's `-1`).
    pub port: Option<u16>,
    /// `advertise`: the `host:port` reported to others.
    pub advertise: Option<String>,
    /// `tls {}`: wss, the handshake first (before the HTTP upgrade).
    pub tls: Option<TlsSettings>,
    /// `no_tls: true`: plain `ws://` (Go refuses a block with neither).
    pub no_tls: bool,
    /// `same_origin` and `allowed_origins`.
    pub origins: Origins,
    /// `handshake_timeout`; zero means [`HANDSHAKE_TIMEOUT_DEFAULT`].
    pub handshake_timeout: Duration,
    /// `headers`: added to every `101` response, in order.
    pub headers: Vec<(String, String)>,
    /// Frame payload bytes at most; set by the server from its limits
    /// ([`WebSocketSettings::frame_payload_max_for`]); zero means that for Go's defaults.
    pub frame_payload_max: u64,
}

impl WebSocketSettings {
    /// The handshake timeout in force.
    pub fn handshake_timeout(&self) -> Duration {
        if self.handshake_timeout.is_zero() {
            HANDSHAKE_TIMEOUT_DEFAULT
        } else {
            self.handshake_timeout
        }
    }

    /// The frame limit that fits a largest message (`max_payload`) with its protocol line.
    pub fn frame_payload_max_for(max_payload: u32, max_control_line: u32) -> u64 {
        u64::from(max_payload) + u64::from(max_control_line) + FRAME_SLACK_BYTES
    }

    /// The frame limit in force.
    pub fn frame_payload_max(&self) -> u64 {
        if self.frame_payload_max == 0 {
            // Go's defaults: max_payload 1 MiB, max_control_line 4 KiB.
            Self::frame_payload_max_for(1024 * 1024, 4096)
        } else {
            self.frame_payload_max
        }
    }

    /// Go's `validateWebsocketOptions` rules that concern these keys, and natrium's limits.
    pub fn validate(&self) -> Result<(), String> {
        if self.tls.is_none() && !self.no_tls {
            return Err("websocket requires TLS configuration".to_owned());
        }
        if let Some(tls) = &self.tls {
            tls.validate().map_err(|error| error.to_string())?;
        }
        if self.headers.len() > HEADERS_MAX {
            return Err(format!("more than {HEADERS_MAX} websocket headers"));
        }
        for (name, value) in &self.headers {
            check_header(name, value)?;
        }
        Ok(())
    }
}

/// A response header must be a token name and a value without line breaks, and must not
/// replace what the upgrade itself says.
fn check_header(name: &str, value: &str) -> Result<(), String> {
    let token = |byte: u8| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte);
    if name.is_empty() || name.len() > HEADER_BYTES_MAX || !name.bytes().all(token) {
        return Err(format!("invalid websocket header name {name:?}"));
    }
    if value.len() > HEADER_BYTES_MAX
        || value
            .bytes()
            .any(|byte| byte.is_ascii_control() && byte != b'\t')
    {
        return Err(format!("invalid value for websocket header {name:?}"));
    }
    const RESERVED: [&str; 4] = [
        "upgrade",
        "connection",
        "sec-websocket-accept",
        "content-length",
    ];
    if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "websocket header {name:?} is set by the upgrade itself"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_or_no_tls_is_required_as_in_go() {
        let settings = WebSocketSettings::default();
        assert_eq!(
            settings.validate(),
            Err("websocket requires TLS configuration".to_owned())
        );
        let plain = WebSocketSettings {
            no_tls: true,
            ..WebSocketSettings::default()
        };
        assert!(plain.validate().is_ok());
        assert_eq!(plain.handshake_timeout(), HANDSHAKE_TIMEOUT_DEFAULT);
    }

    #[test]
    fn headers_are_checked() {
        let mut settings = WebSocketSettings {
            no_tls: true,
            ..WebSocketSettings::default()
        };
        settings.headers.push(("X-Ok".to_owned(), "yes".to_owned()));
        assert!(settings.validate().is_ok());
        settings
            .headers
            .push(("X-Bad".to_owned(), "a\r\nb".to_owned()));
        assert!(settings.validate().is_err());
        settings.headers.pop();
        settings
            .headers
            .push(("Upgrade".to_owned(), "h2c".to_owned()));
        assert!(settings.validate().is_err());
    }

    #[test]
    fn the_frame_limit_fits_the_largest_message() {
        let settings = WebSocketSettings::default();
        assert!(settings.frame_payload_max() > 1024 * 1024);
        assert_eq!(
            WebSocketSettings::frame_payload_max_for(10, 20),
            30 + FRAME_SLACK_BYTES
        );
    }
}
