//! A reload swaps certificates for new connections; an established session goes on, and a
//! reload with a bad file changes nothing.

mod common;

use std::sync::Arc;

use common::{Fixture, read_greeting, serve, tls_round_trip};
use natrium_tls::TlsTransport;
use natrium_tls::test_pki::pin_of;
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn new_certificate_for_new_clients_old_session_untouched() {
    let fixture = Fixture::new();
    let transport = Arc::new(TlsTransport::new(&fixture.settings()).expect("transport"));

    // An established session that keeps echoing after the reload.
    let (mut old, server) = tokio::io::duplex(64 * 1024);
    let old_side = tokio::spawn({
        let transport = Arc::clone(&transport);
        async move {
            use natrium_router::transport::Transport;
            let mut accepted = transport.accept(Box::new(server)).await?;
            accepted.stream.write_all(common::GREETING).await?;
            let mut accepted = accepted.upgrade().await?;
            let mut buffer = [0_u8; 4];
            for _ in 0..2 {
                accepted.stream.read_exact(&mut buffer).await?;
                accepted.stream.write_all(&buffer).await?;
            }
            std::io::Result::Ok(())
        }
    });
    read_greeting(&mut old).await;
    let (mut old_tls, echo) = tls_round_trip(&fixture.connector(None), old, b"one\n")
        .await
        .expect("TLS");
    assert_eq!(echo, b"one\n");

    let (cert_file, key_file) = fixture.pki.server("renewed");
    let mut renewed = fixture.settings();
    renewed.cert_file = cert_file.clone();
    renewed.key_file = key_file;
    transport.reload(&renewed).expect("reload");

    old_tls
        .write_all(b"two\n")
        .await
        .expect("write after reload");
    let mut echo = [0_u8; 4];
    old_tls
        .read_exact(&mut echo)
        .await
        .expect("echo after reload");
    assert_eq!(&echo, b"two\n");
    old_side.await.expect("task").expect("old session");

    let (mut fresh, server) = tokio::io::duplex(64 * 1024);
    let served = serve(Arc::clone(&transport), server);
    read_greeting(&mut fresh).await;
    let (tls, _) = tls_round_trip(&fixture.connector(None), fresh, b"new\n")
        .await
        .expect("TLS");
    let presented: &CertificateDer<'_> = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(<[_]>::first)
        .expect("server certificate");
    let presented = natrium_tls::names::parse(presented).expect("parse");
    assert_eq!(
        natrium_tls::names::public_key_pin(&presented),
        pin_of(&cert_file),
        "the renewed certificate is served"
    );
    assert!(served.await.expect("task").is_ok());

    let mut broken = renewed.clone();
    broken.key_file = fixture.dir.path().join("missing.key");
    assert!(transport.reload(&broken).is_err());
    assert_eq!(
        transport.settings(),
        renewed,
        "a failed reload changes nothing"
    );
}
