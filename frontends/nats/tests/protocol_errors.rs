//! Every `-ERR` text the Go server sends, byte for byte, and whether the connection stays.

mod common;

use common::{Client, options, start, start_with};
use natrium_auth::Authenticator;

/// Sends `input` on a fresh connection and returns everything received until the close.
async fn until_close(server: &common::TestServer, input: &[u8]) -> Vec<u8> {
    let (mut client, _) = Client::connect(server).await;
    client.send(input).await;
    client.read_to_close().await
}

#[tokio::test]
async fn closing_errors() {
    let server = start().await;
    let cases: [(&[u8], &[u8]); 9] = [
        (b"FOO\r\n", b"-ERR 'Unknown Protocol Operation'\r\n"),
        (b"\r\nPING\r\n", b"-ERR 'Unknown Protocol Operation'\r\n"),
        (
            b"PUB foo 1\r\nab\r\n",
            b"-ERR 'Unknown Protocol Operation'\r\n",
        ),
        (b"PUB foo 2000\r\n", b"-ERR 'Maximum Payload Violation'\r\n"),
        (
            b"CONNECT {\"verbose\":false,\"headers\":true}\r\nHPUB foo 12 2000\r\n",
            b"-ERR 'Maximum Payload Violation'\r\n",
        ),
        (
            b"CONNECT {\"protocol\":2}\r\n",
            b"-ERR 'invalid client protocol'\r\n",
        ),
        (
            b"CONNECT {\"no_responders\":true}\r\n",
            b"-ERR 'no responders requires headers support'\r\n",
        ),
        // Malformed arguments and bad JSON close silently, as in the Go server.
        (b"PUB foo x\r\n", b""),
        (b"CONNECT xx\r\n", b""),
    ];
    for (input, expected) in cases {
        let got = until_close(&server, input).await;
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected),
            "{input:?}"
        );
    }
    let long = format!("SUB {} 1\r\n", "a".repeat(300));
    let got = until_close(&server, long.as_bytes()).await;
    assert_eq!(got, b"-ERR 'maximum control line exceeded'\r\n");
}

#[tokio::test]
async fn errors_that_keep_the_connection() {
    let mut opts = options();
    opts.max_subscriptions = 2;
    let server = start_with(opts, Authenticator::open()).await;
    let mut client = Client::connect_quiet(&server, "").await;
    client
        .send(b"SUB foo..bar 1\r\nSUB a 1\r\nSUB b 2\r\nSUB c 3\r\n")
        .await;
    let got = client.sync().await;
    assert_eq!(
        String::from_utf8_lossy(&got),
        "-ERR 'Invalid Subject'\r\n-ERR 'maximum subscriptions exceeded'\r\n"
    );
    client
        .send(b"CONNECT {\"verbose\":false,\"pedantic\":true}\r\nPUB foo.* 1\r\na\r\n")
        .await;
    assert_eq!(client.sync().await, b"-ERR 'Invalid Publish Subject'\r\n");
}

#[tokio::test]
async fn max_connections_exceeded() {
    let mut opts = options();
    opts.max_connections = 1;
    let server = start_with(opts, Authenticator::open()).await;
    let _first = Client::connect_quiet(&server, "").await;
    let (mut second, _) = Client::connect(&server).await;
    assert_eq!(
        second.read_to_close().await,
        b"-ERR 'maximum connections exceeded'\r\n"
    );
}

#[tokio::test]
async fn stale_connection_after_unanswered_pings() {
    let mut opts = options();
    opts.ping_interval = std::time::Duration::from_millis(50);
    opts.ping_max = 2;
    let server = start_with(opts, Authenticator::open()).await;
    let (mut client, _) = Client::connect(&server).await;
    let got = client.read_to_close().await;
    assert_eq!(
        String::from_utf8_lossy(&got),
        "PING\r\nPING\r\n-ERR 'Stale Connection'\r\n"
    );
}

#[tokio::test]
async fn defaults_before_connect_are_verbose_and_pedantic() {
    let server = start().await;
    let (mut client, _) = Client::connect(&server).await;
    client.send(b"PUB foo.* 2\r\nhi\r\nSUB a 1\r\n").await;
    assert_eq!(
        String::from_utf8_lossy(&client.sync().await),
        "-ERR 'Invalid Publish Subject'\r\n+OK\r\n+OK\r\n"
    );
    // CONNECT field names match case-insensitively, as Go's JSON decoder does.
    client
        .send(b"CONNECT {\"Verbose\":false}\r\nSUB b 2\r\n")
        .await;
    assert_eq!(client.sync().await, b"");
}

#[tokio::test]
async fn client_info_and_err_frames() {
    let server = start().await;
    // A client INFO that parses is ignored; one that does not closes silently.
    let mut client = Client::connect_quiet(&server, "").await;
    client.send(b"INFO {\"x\":1}\r\n").await;
    assert_eq!(client.sync().await, b"");
    assert_eq!(until_close(&server, b"INFO\r\nPING\r\n").await, b"");
    // -ERR from a client closes silently; "-ERRX" is not a verb.
    assert_eq!(until_close(&server, b"-ERR 'boom'\r\n").await, b"");
    assert_eq!(
        until_close(&server, b"-ERRX\r\n").await,
        b"-ERR 'Unknown Protocol Operation'\r\n"
    );
}
