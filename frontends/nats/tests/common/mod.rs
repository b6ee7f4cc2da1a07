//! Test harness: serves `NatsFrontend` on an in-process listener on 127.0.0.1:0 and talks
//! raw TCP to it. Every read is bounded by a timeout; PING/PONG is the barrier that says
//! "the server has processed everything before", so no test sleeps.
#![allow(dead_code)] // Each test file uses a different part of the harness.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use natrium_auth::Authenticator;
use natrium_nats::{NatsFrontend, NatsOptions};
use natrium_router::{Broker, Frontend, PeerInfo, ServerPhase};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How long any single expectation may wait.
pub const WAIT: Duration = Duration::from_secs(5);

/// A front-end served on loopback.
pub struct TestServer {
    pub addr: SocketAddr,
    pub broker: Arc<Broker>,
    pub frontend: Arc<NatsFrontend>,
    pub phase: watch::Sender<ServerPhase>,
}

/// Options with a recognisable server id and small limits for tests.
pub fn options() -> NatsOptions {
    NatsOptions {
        server_id: "NTESTSERVERID".to_owned(),
        server_name: "test-server".to_owned(),
        host: "127.0.0.1".to_owned(),
        max_payload: 1024,
        max_control_line: 256,
        ..NatsOptions::default()
    }
}

/// Starts a server with `options` and `auth`.
pub async fn start_with(mut options: NatsOptions, auth: Authenticator) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    options.port = addr.port();
    let broker = Broker::new();
    let frontend = NatsFrontend::new(broker.clone(), options, auth);
    let (phase, phase_rx) = watch::channel(ServerPhase::Running);
    let serving = frontend.clone();
    tokio::spawn(async move {
        while let Ok((stream, remote)) = listener.accept().await {
            let local = stream.local_addr().expect("local addr");
            let peer = PeerInfo { remote, local };
            let connection = natrium_router::Accepted::plain(Box::new(stream));
            tokio::spawn(serving.clone().serve(connection, peer, phase_rx.clone()));
        }
    });
    TestServer {
        addr,
        broker,
        frontend,
        phase,
    }
}

/// Starts an open server with [`options`].
pub async fn start() -> TestServer {
    start_with(options(), Authenticator::open()).await
}

/// A raw protocol client.
pub struct Client {
    pub stream: TcpStream,
    received: Vec<u8>,
}

impl Client {
    /// Connects and reads the INFO line, returning it parsed.
    pub async fn connect(server: &TestServer) -> (Self, serde_json::Value) {
        let stream = TcpStream::connect(server.addr).await.expect("connect");
        let mut client = Self {
            stream,
            received: Vec::new(),
        };
        let info = client.read_line().await;
        assert!(
            info.starts_with(b"INFO {") && info.ends_with(b"} \r\n"),
            "{info:?}"
        );
        let json = serde_json::from_slice(&info[5..info.len() - 3]).expect("INFO json");
        (client, json)
    }

    /// Wraps an already connected stream and consumes the INFO line.
    pub async fn from_stream(stream: TcpStream) -> Self {
        let mut client = Self {
            stream,
            received: Vec::new(),
        };
        let info = client.read_line().await;
        assert!(info.starts_with(b"INFO {"));
        client
    }

    /// Connects, reads INFO and sends `CONNECT {"verbose":false,...extra}` with a PING
    /// barrier.
    pub async fn connect_quiet(server: &TestServer, extra: &str) -> Self {
        let (mut client, _) = Self::connect(server).await;
        let connect = format!("CONNECT {{\"verbose\":false{extra}}}\r\nPING\r\n");
        client.send(connect.as_bytes()).await;
        client.expect(b"PONG\r\n").await;
        client
    }

    /// Writes `bytes`.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Reads more bytes; false on EOF or reset.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 64 * 1024];
        match tokio::time::timeout(WAIT, self.stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => false,
            Ok(Ok(n)) => {
                self.received.extend_from_slice(&chunk[..n]);
                true
            }
            Err(_) => panic!(
                "timed out; received so far {:?}",
                String::from_utf8_lossy(&self.received)
            ),
        }
    }

    /// Reads one line, CRLF included.
    pub async fn read_line(&mut self) -> Vec<u8> {
        loop {
            if let Some(end) = self.received.windows(2).position(|w| w == b"\r\n") {
                return self.received.drain(..end + 2).collect();
            }
            assert!(
                self.fill().await,
                "closed; got {:?}",
                String::from_utf8_lossy(&self.received)
            );
        }
    }

    /// Reads exactly `expected.len()` bytes and asserts they are `expected`.
    pub async fn expect(&mut self, expected: &[u8]) {
        while self.received.len() < expected.len() {
            if !self.fill().await {
                break;
            }
        }
        let n = expected.len().min(self.received.len());
        let got: Vec<u8> = self.received.drain(..n).collect();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected)
        );
    }

    /// Sends PING and returns everything received before the PONG.
    pub async fn sync(&mut self) -> Vec<u8> {
        self.send(b"PING\r\n").await;
        self.read_until(b"PONG\r\n").await
    }

    /// Reads until `marker`, returning what came before it (the marker is consumed).
    pub async fn read_until(&mut self, marker: &[u8]) -> Vec<u8> {
        loop {
            if let Some(at) = self
                .received
                .windows(marker.len())
                .position(|w| w == marker)
            {
                let before = self.received[..at].to_vec();
                self.received.drain(..at + marker.len());
                return before;
            }
            assert!(
                self.fill().await,
                "closed before {:?}; got {:?}",
                String::from_utf8_lossy(marker),
                String::from_utf8_lossy(&self.received)
            );
        }
    }

    /// Reads until the server closes, returning everything received.
    pub async fn read_to_close(&mut self) -> Vec<u8> {
        while self.fill().await {}
        std::mem::take(&mut self.received)
    }
}
