//! The TLS settings of a listener, as the nats-server `tls {}` block, `allow_non_tls` and the
//! `--tls*` flags describe them. Plain data; [`crate::TlsTransport::new`] checks it against
//! the files it names.
//!
//! Defaults are the Go server's: a 2 s handshake timeout, TLS 1.2 and 1.3, every cipher suite
//! the provider has (all AEAD with forward secrecy), no client certificates.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};

/// Go's `TLS_TIMEOUT`: how long a handshake may take by default.
pub const TIMEOUT_DEFAULT: Duration = Duration::from_secs(2);
/// Go's `DEFAULT_TLS_HANDSHAKE_FIRST_FALLBACK_DELAY` (`handshake_first: auto`).
pub const FALLBACK_DELAY_DEFAULT: Duration = Duration::from_millis(50);
/// Pinned public keys accepted, at most.
pub const PINNED_CERTS_MAX: usize = 10_000;

/// When the TLS handshake happens relative to the protocol's greeting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HandshakeFirst {
    /// The protocol greets in plain text, then the client starts TLS (the NATS default).
    #[default]
    Off,
    /// The client starts TLS before any greeting; clients that wait for one fail.
    Always,
    /// Wait this long for the client to start TLS; if it sends nothing, greet and go on as
    /// with [`HandshakeFirst::Off`] (Go 2.10+: `handshake_first: "300ms"` or `auto`).
    Fallback(Duration),
}

/// The lowest TLS version a client may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    #[default]
    V1_2,
    V1_3,
}

impl TlsVersion {
    /// Go's `min_version` values: `"1.2"` and `"1.3"`; older ones are refused as Go does.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "1.2" => Ok(Self::V1_2),
            "1.3" => Ok(Self::V1_3),
            "1.0" | "1.1" => Err(Error::Settings(format!(
                "unsupported TLS version: TLS {text}"
            ))),
            _ => Err(Error::Settings(format!("unknown version: {text}"))),
        }
    }
}

/// One listener's TLS settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM certificate chain, leaf first (`cert_file`, `--tlscert`).
    pub cert_file: PathBuf,
    /// PEM private key of the leaf (`key_file`, `--tlskey`).
    pub key_file: PathBuf,
    /// PEM certificates of the CAs that sign client certificates (`ca_file`, `--tlscacert`).
    pub ca_file: Option<PathBuf>,
    /// Clients must present a certificate signed by `ca_file` (`verify`, `--tlsverify`).
    pub verify: bool,
    /// The client certificate names the user (`verify_and_map`; implies `verify`).
    pub map_certificates: bool,
    /// How long a handshake may take (`timeout`); zero means the default.
    pub timeout: Duration,
    /// `handshake_first`.
    pub handshake_first: HandshakeFirst,
    /// `min_version`.
    pub min_version: TlsVersion,
    /// `cipher_suites`, by Go's (IANA) names; empty means every suite of the provider.
    /// TLS 1.3 suites are always on, as in Go (its list only shapes TLS 1.2).
    pub cipher_suites: Vec<String>,
    /// `pinned_certs`: SHA-256 of the client certificate's SubjectPublicKeyInfo, lower-case
    /// hex; when not empty, only those clients are accepted.
    pub pinned_certs: BTreeSet<String>,
    /// The top-level `allow_non_tls`: clients may stay in plain text (INFO `tls_available`).
    pub allow_non_tls: bool,
}

impl TlsSettings {
    /// The handshake timeout in force (the default for zero).
    pub fn timeout(&self) -> Duration {
        if self.timeout.is_zero() {
            TIMEOUT_DEFAULT
        } else {
            self.timeout
        }
    }

    /// True when clients must present a verified certificate.
    pub fn verifies(&self) -> bool {
        self.verify || self.map_certificates
    }

    /// True when a plain-text client is served (`allow_non_tls`, unless every client must
    /// start with the handshake).
    pub fn plain_allowed(&self) -> bool {
        self.allow_non_tls && self.handshake_first != HandshakeFirst::Always
    }

    /// Checks what can be checked without reading files.
    pub fn validate(&self) -> Result<()> {
        if self.cert_file.as_os_str().is_empty() {
            return Err(Error::Settings(
                "missing 'cert_file' in TLS configuration".to_owned(),
            ));
        }
        if self.key_file.as_os_str().is_empty() {
            return Err(Error::Settings(
                "missing 'key_file' in TLS configuration".to_owned(),
            ));
        }
        if self.verifies() && self.ca_file.is_none() {
            return Err(Error::Settings(
                "'verify' needs 'ca_file': natrium does not verify client certificates against \
                 the system's roots"
                    .to_owned(),
            ));
        }
        if self.pinned_certs.len() > PINNED_CERTS_MAX {
            return Err(Error::Settings(format!(
                "'pinned_certs' holds more than {PINNED_CERTS_MAX} keys"
            )));
        }
        for pin in &self.pinned_certs {
            if !is_sha256_hex(pin) {
                return Err(Error::Settings(format!(
                    "'pinned_certs' key {pin} does not look like hex-encoded sha256 of DER \
                     encoded SubjectPublicKeyInfo"
                )));
            }
        }
        for name in &self.cipher_suites {
            crate::suites::check_name(name)?;
        }
        Ok(())
    }
}

/// True for 64 lower-case hex digits (settings hold pins lower-cased, as Go does).
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TlsSettings {
        TlsSettings {
            cert_file: "server.pem".into(),
            key_file: "server.key".into(),
            ..TlsSettings::default()
        }
    }

    #[test]
    fn versions_as_go_names_them() {
        assert_eq!(TlsVersion::parse("1.3").ok(), Some(TlsVersion::V1_3));
        let old = TlsVersion::parse("1.1").expect_err("too old").to_string();
        assert_eq!(old, "unsupported TLS version: TLS 1.1");
        assert!(TlsVersion::parse("2").is_err());
    }

    #[test]
    fn validation_names_what_is_missing() {
        assert!(settings().validate().is_ok());
        let no_key = TlsSettings {
            key_file: PathBuf::new(),
            ..settings()
        };
        assert!(
            no_key
                .validate()
                .expect_err("no key")
                .to_string()
                .contains("key_file")
        );
        let verify_without_ca = TlsSettings {
            map_certificates: true,
            ..settings()
        };
        assert!(verify_without_ca.validate().is_err());
        let mut bad_pin = settings();
        bad_pin.pinned_certs.insert("abc".to_owned());
        assert!(bad_pin.validate().is_err());
        assert_eq!(settings().timeout(), TIMEOUT_DEFAULT);
    }

    #[test]
    fn handshake_first_without_fallback_serves_no_plain_client() {
        let mut tls = settings();
        tls.allow_non_tls = true;
        assert!(tls.plain_allowed());
        tls.handshake_first = HandshakeFirst::Always;
        assert!(!tls.plain_allowed());
    }
}
