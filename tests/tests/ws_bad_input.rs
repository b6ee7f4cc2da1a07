//! Bad input on the WebSocket port, each closing that one connection with Go's answer while
//! an async-nats WebSocket client keeps working: upgrades without the required headers (Go's
//! HTTP status and text), a wrong origin (403) with `same_origin` and with
//! `allowed_origins`, an HTTP head over the limit (431), garbage instead of HTTP, an unmasked
//! frame (close 1002 "mask bit missing"), a frame over the payload limit (close 1009, from
//! its header alone), a close in the middle of a NATS frame (the close echoed), garbage
//! frames, and a client that upgrades and then says nothing (closed by the NATS timers).

use std::io::Write;
use std::time::Duration;

use futures::StreamExt;
use natrium_tests::websocket::{
    UPGRADE, binary, closed, connect, frame, read_close, read_until, request, upgraded,
    websocket_port,
};
use natrium_tests::{ServerProcess, barrier};

fn config(extra: &str) -> String {
    format!("websocket {{\n  host: 127.0.0.1\n  port: -1\n  no_tls: true\n  {extra}\n}}\n")
}

/// An async-nats WebSocket client with a live subscription, checked after each bad input.
struct Witness {
    client: async_nats::Client,
    subscription: async_nats::Subscriber,
    count: u32,
}

impl Witness {
    async fn new(port: u16) -> Self {
        let client = async_nats::connect(format!("ws://127.0.0.1:{port}"))
            .await
            .expect("ws client");
        let subscription = client.subscribe("witness").await.expect("subscribe");
        barrier(&client).await;
        Self {
            client,
            subscription,
            count: 0,
        }
    }

    async fn still_works(&mut self, after: &str) {
        self.count += 1;
        let payload = format!("{}", self.count);
        self.client
            .publish("witness", payload.clone().into())
            .await
            .expect("publish");
        let message = tokio::time::timeout(Duration::from_secs(5), self.subscription.next())
            .await
            .unwrap_or_else(|_| panic!("witness silent after {after}"))
            .expect("message");
        assert_eq!(message.payload, payload, "after {after}");
    }
}

fn refused(port: u16, request_text: &str, status: u16, text: &str) {
    let mut stream = connect(port);
    let (got, head) = request(&mut stream, request_text);
    assert_eq!(got, status, "{head}");
    assert!(head.contains(&format!("{status} {text}\r\n")), "{head}");
    assert!(head.contains("Sec-Websocket-Version: 13\r\n"), "{head}");
    assert!(closed(&mut stream), "closed after {status}");
}

#[tokio::test]
async fn bad_upgrades_get_go_statuses() {
    let server = ServerProcess::start_with_config(&config(""), &[]);
    let port = websocket_port(&server);
    let mut witness = Witness::new(port).await;
    let cases = [
        (UPGRADE.replace("GET", "POST"), 405, "Method Not Allowed"),
        (
            UPGRADE.replace("Upgrade: websocket\r\n", ""),
            400,
            "Bad Request",
        ),
        (
            UPGRADE.replace("Connection: Upgrade\r\n", ""),
            400,
            "Bad Request",
        ),
        (
            UPGRADE.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
            400,
            "Bad Request",
        ),
        (
            UPGRADE.replace("Version: 13", "Version: 12"),
            400,
            "Bad Request",
        ),
        (
            "\x16\x03\x01 not http\r\n\r\n".to_owned(),
            400,
            "Bad Request",
        ),
        (
            UPGRADE.replace(
                "\r\n\r\n",
                &format!("\r\nX-Big: {}\r\n\r\n", "a".repeat(9000)),
            ),
            431,
            "Request Header Fields Too Large",
        ),
    ];
    for (request_text, status, text) in &cases {
        refused(port, request_text, *status, text);
        witness.still_works(text).await;
    }
    assert!(
        server
            .wait_for_log(
                "websocket handshake error: key missing",
                Duration::from_secs(5)
            )
            .is_some(),
        "{}",
        server.log_text()
    );
}

#[tokio::test]
async fn wrong_origins_are_forbidden() {
    let same = ServerProcess::start_with_config(&config("same_origin: true"), &[]);
    let port = websocket_port(&same);
    let mut witness = Witness::new(port).await;
    let foreign = UPGRADE.replace("\r\n\r\n", "\r\nOrigin: http://evil.example\r\n\r\n");
    refused(port, &foreign, 403, "Forbidden");
    witness.still_works("a foreign origin").await;
    let own = UPGRADE.replace("\r\n\r\n", "\r\nOrigin: http://127.0.0.1\r\n\r\n");
    let (status, head) = request(&mut connect(port), &own);
    assert_eq!(status, 101, "{head}");

    let listed = ServerProcess::start_with_config(
        &config("allowed_origins: [\"https://app.example.com\"]"),
        &[],
    );
    let port = websocket_port(&listed);
    let wrong_scheme = UPGRADE.replace("\r\n\r\n", "\r\nOrigin: http://app.example.com\r\n\r\n");
    refused(port, &wrong_scheme, 403, "Forbidden");
    let allowed = UPGRADE.replace("\r\n\r\n", "\r\nOrigin: https://app.example.com\r\n\r\n");
    let (status, head) = request(&mut connect(port), &allowed);
    assert_eq!(status, 101, "{head}");
    assert!(
        listed
            .wait_for_log(
                "origin not allowed: not in the allowed list",
                Duration::from_secs(5)
            )
            .is_some(),
        "{}",
        listed.log_text()
    );
}

