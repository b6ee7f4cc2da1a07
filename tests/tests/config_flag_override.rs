//! Flags override the configuration file, as in nats-server: the harness's `-p -1` beats the
//! file's `port`, and `-n` beats its `server_name`; the file's other values still apply.

use natrium_tests::{ServerProcess, http_json};

#[tokio::test]
async fn flags_win_over_the_file() {
    let config = "port: 4\nserver_name: from-file\nmax_payload: 4096\nping_max: 7\n";
    let server = ServerProcess::start_with_config(config, &["-n", "from-flag", "-m", "-1"]);
    assert_ne!(server.port, 4, "the -p -1 flag won");
    let client = async_nats::connect(server.url()).await.expect("connect");
    let info = client.server_info();
    assert_eq!(info.server_name, "from-flag");
    assert_eq!(
        info.max_payload, 4096,
        "the file's value applies where no flag is given"
    );
    let varz = http_json(server.monitor_port.expect("monitor"), "/varz");
    assert_eq!(varz["server_name"], "from-flag");
    assert_eq!(varz["ping_max"], 7);
    assert_eq!(varz["max_payload"], 4096);
}
