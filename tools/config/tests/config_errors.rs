//! Errors name the file, line and column; no input makes the parser panic.

use std::collections::HashMap;
use std::path::Path;

use natrium_config::{Error, NESTING_DEPTH_MAX, parse_document, parse_str_with_env};
use proptest::prelude::*;

fn syntax_error(text: &str) -> (u32, u32, String) {
    let env: HashMap<String, String> = HashMap::new();
    match parse_document(text, Path::new("bad.conf"), &env) {
        Err(Error::Syntax { position, reason }) => (position.line, position.column, reason),
        other => panic!("expected a syntax error for {text:?}, got {other:?}"),
    }
}

fn config_error(text: &str) -> Error {
    let env: HashMap<String, String> = HashMap::new();
    match parse_str_with_env(text, Path::new("bad.conf"), &env) {
        Err(error) => error,
        Ok(file) => panic!("expected an error for {text:?}, got {:?}", file.config),
    }
}

#[test]
fn syntax_errors_with_line_and_column() {
    let (line, column, reason) = syntax_error("a: 1\nb: [1, 2\n");
    assert_eq!((line, column), (3, 1));
    assert!(reason.contains("array"), "{reason}");
    let (line, column, _) = syntax_error("a: 1\nb: \"unterminated\n");
    assert_eq!((line, column), (3, 1));
    let (line, column, reason) = syntax_error("a: 1 2\n");
    assert_eq!((line, column), (1, 6));
    assert!(reason.contains("'2'"), "{reason}");
    let (line, column, _) = syntax_error("x {\n  y: 1\n");
    assert_eq!((line, column), (3, 1));
    let (line, _, reason) = syntax_error("a: \"bad \\q escape\"\n");
    assert_eq!(line, 1);
    assert!(reason.contains("escape"), "{reason}");
    let (_, _, reason) = syntax_error("a:\n");
    assert!(reason.contains("new line"), "{reason}");
    let (_, _, reason) = syntax_error("lonely");
    assert!(reason.contains("no value"), "{reason}");
    let (_, _, reason) = syntax_error("a: [1,,2]\n");
    assert!(reason.contains("','"), "{reason}");
    let (_, _, reason) = syntax_error("a: 99999999999999999999\n");
    assert!(reason.contains("out of range"), "{reason}");
    let (_, _, reason) = syntax_error("a: 9223372036854775807k\n");
    assert!(reason.contains("out of range"), "{reason}");
    let (_, _, reason) = syntax_error("a: .5\n");
    assert!(reason.contains("digit"), "{reason}");
    let (_, _, reason) = syntax_error("a: 1kbx2\nb: 1kbi\n");
    assert!(reason.contains("suffix"), "{reason}");
}

#[test]
fn columns_count_characters_not_bytes() {
    let (line, column, _) = syntax_error("name: \"héllo\" x\n");
    assert_eq!((line, column), (1, 15));
}

#[test]
fn type_errors_name_the_key_and_position() {
    let error = config_error("port: 4222\nmax_payload: \"big\"\n");
    match error {
        Error::Type {
            position,
            key,
            expected,
            found,
        } => {
            assert_eq!((position.line, position.column), (2, 14));
            assert_eq!(key, "max_payload");
            assert_eq!(expected, "an integer");
            assert_eq!(found, "a string");
        }
        other => panic!("unexpected {other}"),
    }
    let text = config_error("debug: 3\n").to_string();
    assert_eq!(
        text,
        "bad.conf:1:8: debug: expected a boolean, got an integer"
    );
}

#[test]
fn invalid_values_are_errors() {
    for text in [
        "port: 70000\n",
        "max_payload: 4GB\n",
        "max_payload: -1\n",
        "server_name: \"a b\"\n",
        "lame_duck_duration: \"10s\"\n",
        "ping_interval: \"2 minutes\"\n",
        "write_deadline: \"-1s\"\n",
        "listen: \"nohost\"\n",
        "max_connections: 0\n",
        "max_payload: 2MB\nmax_pending: 1MB\n",
        "jetstream: maybe\n",
        "jetstream { max_file_store: \"10X\" }\n",
        "store_dir: /a\njetstream { store_dir: /b }\n",
    ] {
        let error = config_error(text);
        assert!(matches!(error, Error::Invalid { .. }), "{text:?}: {error}");
    }
    // Go reads lame_duck_duration as a string only.
    let error = config_error("lame_duck_duration: 60\n");
    assert!(matches!(error, Error::Type { .. }), "{error}");
}

