//! The HTTP/1.1 upgrade (RFC 6455 §4.2), sans-IO: a bounded request head in, the answer out
//! (`101 Switching Protocols`, or the Go server's HTTP error status and text).
//!
//! Checks, in the Go server's order and with its reasons: method `GET` (405), a `Host`
//! (400), `Upgrade: websocket` (400), `Connection: Upgrade` (400), a `Sec-WebSocket-Key`
//! (400), `Sec-WebSocket-Version: 13` (400), then the origin (403, see [`crate::origin`]).
//! Header names match case-insensitively and `Upgrade`/`Connection`/`Sec-WebSocket-Version`
//! are comma-separated token lists, as Go reads them. natrium adds: a request head over
//! [`REQUEST_HEAD_BYTES_MAX`] is 431, bytes sent after the head before the answer are 400
//! (Go's "client sent data before handshake is complete"), and the paths Go serves to other
//! protocols (`/leafnode`, `/mqtt`) are 404 until natrium serves those protocols.

use base64::Engine as _;

use crate::settings::WebSocketSettings;

/// The request head's bytes at most (request line and headers, with the blank line).
pub const REQUEST_HEAD_BYTES_MAX: usize = 8 * 1024;
/// Request headers at most.
pub const REQUEST_HEADERS_MAX: usize = 64;
/// RFC 6455 §1.3: appended to the client's key before hashing.
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// Paths the Go server routes to leaf nodes and MQTT.
const LEAFNODE_PATH: &str = "/leafnode";
const MQTT_PATH: &str = "/mqtt";

/// An HTTP refusal of the upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status code.
    pub status: u16,
    /// Why, for the log (the Go server's words where it has them).
    pub reason: String,
}

impl Refusal {
    fn new(status: u16, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }

    /// The response bytes, as Go's `http.Error` writes them (the status text is the body),
    /// with `Connection: close`: the connection ends after it.
    pub fn response(&self) -> Vec<u8> {
        let text = status_text(self.status);
        format!(
            "HTTP/1.1 {status} {text}\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Sec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\n\
             Content-Length: {length}\r\nConnection: close\r\n\r\n{text}\n",
            status = self.status,
            length = text.len() + 1,
        )
        .into_bytes()
    }
}

fn status_text(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

/// The end of the request head in `bytes` (the index after the blank line), if complete.
pub fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// Answers a complete request head: the `101` response bytes, or a refusal. `tls` says
/// whether the request came over TLS (for the same-origin check's default port).
pub fn answer(head: &[u8], settings: &WebSocketSettings, tls: bool) -> Result<Vec<u8>, Refusal> {
    if head.len() > REQUEST_HEAD_BYTES_MAX {
        return Err(Refusal::new(431, "request head too large"));
    }
    let mut headers = [httparse::EMPTY_HEADER; REQUEST_HEADERS_MAX];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(Refusal::new(400, "incomplete request")),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Refusal::new(431, "too many request headers"));
        }
        Err(error) => return Err(Refusal::new(400, format!("malformed request: {error}"))),
    }
    if request.method != Some("GET") {
        return Err(Refusal::new(405, "request method must be GET"));
    }
    let headers = request.headers;
    let Some(host) = header(headers, "Host").filter(|host| !host.is_empty()) else {
        return Err(Refusal::new(400, "'Host' missing in request"));
    };
    if !contains_token(headers, "Upgrade", "websocket") {
        return Err(Refusal::new(400, "invalid value for header 'Upgrade'"));
    }
    if !contains_token(headers, "Connection", "Upgrade") {
        return Err(Refusal::new(400, "invalid value for header 'Connection'"));
    }
    let Some(key) = header(headers, "Sec-WebSocket-Key").filter(|key| !key.is_empty()) else {
        return Err(Refusal::new(400, "key missing"));
    };
    if !contains_token(headers, "Sec-WebSocket-Version", "13") {
        return Err(Refusal::new(400, "invalid version"));
    }
    let origin = header(headers, "Origin")
        .filter(|origin| !origin.is_empty())
        .or_else(|| header(headers, "Sec-WebSocket-Origin"));
    settings
        .origins
        .check(origin, host, tls)
        .map_err(|error| Refusal::new(403, format!("origin not allowed: {error}")))?;
    let path = request.path.unwrap_or("/");
    if path.starts_with(LEAFNODE_PATH) || path.starts_with(MQTT_PATH) {
        return Err(Refusal::new(
            404,
            format!("path {path:?}: leaf nodes and MQTT over WebSocket are not served"),
        ));
    }
    Ok(switching_protocols(key, settings))
}

