//! Monitoring: `/connz?acc=` filters by account. natrium has only the global account `$G`:
//! `acc=$G` lists open connections (the Go server keeps no account name for closed clients of
//! the global account, so none of those), and another account lists nothing.

mod monitor_support;

use monitor_support::{cid_of, column, wait_closed};
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
async fn account_filter() {
    let server = ServerProcess::start(&["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let open = connect(&server, "open").await;
    let gone = connect(&server, "gone").await;
    let gone_cid = cid_of(monitor, "gone");
    gone.drain().await.expect("drain");
    wait_closed(monitor, gone_cid, "").await;

    assert_eq!(
        column(monitor, "/connz?state=any", "name"),
        ["open", "gone"]
    );
    let global = http_json(monitor, "/connz?state=any&acc=$G");
    assert_eq!(global["total"], 1, "{global}");
    assert_eq!(column(monitor, "/connz?state=any&acc=$G", "name"), ["open"]);
    let other = http_json(monitor, "/connz?acc=other");
    assert_eq!(other["total"], 0);
    assert_eq!(other["connections"].as_array().map(Vec::len), Some(0));
    drop(open);
}
