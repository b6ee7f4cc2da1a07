//! JetStream settings: on by default, the store directory is created at start; while the
//! JetStream API is served only in part (no consumers yet) INFO does not advertise it (one log
//! line says so); `-js=false` leaves the directory alone.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::time::Duration;

use natrium_tests::ServerProcess;

fn info_line(port: u16) -> String {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("raw connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).expect("INFO");
    line
}

#[test]
fn store_dir_created_but_not_advertised() {
    let server = ServerProcess::start(&[]);
    assert!(
        server.dir.path().join("jetstream").is_dir(),
        "store directory created"
    );
    let notice = server
        .log_lines()
        .into_iter()
        .find(|line| line.contains("JetStream"));
    let notice = notice.unwrap_or_else(|| panic!("no JetStream line:\n{}", server.log_text()));
    assert!(
        notice.contains("[WRN]") && notice.contains("served in part"),
        "{notice}"
    );
    let info = info_line(server.port);
    assert!(info.starts_with("INFO {"), "{info}");
    assert!(!info.contains("\"jetstream\":true"), "{info}");
}

#[test]
fn disabled_jetstream_creates_nothing() {
    let server = ServerProcess::start(&["-js=false"]);
    assert!(!server.dir.path().join("jetstream").exists());
    assert!(
        !server.log_text().contains("JetStream"),
        "{}",
        server.log_text()
    );
}
