//! `natrium-blk inspect` shows blocks, state, subjects and the checkpoint against reality,
//! including damage, without failing on it.

mod common;
use common::*;

#[test]
fn inspect_reports_blocks_subjects_and_checkpoint() {
    let output = run(&["inspect", fixture("good").to_str().unwrap()]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("stream \"FIXTURE\""), "{text}");
    assert!(
        text.contains("state (from blocks): first_seq 1 last_seq 24 msgs 21"),
        "{text}"
    );
    assert!(text.contains("  orders.1 8"), "{text}");
    assert!(text.contains("checkpoint: matches the blocks"), "{text}");
}

#[test]
fn inspect_shows_damage_and_bad_checkpoints() {
    let text = stdout(&run(&["inspect", fixture("bitflip").to_str().unwrap()]));
    assert!(text.contains("damaged 177..240"), "{text}");
    assert!(text.contains("checkpoint CONFLICT: block 2 crc"), "{text}");
    let text = stdout(&run(&[
        "inspect",
        fixture("badcheckpoint").to_str().unwrap(),
    ]));
    assert!(
        text.contains("checkpoint: unreadable: stream.state: checksum mismatch"),
        "{text}"
    );
}
