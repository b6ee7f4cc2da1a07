//! INFO fields on connect, PING/PONG, verbose +OK, and lame-duck INFO.

mod common;

use std::time::{Duration, Instant};

use common::{Client, options, start, start_with};
use natrium_auth::Authenticator;
use natrium_router::ServerPhase;

#[tokio::test]
async fn info_carries_the_go_fields() {
    let server = start().await;
    let (_client, info) = Client::connect(&server).await;
    assert_eq!(info["server_id"], "NTESTSERVERID");
    assert_eq!(info["server_name"], "test-server");
    assert_eq!(info["proto"], 1);
    assert_eq!(info["host"], "127.0.0.1");
    assert_eq!(info["port"], server.addr.port());
    assert_eq!(info["headers"], true);
    assert_eq!(info["max_payload"], 1024);
    assert_eq!(info["client_ip"], "127.0.0.1");
    assert!(info["client_id"].as_u64().unwrap() >= 1);
    assert!(
        info.get("auth_required").is_none(),
        "auth_required only when true"
    );
    assert!(info.get("nonce").is_none());
    assert!(info.get("ldm").is_none());
    assert!(info.get("tls_required").is_none(), "plain TCP");
    assert!(info["version"].is_string() && info["go"].is_string());
}

#[tokio::test]
async fn ping_pong_and_verbose_ok() {
    let server = start().await;
    let (mut client, _) = Client::connect(&server).await;
    client.send(b"ping\r\n").await;
    client.expect(b"PONG\r\n").await;
    // Verbose is on until CONNECT says otherwise, as in the Go server.
    client
        .send(b"CONNECT {\"verbose\":true}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n")
        .await;
    client
        .expect(b"+OK\r\n+OK\r\n+OK\r\nMSG foo 1 2\r\nhi\r\nPONG\r\n")
        .await;
    client
        .send(b"CONNECT {\"verbose\":false}\r\nUNSUB 1\r\nPING\r\n")
        .await;
    client.expect(b"PONG\r\n").await;
}

#[tokio::test]
async fn lame_duck_sends_info_with_ldm_then_closes_within_duration() {
    let mut opts = options();
    opts.lame_duck_grace_period = Duration::from_millis(50);
    opts.lame_duck_duration = Duration::from_millis(300);
    let server = start_with(opts, Authenticator::open()).await;
    let mut client = Client::connect_quiet(&server, "").await;
    let started = Instant::now();
    server.phase.send(ServerPhase::LameDuck).unwrap();
    let line = client.read_line().await;
    let json: serde_json::Value = serde_json::from_slice(&line[5..line.len() - 3]).unwrap();
    assert_eq!(json["ldm"], true);
    assert_eq!(json["server_id"], "NTESTSERVERID");
    assert!(client.read_to_close().await.is_empty());
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(50),
        "closed before the grace period: {elapsed:?}"
    );
}

#[tokio::test]
async fn stopping_flushes_and_closes() {
    let server = start().await;
    let mut client = Client::connect_quiet(&server, "").await;
    client.send(b"SUB a 1\r\n").await;
    client.sync().await;
    assert_eq!(server.broker.sublist().count(), 1);
    server.phase.send(ServerPhase::Stopping).unwrap();
    assert!(client.read_to_close().await.is_empty());
}

#[tokio::test]
async fn active_client_is_not_pinged_once_rtt_is_known() {
    let mut opts = options();
    opts.ping_interval = Duration::from_millis(300);
    opts.ping_max = 1;
    let server = start_with(opts, Authenticator::open()).await;
    let mut client = Client::connect_quiet(&server, "").await;
    // The first server PING measures the RTT.
    client.expect(b"PING\r\n").await;
    client.send(b"PONG\r\n").await;
    // Activity (here the client's own PINGs, every 50 ms over two ping intervals) keeps the
    // server from pinging: a server PING would arrive where a PONG is expected. The pacing is
    // the point of the test, so it sleeps.
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        client.send(b"PING\r\n").await;
        client.expect(b"PONG\r\n").await;
    }
    // Idle again: the server pings.
    client.expect(b"PING\r\n").await;
}

#[tokio::test]
async fn info_says_tls_required_over_a_secure_transport() {
    use natrium_router::transport::{Security, SecurityOffer};
    use natrium_router::{Accepted, Frontend, PeerInfo};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let server = start().await;
    // Any byte stream will do: an in-memory pipe stands in for a TLS-wrapped socket.
    let (client_side, server_side) = tokio::io::duplex(64 * 1024);
    let peer = PeerInfo {
        remote: server.addr,
        local: server.addr,
    };
    let mut connection = Accepted::plain(Box::new(server_side));
    connection.offer = SecurityOffer {
        required: true,
        verify: true,
        available: false,
    };
    connection.security = Some(std::sync::Arc::new(Security {
        version: "1.3",
        cipher_suite: "TLS_AES_128_GCM_SHA256",
        handshake_first: true,
        peer_certificate: None,
    }));
    let (_phase, phase_rx) = tokio::sync::watch::channel(ServerPhase::Running);
    tokio::spawn(server.frontend.clone().serve(connection, peer, phase_rx));
    let mut client = BufReader::new(client_side);
    let mut line = String::new();
    client.read_line(&mut line).await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&line[5..line.len() - 3]).unwrap();
    assert_eq!(json["tls_required"], true);
    assert_eq!(json["tls_verify"], true);
    assert!(json.get("tls_available").is_none(), "{json}");
    client.get_mut().write_all(b"PING\r\n").await.unwrap();
    line.clear();
    client.read_line(&mut line).await.unwrap();
    assert_eq!(line, "PONG\r\n");
}
