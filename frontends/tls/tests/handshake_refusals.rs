//! Each bad client gets an error for its own connection, within `timeout`: plain text where
//! TLS is required (Go's words), garbage, silence, a missing or untrusted client certificate,
//! a certificate that is not pinned. The transport goes on serving the next client.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Fixture, read_greeting, serve, tls_round_trip};
use natrium_tls::TlsTransport;
use natrium_tls::test_pki::{ClientNames, TestPki, pin_of};
use tokio::io::AsyncWriteExt;

fn error_of(result: std::io::Result<common::Served>) -> String {
    match result {
        Ok(_) => panic!("the connection should have failed"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn plain_text_garbage_and_silence_each_fail_alone() {
    let fixture = Fixture::new();
    let transport = Arc::new(TlsTransport::new(&fixture.settings()).expect("transport"));

    let (mut plain, server) = tokio::io::duplex(64 * 1024);
    let served = serve(Arc::clone(&transport), server);
    read_greeting(&mut plain).await;
    plain
        .write_all(b"CONNECT {}\r\nPING\r\n")
        .await
        .expect("write");
    let error = error_of(served.await.expect("task"));
    assert_eq!(
        error,
        "tls: first record does not look like a TLS handshake"
    );

    // A TLS record header followed by garbage: rustls refuses it.
    let (mut garbage, server) = tokio::io::duplex(64 * 1024);
    let served = serve(Arc::clone(&transport), server);
    read_greeting(&mut garbage).await;
    garbage
        .write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])
        .await
        .expect("write");
    assert!(!error_of(served.await.expect("task")).is_empty());

    let (mut silent, server) = tokio::io::duplex(64 * 1024);
    let started = Instant::now();
    let served = serve(Arc::clone(&transport), server);
    read_greeting(&mut silent).await;
    let error = error_of(served.await.expect("task"));
    assert!(error.contains("timeout"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(silent);

    // The next client is served as if nothing happened.
    let (mut good, server) = tokio::io::duplex(64 * 1024);
    let served = serve(transport, server);
    read_greeting(&mut good).await;
    tls_round_trip(&fixture.connector(None), good, b"OK\n")
        .await
        .expect("TLS");
    assert!(served.await.expect("task").is_ok());
}

#[tokio::test]
async fn verify_requires_a_certificate_from_the_configured_ca() {
    let fixture = Fixture::new();
    let mut settings = fixture.settings();
    settings.verify = true;
    let transport = Arc::new(TlsTransport::new(&settings).expect("transport"));
    let names = ClientNames {
        common_name: "alice",
        organization: Some("Acme"),
        emails: &["alice@acme.test"],
        dns_names: &["alice.acme.test"],
    };
    let (cert, key) = fixture.pki.client("alice", &names);

    let (mut with_cert, server) = tokio::io::duplex(64 * 1024);
    let served = serve(Arc::clone(&transport), server);
    read_greeting(&mut with_cert).await;
    let connector = fixture.connector(Some((&cert, &key)));
    tls_round_trip(&connector, with_cert, b"HI\n")
        .await
        .expect("TLS");
    let security = served.await.expect("task").expect("served").security;
    let peer = security.expect("secured").peer_certificate.clone();
    let peer = peer.expect("client certificate names");
    assert_eq!(peer.emails, ["alice@acme.test"]);
    assert_eq!(peer.dns_names, ["alice.acme.test"]);
    let subject: Vec<_> = peer.subject.iter().flatten().cloned().collect();
    assert!(
        subject.contains(&("CN".to_owned(), "alice".to_owned())),
        "{subject:?}"
    );
    assert!(
        subject.contains(&("O".to_owned(), "Acme".to_owned())),
        "{subject:?}"
    );

    let (mut without, server) = tokio::io::duplex(64 * 1024);
    let served = serve(Arc::clone(&transport), server);
    read_greeting(&mut without).await;
    let _ = tls_round_trip(&fixture.connector(None), without, b"HI\n").await;
    assert!(served.await.expect("task").is_err(), "no certificate");

    let other_dir = tempfile::tempdir().expect("temp dir");
    let other = TestPki::new(other_dir.path(), "other");
    let (stranger_cert, stranger_key) = other.client(
        "mallory",
        &ClientNames {
            common_name: "mallory",
            ..ClientNames::default()
        },
    );
    let (mut stranger, server) = tokio::io::duplex(64 * 1024);
    let served = serve(transport, server);
    read_greeting(&mut stranger).await;
    let connector = fixture.connector(Some((&stranger_cert, &stranger_key)));
    let _ = tls_round_trip(&connector, stranger, b"HI\n").await;
    assert!(
        served.await.expect("task").is_err(),
        "untrusted certificate"
    );
}

#[tokio::test]
async fn pinned_certs_admit_only_the_listed_keys() {
    let fixture = Fixture::new();
    let names = ClientNames {
        common_name: "pinned",
        ..ClientNames::default()
    };
    let (pinned_cert, pinned_key) = fixture.pki.client("pinned", &names);
    let (other_cert, other_key) = fixture.pki.client("other", &names);
    let mut settings = fixture.settings();
    settings.verify = true;
    settings.pinned_certs.insert(pin_of(&pinned_cert));
    let transport = Arc::new(TlsTransport::new(&settings).expect("transport"));

    let (mut pinned, server) = tokio::io::duplex(64 * 1024);
    let served = serve(Arc::clone(&transport), server);
    read_greeting(&mut pinned).await;
    let connector = fixture.connector(Some((&pinned_cert, &pinned_key)));
    tls_round_trip(&connector, pinned, b"HI\n")
        .await
        .expect("TLS");
    assert!(served.await.expect("task").is_ok());

    let (mut other, server) = tokio::io::duplex(64 * 1024);
    let served = serve(transport, server);
    read_greeting(&mut other).await;
    let connector = fixture.connector(Some((&other_cert, &other_key)));
    let _ = tls_round_trip(&connector, other, b"HI\n").await;
    assert_eq!(
        error_of(served.await.expect("task")),
        "certificate not pinned"
    );
}
