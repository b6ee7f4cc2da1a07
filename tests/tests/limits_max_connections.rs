//! Limits: past `max_connections`, a new client is refused with nats-server's
//! `-ERR 'maximum connections exceeded'`, and a slot freed by a leaving client is usable again.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::time::Duration;

use natrium_tests::ServerProcess;

/// Connects raw and returns every line the server sends before closing (or the first line
/// after INFO when it stays open).
fn first_lines(port: u16) -> Vec<String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("raw connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let mut reader = BufReader::new(stream);
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => lines.push(line.trim_end().to_owned()),
        }
    }
    lines
}

#[tokio::test]
async fn connections_over_the_limit_are_refused() {
    let server = ServerProcess::start_with_config("max_connections: 2\n", &[]);
    let first = async_nats::connect(server.url())
        .await
        .expect("first connects");
    let second = async_nats::connect(server.url())
        .await
        .expect("second connects");
    natrium_tests::barrier(&first).await;
    natrium_tests::barrier(&second).await;

    let refused = first_lines(server.port);
    assert!(
        refused
            .iter()
            .any(|line| line == "-ERR 'maximum connections exceeded'"),
        "got {refused:?}"
    );

    drop(second);
    // The slot frees once the server has seen the close; retry a bounded number of times.
    let mut admitted = false;
    for _ in 0..50 {
        if let Ok(client) = async_nats::connect(server.url()).await {
            natrium_tests::barrier(&client).await;
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(admitted, "a freed slot admits a new client");
}
