//! Monitoring: `/varz` reports the server's identity, limits and counters with nats-server's
//! field names and formats; `/healthz` and `/` answer too.

use futures::StreamExt;
use natrium_tests::{ServerProcess, http_get, http_json};

#[tokio::test]
async fn varz_fields_and_counters() {
    let server = ServerProcess::start(&["-m", "-1", "-n", "monitored"]);
    let monitor = server.monitor_port.expect("monitor port from the log");
    let client = async_nats::connect(server.url()).await.expect("connect");
    let mut subscription = client.subscribe("varz.>").await.expect("subscribe");
    for _ in 0..5 {
        client
            .publish("varz.test", "12345".into())
            .await
            .expect("publish");
    }
    // Receiving all five (echo is on) proves the server counted them.
    for _ in 0..5 {
        tokio::time::timeout(std::time::Duration::from_secs(5), subscription.next())
            .await
            .expect("message in time")
            .expect("open");
    }

    let varz = http_json(monitor, "/varz");
    let server_id = varz["server_id"].as_str().expect("server_id");
    assert_eq!(server_id.len(), 56, "an NKey server public key");
    assert!(server_id.starts_with('N'), "{server_id}");
    assert_eq!(varz["server_name"], "monitored");
    assert_eq!(varz["port"], u64::from(server.port));
    assert_eq!(varz["http_port"], u64::from(monitor));
    assert_eq!(varz["proto"], 1);
    assert_eq!(varz["max_payload"], 1_048_576);
    assert_eq!(
        varz["ping_interval"], 120_000_000_000_u64,
        "nanoseconds, as Go encodes"
    );
    assert_eq!(varz["connections"], 1);
    assert!(varz["total_connections"].as_u64().expect("total") >= 1);
    // The client's, and JetStream's internal `$JS.API.>`, `$JS.ACK.>` and `$JS.FC.>` (Go
    // counts its internal ones too).
    assert_eq!(varz["subscriptions"], 4);
    assert_eq!(varz["in_msgs"], 5);
    assert_eq!(varz["in_bytes"], 25);
    assert_eq!(
        varz["out_msgs"], 5,
        "the subscription received its own messages"
    );
    assert!(varz["mem"].as_u64().expect("mem") > 0);
    assert!(varz["cores"].as_u64().expect("cores") >= 1);
    let uptime = varz["uptime"].as_str().expect("uptime");
    assert!(uptime.ends_with('s') && uptime.chars().next().is_some_and(|c| c.is_ascii_digit()));
    for time_field in ["start", "now", "config_load_time"] {
        let text = varz[time_field].as_str().expect(time_field);
        assert!(
            text.ends_with('Z') && text.contains('T'),
            "{time_field}: {text}"
        );
    }
    assert_eq!(varz["routes"], 0);

    assert_eq!(http_json(monitor, "/healthz")["status"], "ok");
    let (status, root) = http_get(monitor, "/");
    assert_eq!(status, 200);
    assert!(root.contains("/varz") && root.contains("/connz"), "{root}");
    let subsz = http_json(monitor, "/subsz");
    assert_eq!(subsz["num_subscriptions"], 4);
    assert!(subsz["num_matches"].as_u64().expect("matches") >= 1);
}
