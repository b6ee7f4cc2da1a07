//! Monitoring: `/subsz?subs=1` lists subscriptions with nats-server's `SubDetail` field names,
//! pages them with `offset`/`limit`, and `test=SUBJECT` keeps those a publish would match.

use natrium_tests::{ServerProcess, barrier, http_get, http_json};

#[tokio::test]
async fn subsz_lists_pages_and_tests_subscriptions() {
    // Without JetStream, whose internal `$JS.API.>` subscription would be listed too (as Go
    // lists its internal ones): this test counts the client's subscriptions.
    let server = ServerProcess::start(&["-m", "-1", "-js=false"]);
    let monitor = server.monitor_port.expect("monitor port from the log");
    let client = async_nats::connect(server.url()).await.expect("connect");
    let _orders = client.subscribe("orders.*").await.expect("subscribe");
    let _workers = client
        .queue_subscribe("orders.eu", "workers".to_owned())
        .await
        .expect("queue subscribe");
    let _audit = client.subscribe("audit.>").await.expect("subscribe");
    // The barrier's request makes async-nats subscribe its reply inbox (`_INBOX.<id>.*`), a
    // fourth subscription.
    barrier(&client).await;

    let plain = http_json(monitor, "/subsz");
    assert_eq!(plain["num_subscriptions"], 4);
    assert!(plain.get("subscriptions_list").is_none(), "{plain}");

    let all = http_json(monitor, "/subsz?subs=1");
    assert_eq!(all["total"], 4);
    let list = all["subscriptions_list"].as_array().expect("list");
    assert_eq!(list.len(), 4);
    assert!(list.iter().any(|detail| detail["subject"] == "audit.>"));
    let queue = list
        .iter()
        .find(|detail| detail["qgroup"] == "workers")
        .expect("the queue subscription");
    assert_eq!(queue["subject"], "orders.eu");
    assert_eq!(queue["account"], "$G");
    assert!(queue["sid"].as_str().is_some_and(|sid| !sid.is_empty()));
    assert!(queue["cid"].as_u64().is_some_and(|cid| cid >= 1));

    let matching = http_json(monitor, "/subsz?subs=1&test=orders.eu");
    assert_eq!(matching["total"], 2, "orders.* and the queue member");
    let page = http_json(monitor, "/subsz?subs=1&offset=1&limit=1");
    assert_eq!(page["subscriptions_list"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["total"], 4);
    assert_eq!(page["subscriptions_list"][0], list[1], "pages are stable");

    let (status, body) = http_get(monitor, "/subsz?subs=1&test=orders.*");
    assert_eq!(status, 400, "{body}");
}
