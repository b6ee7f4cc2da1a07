//! A minimal blocking NATS connection over raw TCP: URL parsing, the `INFO` / `CONNECT` /
//! `PING` / `PONG` handshake, and reading frames with a deadline.
//!
//! Each bench connection is driven by one OS thread with blocking sockets: with a handful of
//! connections this costs less CPU per message than an async runtime, and the hot loops
//! (`publish`, `subscribe`) stay a `write_all` of a large batch or a `read` plus a parse.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::frame::{Frame, FrameBuffer};

/// Time allowed for the TCP connect and for the handshake's `PONG`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a blocked read wakes to check the run's deadline and stop flag.
pub const READ_POLL: Duration = Duration::from_millis(50);

/// Where to connect and with which credentials, parsed from `nats://[user:pass@]host[:port]`.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// `nats` (plain TCP), `tls`, `ws` or `wss`; only the async-nats client speaks the last
    /// three.
    pub scheme: &'static str,
    pub address: SocketAddr,
    pub user: Option<String>,
    pub pass: Option<String>,
}

impl Endpoint {
    /// Parses a NATS URL (`nats://`, `tls://`, `ws://`, `wss://`); the scheme is optional
    /// (`nats`) and the port defaults to 4222.
    pub fn parse(url: &str) -> Result<Self> {
        let (scheme, rest) = match url.split_once("://") {
            None => ("nats", url),
            Some(("nats", rest)) => ("nats", rest),
            Some(("tls", rest)) => ("tls", rest),
            Some(("ws", rest)) => ("ws", rest),
            Some(("wss", rest)) => ("wss", rest),
            Some((other, _)) => bail!("unknown URL scheme {other:?} in {url}"),
        };
        let (credentials, host_port) = match rest.rsplit_once('@') {
            Some((credentials, host_port)) => (Some(credentials), host_port),
            None => (None, rest),
        };
        let host_port = host_port.trim_end_matches('/');
        let with_port = if host_port
            .rsplit_once(':')
            .is_some_and(|(_, p)| !p.contains(']'))
        {
            host_port.to_string()
        } else {
            format!("{host_port}:4222")
        };
        let address = with_port
            .to_socket_addrs()
            .with_context(|| format!("resolving {with_port}"))?
            .next()
            .ok_or_else(|| anyhow!("{with_port} resolves to no address"))?;
        let (user, pass) = match credentials.map(|c| c.split_once(':')) {
            Some(Some((user, pass))) => (Some(user.to_string()), Some(pass.to_string())),
            Some(None) => (credentials.map(str::to_string), None),
            None => (None, None),
        };
        Ok(Self {
            scheme,
            address,
            user,
            pass,
        })
    }
}

/// One established connection: the socket and its inbound frame buffer.
pub struct Conn {
    pub stream: TcpStream,
    pub inbound: FrameBuffer,
}

impl Conn {
    /// Connects, reads `INFO`, sends `CONNECT` + `PING` and waits for `PONG`.
    pub fn open(endpoint: &Endpoint, name: &str) -> Result<Self> {
        let stream = TcpStream::connect_timeout(&endpoint.address, HANDSHAKE_TIMEOUT)
            .with_context(|| format!("connecting to {}", endpoint.address))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(READ_POLL))?;
        let mut conn = Self {
            stream,
            inbound: FrameBuffer::default(),
        };
        let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
        let first = conn.next_owned(deadline)?;
        if first != OwnedFrame::Info {
            bail!("server did not start with INFO");
        }
        conn.stream
            .write_all(connect_line(endpoint, name).as_bytes())?;
        conn.await_pong(deadline).context("handshake")?;
        Ok(conn)
    }

    /// Sends `PING` and waits for the matching `PONG`, answering server `PING`s meanwhile.
    pub fn flush(&mut self, deadline: Instant) -> Result<()> {
        self.stream.write_all(b"PING\r\n")?;
        self.await_pong(deadline)
    }

    /// Reads until a `PONG`; fails on `-ERR`, on a `MSG` (not expected here) or at `deadline`.
    fn await_pong(&mut self, deadline: Instant) -> Result<()> {
        loop {
            match self.next_owned(deadline)? {
                OwnedFrame::Pong => return Ok(()),
                OwnedFrame::Ping => self.stream.write_all(b"PONG\r\n")?,
                OwnedFrame::Err(text) => bail!("server error: {text}"),
                OwnedFrame::Info | OwnedFrame::Ok | OwnedFrame::Msg => {}
            }
        }
    }

    /// The next frame reduced to its kind (for the control paths, not the hot loops).
    fn next_owned(&mut self, deadline: Instant) -> Result<OwnedFrame> {
        loop {
            if let Some(frame) = self.inbound.next_frame()? {
                return Ok(OwnedFrame::from(&frame));
            }
            if !fill(&mut self.stream, &mut self.inbound)? && Instant::now() >= deadline {
                bail!("timed out waiting for the server");
            }
        }
    }
}

