//! `handshake_first`: TLS before INFO. With `true` a client that waits for INFO gets nothing
//! and is closed after the timeout; with a fallback delay (Go 2.10+) both kinds of client are
//! served, and /connz tells which came first.

use std::time::Duration;

use natrium_tests::tls::{TestPki, client_options, read_until_closed, tls_block};
use natrium_tests::{ServerProcess, barrier, http_json};

#[tokio::test]
async fn handshake_first_true_serves_tls_first_clients_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::new(dir.path(), "natrium");
    let config = tls_block(&pki, "handshake_first: true\n  timeout: 1");
    let server = ServerProcess::start_with_config(&config, &["-m", "-1"]);
    assert!(
        server
            .wait_for_log(
                "\"TLS Handshake First\" option will fail",
                Duration::from_secs(1)
            )
            .is_some()
    );
    let first = client_options(&pki)
        .tls_first()
        .connect(server.url())
        .await
        .expect("TLS-first client");
    barrier(&first).await;
    let mut waiting = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("tcp");
    waiting
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    assert_eq!(
        read_until_closed(&mut waiting),
        b"",
        "no INFO before the handshake"
    );
    let connz = http_json(server.monitor_port.expect("monitor"), "/connz");
    assert_eq!(connz["connections"][0]["tls_first"], true, "{connz}");
}

#[tokio::test]
async fn fallback_delay_serves_both_kinds_of_client() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::new(dir.path(), "natrium");
    let config = tls_block(&pki, "handshake_first: \"300ms\"");
    let server = ServerProcess::start_with_config(&config, &[]);
    let first = client_options(&pki)
        .tls_first()
        .connect(server.url())
        .await
        .expect("TLS-first client");
    let waiting = client_options(&pki)
        .connect(server.url())
        .await
        .expect("INFO-first client");
    barrier(&first).await;
    barrier(&waiting).await;
}
