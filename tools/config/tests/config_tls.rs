//! The `tls {}` block and `allow_non_tls`, with the Go server's keys, aliases and value rules.

use std::path::Path;
use std::time::Duration;

use natrium_config::parse_str;
use natrium_tls::{HandshakeFirst, TlsVersion};

fn tls(body: &str) -> natrium_tls::TlsSettings {
    let text =
        format!("tls {{\n  cert_file: s.pem\n  key_file: s.key\n  ca_file: ca.pem\n{body}\n}}\n");
    let file = parse_str(&text, Path::new("site.conf")).unwrap_or_else(|e| panic!("{text}: {e}"));
    file.config.tls.expect("tls settings")
}

fn error(text: &str) -> String {
    match parse_str(text, Path::new("site.conf")) {
        Ok(file) => panic!("{text:?} loaded: {:?}", file.config.tls),
        Err(error) => error.to_string(),
    }
}

#[test]
fn every_implemented_key() {
    let pin = "AB".repeat(32);
    let settings = tls(&format!(
        "verify_and_map: true\ntimeout: 0.5\nhandshake_first: \"300ms\"\nmin_version: \"1.3\"\n\
         cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\npinned_certs: [\"{pin}\"]"
    ));
    assert_eq!(settings.cert_file, Path::new("s.pem"));
    assert_eq!(settings.ca_file.as_deref(), Some(Path::new("ca.pem")));
    assert!(
        settings.verify && settings.map_certificates,
        "verify_and_map implies verify"
    );
    assert_eq!(settings.timeout, Duration::from_millis(500));
    assert_eq!(
        settings.handshake_first,
        HandshakeFirst::Fallback(Duration::from_millis(300))
    );
    assert_eq!(settings.min_version, TlsVersion::V1_3);
    assert_eq!(
        settings.cipher_suites,
        ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
    );
    assert!(
        settings.pinned_certs.contains(&"ab".repeat(32)),
        "pins are lower-cased"
    );
}

#[test]
fn handshake_first_spellings() {
    for (value, expected) in [
        ("true", HandshakeFirst::Always),
        ("\"on\"", HandshakeFirst::Always),
        ("false", HandshakeFirst::Off),
        ("auto", HandshakeFirst::Fallback(Duration::from_millis(50))),
    ] {
        for key in ["handshake_first", "first", "immediate"] {
            let settings = tls(&format!("{key}: {value}"));
            assert_eq!(settings.handshake_first, expected, "{key}: {value}");
        }
    }
    assert_eq!(tls("timeout: \"3s\"").timeout, Duration::from_secs(3));
    assert_eq!(tls("timeout: 4").timeout, Duration::from_secs(4));
}

#[test]
fn allow_non_tls_is_top_level() {
    let text = "allow_non_tls: true\ntls { cert_file: a, key_file: b }\n";
    let file = parse_str(text, Path::new("site.conf")).expect("loads");
    assert_eq!(file.config.allow_non_tls, Some(true));
}

#[test]
fn bad_values_name_the_key_and_position() {
    let cases = [
        (
            "tls { key_file: k }",
            "site.conf:1:5",
            "missing 'cert_file'",
        ),
        (
            "tls { cert_file: c }",
            "site.conf:1:5",
            "missing 'key_file'",
        ),
        (
            "tls { cert_file: c, key_file: k, verify: true }",
            "site.conf:1:5",
            "'verify' needs 'ca_file'",
        ),
        (
            "tls { cert_file: c, key_file: k, min_version: \"1.0\" }",
            "site.conf:1:",
            "unsupported TLS version: TLS 1.0",
        ),
        (
            "tls { cert_file: c, key_file: k, cipher_suites: [TLS_BOGUS] }",
            "site.conf:1:",
            "unrecognized cipher TLS_BOGUS",
        ),
        (
            "tls { cert_file: c, key_file: k, cipher_suites: [] }",
            "site.conf:1:",
            "'cipher_suites' cannot be empty",
        ),
        (
            "tls { cert_file: c, key_file: k, pinned_certs: [abc] }",
            "site.conf:1:",
            "does not look like hex-encoded sha256",
        ),
        (
            "tls { cert_file: c, key_file: k, handshake_first: sometimes }",
            "site.conf:1:",
            "is invalid",
        ),
        (
            "tls { cert_file: c, key_file: k, bogus: 1 }",
            "site.conf:1:34",
            "unknown field \"bogus\"",
        ),
        ("tls: true", "site.conf:1:", "expected a map"),
    ];
    for (text, position, reason) in cases {
        let error = error(text);
        assert!(error.starts_with(position), "{text}: {error}");
        assert!(error.contains(reason), "{text}: {error}");
    }
}
