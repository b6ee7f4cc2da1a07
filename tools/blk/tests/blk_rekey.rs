//! `natrium-blk rekey` rotates an encrypted stream's key into a new directory: the new stream
//! verifies and dumps the same messages under the new key, the old key is refused there, and
//! the source is left as it was. A wrong old key exits 3 and creates nothing.

mod common;
use common::*;

#[test]
fn rekey_rotates_into_a_new_directory() {
    let (temp, dir) = copy_fixture("good-aes");
    let into = temp.path().join("rotated");
    let (old_key, new_key) = (
        fixture_key_hex(),
        "00112233445566778899aabbccddeeff".to_owned(),
    );
    let (dir, into_text) = (dir.to_str().unwrap(), into.to_str().unwrap());
    let before = snapshot(std::path::Path::new(dir));
    let output = run(&[
        "rekey",
        dir,
        "--key",
        &old_key,
        "--new-key",
        &new_key,
        "--into",
        into_text,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("27 records sealed again"),
        "{}",
        stdout(&output)
    );
    assert_eq!(
        snapshot(std::path::Path::new(dir)),
        before,
        "the source is untouched"
    );

    let verify = run(&["verify", into_text, "--key", &new_key]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert_eq!(
        run(&["verify", into_text, "--key", &old_key]).status.code(),
        Some(3)
    );
    let old_dump = stdout(&run(&[
        "dump",
        dir,
        "--key",
        &old_key,
        "--payload",
        "--headers",
    ]));
    let new_dump = stdout(&run(&[
        "dump",
        into_text,
        "--key",
        &new_key,
        "--payload",
        "--headers",
    ]));
    assert_eq!(new_dump, old_dump);
    assert_eq!(new_dump.lines().count(), 21);
}

#[test]
fn a_wrong_old_key_exits_3_and_creates_nothing() {
    let (temp, dir) = copy_fixture("good-aes");
    let into = temp.path().join("rotated");
    let output = run(&[
        "rekey",
        dir.to_str().unwrap(),
        "--key",
        "ffff",
        "--new-key",
        "0011",
        "--into",
        into.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(!into.exists());
}
