//! The INFO line the server sends first (and again in lame-duck mode), with the Go server's
//! field names and order, and the `-ERR` line format.

use serde::Serialize;

use crate::options::NatsOptions;

/// The INFO fields natrium sends, in the order the Go server writes them.
#[derive(Debug, Serialize)]
pub struct Info<'a> {
    pub server_id: &'a str,
    pub server_name: &'a str,
    pub version: &'a str,
    pub proto: u32,
    pub go: &'a str,
    pub host: &'a str,
    pub port: u16,
    pub headers: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub auth_required: bool,
    /// Clients must start TLS (right after this INFO, or before it with `handshake_first`).
    #[serde(skip_serializing_if = "is_false")]
    pub tls_required: bool,
    /// Clients must present a certificate the server verifies.
    #[serde(skip_serializing_if = "is_false")]
    pub tls_verify: bool,
    /// Clients may start TLS or stay in plain text (`allow_non_tls`).
    #[serde(skip_serializing_if = "is_false")]
    pub tls_available: bool,
    pub max_payload: u32,
    #[serde(skip_serializing_if = "is_false")]
    pub jetstream: bool,
    pub client_id: u64,
    pub client_ip: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "is_false")]
    pub ldm: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl<'a> Info<'a> {
    /// The INFO for one client of a server configured with `options`.
    pub fn new(options: &'a NatsOptions, client_id: u64, client_ip: &'a str) -> Self {
        let server_name = if options.server_name.is_empty() {
            &options.server_id
        } else {
            &options.server_name
        };
        Self {
            server_id: &options.server_id,
            server_name,
            version: &options.version,
            proto: 1,
            go: &options.go,
            host: &options.host,
            port: options.port,
            headers: options.headers,
            auth_required: false,
            tls_required: false,
            tls_verify: false,
            tls_available: false,
            max_payload: options.max_payload,
            jetstream: options.jetstream,
            client_id,
            client_ip,
            nonce: None,
            ldm: false,
        }
    }

    /// Advertises what the transport offers.
    pub fn set_offer(&mut self, offer: natrium_router::transport::SecurityOffer) {
        self.tls_required = offer.required;
        self.tls_verify = offer.verify;
        self.tls_available = offer.available;
    }

    /// Appends `INFO {json} \r\n` to `out` (the Go server puts a space before CRLF).
    pub fn write_line(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"INFO ");
        // Serializing plain strings, numbers and booleans into a Vec cannot fail.
        if serde_json::to_writer(&mut *out, self).is_err() {
            out.extend_from_slice(b"{}");
        }
        out.extend_from_slice(b" \r\n");
    }
}

/// Appends `-ERR '<text>'\r\n` to `out`.
pub fn write_err(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(b"-ERR '");
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"'\r\n");
}
