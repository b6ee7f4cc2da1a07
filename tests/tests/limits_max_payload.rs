//! Limits: the configured `max_payload` is advertised in INFO, and a publish over it is
//! refused with `-ERR 'Maximum Payload Violation'` and the connection closed, as nats-server
//! does.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use natrium_tests::ServerProcess;

#[tokio::test]
async fn oversized_publish_is_refused() {
    let server = ServerProcess::start_with_config("max_payload: 1024\n", &[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    assert_eq!(client.server_info().max_payload, 1024);

    // The client library checks max_payload itself, so speak the protocol directly.
    let stream = TcpStream::connect(("127.0.0.1", server.port)).expect("raw connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("INFO");
    assert!(line.starts_with("INFO "), "{line}");
    // Only the control line: the size alone is the violation, and sending no payload leaves
    // nothing unread on the server's side, so its close is a clean FIN (not a reset that
    // could discard the error line).
    let mut writer = stream;
    write!(
        writer,
        "CONNECT {{\"verbose\":false}}\r\nPUB too.big 2000\r\n"
    )
    .expect("write");

    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => lines.push(line.trim_end().to_owned()),
        }
    }
    assert!(
        lines
            .iter()
            .any(|line| line == "-ERR 'Maximum Payload Violation'"),
        "got {lines:?}"
    );
}
