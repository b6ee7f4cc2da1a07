//! Cipher suites and protocol versions by the Go server's names (`cipher_suites`, the
//! `tls_version` and `tls_cipher_suite` of `/connz`).
//!
//! rustls implements only AEAD suites with forward secrecy. A name Go knows and rustls does
//! not (CBC, RC4, 3DES, static RSA key exchange) is refused with that reason, never dropped
//! silently; a name nobody knows is Go's `unrecognized cipher`.

use rustls::SupportedCipherSuite;
use rustls::crypto::CryptoProvider;

use crate::error::{Error, Result};

/// Suites Go's `crypto/tls` knows that rustls does not implement.
const GO_ONLY_SUITES: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
];

/// Go's older names of the ChaCha20 suites, still accepted by its configuration.
const ALIASES: &[(&str, &str)] = &[
    (
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    (
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
];

/// The crypto provider natrium uses (ring, as async-nats does; no OpenSSL).
pub(crate) fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// rustls's names of the TLS 1.3 suites, and the IANA names Go uses for them.
const TLS13_NAMES: &[(&str, &str)] = &[
    ("TLS13_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
    ("TLS13_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
    (
        "TLS13_CHACHA20_POLY1305_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
    ),
];

/// The IANA name of a suite, as Go reports it.
pub(crate) fn name(suite: SupportedCipherSuite) -> &'static str {
    let rustls_name = suite.suite().as_str().unwrap_or("unknown");
    TLS13_NAMES
        .iter()
        .find(|(ours, _)| *ours == rustls_name)
        .map_or(rustls_name, |(_, go)| go)
}

fn canonical(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, canonical)| canonical)
}

/// Checks that `name` is a suite natrium can offer.
pub fn check_name(name: &str) -> Result<()> {
    let wanted = canonical(name);
    if provider()
        .cipher_suites
        .iter()
        .any(|s| self::name(*s) == wanted)
    {
        return Ok(());
    }
    if GO_ONLY_SUITES.contains(&wanted) {
        return Err(Error::Settings(format!(
            "cipher suite {name} is not supported by natrium: rustls offers only AEAD suites \
             with forward secrecy (refused rather than left out)"
        )));
    }
    Err(Error::Settings(format!("unrecognized cipher {name}")))
}

/// Keeps every TLS 1.3 suite and the TLS 1.2 suites `names` lists (all when empty).
pub(crate) fn select(provider: &mut CryptoProvider, names: &[String]) -> Result<()> {
    for name in names {
        check_name(name)?;
    }
    if names.is_empty() {
        return Ok(());
    }
    let wanted: Vec<&str> = names.iter().map(|name| canonical(name)).collect();
    provider.cipher_suites.retain(|suite| {
        suite.version() == &rustls::version::TLS13 || wanted.contains(&name(*suite))
    });
    Ok(())
}

/// Go's name of a protocol version (`"1.3"`).
pub(crate) fn version_name(version: Option<rustls::ProtocolVersion>) -> &'static str {
    match version {
        Some(rustls::ProtocolVersion::TLSv1_2) => "1.2",
        Some(rustls::ProtocolVersion::TLSv1_3) => "1.3",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_as_go_and_rustls_know_them() {
        assert!(check_name("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").is_ok());
        assert!(check_name("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305").is_ok());
        let cbc = check_name("TLS_RSA_WITH_AES_128_CBC_SHA").expect_err("CBC");
        assert!(
            cbc.to_string().contains("not supported by natrium"),
            "{cbc}"
        );
        let bogus = check_name("TLS_BOGUS").expect_err("unknown");
        assert_eq!(bogus.to_string(), "unrecognized cipher TLS_BOGUS");
    }

    #[test]
    fn selection_keeps_tls13_and_the_listed_tls12_suites() {
        let mut chosen = provider();
        select(
            &mut chosen,
            &["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".to_owned()],
        )
        .expect("known suite");
        let names: Vec<&str> = chosen.cipher_suites.iter().map(|s| name(*s)).collect();
        assert!(names.contains(&"TLS_AES_128_GCM_SHA256"), "{names:?}");
        assert!(names.contains(&"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"));
        assert!(!names.contains(&"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
    }
}
