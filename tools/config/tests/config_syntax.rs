//! Every syntax form of the nats-server configuration format, checked on the parsed tree.

use std::collections::HashMap;
use std::path::Path;

use natrium_config::{Map, Value, parse_document};

fn parse(text: &str) -> Map {
    let env: HashMap<String, String> = HashMap::new();
    match parse_document(text, Path::new("test.conf"), &env) {
        Ok(map) => map,
        Err(error) => panic!("{error}\n--- input ---\n{text}"),
    }
}

fn get<'m>(map: &'m Map, key: &str) -> &'m Value {
    &map.get(key)
        .unwrap_or_else(|| panic!("missing key {key}"))
        .item
        .value
}

fn string(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// The elements of an array value, without positions.
fn elements(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.iter().map(|item| item.value.clone()).collect(),
        other => panic!("expected an array, got {other:?}"),
    }
}

fn submap(value: &Value) -> &Map {
    match value {
        Value::Map(map) => map,
        other => panic!("expected a map, got {other:?}"),
    }
}

#[test]
fn three_key_separators() {
    let map = parse("a: 1\nb = 2\nc 3\nd:4\ne=5\n\"quoted key\": 6\n'single key' = 7\n");
    for (key, expected) in [("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)] {
        assert_eq!(get(&map, key), &Value::Integer(expected));
    }
    assert_eq!(get(&map, "quoted key"), &Value::Integer(6));
    assert_eq!(get(&map, "single key"), &Value::Integer(7));
    let keys: Vec<&str> = map
        .entries()
        .iter()
        .map(|entry| entry.key.as_str())
        .collect();
    assert_eq!(keys, ["a", "b", "c", "d", "e", "quoted key", "single key"]);
}

#[test]
fn comments_of_both_kinds() {
    let text = "# leading\n// another\na: 1 # trailing\nb: 2 // trailing\n  # indented\n\
                c: [1, # in an array\n 2]\nd { // in a block\n x: 1 }\n";
    let map = parse(text);
    assert_eq!(get(&map, "a"), &Value::Integer(1));
    assert_eq!(get(&map, "b"), &Value::Integer(2));
    assert_eq!(
        elements(get(&map, "c")),
        [Value::Integer(1), Value::Integer(2)]
    );
    assert_eq!(get(submap(get(&map, "d")), "x"), &Value::Integer(1));
    assert_eq!(map.len(), 4);
}

#[test]
fn strings_quoted_unquoted_and_escaped() {
    let text = r#"
dq: "hello world"
sq: 'raw \n stays'
escapes: "tab\tnl\ncr\rquote\"slash\\hex\x41"
bare: hello
path: /var/lib/nats
url: nats://user:pass@localhost:4222
hash_inside: foo#bar
empty: ""
"#;
    let map = parse(text);
    assert_eq!(get(&map, "dq"), &string("hello world"));
    assert_eq!(get(&map, "sq"), &string("raw \\n stays"));
    assert_eq!(
        get(&map, "escapes"),
        &string("tab\tnl\ncr\rquote\"slash\\hexA")
    );
    assert_eq!(get(&map, "bare"), &string("hello"));
    assert_eq!(get(&map, "path"), &string("/var/lib/nats"));
    assert_eq!(get(&map, "url"), &string("nats://user:pass@localhost:4222"));
    assert_eq!(get(&map, "hash_inside"), &string("foo#bar"));
    assert_eq!(get(&map, "empty"), &string(""));
}

#[test]
fn block_strings() {
    let map = parse("text (\nline one\n  line two\n)\nafter: 1\n");
    assert_eq!(get(&map, "text"), &string("\nline one\n  line two"));
    assert_eq!(get(&map, "after"), &Value::Integer(1));
}

#[test]
fn numbers_and_booleans() {
    let text = "i: 42\nn: -7\nf: 2.5\nnf: -0.25\nbig: 9223372036854775807\n\
                t1: true\nt2: YES\nt3: on\nf1: false\nf2: No\nf3: OFF\n";
    let map = parse(text);
    assert_eq!(get(&map, "i"), &Value::Integer(42));
    assert_eq!(get(&map, "n"), &Value::Integer(-7));
    assert_eq!(get(&map, "f"), &Value::Float(2.5));
    assert_eq!(get(&map, "nf"), &Value::Float(-0.25));
    assert_eq!(get(&map, "big"), &Value::Integer(i64::MAX));
    for key in ["t1", "t2", "t3"] {
        assert_eq!(get(&map, key), &Value::Bool(true), "{key}");
    }
    for key in ["f1", "f2", "f3"] {
        assert_eq!(get(&map, key), &Value::Bool(false), "{key}");
    }
}

#[test]
fn size_units_as_go() {
    let cases = [
        ("1k", 1_000),
        ("1K", 1_000),
        ("1kb", 1_024),
        ("64KB", 65_536),
        ("2Ki", 2_048),
        ("1KiB", 1_024),
        ("1m", 1_000_000),
        ("1MB", 1_048_576),
        ("1mib", 1_048_576),
        ("1G", 1_000_000_000),
        ("1GB", 1_073_741_824),
        ("1T", 1_000_000_000_000),
        ("1TB", 1_099_511_627_776),
        ("1p", 1_000_000_000_000_000),
        ("1e", 1_000_000_000_000_000_000),
        ("-2k", -2_000),
    ];
    for (text, expected) in cases {
        let map = parse(&format!("size: {text}\n"));
        assert_eq!(get(&map, "size"), &Value::Integer(expected), "{text}");
    }
}

#[test]
fn durations_and_addresses_are_strings() {
    let text = "a: 10s\nb: \"2m\"\nc: 1h30m\nd: 500ms\n\
                listen: 127.0.0.1:4222\nhost: localhost:4222\nip: 10.0.0.1\nv6: \"[::1]:4222\"\n\
                when: 2026-01-02T03:04:05Z\n";
    let map = parse(text);
    assert_eq!(get(&map, "a"), &string("10s"));
    assert_eq!(get(&map, "b"), &string("2m"));
    assert_eq!(get(&map, "c"), &string("1h30m"));
    assert_eq!(get(&map, "d"), &string("500ms"));
    assert_eq!(get(&map, "listen"), &string("127.0.0.1:4222"));
    assert_eq!(get(&map, "host"), &string("localhost:4222"));
    assert_eq!(get(&map, "ip"), &string("10.0.0.1"));
    assert_eq!(get(&map, "v6"), &string("[::1]:4222"));
    assert_eq!(
        get(&map, "when"),
        &Value::Datetime("2026-01-02T03:04:05Z".into())
    );
}

#[test]
fn arrays_and_trailing_commas() {
    let text =
        "a: [1, 2, 3]\nb: [\n  \"x\",\n  'y',\n  z,\n]\nc: []\nd: [1\n2\n3]\ne: [[1, 2], [3]]\n";
    let map = parse(text);
    let ints = |values: &[i64]| {
        values
            .iter()
            .map(|v| Value::Integer(*v))
            .collect::<Vec<_>>()
    };
    assert_eq!(elements(get(&map, "a")), ints(&[1, 2, 3]));
    assert_eq!(
        elements(get(&map, "b")),
        [string("x"), string("y"), string("z")]
    );
    assert!(elements(get(&map, "c")).is_empty());
    assert_eq!(elements(get(&map, "d")), ints(&[1, 2, 3]));
    let nested = elements(get(&map, "e"));
    assert_eq!(elements(&nested[0]), ints(&[1, 2]));
    assert_eq!(elements(&nested[1]), ints(&[3]));
}

#[test]
fn blocks_one_line_maps_and_terminators() {
    let text = "outer {\n  inner: {a: 1, b: 2,}\n  list = [{x: 1}, {x: 2}]\n}\n\
                one_line: {a: 1; b: \"two\"; c: true}\nk1: 1; k2: 2, k3: 3\n";
    let map = parse(text);
    let outer = submap(get(&map, "outer"));
    let inner = submap(get(outer, "inner"));
    assert_eq!(get(inner, "a"), &Value::Integer(1));
    assert_eq!(get(inner, "b"), &Value::Integer(2));
    let list = elements(get(outer, "list"));
    assert_eq!(get(submap(&list[1]), "x"), &Value::Integer(2));
    let one_line = submap(get(&map, "one_line"));
    assert_eq!(get(one_line, "b"), &string("two"));
    assert_eq!(get(one_line, "c"), &Value::Bool(true));
    for (key, expected) in [("k1", 1), ("k2", 2), ("k3", 3)] {
        assert_eq!(get(&map, key), &Value::Integer(expected));
    }
}

#[test]
fn top_level_braces_and_repeated_keys() {
    let map = parse("{\n  port: 4222\n  port: 4333\n}\nname: x\n");
    assert_eq!(get(&map, "port"), &Value::Integer(4333));
    assert_eq!(get(&map, "name"), &string("x"));
    assert_eq!(map.len(), 2);
    // One stray closing brace at the very end is tolerated, as by Go; elsewhere it is not.
    let map = parse("port: 4222\n}\n# done\n");
    assert_eq!(get(&map, "port"), &Value::Integer(4222));
    let env: HashMap<String, String> = HashMap::new();
    assert!(parse_document("}\nport: 1\n", Path::new("t.conf"), &env).is_err());
}

#[test]
fn positions_are_recorded() {
    let map = parse("a: 1\n  b: \"x\"\n");
    let entry = map.get("b").unwrap();
    assert_eq!((entry.key_position.line, entry.key_position.column), (2, 3));
    assert_eq!(
        (entry.item.position.line, entry.item.position.column),
        (2, 6)
    );
    assert_eq!(entry.item.position.file.to_str(), Some("test.conf"));
}
