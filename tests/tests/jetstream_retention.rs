//! Work-queue and interest retention through the real async-nats client: a work queue drops
//! each message its consumer acknowledges and enforces Go's consumer rules (explicit acks,
//! no shared subjects); an interest stream keeps a message only while a consumer that wants
//! it has not acknowledged it, and keeps nothing when nobody is interested.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use natrium_tests::ServerProcess;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(10);

async fn create(
    js: &jetstream::Context,
    name: &str,
    subject: &str,
    retention: stream::RetentionPolicy,
) -> stream::Stream {
    js.create_stream(stream::Config {
        name: name.to_owned(),
        subjects: vec![subject.to_owned()],
        retention,
        ..stream::Config::default()
    })
    .await
    .expect("stream")
}

async fn publish(js: &jetstream::Context, subject: &str) {
    js.publish(subject.to_owned(), "job".into())
        .await
        .expect("publish")
        .await
        .expect("ack");
}

/// Waits until the stream holds `expected` messages (removal follows acks closely).
async fn wait_for_messages(stream: &mut stream::Stream, expected: u64) {
    let mut last = u64::MAX;
    for _ in 0..100 {
        last = stream.info().await.expect("info").state.messages;
        if last == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the stream holds {last} messages, expected {expected}");
}

async fn fetch_and_ack(consumer: &consumer::PullConsumer, count: usize) -> Vec<String> {
    let mut batch = consumer
        .fetch()
        .max_messages(count)
        .messages()
        .await
        .expect("fetch");
    let mut subjects = Vec::new();
    while let Some(message) = tokio::time::timeout(WAIT, batch.next())
        .await
        .expect("in time")
    {
        let message = message.expect("message");
        subjects.push(message.subject.to_string());
        message.double_ack().await.expect("ack");
    }
    subjects
}

async fn create_error(client: &async_nats::Client, stream: &str, config: &str) -> Value {
    let body = format!(r#"{{"stream_name":"{stream}","config":{config}}}"#);
    // The durable's name goes in the subject too, as Go requires.
    let parsed: Value = serde_json::from_str(config).expect("config JSON");
    let durable = parsed["durable_name"].as_str().expect("durable_name");
    let reply = client
        .request(
            format!("$JS.API.CONSUMER.CREATE.{stream}.{durable}"),
            body.into(),
        )
        .await
        .expect("request");
    let answer: Value = serde_json::from_slice(&reply.payload).expect("JSON");
    answer["error"]["err_code"].clone()
}

#[tokio::test]
async fn a_work_queue_drops_what_its_consumer_acknowledges() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client.clone());
    let mut queue = create(&js, "WORK", "work.>", stream::RetentionPolicy::WorkQueue).await;
    for _ in 0..5 {
        publish(&js, "work.item").await;
    }
    let worker: consumer::PullConsumer = queue
        .create_consumer(consumer::pull::Config {
            durable_name: Some("worker".to_owned()),
            ..consumer::pull::Config::default()
        })
        .await
        .expect("worker");
    assert_eq!(fetch_and_ack(&worker, 3).await.len(), 3);
    wait_for_messages(&mut queue, 2).await;

    assert_eq!(
        create_error(
            &client,
            "WORK",
            r#"{"durable_name":"second","ack_policy":"explicit"}"#
        )
        .await,
        10099
    );
    // Without acks: Go refuses a pull consumer with 10084, a push consumer with 10098.
    assert_eq!(
        create_error(
            &client,
            "WORK",
            r#"{"durable_name":"x","ack_policy":"none","filter_subject":"work.x"}"#
        )
        .await,
        10084
    );
    assert_eq!(
        create_error(
            &client,
            "WORK",
            r#"{"durable_name":"y","ack_policy":"none","deliver_subject":"d.y","filter_subject":"work.y"}"#
        )
        .await,
        10098
    );

    let mut split = create(&js, "SPLIT", "split.>", stream::RetentionPolicy::WorkQueue).await;
    for subject in ["split.a", "split.b", "split.a"] {
        publish(&js, subject).await;
    }
    let a: consumer::PullConsumer = split
        .create_consumer(consumer::pull::Config {
            durable_name: Some("a".to_owned()),
            filter_subject: "split.a".to_owned(),
            ..consumer::pull::Config::default()
        })
        .await
        .expect("consumer a");
    assert_eq!(
        create_error(
            &client,
            "SPLIT",
            r#"{"durable_name":"all","ack_policy":"explicit","filter_subject":"split.*"}"#
        )
        .await,
        10100
    );
    assert_eq!(fetch_and_ack(&a, 10).await, ["split.a", "split.a"]);
    wait_for_messages(&mut split, 1).await;
}

#[tokio::test]
async fn an_interest_stream_keeps_only_what_someone_still_wants() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client);
    let mut events = create(&js, "EVENTS", "ev.>", stream::RetentionPolicy::Interest).await;
    publish(&js, "ev.x").await;
    // Nobody is interested: nothing is kept.
    wait_for_messages(&mut events, 0).await;

    let all: consumer::PullConsumer = events
        .create_consumer(consumer::pull::Config {
            durable_name: Some("all".to_owned()),
            ..consumer::pull::Config::default()
        })
        .await
        .expect("all");
    let only_x: consumer::PullConsumer = events
        .create_consumer(consumer::pull::Config {
            durable_name: Some("only_x".to_owned()),
            filter_subject: "ev.x".to_owned(),
            ..consumer::pull::Config::default()
        })
        .await
        .expect("only_x");
    publish(&js, "ev.x").await;
    publish(&js, "ev.y").await;
    publish(&js, "ev.x").await;
    wait_for_messages(&mut events, 3).await;
    // `all` is done with everything; ev.y goes, the ev.x messages wait for `only_x`.
    assert_eq!(fetch_and_ack(&all, 10).await.len(), 3);
    wait_for_messages(&mut events, 2).await;
    assert_eq!(fetch_and_ack(&only_x, 1).await, ["ev.x"]);
    wait_for_messages(&mut events, 1).await;
    // Deleting the last interested consumer releases what it held.
    events.delete_consumer("only_x").await.expect("delete");
    wait_for_messages(&mut events, 0).await;
}