#[tokio::test]
async fn bad_frames_close_that_connection_only() {
    let server = ServerProcess::start_with_config(&config(""), &[]);
    let port = websocket_port(&server);
    let mut witness = Witness::new(port).await;

    let mut unmasked = upgraded(port);
    read_until(&mut unmasked, "\r\n").expect("INFO");
    unmasked
        .write_all(&frame(0x82, b"CONNECT {}\r\n", false))
        .expect("send");
    assert_eq!(
        read_close(&mut unmasked),
        (1002, "mask bit missing".to_owned())
    );
    assert!(closed(&mut unmasked));
    witness.still_works("an unmasked frame").await;

    // Only the header of a 1 TiB frame: refused before any payload.
    let mut oversized = upgraded(port);
    read_until(&mut oversized, "\r\n").expect("INFO");
    let mut header = vec![0x82, 0x80 | 127];
    header.extend_from_slice(&(1_u64 << 40).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    oversized.write_all(&header).expect("send");
    let (status, reason) = read_close(&mut oversized);
    assert_eq!(status, 1009, "{reason}");
    assert!(reason.contains("over the limit"), "{reason}");
    assert!(closed(&mut oversized));
    witness.still_works("an oversized frame").await;

    // A close in the middle of a NATS frame: echoed, the half message is dropped.
    let mut half = upgraded(port);
    read_until(&mut half, "\r\n").expect("INFO");
    half.write_all(&binary(
        b"CONNECT {\"verbose\":false}\r\nPUB witness 5\r\nhe",
    ))
    .expect("send");
    half.write_all(&frame(0x88, &1000_u16.to_be_bytes(), true))
        .expect("close");
    assert_eq!(read_close(&mut half).0, 1000);
    assert!(closed(&mut half));
    witness.still_works("a close inside a message").await;

    // Garbage frames: an unknown opcode, then raw noise.
    let mut garbage = upgraded(port);
    read_until(&mut garbage, "\r\n").expect("INFO");
    garbage.write_all(&frame(0x83, b"xx", true)).expect("send");
    assert_eq!(
        read_close(&mut garbage),
        (1002, "unknown opcode 3".to_owned())
    );
    assert!(closed(&mut garbage));
    let mut noise = upgraded(port);
    read_until(&mut noise, "\r\n").expect("INFO");
    noise.write_all(&[0xff; 64]).expect("send");
    assert_eq!(read_close(&mut noise).0, 1002);
    assert!(closed(&mut noise));
    witness.still_works("garbage frames").await;

    // NATS garbage inside good frames: the NATS front-end's own error, then a close.
    let mut bad_protocol = upgraded(port);
    read_until(&mut bad_protocol, "\r\n").expect("INFO");
    bad_protocol
        .write_all(&binary(b"HELLO THERE\r\n"))
        .expect("send");
    let text = read_until(&mut bad_protocol, "-ERR").unwrap_or_default();
    assert!(text.contains("-ERR"), "{text}");
    assert!(closed(&mut bad_protocol));
    witness.still_works("a protocol error").await;
}

#[tokio::test]
async fn a_ping_frame_gets_a_pong_and_a_silent_upgrade_is_bounded() {
    let server = ServerProcess::start_with_config(&config("handshake_timeout: \"500ms\""), &[]);
    let port = websocket_port(&server);
    let mut witness = Witness::new(port).await;

    let mut pinger = upgraded(port);
    read_until(&mut pinger, "\r\n").expect("INFO");
    pinger.write_all(&frame(0x89, b"hey", true)).expect("ping");
    let pong = read_until(&mut pinger, "never").expect_err("a control frame");
    assert_eq!(pong, (0x0a, b"hey".to_vec()));

    // Connected, but no upgrade request: closed at the handshake timeout.
    let mut silent = connect(port);
    assert!(closed(&mut silent), "closed within the handshake timeout");
    // Half a request head, then silence: the same.
    let mut half = connect(port);
    half.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .expect("send");
    assert!(closed(&mut half));
    witness.still_works("silent clients").await;
}
