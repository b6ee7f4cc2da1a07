//! Slow consumers: a subscriber that stops reading is disconnected once its outbound buffer
//! passes `max_pending`, while a subscriber that keeps up receives every message.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use futures::StreamExt;
use natrium_tests::{ServerProcess, http_json};

/// Enough bytes to fill the loopback socket buffers of the stalled reader (several MB) and
/// then its 1 MiB `max_pending`.
const MESSAGES: usize = 6_000;
const PAYLOAD_BYTES: usize = 4 * 1024;
/// Messages published before waiting for the fast subscriber to catch up, so that its own
/// pending bytes stay far below `max_pending`.
const BATCH: usize = 50;

/// Reads `stream` until the server closes it; false if it stays open past `timeout`.
fn closed_by_server(stream: &mut TcpStream, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let mut buffer = vec![0_u8; 64 * 1024];
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    while Instant::now() < deadline {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return true,
        }
    }
    false
}

/// A raw client that subscribes to `flood`, waits for the PONG, and then never reads.
fn stalled_subscriber(port: u16) -> TcpStream {
    let mut slow = TcpStream::connect(("127.0.0.1", port)).expect("raw connect");
    slow.write_all(b"CONNECT {\"verbose\":false}\r\nSUB flood 1\r\nPING\r\n")
        .expect("sub");
    slow.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut chunk = [0_u8; 512];
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("PONG") {
        let read = slow.read(&mut chunk).expect("INFO and PONG");
        assert!(read > 0, "server closed early");
        seen.extend_from_slice(chunk.get(..read).unwrap_or_default());
    }
    slow
}

#[tokio::test]
async fn slow_subscriber_is_cut_off_fast_one_is_not() {
    let config = "max_pending: 1048576\nwrite_deadline: \"2s\"\n";
    let server = ServerProcess::start_with_config(config, &["-m", "-1"]);
    let mut slow = stalled_subscriber(server.port);

    let fast = async_nats::connect(server.url())
        .await
        .expect("connect fast");
    let mut fast_subscription = fast.subscribe("flood").await.expect("subscribe");
    natrium_tests::barrier(&fast).await;

    let publisher = async_nats::connect(server.url())
        .await
        .expect("connect publisher");
    let payload = bytes::Bytes::from(vec![b'x'; PAYLOAD_BYTES]);
    for _ in 0..MESSAGES / BATCH {
        for _ in 0..BATCH {
            publisher
                .publish("flood", payload.clone())
                .await
                .expect("publish");
        }
        for _ in 0..BATCH {
            let message = tokio::time::timeout(Duration::from_secs(5), fast_subscription.next())
                .await
                .expect("the fast subscriber keeps receiving")
                .expect("open");
            assert_eq!(message.payload.len(), PAYLOAD_BYTES);
        }
    }

    assert!(
        closed_by_server(&mut slow, Duration::from_secs(5)),
        "slow consumer disconnected"
    );
    let varz = http_json(server.monitor_port.expect("monitor"), "/varz");
    assert!(
        varz["slow_consumers"].as_u64().expect("count") >= 1,
        "{varz}"
    );
}
