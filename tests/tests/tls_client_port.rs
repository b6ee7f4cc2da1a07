//! TLS on the client port as Go serves it: INFO in plain text with `tls_required`, then the
//! handshake, then CONNECT over TLS. async-nats verifies the server against a test CA;
//! /connz shows the TLS version and cipher suite; a plain-text client gets the INFO and is
//! closed without a word when it sends CONNECT (Go's behaviour), a client that does not trust
//! the CA fails, and the TLS client keeps working throughout.

use std::io::Write;
use std::time::Duration;

use futures::StreamExt;
use natrium_tests::tls::{TestPki, client_options, plain_info, read_until_closed, tls_block};
use natrium_tests::{ServerProcess, barrier, http_json};

#[tokio::test]
async fn tls_clients_are_served_and_plain_text_is_refused_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::new(dir.path(), "natrium");
    let server = ServerProcess::start_with_config(&tls_block(&pki, "timeout: 1"), &["-m", "-1"]);
    assert!(
        server
            .wait_for_log(
                "TLS required for client connections",
                Duration::from_secs(1)
            )
            .is_some(),
        "{}",
        server.log_text()
    );

    let client = client_options(&pki)
        .connect(server.url())
        .await
        .expect("TLS client");
    let mut subscription = client.subscribe("tls.>").await.expect("subscribe");
    barrier(&client).await;
    client
        .publish("tls.one", "1".into())
        .await
        .expect("publish");
    let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("in time")
        .expect("message");
    assert_eq!(message.payload, "1");

    let (mut plain, info) = plain_info(server.port);
    assert_eq!(info["tls_required"], true, "{info}");
    assert!(info.get("tls_verify").is_none() && info.get("tls_available").is_none());
    plain
        .write_all(b"CONNECT {\"verbose\":false}\r\nPING\r\n")
        .expect("write");
    assert_eq!(
        read_until_closed(&mut plain),
        b"",
        "closed without a word, as Go does"
    );
    assert!(
        server
            .wait_for_log(
                "TLS handshake error: tls: first record does not look like a TLS handshake",
                Duration::from_secs(5),
            )
            .is_some(),
        "{}",
        server.log_text()
    );

    let untrusting = async_nats::ConnectOptions::new()
        .require_tls(true)
        .connection_timeout(Duration::from_secs(3));
    assert!(
        untrusting.connect(server.url()).await.is_err(),
        "unknown CA"
    );

    client
        .publish("tls.two", "2".into())
        .await
        .expect("publish");
    let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("in time")
        .expect("message");
    assert_eq!(message.payload, "2", "the TLS client kept working");

    let monitor = server.monitor_port.expect("monitor port");
    let connz = http_json(monitor, "/connz");
    let connection = &connz["connections"][0];
    assert_eq!(connection["tls_version"], "1.3", "{connz}");
    let suite = connection["tls_cipher_suite"].as_str().unwrap_or_default();
    assert!(suite.starts_with("TLS_"), "{connz}");
    assert!(connection.get("tls_first").is_none(), "{connz}");
    let closed = http_json(monitor, "/connz?state=closed");
    let reasons: Vec<_> = closed["connections"]
        .as_array()
        .expect("closed list")
        .iter()
        .map(|c| c["reason"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        reasons.iter().any(|r| r == "TLS Handshake Failure"),
        "{closed}"
    );
    let varz = http_json(monitor, "/varz");
    assert_eq!(varz["tls_required"], true);
    assert_eq!(varz["tls_timeout"], 1);
}
