//! The handshake after a greeting (NATS's order), first (`handshake_first`), with Go's
//! fallback delay, and plain text beside TLS (`allow_non_tls`).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Fixture, read_greeting, serve, tls_round_trip};
use natrium_router::transport::Transport;
use natrium_tls::{HandshakeFirst, TlsTransport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn greeting_in_plain_text_then_tls() {
    let fixture = Fixture::new();
    let transport = Arc::new(TlsTransport::new(&fixture.settings()).expect("transport"));
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let served = serve(transport, server);
    read_greeting(&mut client).await;
    let (_tls, echo) = tls_round_trip(&fixture.connector(None), client, b"CONNECT {}\r\n")
        .await
        .expect("TLS after the greeting");
    assert_eq!(echo, b"CONNECT {}\r\n");
    let served = served.await.expect("task").expect("served");
    let security = served.security.expect("secured");
    assert_eq!(security.version, "1.3");
    assert!(
        security.cipher_suite.starts_with("TLS_"),
        "{}",
        security.cipher_suite
    );
    assert!(!security.handshake_first);
    assert!(security.peer_certificate.is_none());
}

#[tokio::test]
async fn offer_follows_the_settings() {
    let fixture = Fixture::new();
    let mut settings = fixture.settings();
    settings.verify = true;
    settings.allow_non_tls = true;
    let transport = TlsTransport::new(&settings).expect("transport");
    let (_client, server) = tokio::io::duplex(1024);
    let accepted = transport.accept(Box::new(server)).await.expect("accepted");
    assert!(!accepted.offer.required && accepted.offer.available && accepted.offer.verify);
}

#[tokio::test]
async fn handshake_first_then_greeting_over_tls() {
    let fixture = Fixture::new();
    let mut settings = fixture.settings();
    settings.handshake_first = HandshakeFirst::Always;
    let transport = Arc::new(TlsTransport::new(&settings).expect("transport"));
    let (client, server) = tokio::io::duplex(64 * 1024);
    let served = serve(transport, server);
    let (_tls, echo) = tls_round_trip(&fixture.connector(None), client, b"PING\r\n")
        .await
        .expect("TLS first");
    assert_eq!(echo, b"PING\r\n");
    let security = served.await.expect("task").expect("served").security;
    assert!(security.expect("secured").handshake_first);
}

#[tokio::test]
async fn fallback_greets_a_client_that_waits() {
    let fixture = Fixture::new();
    let mut settings = fixture.settings();
    settings.handshake_first = HandshakeFirst::Fallback(Duration::from_millis(50));
    let transport = Arc::new(TlsTransport::new(&settings).expect("transport"));
    // A client that waits for the greeting gets it after the delay, then starts TLS.
    let (mut waiting, server) = tokio::io::duplex(64 * 1024);
    let served = serve(Arc::clone(&transport), server);
    read_greeting(&mut waiting).await;
    let (_tls, _) = tls_round_trip(&fixture.connector(None), waiting, b"A\n")
        .await
        .expect("TLS after the greeting");
    let security = served.await.expect("task").expect("served").security;
    assert!(!security.expect("secured").handshake_first);
    // A client that starts TLS at once gets the handshake first.
    let (eager, server) = tokio::io::duplex(64 * 1024);
    let served = serve(transport, server);
    tls_round_trip(&fixture.connector(None), eager, b"B\n")
        .await
        .expect("TLS first");
    let security = served.await.expect("task").expect("served").security;
    assert!(security.expect("secured").handshake_first);
}

#[tokio::test]
async fn allow_non_tls_serves_plain_and_tls_clients() {
    let fixture = Fixture::new();
    let mut settings = fixture.settings();
    settings.allow_non_tls = true;
    let transport = Arc::new(TlsTransport::new(&settings).expect("transport"));
    let (mut plain, server) = tokio::io::duplex(64 * 1024);
    let served = serve(Arc::clone(&transport), server);
    read_greeting(&mut plain).await;
    plain.write_all(b"CONNECT {}\r\n").await.expect("write");
    let mut echo = vec![0_u8; 12];
    plain.read_exact(&mut echo).await.expect("echo");
    assert_eq!(echo, b"CONNECT {}\r\n", "the sniffed bytes are replayed");
    let served = served.await.expect("task").expect("served");
    assert!(served.security.is_none());

    let (mut secure, server) = tokio::io::duplex(64 * 1024);
    let served = serve(transport, server);
    read_greeting(&mut secure).await;
    tls_round_trip(&fixture.connector(None), secure, b"X\n")
        .await
        .expect("TLS");
    assert!(
        served
            .await
            .expect("task")
            .expect("served")
            .security
            .is_some()
    );
}
