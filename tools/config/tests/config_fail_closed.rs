//! Fail closed: every key natrium does not implement stops the load with an error naming the
//! key, file, line and column; security-relevant keys can never be ignored, inert ones only
//! when the operator names them.

use std::path::Path;

use natrium_config::{Error, IGNORABLE_KEYS, LoadOptions, parse_str_with_options};

fn load(text: &str, ignore: &[&str]) -> Result<natrium_config::ConfigFile, Error> {
    let options = LoadOptions {
        ignore_unsupported: ignore.iter().map(|name| (*name).to_owned()).collect(),
    };
    let env = std::collections::HashMap::<String, String>::new();
    parse_str_with_options(text, Path::new("site.conf"), &env, &options)
}

/// The error for `text`, which must name `key` at `line:column` of site.conf.
fn refused(text: &str, ignore: &[&str], key: &str, line_column: &str) -> String {
    let error = match load(text, ignore) {
        Ok(file) => panic!("{text:?} loaded: {:?}", file.config),
        Err(error) => error.to_string(),
    };
    let prefix = format!("site.conf:{line_column}: \"{key}\" is not supported by natrium");
    assert!(error.starts_with(&prefix), "{text:?}: {error}");
    error
}

const SECURITY_TOP_LEVEL: &[(&str, &str)] = &[
    (
        "accounts",
        "accounts { A: { users: [{user: a, password: b}] } }",
    ),
    ("operator", "operator: /etc/nats/op.jwt"),
    ("operators", "operators: [/etc/nats/op.jwt]"),
    ("resolver", "resolver: MEMORY"),
    ("resolver_preload", "resolver_preload { ABC: xyz }"),
    ("resolver_tls", "resolver_tls { cert_file: a }"),
    ("trusted", "trusted: ODSKR7MYFQZ5MMAJPRB"),
    ("trusted_keys", "trusted_keys: [ODSKR7MYFQZ5MMAJPRB]"),
    ("system_account", "system_account: SYS"),
    ("no_system_account", "no_system_account: true"),
    ("ocsp", "ocsp { mode: always }"),
    ("https_port", "https_port: 8443"),
    ("mqtt", "mqtt { port: 1883, authorization { token: t } }"),
    ("mappings", "mappings { a: b }"),
    ("max_sub_tokens", "max_sub_tokens: 16"),
    ("default_sentinel", "default_sentinel: abc"),
];

#[test]
fn security_relevant_top_level_keys_are_refused() {
    for (key, line) in SECURITY_TOP_LEVEL {
        let text = format!("port: 4222\n{line}\n");
        let error = refused(&text, &[], key, "2:1");
        assert!(error.contains("ignoring"), "the reason says why: {error}");
    }
}

#[test]
fn security_relevant_keys_cannot_be_opted_out() {
    for (key, _) in SECURITY_TOP_LEVEL {
        let options = LoadOptions {
            ignore_unsupported: vec![(*key).to_owned()],
        };
        let error = options.validate().expect_err(key);
        assert!(error.contains("cannot be ignored"), "{key}: {error}");
    }
    let bogus = LoadOptions {
        ignore_unsupported: vec!["no_such_key".to_owned()],
    };
    assert!(bogus.validate().is_err());
}

#[test]
fn ocsp_is_refused_even_when_every_inert_key_is_ignored() {
    let text = "ocsp { mode: always }\n";
    refused(text, IGNORABLE_KEYS, "ocsp", "1:1");
}

#[test]
fn tls_keys_natrium_does_not_implement_are_refused() {
    for key in [
        "insecure: true",
        "curve_preferences: [X25519]",
        "connection_rate_limit: 10",
        "cert_store: WindowsCurrentUser",
        "ocsp_peer: true",
        "certs: [{cert_file: a, key_file: b}]",
        "verify_cert_and_check_known_urls: true",
        "allow_insecure_cipher_suites: true",
    ] {
        let text = format!("tls {{\n  cert_file: a.pem\n  key_file: a.key\n  {key}\n}}\n");
        let name = key.split(':').next().unwrap_or_default();
        let error = refused(&text, &[], name, "4:3");
        assert!(error.contains("not implemented"), "{error}");
    }
}

#[test]
fn keys_nested_in_parsed_blocks_are_refused() {
    let cases = [
        (
            "authorization { auth_callout { issuer: x } }",
            "auth_callout",
            "1:17",
        ),
        (
            "authorization {\n  token: t\n  proxy_required: true\n}",
            "proxy_required",
            "3:3",
        ),
        (
            "authorization { users: [{user: a, password: b, account: A}] }",
            "account",
            "1:48",
        ),
        (
            "authorization { users: [{user: a, password: b, allowed_connection_types: [MQTT]}] }",
            "allowed_connection_types",
            "1:48",
        ),
        ("jetstream { cipher: aes, key: s3cr3t }", "cipher", "1:13"),
        ("jetstream {\n  key: s3cr3t\n}", "key", "2:3"),
        ("jetstream { domain: hub }", "domain", "1:13"),
    ];
    for (text, key, line_column) in cases {
        refused(text, &[], key, line_column);
    }
}

#[test]
fn inert_keys_need_an_explicit_opt_in() {
    let text = "port: 4222\ncluster { name: c1, listen: 0.0.0.0:6222 }\n";
    let error = refused(text, &[], "cluster", "2:1");
    assert!(
        error.contains("--ignore_unsupported=cluster"),
        "the error names the opt-in: {error}"
    );
    let file = load(text, &["cluster"]).expect("ignored on request");
    assert_eq!(file.config.port, Some(4222));
    assert_eq!(file.warnings.len(), 1, "{:?}", file.warnings);
    assert!(
        file.warnings[0].starts_with("site.conf:2:1: cluster: not supported by natrium, ignored"),
        "{:?}",
        file.warnings
    );
    // Naming one inert key does not ignore another.
    let both = "cluster { name: c1 }\ngateway { name: g }\n";
    refused(both, &["cluster"], "gateway", "2:1");
}

#[test]
fn unknown_fields_are_errors_as_in_go() {
    for (text, expected) in [
        ("foo_bar: 1\n", "site.conf:1:1: unknown field \"foo_bar\""),
        (
            "port: 1\njetstream { foo: 1 }\n",
            "site.conf:2:13: unknown field \"foo\"",
        ),
        // A misspelt key must not leave the server open.
        (
            "authorisation { token: t }\n",
            "site.conf:1:1: unknown field \"authorisation\"",
        ),
    ] {
        let error = load(text, IGNORABLE_KEYS).expect_err(text).to_string();
        assert_eq!(error, expected);
    }
}

#[test]
fn no_auth_user_must_name_a_configured_user() {
    let text = "authorization { users: [{user: a, password: b}] }\nno_auth_user: ghost\n";
    let error = load(text, &[])
        .expect_err("unknown no_auth_user")
        .to_string();
    assert!(error.starts_with("site.conf:2:"), "{error}");
    assert!(error.contains("ghost"), "{error}");
}
