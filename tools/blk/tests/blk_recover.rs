//! `natrium-blk recover`: --salvage keeps every intact record and quarantines the damage; the
//! default mode cuts a torn tail and refuses mid-block damage.

mod common;
use common::*;

#[test]
fn salvage_into_a_new_directory_keeps_intact_records() {
    let (temp, dir) = copy_fixture("bitflip");
    let into = temp.path().join("repaired");
    let output = run(&[
        "recover",
        dir.to_str().unwrap(),
        "--salvage",
        "--into",
        into.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("kept 26 records"), "{text}");
    assert!(
        text.contains("quarantined block 2 bytes 177..240"),
        "{text}"
    );
    assert!(text.contains("sequences 11..=11 may be lost"), "{text}");
    assert!(into.join("quarantine/0000000002.blk.177.bad").exists());
    let verify = run(&["verify", into.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let dump = stdout(&run(&["dump", into.to_str().unwrap()]));
    assert_eq!(dump.lines().count(), 20);
    assert!(!dump.contains("seq=11 "));
}

#[test]
fn default_mode_cuts_a_torn_tail_in_place_and_refuses_mid_block_damage() {
    let (_temp, dir) = copy_fixture("torn");
    let output = run(&["recover", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("quarantined block 4 bytes 112..143"));
    assert!(run(&["verify", dir.to_str().unwrap()]).status.success());
    let (_temp, dir) = copy_fixture("bitflip");
    let output = run(&["recover", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("try --salvage"));
}
