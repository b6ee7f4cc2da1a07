//! Shared by the transport tests: settings for a fresh test PKI, a rustls client, and a
//! server side that greets (like NATS's INFO) and then upgrades.
#![allow(dead_code)] // Each test file uses a different part.

use std::sync::Arc;
use std::time::Duration;

use natrium_router::transport::{Accepted, Security, Transport};
use natrium_tls::test_pki::TestPki;
use natrium_tls::{TlsSettings, TlsTransport};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The greeting the fake protocol sends before the handshake.
pub const GREETING: &[u8] = b"HELLO\r\n";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub pki: TestPki,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = TestPki::new(dir.path(), "test");
        Self { dir, pki }
    }

    pub fn settings(&self) -> TlsSettings {
        TlsSettings {
            cert_file: self.pki.cert_file.clone(),
            key_file: self.pki.key_file.clone(),
            ca_file: Some(self.pki.ca_file.clone()),
            timeout: Duration::from_millis(500),
            ..TlsSettings::default()
        }
    }

    /// A client trusting this PKI's CA, presenting `identity` (cert, key files) if given.
    pub fn connector(
        &self,
        identity: Option<(&std::path::Path, &std::path::Path)>,
    ) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        let ca = CertificateDer::from_pem_file(&self.pki.ca_file).expect("CA");
        roots.add(ca).expect("CA root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots);
        let config = match identity {
            Some((cert, key)) => {
                let chain = vec![CertificateDer::from_pem_file(cert).expect("client cert")];
                let key = PrivateKeyDer::from_pem_file(key).expect("client key");
                builder
                    .with_client_auth_cert(chain, key)
                    .expect("client auth")
            }
            None => builder.with_no_client_auth(),
        };
        TlsConnector::from(Arc::new(config))
    }
}

/// What the server side of one connection ended with.
pub struct Served {
    pub security: Option<Arc<Security>>,
    /// The first line the client sent after the upgrade (echoed back).
    pub line: Vec<u8>,
}

/// Runs the server side: accept, greet when an upgrade is pending, upgrade, echo one line.
pub fn serve(
    transport: Arc<TlsTransport>,
    stream: DuplexStream,
) -> tokio::task::JoinHandle<std::io::Result<Served>> {
    tokio::spawn(async move {
        let mut accepted: Accepted = transport.accept(Box::new(stream)).await?;
        if accepted.pending.is_some() {
            accepted.stream.write_all(GREETING).await?;
        }
        let mut accepted = accepted.upgrade().await?;
        let mut line = Vec::new();
        let mut byte = [0_u8; 1];
        while !line.ends_with(b"\n") {
            if accepted.stream.read(&mut byte).await? == 0 {
                break;
            }
            line.extend_from_slice(&byte);
        }
        accepted.stream.write_all(&line).await?;
        accepted.stream.flush().await?;
        Ok(Served {
            security: accepted.security,
            line,
        })
    })
}

/// Reads and checks the plain-text greeting.
pub async fn read_greeting(stream: &mut DuplexStream) {
    let mut greeting = vec![0_u8; GREETING.len()];
    stream.read_exact(&mut greeting).await.expect("greeting");
    assert_eq!(greeting, GREETING);
}

/// Starts TLS as `localhost` and sends `line`, returning the echo.
pub async fn tls_round_trip(
    connector: &TlsConnector,
    stream: DuplexStream,
    line: &[u8],
) -> std::io::Result<(TlsStream<DuplexStream>, Vec<u8>)> {
    let name = ServerName::try_from("localhost").expect("name");
    let mut tls = connector.connect(name, stream).await?;
    tls.write_all(line).await?;
    tls.flush().await?;
    let mut echo = vec![0_u8; line.len()];
    tls.read_exact(&mut echo).await?;
    Ok((tls, echo))
}
