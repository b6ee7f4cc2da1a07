//! A JetStream mode against a server without JetStream (nothing answers `$JS.API`) gives
//! up at its deadline with an error naming the step it waited for, instead of hanging.

mod fake_server;

use std::time::{Duration, Instant};

use fake_server::FakeServer;

#[test]
fn a_server_without_jetstream_fails_by_the_deadline() {
    let server = FakeServer::start(0);
    let started = Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_natrium-bench"))
        .args(["js-pub", "--msgs", "10", "--timeout-s", "1"])
        .args(["--url", &server.url, "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("deleting"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
}
