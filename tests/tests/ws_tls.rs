//! `wss://`: the TLS handshake first, then the HTTP upgrade over it, with the certificates of
//! a test CA made per test. async-nats verifies the server; /connz shows the WebSocket
//! client's TLS version and cipher suite; a plain-text upgrade on the wss port is refused
//! (that connection only) while the wss client keeps working.

use std::io::Write;
use std::time::Duration;

use futures::StreamExt;
use natrium_tests::tls::{TestPki, quoted};
use natrium_tests::websocket::{UPGRADE, closed, connect, websocket_port};
use natrium_tests::{ServerProcess, barrier, http_json};

#[tokio::test]
async fn wss_clients_are_served_over_tls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::new(dir.path(), "natrium");
    let config = format!(
        "websocket {{\n  host: 127.0.0.1\n  port: -1\n  tls {{\n    cert_file: {}\n    \
         key_file: {}\n  }}\n}}\n",
        quoted(&pki.cert_file),
        quoted(&pki.key_file)
    );
    let server = ServerProcess::start_with_config(&config, &["-m", "-1"]);
    let line = server
        .wait_for_log(
            "Listening for websocket clients on wss://",
            Duration::from_secs(1),
        )
        .unwrap_or_else(|| panic!("wss listener: {}", server.log_text()));
    assert!(line.contains("wss://127.0.0.1:"), "{line}");
    let port = websocket_port(&server);

    let client = async_nats::ConnectOptions::new()
        .name("wss-client")
        .add_root_certificates(pki.ca_file.clone())
        .connection_timeout(Duration::from_secs(3))
        .connect(format!("wss://localhost:{port}"))
        .await
        .expect("wss client");
    let mut subscription = client.subscribe("secure.>").await.expect("subscribe");
    barrier(&client).await;
    client
        .publish("secure.one", "1".into())
        .await
        .expect("publish");
    let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("in time")
        .expect("message");
    assert_eq!(message.payload, "1");

    // Plain HTTP on the wss port: not a TLS handshake, closed without an upgrade.
    let mut plain = connect(port);
    plain.write_all(UPGRADE.as_bytes()).expect("send");
    assert!(closed(&mut plain), "plain text is closed");

    let connz = http_json(server.monitor_port.expect("monitor"), "/connz");
    let entry = connz["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .find(|c| c["name"] == "wss-client")
        .unwrap_or_else(|| panic!("wss client in {connz}"))
        .clone();
    assert_eq!(entry["type"], "websocket", "{entry}");
    assert_eq!(entry["tls_version"], "1.3", "{entry}");
    assert!(
        entry["tls_cipher_suite"]
            .as_str()
            .is_some_and(|suite| suite.starts_with("TLS_")),
        "{entry}"
    );
    let varz = http_json(server.monitor_port.expect("monitor"), "/varz");
    assert!(varz["websocket"].get("no_tls").is_none(), "{varz}");

    client
        .publish("secure.two", "2".into())
        .await
        .expect("publish");
    let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("in time")
        .expect("message");
    assert_eq!(message.payload, "2", "the wss client kept working");
}
