//! Logging: `-l FILE` writes Go-format lines (`[PID] 2026/11/22 04:26:45.123456 [INF] ...`)
//! to the file, and `--signal reopen` (SIGUSR1) reopens it after a rotation moved it away.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use natrium_tests::natrium_binary;

/// Kills the server on drop, whatever the test's outcome.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `path` holds a line containing `needle`. A file has no change event to await
/// portably, so this polls at a short interval, within a bound.
fn wait_for_line(path: &Path, needle: &str) -> String {
    let deadline = Instant::now() + natrium_tests::STARTUP_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(line) = text.lines().find(|line| line.contains(needle)) {
            return line.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in {}:\n{text}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True for `[PID] YYYY/MM/DD hh:mm:ss.uuuuuu [LVL] text`.
fn is_go_format(line: &str, pid: u32) -> bool {
    let Some(rest) = line.strip_prefix(&format!("[{pid}] ")) else {
        return false;
    };
    let (stamp, rest) = rest.split_at(rest.len().min(26));
    let digits_at = [
        0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23, 24, 25,
    ];
    let bytes = stamp.as_bytes();
    digits_at
        .iter()
        .all(|&index| bytes.get(index).is_some_and(u8::is_ascii_digit))
        && bytes.get(4) == Some(&b'/')
        && bytes.get(10) == Some(&b' ')
        && bytes.get(19) == Some(&b'.')
        && rest.starts_with(" [INF] ")
}

#[test]
fn log_file_is_written_and_reopened() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("natrium.log");
    let store = dir.path().join("js");
    let child = Command::new(natrium_binary())
        .args(["-a", "127.0.0.1", "-p", "-1", "-sd"])
        .arg(&store)
        .arg("-l")
        .arg(&log)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn natrium");
    let mut server = Guard(child);
    let pid = server.0.id();

    let ready = wait_for_line(&log, "Server is ready");
    assert!(is_go_format(&ready, pid), "{ready}");
    wait_for_line(&log, "Listening for client connections on 127.0.0.1:");

    let rotated = dir.path().join("natrium.log.1");
    std::fs::rename(&log, &rotated).expect("rotate");
    let status = Command::new(natrium_binary())
        .args(["--signal", &format!("reopen={pid}")])
        .status()
        .expect("send reopen");
    assert!(status.success());
    let reopened = wait_for_line(&log, "File log re-opened");
    assert!(is_go_format(&reopened, pid), "{reopened}");

    let status = Command::new(natrium_binary())
        .args(["--signal", &format!("quit={pid}")])
        .status()
        .expect("send quit");
    assert!(status.success());
    wait_for_line(&log, "Server Exiting..");
    let old = std::fs::read_to_string(&rotated).expect("rotated log");
    assert!(
        old.contains("Server is ready") && !old.contains("Server Exiting"),
        "{old}"
    );
    let exit = server.0.wait().expect("wait");
    assert!(exit.success(), "{exit:?}");
}
