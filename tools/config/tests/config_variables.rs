//! `$VARIABLE` references: earlier keys in enclosing scopes, then the environment.

use std::collections::HashMap;
use std::path::Path;

use natrium_config::{Error, Map, Value, parse_document, parse_str, parse_str_with_env};

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

fn parse(text: &str, pairs: &[(&str, &str)]) -> natrium_config::Result<Map> {
    parse_document(text, Path::new("vars.conf"), &env(pairs))
}

fn get<'m>(map: &'m Map, key: &str) -> &'m Value {
    &map.get(key).unwrap().item.value
}

#[test]
fn earlier_keys_in_enclosing_scopes() {
    let text =
        "NAME: outer\nPORT: 4222\nblock {\n  NAME: inner\n  a: $NAME\n  b: $PORT\n}\nc: $NAME\n";
    let map = parse(text, &[]).unwrap();
    let Value::Map(block) = get(&map, "block") else {
        panic!("block is not a map")
    };
    assert_eq!(get(block, "a"), &Value::String("inner".into()));
    assert_eq!(get(block, "b"), &Value::Integer(4222));
    assert_eq!(get(&map, "c"), &Value::String("outer".into()));
    assert!(map.get("NAME").unwrap().used_as_variable);
}

#[test]
fn whole_maps_and_arrays_can_be_referenced() {
    let text = "perms: {publish: [\"a.>\"]}\nlist: [1, 2]\nuser: {p: $perms, l: $list}\n";
    let map = parse(text, &[]).unwrap();
    let Value::Map(user) = get(&map, "user") else {
        panic!("user is not a map")
    };
    assert!(matches!(get(user, "p"), Value::Map(perms) if perms.get("publish").is_some()));
    assert!(matches!(get(user, "l"), Value::Array(items) if items.len() == 2));
}

#[test]
fn environment_values_are_parsed_as_values() {
    let vars = [
        ("NATS_PORT", "4333"),
        ("NATS_NAME", "srv-1"),
        ("NATS_SIZE", "1MB"),
        ("NATS_ON", "true"),
    ];
    let map = parse(
        "p: $NATS_PORT\nn: $NATS_NAME\ns: $NATS_SIZE\no: $NATS_ON\n",
        &vars,
    )
    .unwrap();
    assert_eq!(get(&map, "p"), &Value::Integer(4333));
    assert_eq!(get(&map, "n"), &Value::String("srv-1".into()));
    assert_eq!(get(&map, "s"), &Value::Integer(1_048_576));
    assert_eq!(get(&map, "o"), &Value::Bool(true));
}

#[test]
fn environment_variables_may_refer_to_others_but_not_in_a_cycle() {
    let map = parse("x: $OUTER\n", &[("OUTER", "$INNER"), ("INNER", "42")]).unwrap();
    assert_eq!(get(&map, "x"), &Value::Integer(42));
    let error = parse("x: $A\n", &[("A", "$B"), ("B", "$A")]).unwrap_err();
    assert!(error.to_string().contains("cycle"), "{error}");
}

#[test]
fn process_environment_is_the_default() {
    // PATH is set in every test environment; its text parses as an unquoted string.
    let path = std::env::var("PATH").unwrap();
    let loaded = parse_str("server_name: $PATH\n", Path::new("p.conf"));
    match loaded {
        Ok(file) => assert_eq!(file.config.server_name.as_deref(), Some(path.as_str())),
        // A PATH with spaces is not a valid server name; the reference still resolved.
        Err(error) => assert!(error.to_string().contains("spaces"), "{error}"),
    }
}

#[test]
fn unknown_variable_is_an_error_with_position() {
    let error = parse("a: 1\nb: $MISSING_VARIABLE\n", &[]).unwrap_err();
    match &error {
        Error::Syntax { position, reason } => {
            assert_eq!((position.line, position.column), (2, 4));
            assert!(reason.contains("MISSING_VARIABLE"), "{reason}");
        }
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn a_bad_environment_value_is_reported_at_the_reference() {
    let error = parse("a: 1\nb: $BROKEN\n", &[("BROKEN", "[1, 2")]).unwrap_err();
    match &error {
        Error::Syntax { position, reason } => {
            assert_eq!(position.file.to_str(), Some("vars.conf"));
            assert_eq!((position.line, position.column), (2, 4));
            assert!(reason.contains("environment variable 'BROKEN'"), "{reason}");
            assert!(reason.contains("array"), "{reason}");
        }
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn unquoted_bcrypt_hashes_are_not_variables() {
    let hash = "$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG";
    let map = parse(&format!("password: {hash}\n"), &[]).unwrap();
    assert_eq!(get(&map, "password"), &Value::String(hash.into()));
}

#[test]
fn keys_used_as_variables_are_not_unknown_fields() {
    let text = "TOKEN: s3cr3t\nauthorization { token: $TOKEN }\n";
    let file = parse_str_with_env(text, Path::new("w.conf"), &env(&[])).unwrap();
    assert_eq!(file.config.auth.unwrap().token.as_deref(), Some("s3cr3t"));
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    let text = "TOKEN: s3cr3t\nauthorization { token: $TOKEN }\nmystery: 1\n";
    let error = parse_str_with_env(text, Path::new("w.conf"), &env(&[])).unwrap_err();
    assert_eq!(error.to_string(), "w.conf:3:1: unknown field \"mystery\"");
}

#[test]
fn copies_made_by_variables_are_bounded() {
    // Each line doubles the size of the previous value: without a bound this would be 2^40.
    let mut text = String::from("v0: [1, 2]\n");
    for level in 1..=40 {
        text.push_str(&format!(
            "v{level}: [$v{prev}, $v{prev}]\n",
            prev = level - 1
        ));
    }
    let error = parse(&text, &[]).unwrap_err();
    assert!(
        matches!(error, Error::Limit { what: "values", .. }),
        "{error}"
    );
}
