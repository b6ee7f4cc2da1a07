//! The startup banner names natrium and its own version first, and the nats-server version it
//! is compatible with on a line of its own.

use natrium_tests::ServerProcess;

#[test]
fn banner_names_natrium_then_the_compatible_nats_server() {
    let server = ServerProcess::start(&[]);
    let lines = server.log_lines();
    let first = lines.first().expect("a first log line");
    let own = format!("Starting natrium v{}", env!("CARGO_PKG_VERSION"));
    assert!(first.contains(&own), "{first}");
    assert!(!server.log_text().contains("Starting nats-server"));
    let compatible = lines
        .iter()
        .find(|line| line.contains("Compatible with nats-server: v"))
        .unwrap_or_else(|| panic!("no compatibility line:\n{}", server.log_text()));
    assert!(compatible.contains("[INF]"), "{compatible}");
}