/// Frame kinds without borrowed data.
#[derive(Debug, PartialEq, Eq)]
enum OwnedFrame {
    Info,
    Ping,
    Pong,
    Ok,
    Msg,
    Err(String),
}

impl From<&Frame<'_>> for OwnedFrame {
    fn from(frame: &Frame<'_>) -> Self {
        match frame {
            Frame::Info(_) => Self::Info,
            Frame::Ping => Self::Ping,
            Frame::Pong => Self::Pong,
            Frame::Ok => Self::Ok,
            Frame::Msg { .. } => Self::Msg,
            Frame::Err(text) => Self::Err(text.clone()),
        }
    }
}

/// Reads once into the buffer. `Ok(false)` means the read timed out (poll again);
/// end of stream is an error because every caller still expects frames.
pub fn fill(stream: &mut TcpStream, inbound: &mut FrameBuffer) -> Result<bool> {
    match stream.read(inbound.spare()?) {
        Ok(0) => bail!("server closed the connection"),
        Ok(bytes) => {
            inbound.commit(bytes);
            Ok(true)
        }
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Ok(false)
        }
        Err(error) if error.kind() == ErrorKind::Interrupted => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// The `CONNECT` line plus the `PING` whose `PONG` ends the handshake.
fn connect_line(endpoint: &Endpoint, name: &str) -> String {
    let mut options = serde_json::json!({
        "verbose": false,
        "pedantic": false,
        "tls_required": false,
        "name": name,
        "lang": "rust-natrium-bench",
        "version": env!("CARGO_PKG_VERSION"),
        "protocol": 1,
        "echo": true,
        "headers": true,
    });
    if let Some(fields) = options.as_object_mut() {
        if let Some(user) = &endpoint.user {
            fields.insert("user".to_owned(), user.clone().into());
        }
        if let Some(pass) = &endpoint.pass {
            fields.insert("pass".to_owned(), pass.clone().into());
        }
    }
    format!("CONNECT {options}\r\nPING\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_and_without_scheme_port_and_credentials() {
        let plain = Endpoint::parse("nats://127.0.0.1:4333").unwrap();
        assert_eq!(plain.address.to_string(), "127.0.0.1:4333");
        assert!(plain.user.is_none());
        let defaulted = Endpoint::parse("127.0.0.1").unwrap();
        assert_eq!(defaulted.address.port(), 4222);
        let with_user = Endpoint::parse("nats://bob:s3cret@127.0.0.1:5000").unwrap();
        assert_eq!(with_user.user.as_deref(), Some("bob"));
        assert_eq!(with_user.pass.as_deref(), Some("s3cret"));
        assert_eq!(plain.scheme, "nats");
        let tls = Endpoint::parse("tls://127.0.0.1:4222").unwrap();
        assert_eq!((tls.scheme, tls.address.port()), ("tls", 4222));
        assert_eq!(Endpoint::parse("ws://127.0.0.1:8080").unwrap().scheme, "ws");
        assert!(Endpoint::parse("http://127.0.0.1:4222").is_err());
    }

    #[test]
    fn connect_line_is_json_with_credentials() {
        let endpoint = Endpoint::parse("nats://u:p@127.0.0.1:1").unwrap();
        let line = connect_line(&endpoint, "bench");
        let json = line
            .strip_prefix("CONNECT ")
            .and_then(|rest| rest.strip_suffix("\r\nPING\r\n"))
            .unwrap();
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(value["user"], "u");
        assert_eq!(value["pass"], "p");
        assert_eq!(value["verbose"], false);
    }
}
