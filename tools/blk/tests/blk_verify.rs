//! `natrium-blk verify` passes on the good fixtures and fails with file and offset on each
//! corrupt one; a wrong key is reported as such, not as corruption.

mod common;
use common::*;

#[test]
fn verify_passes_on_good_stores() {
    let output = run(&["verify", fixture("good").to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("ok: 4 blocks, 27 records verified"));
    let key = fixture_key_hex();
    let output = run(&[
        "verify",
        fixture("good-aes").to_str().unwrap(),
        "--key",
        &key,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn verify_names_file_and_offset_of_each_corruption() {
    let cases = [
        (
            "bitflip",
            "blocks/0000000002.blk: corrupt at offset 177: checksum mismatch",
        ),
        (
            "torn",
            "blocks/0000000004.blk: corrupt at offset 112: truncated",
        ),
        (
            "badcheckpoint",
            "stream.state: checksum mismatch at offset 304",
        ),
    ];
    for (name, expected) in cases {
        let output = run(&["verify", fixture(name).to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{name}");
        assert!(
            stderr(&output).contains(expected),
            "{name}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn wrong_key_is_not_corruption() {
    let output = run(&[
        "verify",
        fixture("good-aes").to_str().unwrap(),
        "--key",
        "00ff",
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("wrong key"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("corrupt"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["verify"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate", "x"]).status.code(), Some(2));
}
