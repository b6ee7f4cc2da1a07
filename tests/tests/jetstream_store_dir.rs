//! JetStream settings: on by default, the store directory is created at start and INFO
//! advertises it; one warning names what is not served yet; `-js=false` leaves the directory
//! alone and INFO says `jetstream` false.

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
fn store_dir_created_and_advertised() {
    let server = ServerProcess::start(&[]);
    assert!(
        server.dir.path().join("jetstream").is_dir(),
        "store directory created"
    );
    let log = server.log_text();
    assert!(log.contains("[INF] Starting JetStream"), "{log}");
    assert!(
        log.contains("[WRN] JetStream features not served yet"),
        "{log}"
    );
    let info = info_line(server.port);
    assert!(info.starts_with("INFO {"), "{info}");
    assert!(info.contains("\"jetstream\":true"), "{info}");
}

#[test]
fn disabled_jetstream_creates_nothing() {
    let server = ServerProcess::start(&["-js=false"]);
    assert!(!server.dir.path().join("jetstream").exists());
    assert!(!info_line(server.port).contains("\"jetstream\":true"));
    assert!(
        !server.log_text().contains("JetStream"),
        "{}",
        server.log_text()
    );
}
