//! Monitoring: a client that disconnects moves from `/connz` to `/connz?state=closed` with
//! its stop time, the Go server's reason text ("Client Closed"), its final counters, its user
//! on `auth=1` and its subscriptions (with the account, as Go shows them) on `subs=detail`;
//! `state=any` lists open and closed connections together.
//!
//! The leaving client speaks the protocol over a raw socket so that it closes cleanly, having
//! read everything the server sent: a client library may close with a PONG to its own
//! PING still unread, which the server sees as a reset ("Read Error", as Go reports it).

mod monitor_support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

use monitor_support::{CLOSED_WAIT, column};
use natrium_tests::{ServerProcess, http_json};

/// Reads from `stream` until what was received contains `needle`.
fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut received = Vec::new();
    let mut chunk = [0_u8; 4096];
    while !String::from_utf8_lossy(&received).contains(needle) {
        let read = stream.read(&mut chunk).expect("read from the server");
        assert!(read > 0, "closed before {needle:?}: {received:?}");
        received.extend_from_slice(chunk.get(..read).unwrap_or_default());
    }
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn closed_connection_listed_with_reason() {
    let server = ServerProcess::start(&["-m", "-1", "--user", "alice", "--pass", "pw"]);
    let monitor = server.monitor_port.expect("monitor port");
    let staying = async_nats::ConnectOptions::with_user_and_password("alice".into(), "pw".into())
        .name("staying")
        .connect(server.url())
        .await
        .expect("connect staying");
    let mut leaving = TcpStream::connect(("127.0.0.1", server.port)).expect("raw connect");
    leaving
        .set_read_timeout(Some(CLOSED_WAIT))
        .expect("read timeout");
    leaving
        .write_all(
            b"CONNECT {\"user\":\"alice\",\"pass\":\"pw\",\"name\":\"leaving\",\"lang\":\"raw\"}\r\n\
              SUB closed.a 1\r\nSUB closed.b workers 2\r\nPING\r\n",
        )
        .expect("send");
    read_until(&mut leaving, "PONG\r\n");
    staying
        .publish("closed.a", "hello".into())
        .await
        .expect("publish");
    // The raw reads below block this (single-threaded) runtime: send the message first.
    staying.flush().await.expect("flush");
    read_until(&mut leaving, "MSG closed.a 1 5\r\nhello\r\n");
    assert_eq!(column(monitor, "/connz?state=closed", "name").len(), 0);

    // Closing our side; the server records the close before it closes its own.
    leaving.shutdown(Shutdown::Write).expect("shutdown");
    let mut rest = Vec::new();
    leaving
        .read_to_end(&mut rest)
        .expect("read until the server closes");
    let connz = http_json(monitor, "/connz?state=closed&auth=1&subs=detail");
    assert_eq!(connz["total"], 1, "{connz}");
    let closed = &connz["connections"][0];
    assert_eq!(closed["name"], "leaving");
    assert_eq!(closed["lang"], "raw");
    assert_eq!(closed["reason"], "Client Closed");
    assert_eq!(closed["authorized_user"], "alice");
    assert_ne!(closed["rtt"], "0s", "estimated at CONNECT: {closed}");
    let stop = closed["stop"].as_str().expect("stop time");
    let start = closed["start"].as_str().expect("start time");
    assert!(stop.ends_with('Z') && stop >= start, "{closed}");
    assert_eq!(
        (&closed["out_msgs"], &closed["out_bytes"]),
        (&1.into(), &5.into())
    );
    assert_eq!(closed["subscriptions"], 2);
    let cid = closed["cid"].as_u64().expect("cid");
    let mut details = closed["subscriptions_list_detail"]
        .as_array()
        .expect("subscription details")
        .clone();
    details.sort_by_key(|detail| detail["sid"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        details,
        [
            serde_json::json!({"account": "$G", "subject": "closed.a", "sid": "1", "msgs": 1,
                               "cid": cid}),
            serde_json::json!({"account": "$G", "subject": "closed.b", "qgroup": "workers",
                               "sid": "2", "msgs": 0, "cid": cid}),
        ]
    );

    assert_eq!(column(monitor, "/connz", "name"), ["staying"]);
    let any = http_json(monitor, "/connz?state=any");
    assert_eq!(any["total"], 2);
    assert_eq!(
        column(monitor, "/connz?state=all", "name"),
        ["staying", "leaving"],
        "sorted by cid"
    );
    let without_auth = http_json(monitor, "/connz?state=closed");
    assert!(
        without_auth["connections"][0]
            .get("authorized_user")
            .is_none()
    );
    drop(staying);
}
