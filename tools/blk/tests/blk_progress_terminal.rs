//! With stderr on a terminal (a pseudo-terminal here) `verify` draws its progress bar there,
//! with bytes, rate and ETA, while stdout (a pipe) carries only the report. The other tests
//! run with stderr on a pipe and assert it stays empty: off a terminal nothing is drawn.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use natrium_recovery::testkit::{StreamSpec, write_stream};
use nix::pty::{Winsize, openpty};

#[test]
fn verify_draws_its_bar_on_a_terminal_stderr_and_keeps_stdout_clean() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("BIG");
    let mut spec = StreamSpec::sample("BIG", 20_000, 2_000);
    for message in &mut spec.messages {
        message.2 = vec![b'p'; 200];
    }
    write_stream(&dir, &spec).unwrap();

    let size = Winsize {
        ws_row: 24,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(&size, None).unwrap();
    // The Command owns the slave and is dropped at the end of the statement, so once the child
    // exits no slave is open and reading the master ends.
    let child = Command::new(env!("CARGO_BIN_EXE_natrium-blk"))
        .args(["verify", dir.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(pty.slave))
        .spawn()
        .unwrap();
    let mut master = std::fs::File::from(pty.master);
    let reader = std::thread::spawn(move || {
        let mut drawn = Vec::new();
        let mut chunk = [0u8; 4096];
        // Linux reports the closed slave side as EIO rather than end of file.
        while let Ok(n @ 1..) = master.read(&mut chunk) {
            drawn.extend_from_slice(&chunk[..n]);
        }
        drawn
    });
    let output = child.wait_with_output().unwrap();
    let terminal = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();

    assert!(output.status.success(), "{terminal}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "checkpoint: matches the blocks\nok: 10 blocks, 20000 records verified\n"
    );
    assert!(terminal.contains("verifying ["), "{terminal:?}");
    assert!(terminal.contains("MiB"), "the byte counts: {terminal:?}");
    assert!(terminal.contains("/s ETA "), "rate and ETA: {terminal:?}");
}
