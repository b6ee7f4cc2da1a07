//! Builds the rustls server configuration from [`TlsSettings`]: reads the PEM files (each at
//! most [`PEM_FILE_BYTES_MAX`], at most [`CA_CERTIFICATES_MAX`] CA certificates), checks that
//! the key matches the certificate, and sets up client certificate verification.
//!
//! Every failure names the setting and the file, so a bad certificate, a wrong key file or a
//! missing CA stops the server at start (and a reload keeps the previous configuration).

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};
use crate::settings::{TlsSettings, TlsVersion};
use crate::suites;

/// Largest PEM file read (a long chain or a big CA bundle fits easily).
pub const PEM_FILE_BYTES_MAX: u64 = 4 * 1024 * 1024;
/// Most CA certificates read from `ca_file`.
pub const CA_CERTIFICATES_MAX: usize = 10_000;
/// Most certificates in the server's chain.
pub const CHAIN_CERTIFICATES_MAX: usize = 16;

/// The rustls configuration `settings` describe.
pub fn server_config(settings: &TlsSettings) -> Result<Arc<ServerConfig>> {
    settings.validate()?;
    let chain = read_chain(&settings.cert_file)?;
    let key = read_key(&settings.key_file)?;
    let mut provider = suites::provider();
    suites::select(&mut provider, &settings.cipher_suites)?;
    let provider = Arc::new(provider);
    let versions: &[&rustls::SupportedProtocolVersion] = match settings.min_version {
        TlsVersion::V1_2 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::V1_3 => &[&rustls::version::TLS13],
    };
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions)?;
    let builder = match (&settings.ca_file, settings.verifies()) {
        (Some(ca_file), true) => {
            let roots = read_roots(ca_file)?;
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build()?;
            builder.with_client_cert_verifier(verifier)
        }
        // Go reads `ca_file` without `verify` too (and requests no client certificate):
        // read it, so a broken file is found now and not when `verify` is turned on.
        (Some(ca_file), false) => {
            read_roots(ca_file)?;
            builder.with_no_client_auth()
        }
        (None, _) => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(chain, key)
        .map_err(|error| match error {
            rustls::Error::InconsistentKeys(_) => Error::File {
                key: "key_file",
                path: settings.key_file.clone(),
                reason: format!(
                    "private key does not match the certificate in {}",
                    settings.cert_file.display()
                ),
            },
            other => Error::File {
                key: "cert_file",
                path: settings.cert_file.clone(),
                reason: other.to_string(),
            },
        })?;
    Ok(Arc::new(config))
}

/// Reads a PEM file, bounded.
fn read_pem(key: &'static str, path: &Path) -> Result<Vec<u8>> {
    let error = |reason: String| Error::File {
        key,
        path: path.to_owned(),
        reason,
    };
    let metadata = std::fs::metadata(path).map_err(|e| error(e.to_string()))?;
    if metadata.len() > PEM_FILE_BYTES_MAX {
        return Err(error(format!(
            "larger than {PEM_FILE_BYTES_MAX} bytes; not a PEM file natrium reads"
        )));
    }
    std::fs::read(path).map_err(|e| error(e.to_string()))
}

fn read_certificates(
    key: &'static str,
    path: &Path,
    max: usize,
) -> Result<Vec<CertificateDer<'static>>> {
    let bytes = read_pem(key, path)?;
    let error = |reason: String| Error::File {
        key,
        path: path.to_owned(),
        reason,
    };
    let mut certificates = Vec::new();
    for certificate in CertificateDer::pem_slice_iter(&bytes) {
        let certificate = certificate.map_err(|e| error(format!("not valid PEM: {e}")))?;
        if certificates.len() == max {
            return Err(error(format!("holds more than {max} certificates")));
        }
        certificates.push(certificate);
    }
    if certificates.is_empty() {
        return Err(error("holds no PEM certificate".to_owned()));
    }
    Ok(certificates)
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let chain = read_certificates("cert_file", path, CHAIN_CERTIFICATES_MAX)?;
    // rustls sends the chain as it is; a leaf that does not parse would only fail clients.
    if let Some(leaf) = chain.first()
        && x509_parser::parse_x509_certificate(leaf).is_err()
    {
        return Err(Error::File {
            key: "cert_file",
            path: path.to_owned(),
            reason: "the first certificate is not a valid X.509 certificate".to_owned(),
        });
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    let bytes = read_pem("key_file", path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|error| Error::File {
        key: "key_file",
        path: path.to_owned(),
        reason: format!("holds no usable PEM private key ({error})"),
    })
}

fn read_roots(path: &Path) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for certificate in read_certificates("ca_file", path, CA_CERTIFICATES_MAX)? {
        roots.add(certificate).map_err(|error| Error::File {
            key: "ca_file",
            path: path.to_owned(),
            reason: format!("not a usable CA certificate: {error}"),
        })?;
    }
    Ok(roots)
}
