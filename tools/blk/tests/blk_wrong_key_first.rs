//! A wrong `--key` exits 3 on every verb, including the ones that need no key to do their work
//! (`recover`, `compact`), and nothing in the stream directory is changed.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

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
