//! Consumer pause (`CONSUMER.PAUSE`, `pause_until`) and `backoff`, as nats-server 2.11+ serves
//! them: a paused consumer delivers nothing until resumed and says so in its info; a backoff
//! list sets `ack_wait` to its first value, spaces redeliveries by its values, and needs
//! `max_deliver` above its length (10116).

use std::time::{Duration, Instant, SystemTime};

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use natrium_tests::ServerProcess;
use serde_json::Value;

async fn request(client: &async_nats::Client, subject: &str, body: &str) -> Value {
    let reply = client
        .request(subject.to_owned(), body.to_owned().into())
        .await
        .expect("request");
    serde_json::from_slice(&reply.payload).expect("JSON")
}

/// Fetches what arrives within `expires` (one pull request).
async fn fetch(consumer: &consumer::PullConsumer, expires: Duration) -> Vec<jetstream::Message> {
    let mut batch = consumer
        .batch()
        .max_messages(10)
        .expires(expires)
        .messages()
        .await
        .expect("batch");
    let mut got = Vec::new();
    while let Some(message) = batch.next().await {
        got.push(message.expect("message"));
    }
    got
}

fn rfc3339_in(seconds: u64) -> String {
    let at = SystemTime::now() + Duration::from_secs(seconds);
    let since = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970");
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(since.as_secs()).expect("fits"))
        .expect("valid time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

#[tokio::test]
async fn a_paused_consumer_delivers_nothing_until_resumed() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client.clone());
    let jobs = js
        .create_stream(stream::Config {
            name: "JOBS".to_owned(),
            subjects: vec!["jobs".to_owned()],
            storage: stream::StorageType::Memory,
            ..stream::Config::default()
        })
        .await
        .expect("stream");
    js.publish("jobs", "one".into())
        .await
        .expect("publish")
        .await
        .expect("ack");
    let worker: consumer::PullConsumer = jobs
        .create_consumer(consumer::pull::Config {
            durable_name: Some("worker".to_owned()),
            ..consumer::pull::Config::default()
        })
        .await
        .expect("consumer");

    let body = format!(r#"{{"pause_until":"{}"}}"#, rfc3339_in(60));
    let paused = request(&client, "$JS.API.CONSUMER.PAUSE.JOBS.worker", &body).await;
    assert_eq!(
        paused["type"],
        "io.nats.jetstream.api.v1.consumer_pause_response"
    );
    assert_eq!(paused["paused"], true, "{paused}");
    assert!(paused["pause_remaining"].as_u64().expect("remaining") > 0);
    let info = request(&client, "$JS.API.CONSUMER.INFO.JOBS.worker", "").await;
    assert_eq!(info["paused"], true, "{info}");
    assert!(info["config"]["pause_until"].is_string(), "{info}");
    assert!(fetch(&worker, Duration::from_millis(300)).await.is_empty());

    let resumed = request(&client, "$JS.API.CONSUMER.PAUSE.JOBS.worker", "{}").await;
    assert_eq!(resumed["paused"], false, "{resumed}");
    let got = fetch(&worker, Duration::from_secs(2)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload.as_ref(), b"one");
}

#[tokio::test]
async fn backoff_spaces_the_redeliveries() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client.clone());
    let jobs = js
        .create_stream(stream::Config {
            name: "RETRY".to_owned(),
            subjects: vec!["retry".to_owned()],
            storage: stream::StorageType::Memory,
            ..stream::Config::default()
        })
        .await
        .expect("stream");
    let refused = request(
        &client,
        "$JS.API.CONSUMER.CREATE.RETRY.x",
        r#"{"stream_name":"RETRY","config":{"durable_name":"x","max_deliver":2,"backoff":[100000000,900000000]}}"#,
    )
    .await;
    assert_eq!(refused["error"]["err_code"], 10116, "{refused}");

    let worker: consumer::PullConsumer = jobs
        .create_consumer(consumer::pull::Config {
            durable_name: Some("worker".to_owned()),
            max_deliver: 3,
            backoff: vec![Duration::from_millis(100), Duration::from_millis(900)],
            ..consumer::pull::Config::default()
        })
        .await
        .expect("consumer");
    let info = request(&client, "$JS.API.CONSUMER.INFO.RETRY.worker", "").await;
    assert_eq!(info["config"]["ack_wait"], 100_000_000, "{info}");
    js.publish("retry", "job".into())
        .await
        .expect("publish")
        .await
        .expect("ack");

    // Never acknowledged: delivered, again after ~100 ms, then again only after ~900 ms.
    let started = Instant::now();
    let first = fetch(&worker, Duration::from_millis(50)).await;
    assert_eq!(first.len(), 1);
    let second = fetch(&worker, Duration::from_millis(600)).await;
    assert_eq!(second.len(), 1, "redelivered after the first backoff");
    assert_eq!(second[0].info().expect("info").delivered, 2);
    let early = fetch(&worker, Duration::from_millis(300)).await;
    assert!(early.is_empty(), "the second wait is the longer one");
    let third = fetch(&worker, Duration::from_millis(1500)).await;
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].info().expect("info").delivered, 3);
    assert!(started.elapsed() >= Duration::from_millis(1000));
}
