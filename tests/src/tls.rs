//! TLS helpers for the integration tests: a test PKI generated per test (never checked-in
//! keys), async-nats options that trust it, and a raw TCP look at the plain-text INFO.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

pub use natrium_tls::test_pki::{ClientNames, TestPki, pin_of};

/// How long a test waits for a connection the server should close.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A path as it goes into a configuration file (quoted).
pub fn quoted(path: &Path) -> String {
    format!("{:?}", path.to_str().expect("utf-8 temp path"))
}

/// `tls {}` with the PKI's server certificate and key, plus `extra` lines.
pub fn tls_block(pki: &TestPki, extra: &str) -> String {
    format!(
        "tls {{\n  cert_file: {}\n  key_file: {}\n  ca_file: {}\n  {extra}\n}}\n",
        quoted(&pki.cert_file),
        quoted(&pki.key_file),
        quoted(&pki.ca_file)
    )
}

/// async-nats options that trust `pki`'s CA and require TLS.
pub fn client_options(pki: &TestPki) -> async_nats::ConnectOptions {
    async_nats::ConnectOptions::new()
        .add_root_certificates(pki.ca_file.clone())
        .require_tls(true)
        .connection_timeout(Duration::from_secs(3))
}

/// A plain TCP connection and the INFO the server sent on it (parsed).
pub fn plain_info(port: u16) -> (TcpStream, serde_json::Value) {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(CLOSE_TIMEOUT))
        .expect("read timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("INFO line");
    let json = line
        .strip_prefix("INFO ")
        .and_then(|rest| rest.strip_suffix(" \r\n"))
        .unwrap_or_else(|| panic!("not an INFO line: {line:?}"));
    (stream, serde_json::from_str(json).expect("INFO JSON"))
}

/// Reads until the server closes `stream`; returns what it sent first. Panics when the
/// connection is still open after [`CLOSE_TIMEOUT`].
pub fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buffer = [0_u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return seen,
            Ok(count) => seen.extend_from_slice(buffer.get(..count).unwrap_or_default()),
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return seen,
            Err(error) => panic!("the server did not close the connection: {error}"),
        }
    }
}
