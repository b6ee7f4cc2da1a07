//! Fail closed: the real binary refuses to start, and `-t` refuses to pass, a configuration with
//! any key natrium does not implement (OCSP, TLS sub-keys, accounts, JWT auth, other listeners, ...), naming
//! the key, file, line and column. Inert blocks run only with an explicit, logged opt-in.

use natrium_tests::{ServerProcess, run_binary};

/// Each configuration, and the key its refusal must name (always on line 2, column 1 or in a
/// block there).
const REFUSED: &[(&str, &str)] = &[
    (
        "accounts { A: { users: [{user: a, password: b}] } }",
        "accounts",
    ),
    ("operator: /etc/nats/operator.jwt", "operator"),
    ("resolver: MEMORY", "resolver"),
    ("resolver_preload { ACC: jwt }", "resolver_preload"),
    ("trusted_keys: [OABC]", "trusted_keys"),
    ("system_account: SYS", "system_account"),
    (
        "tls { cert_file: server.pem, key_file: server.key, curve_preferences: [X25519] }",
        "curve_preferences",
    ),
    ("ocsp { mode: always }", "ocsp"),
    (
        "websocket { port: 8080, no_tls: true, compression: true }",
        "compression",
    ),
    (
        "websocket { port: 8080, no_tls: true, authorization { token: t } }",
        "authorization",
    ),
    ("mqtt { port: 1883 }", "mqtt"),
    ("leafnodes { port: 7422 }", "leafnodes"),
    ("cluster { name: c1, port: 6222 }", "cluster"),
    ("gateway { name: g1, port: 7222 }", "gateway"),
    (
        "authorization { token: t, auth_callout { issuer: X } }",
        "auth_callout",
    ),
    (
        "authorization { users: [{user: a, password: b, account: A}] }",
        "account",
    ),
    (
        "authorization { users: [{user: a, password: b, allowed_connection_types: [WEBSOCKET]}] }",
        "allowed_connection_types",
    ),
    ("jetstream { cipher: chachapoly, key: s3cr3t }", "cipher"),
    ("authorisation { token: t }", "authorisation"),
];

fn write_config(dir: &tempfile::TempDir, body: &str) -> String {
    let path = dir.path().join("site.conf");
    std::fs::write(&path, format!("port: -1\n{body}\n")).expect("write config");
    path.to_str().expect("utf-8 temp path").to_owned()
}

fn assert_refused(stderr: &str, path: &str, key: &str) {
    let quoted = format!("\"{key}\"");
    assert!(stderr.contains(&quoted), "names the key {key}: {stderr}");
    assert!(
        stderr.contains(&format!("{path}:2:")),
        "names the file and line: {stderr}"
    );
    assert!(
        !stderr.contains("Listening for client connections"),
        "never listened: {stderr}"
    );
}

#[test]
fn start_is_refused_for_every_unimplemented_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("js");
    let store = store.to_str().expect("utf-8 temp path");
    for (body, key) in REFUSED {
        let path = write_config(&dir, body);
        let (status, stderr) = run_binary(&["-a", "127.0.0.1", "-sd", store, "-c", &path]);
        assert_eq!(status.code(), Some(1), "{body}: {stderr}");
        assert_refused(&stderr, &path, key);
    }
}

#[test]
fn check_flag_reports_every_unimplemented_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (body, key) in REFUSED {
        let path = write_config(&dir, body);
        let (status, stderr) = run_binary(&["-t", "-c", &path]);
        assert_eq!(status.code(), Some(1), "{body}: {stderr}");
        assert_refused(&stderr, &path, key);
        assert!(!stderr.contains("is valid"), "{stderr}");
    }
}

#[test]
fn security_keys_cannot_be_opted_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_config(&dir, "ocsp { mode: always }");
    let (status, stderr) = run_binary(&["-t", "--ignore_unsupported=ocsp", "-c", &path]);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot be ignored"), "{stderr}");
}

#[test]
fn inert_block_runs_only_with_the_logged_opt_in() {
    let config = "cluster { name: c1, port: 6222 }\n";
    let server = ServerProcess::start_with_config(config, &["--ignore_unsupported", "cluster"]);
    let warning = server.wait_for_log("cluster", natrium_tests::STARTUP_TIMEOUT);
    let warning = warning.unwrap_or_else(|| panic!("no warning; log:\n{}", server.log_text()));
    assert!(warning.contains("[WRN]"), "{warning}");
    assert!(
        warning.contains("ignored as --ignore_unsupported asks"),
        "{warning}"
    );
}