/// The `101` response: Go's lines, then the configured `headers`.
fn switching_protocols(key: &str, settings: &WebSocketSettings) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        accept_key(key)
    );
    for (name, value) in &settings.headers {
        response.push_str(name);
        response.push_str(": ");
        response.push_str(value);
        response.push_str("\r\n");
    }
    response.push_str("\r\n");
    response.into_bytes()
}

/// `Sec-WebSocket-Accept`: base64 of the SHA-1 of the key and the GUID.
pub fn accept_key(key: &str) -> String {
    let mut hash = sha1_smol::Sha1::new();
    hash.update(key.as_bytes());
    hash.update(ACCEPT_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(hash.digest().bytes())
}

/// The first header named `name` (case-insensitive), if it is text.
fn header<'a>(headers: &'a [httparse::Header<'_>], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case(name))
        .and_then(|header| std::str::from_utf8(header.value).ok())
        .map(str::trim)
}

/// True when a header named `name` lists `token` (Go's `wsHeaderContains`).
fn contains_token(headers: &[httparse::Header<'_>], name: &str, token: &str) -> bool {
    headers
        .iter()
        .filter(|header| header.name.eq_ignore_ascii_case(name))
        .filter_map(|header| std::str::from_utf8(header.value).ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim_matches([' ', '\t']).eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::origin::Origins;

    const GOOD: &str = "GET / HTTP/1.1\r\nHost: localhost:8080\r\nUpgrade: websocket\r\n\
        Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";

    fn settings() -> WebSocketSettings {
        WebSocketSettings::default()
    }

    fn without(line: &str) -> String {
        GOOD.replace(line, "")
    }

    #[test]
    fn the_rfc_example_key_is_accepted() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        let response = answer(GOOD.as_bytes(), &settings(), false).expect("upgrade");
        let text = String::from_utf8(response).expect("text");
        assert!(text.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
        assert!(text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn missing_headers_get_go_statuses_and_reasons() {
        let cases = [
            (
                GOOD.replace("GET", "POST"),
                405,
                "request method must be GET",
            ),
            (
                without("Upgrade: websocket\r\n"),
                400,
                "invalid value for header 'Upgrade'",
            ),
            (
                without("Connection: keep-alive, Upgrade\r\n"),
                400,
                "invalid value for header 'Connection'",
            ),
            (
                without("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
                400,
                "key missing",
            ),
            (
                GOOD.replace("Version: 13", "Version: 8"),
                400,
                "invalid version",
            ),
            (
                without("Host: localhost:8080\r\n"),
                400,
                "'Host' missing in request",
            ),
        ];
        for (request, status, reason) in cases {
            let refusal = answer(request.as_bytes(), &settings(), false).expect_err(reason);
            assert_eq!((refusal.status, refusal.reason.as_str()), (status, reason));
        }
        let garbage = answer(b"\x16\x03\x01garbage\r\n\r\n", &settings(), false);
        assert_eq!(garbage.expect_err("garbage").status, 400);
    }

    #[test]
    fn a_refusal_is_a_complete_http_response() {
        let response = Refusal::new(403, "origin not allowed").response();
        let text = String::from_utf8(response).expect("text");
        assert!(text.starts_with("HTTP/1.1 403 Forbidden\r\n"));
        assert!(text.ends_with("\r\n\r\nForbidden\n"));
        assert!(text.contains("Content-Length: 10\r\n"));
    }

    #[test]
    fn origins_are_checked_when_configured() {
        let mut settings = settings();
        settings.origins = Origins::new(true, &[]).expect("origins");
        let same = GOOD.replace("\r\n\r\n", "\r\nOrigin: http://localhost:8080\r\n\r\n");
        assert!(answer(same.as_bytes(), &settings, false).is_ok());
        let other = GOOD.replace("\r\n\r\n", "\r\nOrigin: http://evil.example\r\n\r\n");
        let refusal = answer(other.as_bytes(), &settings, false).expect_err("other origin");
        assert_eq!(refusal.status, 403);
        assert_eq!(refusal.reason, "origin not allowed: not same origin");
    }

    #[test]
    fn configured_headers_follow_the_upgrade_lines() {
        let mut settings = settings();
        settings
            .headers
            .push(("X-Served-By".to_owned(), "natrium".to_owned()));
        let response = answer(GOOD.as_bytes(), &settings, false).expect("upgrade");
        let text = String::from_utf8(response).expect("text");
        assert!(text.ends_with("X-Served-By: natrium\r\n\r\n"));
    }

    #[test]
    fn other_protocol_paths_are_not_served() {
        let mqtt = GOOD.replace("GET / ", "GET /mqtt ");
        assert_eq!(
            answer(mqtt.as_bytes(), &settings(), false)
                .expect_err("mqtt")
                .status,
            404
        );
    }

    #[test]
    fn the_head_end_is_found() {
        assert_eq!(head_end(GOOD.as_bytes()), Some(GOOD.len()));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n"), None);
    }
}
