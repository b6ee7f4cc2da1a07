//! Monitoring: `/connz` reports each client's round trip (estimated at CONNECT, then measured
//! by the server's PINGs) as a Go duration (`rtt`), and `sort=rtt` lists the slowest first.

mod monitor_support;

use std::time::{Duration, Instant};

use monitor_support::parse_go_duration;
use natrium_tests::{ServerProcess, http_json};
use serde_json::Value;

/// Pings every 100 ms so that each client's RTT is measured early.
const CONFIG: &str = "ping_interval: \"100ms\"\n";

/// How long the RTTs may take to be measured.
const MEASURE_WAIT: Duration = Duration::from_secs(10);

fn rtts(connz: &Value) -> Vec<Duration> {
    connz["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .map(|connection| parse_go_duration(connection["rtt"].as_str().expect("rtt")))
        .collect()
}

#[tokio::test]
async fn sort_by_measured_rtt() {
    let server = ServerProcess::start_with_config(CONFIG, &["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let mut clients = Vec::new();
    for _ in 0..3 {
        let client = async_nats::connect(server.url()).await.expect("connect");
        natrium_tests::barrier(&client).await;
        clients.push(client);
    }

    // Measurement needs the server's PING and the client's PONG, which no client event
    // reports; poll monitoring, bounded.
    let deadline = Instant::now() + MEASURE_WAIT;
    loop {
        let connz = http_json(monitor, "/connz");
        if rtts(&connz).iter().all(|rtt| !rtt.is_zero()) {
            break;
        }
        assert!(Instant::now() < deadline, "RTTs never measured: {connz}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let by_rtt = rtts(&http_json(monitor, "/connz?sort=rtt"));
    assert_eq!(by_rtt.len(), 3);
    assert!(by_rtt.iter().all(|rtt| !rtt.is_zero()), "{by_rtt:?}");
    assert!(
        by_rtt.windows(2).all(|pair| pair[0] >= pair[1]),
        "slowest first: {by_rtt:?}"
    );
    drop(clients);
}
