//! `natrium-blk compact` rewrites blocks without deleted messages and keeps the stream state.

mod common;
use common::*;

#[test]
fn compact_drops_deleted_records_and_keeps_live_ones() {
    let (_temp, dir) = copy_fixture("good");
    let dir = dir.to_str().unwrap();
    let before = stdout(&run(&["dump", dir, "--payload"]));
    let output = run(&["compact", dir]);
    assert!(output.status.success(), "{}", stderr(&output));
    // 3 deleted messages and their 3 tombstones (seq 24 is live, so no tombstone is needed).
    assert!(
        stdout(&output).contains("dropped 6 records, kept 21 records"),
        "{}",
        stdout(&output)
    );
    assert_eq!(stdout(&run(&["dump", dir, "--payload"])), before);
    let all = stdout(&run(&["dump", dir, "--all"]));
    assert_eq!(all.lines().count(), 21);
    let verify = run(&["verify", dir]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let inspect = stdout(&run(&["inspect", dir]));
    assert!(
        inspect.contains("first_seq 1 last_seq 24 msgs 21"),
        "{inspect}"
    );
    assert!(inspect.contains("deleted [5-6, 17]"), "{inspect}");
}
