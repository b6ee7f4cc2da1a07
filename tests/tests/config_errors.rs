//! Configuration: a malformed or missing file stops the server with a clear message and a
//! non-zero exit; an unknown key is an error, as in Go; `-t` checks a file and exits.

use natrium_tests::run_binary;

#[test]
fn syntax_error_exits_non_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("broken.conf");
    std::fs::write(&path, "port: 4222\nauthorization {\n  user: alice\n").expect("write");
    let (status, stderr) = run_binary(&["-c", path.to_str().expect("utf-8")]);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("broken.conf"),
        "the message names the file: {stderr}"
    );
}

#[test]
fn missing_file_exits_non_zero() {
    let (status, stderr) = run_binary(&["-c", "/nonexistent/natrium.conf"]);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/nonexistent/natrium.conf"), "{stderr}");
}

#[test]
fn check_flag_validates_and_exits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("good.conf");
    std::fs::write(&path, "port: 4333\n").expect("write");
    let (status, stderr) = run_binary(&["-t", "-c", path.to_str().expect("utf-8")]);
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("is valid"), "{stderr}");
}

#[test]
fn unknown_key_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("typo.conf");
    std::fs::write(&path, "port: -1\nno_such_option: 5\n").expect("write");
    let path = path.to_str().expect("utf-8");
    let (status, stderr) = run_binary(&["-c", path]);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{path}:2:1: unknown field \"no_such_option\"")),
        "{stderr}"
    );
}
