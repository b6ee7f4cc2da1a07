//! Monitoring: `/connz` lists open connections with nats-server's fields, sorts, pages, shows
//! subscriptions on `subs=1`, and refuses unknown sort options.

use natrium_tests::{ServerProcess, http_get, http_json};

#[tokio::test]
async fn connz_lists_sorts_and_pages() {
    let server = ServerProcess::start(&["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let alpha = async_nats::ConnectOptions::new()
        .name("alpha")
        .connect(server.url())
        .await
        .expect("connect alpha");
    let beta = async_nats::ConnectOptions::new()
        .name("beta")
        .connect(server.url())
        .await
        .expect("connect beta");
    let _a = alpha.subscribe("connz.a").await.expect("subscribe");
    let _b1 = beta.subscribe("connz.b1").await.expect("subscribe");
    let _b2 = beta.subscribe("connz.b2").await.expect("subscribe");
    natrium_tests::barrier(&alpha).await;
    natrium_tests::barrier(&beta).await;

    let connz = http_json(monitor, "/connz");
    assert_eq!(connz["num_connections"], 2);
    assert_eq!(connz["total"], 2);
    assert_eq!(connz["offset"], 0);
    assert_eq!(connz["limit"], 1024);
    assert_eq!(connz["server_id"].as_str().map(str::len), Some(56));
    let connections = connz["connections"].as_array().expect("connections");
    let first = &connections[0];
    assert_eq!(first["name"], "alpha", "sorted by cid by default");
    assert_eq!(first["lang"], "rust");
    assert_eq!(first["ip"], "127.0.0.1");
    assert!(first["port"].as_u64().expect("port") > 0);
    // One subscription plus the request inbox the barrier created.
    assert_eq!(first["subscriptions"], 2);
    for field in [
        "cid",
        "start",
        "last_activity",
        "uptime",
        "idle",
        "pending_bytes",
        "in_msgs",
        "out_msgs",
        "in_bytes",
        "out_bytes",
        "version",
    ] {
        assert!(first.get(field).is_some(), "field {field} in {first}");
    }
    assert!(connections[0]["cid"].as_u64() < connections[1]["cid"].as_u64());

    let by_subs = http_json(monitor, "/connz?sort=subs");
    assert_eq!(by_subs["connections"][0]["name"], "beta");

    let page = http_json(monitor, "/connz?limit=1&offset=1");
    assert_eq!(page["num_connections"], 1);
    assert_eq!(page["total"], 2);
    assert_eq!(page["connections"][0]["name"], "beta");

    let with_subs = http_json(monitor, "/connz?subs=1&sort=subs");
    let mut list: Vec<String> = with_subs["connections"][0]["subscriptions_list"]
        .as_array()
        .expect("subscriptions_list")
        .iter()
        .map(|subject| subject.as_str().expect("subject").to_owned())
        .filter(|subject| !subject.starts_with("_INBOX."))
        .collect();
    list.sort();
    assert_eq!(list, ["connz.b1", "connz.b2"]);
    assert!(
        http_json(monitor, "/connz")["connections"][0]
            .get("subscriptions_list")
            .is_none()
    );

    let closed = http_json(monitor, "/connz?state=closed");
    assert_eq!(closed["num_connections"], 0, "no connection closed yet");
    assert_eq!(
        http_json(
            monitor,
            &format!("/connz?cid={cid}", cid = connections[1]["cid"])
        )["connections"][0]["name"],
        "beta"
    );
    let (status, body) = http_get(monitor, "/connz?state=sideways");
    assert_eq!(status, 400, "{body}");
    let (status, body) = http_get(monitor, "/connz?sort=bogus");
    assert_eq!(status, 400, "{body}");
}
