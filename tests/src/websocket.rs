//! WebSocket helpers for the integration tests: the listener's port from the log, and a raw
//! client (blocking, loopback, every read bounded by a timeout) that sends the upgrade and
//! frames byte by byte as a test wants them, good or bad.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::ServerProcess;

/// The log line that names the WebSocket listener.
pub const WEBSOCKET_LINE: &str = "Listening for websocket clients on ";
/// How long a raw client waits for the server.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A valid upgrade request (the RFC's example key).
pub const UPGRADE: &str = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";
/// Bytes a test reads from one connection at most.
const READ_BYTES_MAX: u64 = 1 << 20;

/// The WebSocket port of a server whose configuration has a `websocket {}` block.
pub fn websocket_port(server: &ServerProcess) -> u16 {
    let line = server
        .wait_for_log(WEBSOCKET_LINE, READ_TIMEOUT)
        .unwrap_or_else(|| panic!("no websocket listener; log:\n{}", server.log_text()));
    line.rsplit(':')
        .next()
        .and_then(|port| port.trim().parse().ok())
        .expect("port in the websocket line")
}

/// A TCP connection to `port` with a read timeout.
pub fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .expect("read timeout");
    stream
}

/// Sends `request` and reads the response head: (status, head text).
pub fn request(stream: &mut TcpStream, request: &str) -> (u16, String) {
    stream.write_all(request.as_bytes()).expect("send request");
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let count = stream.read(&mut byte).expect("response head");
        assert_eq!(
            count,
            1,
            "closed in the head: {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).expect("text head");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status code");
    (status, head)
}

/// A raw client after a successful upgrade.
pub fn upgraded(port: u16) -> TcpStream {
    let mut stream = connect(port);
    let (status, head) = request(&mut stream, UPGRADE);
    assert_eq!(status, 101, "{head}");
    stream
}

/// One client frame: `first` is the FIN/opcode byte; masked unless `masked` is false.
pub fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let key = [0x11, 0x22, 0x33, 0x44];
    let mask_bit = if masked { 0x80 } else { 0 };
    let mut frame = vec![first];
    match payload.len() {
        len @ 0..=125 => frame.push(mask_bit | len as u8),
        len @ 126..=65535 => {
            frame.push(mask_bit | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(mask_bit | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    if masked {
        frame.extend_from_slice(&key);
        frame.extend(
            payload
                .iter()
                .zip(key.iter().cycle())
                .map(|(byte, k)| byte ^ k),
        );
    } else {
        frame.extend_from_slice(payload);
    }
    frame
}

/// A masked final binary frame.
pub fn binary(payload: &[u8]) -> Vec<u8> {
    frame(0x82, payload, true)
}

/// Reads one server frame: (opcode, payload). Server frames are never masked.
pub fn read_frame(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0_u8; 2];
    stream.read_exact(&mut head).expect("frame header");
    assert_eq!(head[1] & 0x80, 0, "server frames are not masked");
    let length = match head[1] & 0x7f {
        126 => {
            let mut bytes = [0_u8; 2];
            stream.read_exact(&mut bytes).expect("length");
            u64::from(u16::from_be_bytes(bytes))
        }
        127 => {
            let mut bytes = [0_u8; 8];
            stream.read_exact(&mut bytes).expect("length");
            u64::from_be_bytes(bytes)
        }
        short => u64::from(short),
    };
    assert!(length <= READ_BYTES_MAX, "frame of {length} bytes");
    let mut payload = vec![0_u8; usize::try_from(length).expect("fits")];
    stream.read_exact(&mut payload).expect("frame payload");
    (head[0] & 0x0f, payload)
}

/// Reads data frames until their joined payload contains `needle`; returns it all. Control
/// frames on the way are returned as an error (opcode, payload).
pub fn read_until(stream: &mut TcpStream, needle: &str) -> Result<String, (u8, Vec<u8>)> {
    let mut text = String::new();
    while !text.contains(needle) {
        let (opcode, payload) = read_frame(stream);
        if opcode != 2 {
            return Err((opcode, payload));
        }
        text.push_str(&String::from_utf8_lossy(&payload));
        assert!(text.len() < 1 << 20, "no {needle:?} in {text}");
    }
    Ok(text)
}

/// Reads server frames until a close frame; returns its status and reason. Panics when the
/// connection ends first.
pub fn read_close(stream: &mut TcpStream) -> (u16, String) {
    for _ in 0..1000 {
        let (opcode, payload) = read_frame(stream);
        if opcode == 8 {
            let [high, low, reason @ ..] = payload.as_slice() else {
                panic!("a close frame without a status: {payload:?}");
            };
            let status = u16::from_be_bytes([*high, *low]);
            return (status, String::from_utf8_lossy(reason).into_owned());
        }
    }
    panic!("no close frame in 1000 frames");
}

/// True once the server has closed the connection (end of file within the timeout).
pub fn closed(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    match stream.take(READ_BYTES_MAX).read_to_end(&mut rest) {
        Ok(_) => true,
        // Unread bytes at the server's close turn its FIN into a reset: closed too.
        Err(error) => error.kind() == std::io::ErrorKind::ConnectionReset,
    }
}
