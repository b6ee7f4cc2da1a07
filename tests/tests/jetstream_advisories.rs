//! JetStream advisories as nats-server publishes them on `$JS.EVENT.ADVISORY.>`: the API
//! audit, stream and consumer actions, a message that reached `max_deliver`, and one
//! terminated with `+TERM`.

use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer, stream};
use futures::StreamExt;
use natrium_tests::ServerProcess;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(10);

async fn next_advisory(subscriber: &mut async_nats::Subscriber) -> (String, Value) {
    let message = tokio::time::timeout(WAIT, subscriber.next())
        .await
        .expect("in time")
        .expect("advisory");
    let body = serde_json::from_slice(&message.payload).expect("JSON");
    (message.subject.to_string(), body)
}

#[tokio::test]
async fn actions_deliveries_and_terminations_are_advised() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let mut actions = client
        .subscribe("$JS.EVENT.ADVISORY.*.*.>")
        .await
        .expect("subscribe actions");
    let mut audit = client
        .subscribe("$JS.EVENT.ADVISORY.API")
        .await
        .expect("subscribe audit");
    let mut limits = client
        .subscribe("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>")
        .await
        .expect("subscribe max deliveries");
    client.flush().await.expect("flush");
    let js = jetstream::new(client.clone());
    let tasks = js
        .create_stream(stream::Config {
            name: "TASKS".to_owned(),
            subjects: vec!["tasks".to_owned()],
            storage: stream::StorageType::Memory,
            ..stream::Config::default()
        })
        .await
        .expect("stream");
    let (subject, created) = next_advisory(&mut actions).await;
    assert_eq!(subject, "$JS.EVENT.ADVISORY.STREAM.CREATED.TASKS");
    assert_eq!(
        created["type"],
        "io.nats.jetstream.advisory.v1.stream_action"
    );
    assert_eq!(created["action"], "create");
    assert!(
        created["id"].as_str().is_some_and(|id| id.len() == 22),
        "{created}"
    );
    let (_, audited) = next_advisory(&mut audit).await;
    assert_eq!(audited["type"], "io.nats.jetstream.advisory.v1.api_audit");
    assert_eq!(audited["subject"], "$JS.API.STREAM.CREATE.TASKS");

    let worker: consumer::PullConsumer = tasks
        .create_consumer(consumer::pull::Config {
            durable_name: Some("worker".to_owned()),
            max_deliver: 1,
            ack_wait: Duration::from_millis(200),
            ..consumer::pull::Config::default()
        })
        .await
        .expect("consumer");
    let (subject, created) = next_advisory(&mut actions).await;
    assert_eq!(subject, "$JS.EVENT.ADVISORY.CONSUMER.CREATED.TASKS.worker");
    assert_eq!(created["consumer"], "worker");

    for _ in 0..2 {
        js.publish("tasks", "t".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
    let mut batch = worker
        .fetch()
        .max_messages(2)
        .messages()
        .await
        .expect("fetch");
    let first = batch.next().await.expect("first").expect("message");
    first.ack_with(AckKind::Term).await.expect("terminate");
    let (subject, terminated) = next_advisory(&mut actions).await;
    assert_eq!(
        subject,
        "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.TASKS.worker"
    );
    assert_eq!(terminated["stream_seq"], 1, "{terminated}");
    let _second = batch.next().await.expect("second").expect("message");
    // Not acknowledged: after ack_wait it is due again, and max_deliver 1 ends it.
    let mut retry = worker
        .batch()
        .max_messages(1)
        .expires(Duration::from_millis(600))
        .messages()
        .await
        .expect("batch");
    while let Some(message) = retry.next().await {
        message.expect("message");
    }
    let (subject, limit) = next_advisory(&mut limits).await;
    assert_eq!(
        subject,
        "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.TASKS.worker"
    );
    assert_eq!(
        (limit["stream_seq"].clone(), limit["deliveries"].clone()),
        (2.into(), 1.into())
    );

    // The action watcher's wildcard takes that one too.
    let (subject, _) = next_advisory(&mut actions).await;
    assert!(subject.contains("MAX_DELIVERIES"), "{subject}");

    tasks.delete_consumer("worker").await.expect("delete");
    let (subject, deleted) = next_advisory(&mut actions).await;
    assert_eq!(subject, "$JS.EVENT.ADVISORY.CONSUMER.DELETED.TASKS.worker");
    assert_eq!(deleted["action"], "delete");
}
