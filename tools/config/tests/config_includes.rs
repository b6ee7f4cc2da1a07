//! `include` directives: paths relative to the including file, nesting, and bounded depth.

use std::fs;
use std::path::Path;

use natrium_config::{Error, INCLUDE_DEPTH_MAX, load};

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
}

#[test]
fn include_relative_to_the_including_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.conf",
        "port: 4333\ninclude ./conf/auth.conf\nserver_name: main\n",
    );
    write(
        dir.path(),
        "conf/auth.conf",
        "authorization {\n  include 'users.conf'\n}\n",
    );
    write(
        dir.path(),
        "conf/users.conf",
        "users = [\n  {user: alice, password: secret}\n  {user: bob, password: other}\n]\n",
    );
    let loaded = load(&dir.path().join("main.conf")).unwrap();
    assert_eq!(loaded.config.port, Some(4333));
    assert_eq!(loaded.config.server_name.as_deref(), Some("main"));
    let auth = loaded.config.auth.unwrap();
    let names: Vec<&str> = auth.users.iter().map(|user| user.user.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn included_keys_override_and_are_overridden_in_order() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.conf",
        "port: 1\ninclude \"b.conf\"\nhost: after\n",
    );
    write(dir.path(), "b.conf", "port: 2\nhost: from_include\n");
    let loaded = load(&dir.path().join("main.conf")).unwrap();
    assert_eq!(loaded.config.port, Some(2));
    assert_eq!(loaded.config.host.as_deref(), Some("after"));
}

#[test]
fn missing_include_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.conf", "include ./nope.conf\n");
    let error = load(&dir.path().join("main.conf")).unwrap_err();
    assert!(matches!(error, Error::Include { .. }), "{error}");
    let text = error.to_string();
    assert!(
        text.contains("main.conf:1:9: include") && text.contains("nope.conf"),
        "{text}"
    );
}

#[test]
fn self_include_stops_at_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "loop.conf", "a: 1\ninclude loop.conf\n");
    let error = load(&dir.path().join("loop.conf")).unwrap_err();
    match error {
        Error::Limit {
            what,
            max,
            position,
        } => {
            assert_eq!(what, "include depth");
            assert_eq!(max, INCLUDE_DEPTH_MAX);
            assert_eq!(position.line, 2);
        }
        other => panic!("expected a limit error, got {other}"),
    }
}

#[test]
fn errors_in_an_included_file_point_into_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.conf", "include bad.conf\n");
    write(dir.path(), "bad.conf", "ok: 1\nbroken: [1, 2\n");
    let error = load(&dir.path().join("main.conf")).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("bad.conf:3:1"), "{text}");
}
