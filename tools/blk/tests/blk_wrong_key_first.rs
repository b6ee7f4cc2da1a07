//! A wrong `--key` exits 3 on every verb, including the ones that need no key to do their work
//! (`recover`, `compact`), and nothing in the stream directory is changed.

mod common;
use common::*;

#[test]
fn a_wrong_key_exits_3_on_every_verb_and_changes_nothing() {
    let (_temp, dir) = copy_fixture("good-aes");
    let before = snapshot(&dir);
    let path = dir.to_str().unwrap();
    for verb in ["inspect", "verify", "dump", "recover", "compact"] {
        let output = run(&[verb, path, "--key", "00ff"]);
        assert_eq!(output.status.code(), Some(3), "{verb}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("wrong key"),
            "{verb}: {}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty(), "{verb}: {}", stdout(&output));
        assert_eq!(snapshot(&dir), before, "{verb} changed the directory");
    }
    // The right key lets compact do its work: good-aes has 3 deleted messages, each with its
    // tombstone, to drop.
    let key = fixture_key_hex();
    let output = run(&["compact", path, "--key", &key]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("dropped 6 records"),
        "{}",
        stdout(&output)
    );
    assert_ne!(snapshot(&dir), before);
}
