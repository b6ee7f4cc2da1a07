//! Stream `republish` as nats-server serves it (ADR-28): stored messages go out again on the
//! transformed subject with Nats-Stream, Nats-Subject, Nats-Sequence, Nats-Time-Stamp and
//! Nats-Last-Sequence before their own headers; `headers_only` sends Nats-Msg-Size and no
//! payload; duplicates and refused publishes are not republished; Go's refusals of a cycle and
//! of a bad transform; the rule survives a restart.

use std::time::Duration;

use async_nats::HeaderMap;
use futures::StreamExt;
use natrium_tests::{ServerProcess, js_request as request};

async fn next(subscriber: &mut async_nats::Subscriber) -> async_nats::Message {
    tokio::time::timeout(Duration::from_secs(5), subscriber.next())
        .await
        .expect("republished in time")
        .expect("subscription open")
}

fn header<'a>(message: &'a async_nats::Message, name: &str) -> &'a str {
    message
        .headers
        .as_ref()
        .and_then(|headers| headers.get(name))
        .map_or("", |value| value.as_str())
}

#[tokio::test]
async fn stored_messages_are_republished_with_their_sequences() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().to_str().expect("utf-8");
    let config = r#"{"name":"ORDERS","subjects":["orders.>"],
        "republish":{"src":"orders.*","dest":"audit.{{wildcard(1)}}.copy"}}"#;
    {
        let server = ServerProcess::start(&["-sd", store]);
        let client = async_nats::connect(server.url()).await.expect("connect");
        let created = request(&client, "$JS.API.STREAM.CREATE.ORDERS", config).await;
        assert!(created.get("error").is_none(), "{created}");
        assert_eq!(
            created["config"]["republish"]["src"], "orders.*",
            "{created}"
        );
        let mut audit = client.subscribe("audit.>").await.expect("subscribe");
        client.flush().await.expect("flush");
        let js = async_nats::jetstream::new(client.clone());

        let mut headers = HeaderMap::new();
        headers.insert("App", "kept");
        headers.insert("Nats-Msg-Id", "first");
        js.publish_with_headers("orders.eu", headers.clone(), "one".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
        let copy = next(&mut audit).await;
        assert_eq!(copy.subject.as_str(), "audit.eu.copy");
        assert_eq!(copy.payload.as_ref(), b"one");
        assert_eq!(header(&copy, "Nats-Stream"), "ORDERS");
        assert_eq!(header(&copy, "Nats-Subject"), "orders.eu");
        assert_eq!(header(&copy, "Nats-Sequence"), "1");
        assert_eq!(header(&copy, "Nats-Last-Sequence"), "0");
        assert_eq!(header(&copy, "App"), "kept");
        assert!(!header(&copy, "Nats-Time-Stamp").is_empty());

        // A duplicate is not stored again, so not republished; a message outside the source
        // is stored but not republished.
        let duplicate = js
            .publish_with_headers("orders.eu", headers, "one".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
        assert!(duplicate.duplicate);
        js.publish("orders.eu.deep", "no copy".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
        js.publish("orders.eu", "two".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
        let copy = next(&mut audit).await;
        assert_eq!(copy.payload.as_ref(), b"two");
        assert_eq!(header(&copy, "Nats-Sequence"), "3");
        assert_eq!(header(&copy, "Nats-Last-Sequence"), "1");
    }
    let server = ServerProcess::start(&["-sd", store]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let mut audit = client.subscribe("audit.>").await.expect("subscribe");
    client.flush().await.expect("flush");
    let js = async_nats::jetstream::new(client.clone());
    js.publish("orders.us", "after restart".into())
        .await
        .expect("publish")
        .await
        .expect("ack");
    let copy = next(&mut audit).await;
    assert_eq!(copy.subject.as_str(), "audit.us.copy");
    assert_eq!(header(&copy, "Nats-Sequence"), "4");
}

#[tokio::test]
async fn headers_only_sends_the_size_instead_of_the_payload() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let config = r#"{"name":"KVLIKE","subjects":["kv.>"],"storage":"memory",
        "republish":{"dest":"watch.>","headers_only":true}}"#;
    let created = request(&client, "$JS.API.STREAM.CREATE.KVLIKE", config).await;
    assert!(created.get("error").is_none(), "{created}");
    assert_eq!(created["config"]["republish"]["src"], ">");
    let mut watch = client.subscribe("watch.>").await.expect("subscribe");
    client.flush().await.expect("flush");
    let js = async_nats::jetstream::new(client.clone());
    js.publish("kv.key", "twelve bytes".into())
        .await
        .expect("publish")
        .await
        .expect("ack");
    let copy = next(&mut watch).await;
    assert_eq!(copy.subject.as_str(), "watch.kv.key");
    assert!(copy.payload.is_empty());
    assert_eq!(header(&copy, "Nats-Msg-Size"), "12");
}

#[tokio::test]
async fn cycles_and_bad_transforms_are_refused() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let cases = [
        (
            r#"{"name":"R","subjects":["r.>"],"republish":{"src":">","dest":"r.copy.>"}}"#,
            "stream configuration for republish destination forms a cycle",
        ),
        (
            r#"{"name":"R","subjects":["r.>"],"republish":{"src":"r.*","dest":"c.$2"}}"#,
            "stream configuration for republish with transform from 'r.*' to 'c.$2' not valid",
        ),
    ];
    for (body, description) in cases {
        let refused = request(&client, "$JS.API.STREAM.CREATE.R", body).await;
        assert_eq!(refused["error"]["err_code"], 10052, "{refused}");
        assert_eq!(refused["error"]["description"], description);
    }
    let unsupported = r#"{"name":"R","subjects":["r.>"],
        "republish":{"src":"r.*","dest":"c.{{partition(3,1)}}"}}"#;
    let refused = request(&client, "$JS.API.STREAM.CREATE.R", unsupported).await;
    let description = refused["error"]["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("partition is not supported by natrium yet"),
        "{refused}"
    );
}
