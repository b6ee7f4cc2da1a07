//! Monitoring: `/connz?cid=N` selects one connection, open or (with `state=closed` or
//! `state=any`) closed, with `limit` 1 and `total` still counting every connection in the
//! asked-for state, as the Go server reports; an unknown cid lists nothing.

mod monitor_support;

use monitor_support::{cid_of, wait_closed};
use natrium_tests::{ServerProcess, http_json};

async fn connect(server: &ServerProcess, name: &str) -> async_nats::Client {
    let client = async_nats::ConnectOptions::new()
        .name(name)
        .connect(server.url())
        .await
        .expect("connect");
    natrium_tests::barrier(&client).await;
    client
}

#[tokio::test]
async fn cid_selects_open_or_closed() {
    let server = ServerProcess::start(&["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let first = connect(&server, "first").await;
    let second = connect(&server, "second").await;
    let gone = connect(&server, "gone").await;
    let second_cid = cid_of(monitor, "second");
    let gone_cid = cid_of(monitor, "gone");
    // Draining reads the server's last PONG before closing; a plain drop may close with
    // unread bytes, which the server sees as a reset ("Read Error"), as Go would.
    gone.drain().await.expect("drain");
    wait_closed(monitor, gone_cid, "").await;

    let open = http_json(monitor, &format!("/connz?cid={second_cid}&limit=50"));
    assert_eq!(open["num_connections"], 1);
    assert_eq!(open["limit"], 1, "a cid query pages by one");
    assert_eq!(open["total"], 2, "every open connection, as Go counts");
    assert_eq!(open["connections"][0]["cid"], second_cid);
    assert_eq!(open["connections"][0]["name"], "second");
    assert!(open["connections"][0].get("reason").is_none());

    let not_open = http_json(monitor, &format!("/connz?cid={gone_cid}"));
    assert_eq!(
        not_open["num_connections"], 0,
        "closed, so not under state=open"
    );
    for state in ["closed", "any"] {
        let closed = http_json(monitor, &format!("/connz?cid={gone_cid}&state={state}"));
        assert_eq!(closed["num_connections"], 1, "{state}: {closed}");
        assert_eq!(closed["connections"][0]["name"], "gone");
        assert_eq!(closed["connections"][0]["reason"], "Client Closed");
    }
    let any_open = http_json(monitor, &format!("/connz?cid={second_cid}&state=any"));
    assert_eq!(any_open["connections"][0]["name"], "second");
    assert_eq!(any_open["total"], 3, "open and closed");

    let unknown = http_json(monitor, "/connz?cid=999999");
    assert_eq!(unknown["num_connections"], 0);
    assert_eq!(unknown["connections"].as_array().map(Vec::len), Some(0));
    drop((first, second));
}
