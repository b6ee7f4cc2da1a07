//! Bad bytes on a TLS port: garbage before the handshake, garbage inside it, and a client that
//! never starts it. Each connection is closed within the TLS `timeout`, with an error in the
//! log, while a TLS client on the same server keeps publishing and receiving.

use std::io::Write;
use std::time::{Duration, Instant};

use futures::StreamExt;
use natrium_tests::ServerProcess;
use natrium_tests::tls::{TestPki, client_options, plain_info, read_until_closed, tls_block};

#[tokio::test]
async fn each_bad_connection_fails_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::new(dir.path(), "natrium");
    let server = ServerProcess::start_with_config(&tls_block(&pki, "timeout: 1"), &[]);
    let client = client_options(&pki)
        .connect(server.url())
        .await
        .expect("TLS client");
    let mut subscription = client.subscribe("alive").await.expect("subscribe");

    let (mut before, _) = plain_info(server.port);
    before.write_all(b"\x00\x01\x02garbage\r\n").expect("write");
    assert_eq!(read_until_closed(&mut before), b"");

    let (mut during, _) = plain_info(server.port);
    // A TLS handshake record header, then bytes that are no ClientHello.
    during
        .write_all(&[0x16, 0x03, 0x01, 0x00, 0x10, 0xde, 0xad, 0xbe, 0xef])
        .expect("write");
    during.write_all(&[0xff; 12]).expect("write");
    let _alert = read_until_closed(&mut during);

    let (mut silent, _) = plain_info(server.port);
    let started = Instant::now();
    assert_eq!(read_until_closed(&mut silent), b"");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(4),
        "closed after the 1 s timeout: {waited:?}"
    );
    assert!(
        server
            .wait_for_log("TLS handshake error: i/o timeout", Duration::from_secs(2))
            .is_some(),
        "{}",
        server.log_text()
    );

    client
        .publish("alive", "yes".into())
        .await
        .expect("publish");
    let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("in time")
        .expect("message");
    assert_eq!(message.payload, "yes");
}
