//! Deduplication on `Nats-Msg-Id` within `duplicate_window`, as nats-server does it: a
//! repeated id is acknowledged with the first copy's sequence and `"duplicate": true` and not
//! stored again, also after a restart (the window is rebuilt from the stored messages);
//! `Nats-Expected-Last-Msg-Id` checks the last stored message's id.

use async_nats::HeaderMap;
use natrium_tests::ServerProcess;
use serde_json::Value;

async fn request(client: &async_nats::Client, subject: &str, body: &str) -> Value {
    let reply = client
        .request(subject.to_owned(), body.to_owned().into())
        .await
        .expect("request");
    serde_json::from_slice(&reply.payload).expect("JSON")
}

async fn publish(client: &async_nats::Client, headers: &[(&str, &str)], payload: &str) -> Value {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, *value);
    }
    let reply = client
        .request_with_headers("pay.in".to_owned(), map, payload.to_owned().into())
        .await
        .expect("publish");
    serde_json::from_slice(&reply.payload).expect("PubAck JSON")
}

async fn messages(client: &async_nats::Client) -> u64 {
    let info = request(client, "$JS.API.STREAM.INFO.PAYMENTS", "").await;
    info["state"]["messages"].as_u64().expect("messages")
}

#[tokio::test]
async fn repeated_ids_are_stored_once_even_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let store = store.to_str().expect("utf-8");
    let mut server = ServerProcess::start(&["-sd", store]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    request(
        &client,
        "$JS.API.STREAM.CREATE.PAYMENTS",
        r#"{"name":"PAYMENTS","subjects":["pay.>"],"duplicate_window":60000000000}"#,
    )
    .await;
    let first = publish(&client, &[("Nats-Msg-Id", "pay-1")], "10 EUR").await;
    assert_eq!(first["seq"], 1, "{first}");
    assert!(first.get("duplicate").is_none(), "{first}");
    let again = publish(&client, &[("Nats-Msg-Id", "pay-1")], "10 EUR").await;
    assert_eq!(
        (again["seq"].clone(), again["duplicate"].clone()),
        (1.into(), true.into())
    );
    let other = publish(&client, &[("Nats-Msg-Id", "pay-2")], "20 EUR").await;
    assert_eq!(other["seq"], 2, "{other}");
    assert_eq!(messages(&client).await, 2);

    // Expected last id: the last stored message's.
    let wrong = publish(&client, &[("Nats-Expected-Last-Msg-Id", "pay-1")], "x").await;
    assert_eq!(wrong["error"]["err_code"], 10070, "{wrong}");
    assert_eq!(wrong["error"]["description"], "wrong last msg ID: pay-2");
    let right = publish(
        &client,
        &[
            ("Nats-Expected-Last-Msg-Id", "pay-2"),
            ("Nats-Msg-Id", "pay-3"),
        ],
        "30 EUR",
    )
    .await;
    assert_eq!(right["seq"], 3, "{right}");

    // After a crash the window comes back from the stored messages.
    server.send_signal("stop");
    server.wait_exit(std::time::Duration::from_secs(10));
    let server = ServerProcess::start(&["-sd", store]);
    let client = async_nats::connect(server.url()).await.expect("reconnect");
    let replay = publish(&client, &[("Nats-Msg-Id", "pay-2")], "20 EUR").await;
    assert_eq!(
        (replay["seq"].clone(), replay["duplicate"].clone()),
        (2.into(), true.into())
    );
    let after = publish(&client, &[("Nats-Expected-Last-Msg-Id", "pay-3")], "40 EUR").await;
    assert_eq!(after["seq"], 4, "{after}");
    assert_eq!(messages(&client).await, 4);
}
