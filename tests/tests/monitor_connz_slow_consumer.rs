//! Monitoring: a subscriber that stops reading is closed once `max_pending` bytes wait for it;
//! `/connz?state=closed` lists it with the reason "Slow Consumer (Pending Bytes)" and the
//! number of times publishers paused for it (`stalls`), and `/varz` counts those pauses in
//! `stalled_clients`.

mod monitor_support;

use std::io::{Read, Write};
use std::net::TcpStream;

use natrium_tests::{ServerProcess, http_json};

/// 1 MiB may wait for a client; the write deadline is long, so pending bytes decide.
const CONFIG: &str = "max_pending: 1048576\nwrite_deadline: \"30s\"\n";
/// Enough to fill the loopback socket buffers of the stalled reader (several MB) and then
/// its `max_pending`.
const MESSAGES: usize = 6_000;
const PAYLOAD_BYTES: usize = 4 * 1024;

/// A raw client that subscribes to `flood`, waits for the PONG, and then never reads.
fn stalled_subscriber(port: u16) -> TcpStream {
    let mut slow = TcpStream::connect(("127.0.0.1", port)).expect("raw connect");
    slow.write_all(b"CONNECT {\"name\":\"slow\"}\r\nSUB flood 1\r\nPING\r\n")
        .expect("subscribe");
    slow.set_read_timeout(Some(monitor_support::CLOSED_WAIT))
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
async fn slow_consumer_closed_with_reason_and_stalls() {
    let server = ServerProcess::start_with_config(CONFIG, &["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let slow = stalled_subscriber(server.port);
    let publisher = async_nats::connect(server.url()).await.expect("connect");
    let payload = bytes::Bytes::from(vec![b'x'; PAYLOAD_BYTES]);
    for _ in 0..MESSAGES {
        publisher
            .publish("flood", payload.clone())
            .await
            .expect("publish");
    }
    natrium_tests::barrier(&publisher).await;

    // The stalled subscriber was the first connection: cid 1.
    let closed = monitor_support::wait_closed(monitor, 1, "").await;
    assert_eq!(closed["name"], "slow");
    assert_eq!(
        closed["reason"], "Slow Consumer (Pending Bytes)",
        "{closed}"
    );
    let stalls = closed["stalls"].as_u64().expect("stalls");
    assert!(stalls >= 1, "{closed}");
    let varz = http_json(monitor, "/varz");
    assert_eq!(varz["slow_consumers"], 1);
    assert_eq!(varz["slow_consumer_stats"]["clients"], 1);
    // Only the slow client stalls anyone, but a pause requested in the batch that closed it
    // may be counted after its record was taken.
    let stalled = varz["stalled_clients"].as_u64().expect("stalled_clients");
    assert!(
        stalled >= stalls && stalled <= stalls + 1,
        "{stalled} vs {stalls}"
    );
    drop(slow);
}
