//! The `websocket {}` block: the Go server's keys and rules, and every key natrium does not
//! implement refused by name.

use std::path::Path;
use std::time::Duration;

use natrium_config::parse_str;

fn websocket(body: &str) -> natrium_websocket::WebSocketSettings {
    let text = format!("websocket {{\n{body}\n}}\n");
    let file = parse_str(&text, Path::new("site.conf")).unwrap_or_else(|e| panic!("{text}: {e}"));
    file.config.websocket.expect("websocket settings")
}

fn error(body: &str) -> String {
    let text = format!("websocket {{\n{body}\n}}\n");
    match parse_str(&text, Path::new("site.conf")) {
        Ok(file) => panic!("{text:?} loaded: {:?}", file.config.websocket),
        Err(error) => error.to_string(),
    }
}

#[test]
fn every_implemented_key() {
    let settings = websocket(
        "listen: \"127.0.0.1:8080\"\nadvertise: \"ws.example.com:443\"\nno_tls: true\n\
         same_origin: true\nallowed_origins: [\"https://app.example.com\"]\n\
         compression: false\nhandshake_timeout: \"5s\"\nheaders { X-Served-By: natrium }",
    );
    assert_eq!(settings.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(settings.port, Some(8080));
    assert_eq!(settings.advertise.as_deref(), Some("ws.example.com:443"));
    assert!(settings.no_tls && settings.tls.is_none());
    assert!(settings.origins.same_origin());
    assert_eq!(
        settings.origins.allowed_origins(),
        ["https://app.example.com".to_owned()]
    );
    assert_eq!(settings.handshake_timeout, Duration::from_secs(5));
    assert_eq!(
        settings.headers,
        vec![("X-Served-By".to_owned(), "natrium".to_owned())]
    );
    let wss = websocket("port: -1\ntls { cert_file: s.pem, key_file: s.key }");
    assert_eq!(wss.port, Some(0), "-1 is a random port");
    assert!(wss.tls.is_some());
    let alias = parse_str("ws { port: 8080, no_tls: true }\n", Path::new("site.conf"))
        .expect("ws is an alias");
    assert!(alias.config.websocket.is_some());
}

#[test]
fn a_port_without_tls_or_no_tls_is_go_s_error() {
    let message = error("port: 8080");
    assert!(
        message.contains("websocket requires TLS configuration"),
        "{message}"
    );
    // Without a port, Go starts no listener and checks nothing else.
    assert!(websocket("host: localhost").port.is_none());
}

#[test]
fn unimplemented_keys_are_refused_by_name() {
    let cases = [
        "compression: true",
        "authorization { token: t }",
        "no_auth_user: bob",
        "jwt_cookie: jwt",
        "token_cookie: t",
        "username_cookie: u",
        "password_cookie: p",
        "ping_interval: \"30s\"",
    ];
    for line in cases {
        let key = line.split([':', ' ']).next().expect("key");
        let message = error(&format!("port: 8080\nno_tls: true\n{line}"));
        assert!(
            message.contains(&format!("\"{key}\"")) && message.contains("not implemented"),
            "{line}: {message}"
        );
    }
    let unknown = error("port: 8080\nno_tls: true\nbogus: 1");
    assert!(unknown.contains("unknown field"), "{unknown}");
}

#[test]
fn bad_values_are_refused() {
    let origin = error("port: 8080\nno_tls: true\nallowed_origins: [\"not a url\"]");
    assert!(
        origin.contains("unable to parse allowed origin"),
        "{origin}"
    );
    let header = error("port: 8080\nno_tls: true\nheaders { Upgrade: h2c }");
    assert!(header.contains("Upgrade"), "{header}");
    let missing_key = error("port: 8080\ntls { cert_file: s.pem }");
    assert!(missing_key.contains("key_file"), "{missing_key}");
}
