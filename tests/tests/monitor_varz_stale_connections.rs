//! Monitoring: a client that leaves the server's PINGs unanswered is closed as stale; it is
//! listed under `/connz?state=closed` with the reason "Stale Connection", and `/varz` counts
//! it in `stale_connections` and `stale_connection_stats.clients`.

mod monitor_support;

use monitor_support::{column, raw_until_closed};
use natrium_tests::{ServerProcess, http_json};

/// Pings every 100 ms and closes at the second unanswered one.
const CONFIG: &str = "ping_interval: \"100ms\"\nping_max: 1\n";

#[tokio::test]
async fn unanswered_pings_close_as_stale() {
    let server = ServerProcess::start_with_config(CONFIG, &["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let varz = http_json(monitor, "/varz");
    assert_eq!(varz["stale_connections"], 0);
    assert_eq!(varz["stale_connection_stats"]["clients"], 0);

    // A raw client that never answers PING; the server closes it after recording it.
    let received = raw_until_closed(server.port, b"CONNECT {\"name\":\"silent\"}\r\n");
    assert!(received.contains("PING\r\n"), "{received}");
    assert!(received.contains("-ERR 'Stale Connection'"), "{received}");

    assert_eq!(
        column(monitor, "/connz?state=closed", "reason"),
        ["Stale Connection"]
    );
    assert_eq!(column(monitor, "/connz?state=closed", "name"), ["silent"]);
    let varz = http_json(monitor, "/varz");
    assert_eq!(varz["stale_connections"], 1);
    assert_eq!(varz["stale_connection_stats"]["clients"], 1);
    assert_eq!(varz["stale_connection_stats"]["routes"], 0);
}
