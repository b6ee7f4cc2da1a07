//! Per-message TTL (`Nats-TTL`) as Go 2.11+ serves it: accepted on a stream with
//! `allow_msg_ttl`, the message expires after its TTL while its neighbours stay; refused with
//! Go's errors (10166 disabled, 10165 invalid) otherwise.

use std::time::Duration;

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

async fn publish_with_ttl(client: &async_nats::Client, subject: &str, ttl: &str) -> Value {
    let mut headers = HeaderMap::new();
    headers.insert("Nats-TTL", ttl);
    let reply = client
        .request_with_headers(subject.to_owned(), headers, "short-lived".into())
        .await
        .expect("publish");
    serde_json::from_slice(&reply.payload).expect("PubAck JSON")
}

#[tokio::test]
async fn a_message_with_a_ttl_expires_alone() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let created = request(
        &client,
        "$JS.API.STREAM.CREATE.EPHEMERAL",
        r#"{"name":"EPHEMERAL","subjects":["eph.>"],"allow_msg_ttl":true}"#,
    )
    .await;
    assert_eq!(created["config"]["allow_msg_ttl"], true, "{created}");
    let kept = request(&client, "eph.kept", "stays").await;
    assert_eq!(kept["seq"], 1, "{kept}");
    let ack = publish_with_ttl(&client, "eph.gone", "1s").await;
    assert_eq!(ack["seq"], 2, "{ack}");
    for (ttl, err_code) in [("soon", 10165), ("100ms", 10165)] {
        let refused = publish_with_ttl(&client, "eph.gone", ttl).await;
        assert_eq!(refused["error"]["err_code"], err_code, "{ttl}: {refused}");
    }

    // Gone within a few of the writer's one-second ticks.
    let mut messages = 2;
    for _ in 0..50 {
        let info = request(&client, "$JS.API.STREAM.INFO.EPHEMERAL", "").await;
        messages = info["state"]["messages"].as_u64().expect("messages");
        if messages == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(messages, 1, "the TTL message expired, its neighbour stayed");
    let get = request(
        &client,
        "$JS.API.STREAM.MSG.GET.EPHEMERAL",
        r#"{"last_by_subj":"eph.kept"}"#,
    )
    .await;
    assert_eq!(get["message"]["seq"], 1, "{get}");

    request(
        &client,
        "$JS.API.STREAM.CREATE.PLAIN",
        r#"{"name":"PLAIN","subjects":["plain.>"]}"#,
    )
    .await;
    let refused = publish_with_ttl(&client, "plain.x", "5s").await;
    assert_eq!(refused["error"]["err_code"], 10166, "{refused}");
}
