//! TLS settings that cannot work stop the start (and `-t`) with a message naming the setting
//! and the file: a missing certificate, a key of another certificate, a missing CA, `--tls`
//! without a certificate. The `--tls*` flags alone start a TLS server.

use natrium_tests::run_binary;
use natrium_tests::tls::{TestPki, quoted};
use natrium_tests::{STARTUP_TIMEOUT, ServerProcess};

fn refused(dir: &tempfile::TempDir, config: &str, needle: &str) {
    let path = dir.path().join("site.conf");
    std::fs::write(&path, format!("port: -1\n{config}\n")).expect("write config");
    let path = path.to_str().expect("utf-8");
    for check in [true, false] {
        let mut args = vec!["-a", "127.0.0.1", "-c", path];
        if check {
            args.insert(0, "-t");
        }
        let (status, stderr) = run_binary(&args);
        assert_eq!(status.code(), Some(1), "{config}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{config}: wants {needle:?} in {stderr}"
        );
        assert!(
            !stderr.contains("Listening for client connections"),
            "{stderr}"
        );
    }
}

#[test]
fn bad_files_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::new(dir.path(), "a");
    let other = TestPki::new(dir.path(), "b");
    let missing = dir.path().join("missing.pem");
    let block = |cert: &std::path::Path, key: &std::path::Path, extra: &str| {
        format!(
            "tls {{ cert_file: {}, key_file: {}{extra} }}",
            quoted(cert),
            quoted(key)
        )
    };
    refused(
        &dir,
        &block(&missing, &pki.key_file, ""),
        &format!("cert_file {}", missing.display()),
    );
    refused(
        &dir,
        &block(&pki.cert_file, &other.key_file, ""),
        "private key does not match the certificate",
    );
    refused(
        &dir,
        &block(
            &pki.cert_file,
            &pki.key_file,
            &format!(", verify: true, ca_file: {}", quoted(&missing)),
        ),
        "ca_file",
    );
    let (status, stderr) = run_binary(&["-t", "--tls"]);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("TLS Server certificate must be present and valid"),
        "{stderr}"
    );
}

#[test]
fn tls_flags_start_a_tls_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::new(dir.path(), "a");
    let cert = pki.cert_file.to_str().expect("utf-8");
    let key = pki.key_file.to_str().expect("utf-8");
    let ca = pki.ca_file.to_str().expect("utf-8");
    let server = ServerProcess::start(&[
        "--tlsverify",
        "--tlscert",
        cert,
        "--tlskey",
        key,
        "--tlscacert",
        ca,
    ]);
    assert!(
        server
            .wait_for_log("TLS required for client connections", STARTUP_TIMEOUT)
            .is_some()
    );
    let (_stream, info) = natrium_tests::tls::plain_info(server.port);
    assert_eq!(info["tls_required"], true);
    assert_eq!(info["tls_verify"], true);
}