#[test]
fn authorization_errors() {
    let cases = [
        (
            "authorization { user: a, password: b, token: c }",
            "user/pass and token",
        ),
        (
            "authorization { token: t, users: [{user: a}] }",
            "token and a users array",
        ),
        (
            "authorization { user: a, users: [{user: b}] }",
            "single user/pass and a users",
        ),
        (
            "authorization { users: [{password: x}] }",
            "requires a user",
        ),
        (
            "authorization { users: [{nkey: UBAD}] }",
            "not a valid public nkey",
        ),
        (
            "authorization { users: [{user: a, pasword: typo}] }",
            "unknown field",
        ),
        (
            "authorization { users: [{user: a}, {user: a}] }",
            "duplicate user",
        ),
        (
            "authorization { users: [{user: a, permissions: {publish: \"a..b\"}}] }",
            "a..b",
        ),
        (
            "authorization { users: [{user: a, permissions: {publish: {allow: [1]}}}] }",
            "subject",
        ),
        (
            "authorization { users: [{user: a}] }\nno_auth_user: b",
            "not present",
        ),
        ("no_auth_user: b", "users/nkeys are not defined"),
        (
            "authorization { user: a, password: b }\nno_auth_user: a",
            "users/nkeys are not defined",
        ),
        ("authorization { colour: blue }", "unknown field"),
        ("authorization { users: [] }", "empty users array"),
    ];
    for (text, needle) in cases {
        let error = config_error(text).to_string();
        assert!(
            error.to_lowercase().contains(&needle.to_lowercase()),
            "{text:?}: {error}"
        );
        assert!(error.starts_with("bad.conf:"), "{error}");
    }
}

#[test]
fn nesting_is_bounded() {
    let deep = format!(
        "a: {}1{}\n",
        "[".repeat(NESTING_DEPTH_MAX + 1),
        "]".repeat(NESTING_DEPTH_MAX + 1)
    );
    let env: HashMap<String, String> = HashMap::new();
    let error = parse_document(&deep, Path::new("deep.conf"), &env).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Limit {
                what: "nesting depth",
                ..
            }
        ),
        "{error}"
    );
    let fits = format!(
        "a: {}1{}\n",
        "[".repeat(NESTING_DEPTH_MAX),
        "]".repeat(NESTING_DEPTH_MAX)
    );
    assert!(parse_document(&fits, Path::new("deep.conf"), &env).is_ok());
}

fn config_alphabet() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "port",
        ":",
        "=",
        " ",
        "\t",
        "\n",
        "{",
        "}",
        "[",
        "]",
        ",",
        ";",
        "#",
        "//",
        "\"",
        "'",
        "\\",
        "x",
        "$a",
        "$",
        "1",
        "-",
        ".",
        "k",
        "MB",
        "2026-",
        "T",
        "Z",
        "(",
        ")",
        "include",
        "true",
        "é",
        "\r",
        "0x",
        "authorization",
        "users",
        "user",
        "nkey",
    ]);
    prop::collection::vec(pieces, 0..60).prop_map(|pieces| pieces.concat())
}

fn cases() -> u32 {
    std::env::var("NATRIUM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Arbitrary token soup parses or fails cleanly; errors always carry a position.
    #[test]
    fn never_panics_on_token_soup(text in config_alphabet()) {
        let env: HashMap<String, String> = HashMap::new();
        if let Err(error) = parse_str_with_env(&text, Path::new("fuzz.conf"), &env) {
            let message = error.to_string();
            prop_assert!(message.starts_with("fuzz.conf:") || message.contains(".conf"), "{}", message);
        }
    }

    /// Arbitrary bytes (as lossy UTF-8) never panic either.
    #[test]
    fn never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let env: HashMap<String, String> = HashMap::new();
        let _ = parse_str_with_env(&text, Path::new("fuzz.conf"), &env);
    }
}
