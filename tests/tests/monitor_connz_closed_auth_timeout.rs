//! Monitoring: a client that sends no CONNECT within the authorization timeout is closed, and
//! `/connz?state=closed` lists it with the Go server's reason "Authentication Timeout".

mod monitor_support;

use monitor_support::{column, raw_until_closed};
use natrium_tests::{ServerProcess, http_json};

const CONFIG: &str = "authorization { user: alice, password: pw, timeout: 0.2 }\n";

#[tokio::test]
async fn silent_client_closed_for_auth_timeout() {
    let server = ServerProcess::start_with_config(CONFIG, &["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let received = raw_until_closed(server.port, b"");
    assert!(
        received.contains("-ERR 'Authentication Timeout'"),
        "{received}"
    );
    assert_eq!(
        column(monitor, "/connz?state=closed", "reason"),
        ["Authentication Timeout"]
    );
    let varz = http_json(monitor, "/varz");
    assert_eq!(varz["auth_timeout"], 0.2, "{varz}");
}
