//! Bad files stop a start (and a reload) with a message naming the setting and the file.

use natrium_tls::test_pki::TestPki;
use natrium_tls::{TlsSettings, TlsTransport};

fn refused(settings: &TlsSettings) -> String {
    match TlsTransport::new(settings) {
        Ok(_) => panic!("{settings:?} should be refused"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn missing_wrong_and_garbage_files_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::new(dir.path(), "a");
    let other = TestPki::new(dir.path(), "b");
    let good = TlsSettings {
        cert_file: pki.cert_file.clone(),
        key_file: pki.key_file.clone(),
        ca_file: Some(pki.ca_file.clone()),
        verify: true,
        ..TlsSettings::default()
    };
    assert!(TlsTransport::new(&good).is_ok());

    let missing = dir.path().join("missing.pem");
    let error = refused(&TlsSettings {
        cert_file: missing.clone(),
        ..good.clone()
    });
    assert!(
        error.starts_with(&format!("cert_file {}: ", missing.display())),
        "{error}"
    );

    let error = refused(&TlsSettings {
        key_file: other.key_file.clone(),
        ..good.clone()
    });
    assert!(error.starts_with("key_file "), "{error}");
    assert!(error.contains("does not match the certificate"), "{error}");

    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").expect("write");
    let error = refused(&TlsSettings {
        cert_file: garbage.clone(),
        ..good.clone()
    });
    assert!(error.contains("holds no PEM certificate"), "{error}");
    let error = refused(&TlsSettings {
        key_file: garbage.clone(),
        ..good.clone()
    });
    assert!(error.contains("no usable PEM private key"), "{error}");

    let error = refused(&TlsSettings {
        ca_file: Some(missing.clone()),
        ..good.clone()
    });
    assert!(error.starts_with("ca_file "), "{error}");
    let error = refused(&TlsSettings {
        ca_file: None,
        ..good.clone()
    });
    assert!(error.contains("'verify' needs 'ca_file'"), "{error}");
    let error = refused(&TlsSettings {
        cipher_suites: vec!["TLS_RSA_WITH_RC4_128_SHA".to_owned()],
        ..good
    });
    assert!(error.contains("not supported by natrium"), "{error}");
}
