//! Monitoring: `/connz?auth=1` names each connection's authenticated user (and only when
//! asked, as nats-server does); `/varz` reports that authentication is required.

use natrium_tests::{ServerProcess, http_json};

#[tokio::test]
async fn authorized_user_shown_on_request() {
    let server = ServerProcess::start(&["-m", "-1", "--user", "alice", "--pass", "pw"]);
    let monitor = server.monitor_port.expect("monitor port");
    let client = async_nats::ConnectOptions::with_user_and_password("alice".into(), "pw".into())
        .connect(server.url())
        .await
        .expect("connect");
    natrium_tests::barrier(&client).await;

    let with_auth = http_json(monitor, "/connz?auth=1");
    assert_eq!(
        with_auth["connections"][0]["authorized_user"], "alice",
        "{with_auth}"
    );
    let without = http_json(monitor, "/connz");
    assert!(
        without["connections"][0].get("authorized_user").is_none(),
        "{without}"
    );
    assert_eq!(http_json(monitor, "/varz")["auth_required"], true);
}
