//! Monitoring: connections closed for different causes carry the Go server's reason texts
//! ("Authentication Failure", "Maximum Message Payload Exceeded", "Maximum Connections
//! Exceeded", "Client Closed"); a failed client shows the user it claimed on `auth=1`, as in
//! Go; `state=closed` sorts by `reason` (alphabetical) and `stop` (latest first).

mod monitor_support;

use monitor_support::{cid_of, column, raw_until_closed, wait_closed, wait_closed_count};
use natrium_tests::{ServerProcess, http_json};

const CONFIG: &str = "max_connections: 2\n\
                      authorization { users = [ {user: alice, password: pw} ] }\n";

fn alice() -> async_nats::ConnectOptions {
    async_nats::ConnectOptions::with_user_and_password("alice".into(), "pw".into())
}

#[tokio::test]
async fn closed_connections_keep_go_reasons() {
    let server = ServerProcess::start_with_config(CONFIG, &["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let keeper = alice()
        .name("keeper")
        .connect(server.url())
        .await
        .expect("connect keeper");
    natrium_tests::barrier(&keeper).await;

    let refused = async_nats::ConnectOptions::with_user_and_password("mallory".into(), "x".into())
        .connect(server.url())
        .await;
    assert!(refused.is_err(), "bad password accepted");
    wait_closed_count(monitor, 1).await;

    let answer = raw_until_closed(
        server.port,
        b"CONNECT {\"user\":\"alice\",\"pass\":\"pw\",\"name\":\"big\"}\r\nPUB big 99999999\r\n",
    );
    assert!(
        answer.contains("-ERR 'Maximum Payload Violation'"),
        "{answer}"
    );
    wait_closed_count(monitor, 2).await;

    let second = alice()
        .name("second")
        .connect(server.url())
        .await
        .expect("connect second");
    natrium_tests::barrier(&second).await;
    let answer = raw_until_closed(server.port, b"");
    assert!(
        answer.contains("-ERR 'maximum connections exceeded'"),
        "{answer}"
    );
    wait_closed_count(monitor, 3).await;

    let second_cid = cid_of(monitor, "second");
    // Draining reads the server's last PONG before closing; a plain drop may close with
    // unread bytes, which the server sees as a reset ("Read Error"), as Go would.
    second.drain().await.expect("drain");
    let closed = wait_closed(monitor, second_cid, "").await;
    assert_eq!(closed["reason"], "Client Closed");

    let by_reason = column(monitor, "/connz?state=closed&sort=reason", "reason");
    assert_eq!(
        by_reason,
        [
            "Authentication Failure",
            "Client Closed",
            "Maximum Connections Exceeded",
            "Maximum Message Payload Exceeded",
        ]
    );
    let by_stop = column(monitor, "/connz?state=closed&sort=stop", "reason");
    assert_eq!(
        by_stop,
        [
            "Client Closed",
            "Maximum Connections Exceeded",
            "Maximum Message Payload Exceeded",
            "Authentication Failure",
        ],
        "latest stop first"
    );
    let with_users = http_json(monitor, "/connz?state=closed&sort=reason&auth=1");
    let failed = &with_users["connections"][0];
    assert_eq!(
        failed["authorized_user"], "mallory",
        "the claimed user: {failed}"
    );
    assert_eq!(with_users["connections"][3]["name"], "big");
    assert_eq!(with_users["connections"][3]["authorized_user"], "alice");
    assert_eq!(column(monitor, "/connz", "name"), ["keeper"]);
    drop(keeper);
}
