//! Pull consumers through the real async-nats client: a durable consumer fetches in batches,
//! acknowledges, sees an unacknowledged message redelivered after `ack_wait`, follows new
//! messages through a long pull, filters by subject, and reports its state in consumer info.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use natrium_tests::ServerProcess;

async fn publish(js: &jetstream::Context, subject: &str, payload: &str) {
    js.publish(subject.to_owned(), payload.to_owned().into())
        .await
        .expect("publish")
        .await
        .expect("ack");
}

/// Creates file-stored stream `name` over `subject`.
async fn create_stream(js: &jetstream::Context, name: &str, subject: &str) -> stream::Stream {
    js.create_stream(stream::Config {
        name: name.to_owned(),
        subjects: vec![subject.to_owned()],
        ..stream::Config::default()
    })
    .await
    .expect("stream")
}

#[tokio::test]
async fn fetch_ack_redeliver_and_follow() {
    let server = ServerProcess::start(&[]);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let orders = create_stream(&js, "ORDERS", "orders.>").await;
    for index in 0..5 {
        publish(&js, "orders.eu", &format!("eu {index}")).await;
    }
    publish(&js, "orders.us", "us 0").await;

    let worker: consumer::PullConsumer = orders
        .create_consumer(consumer::pull::Config {
            durable_name: Some("worker".to_owned()),
            filter_subject: "orders.eu".to_owned(),
            ack_wait: Duration::from_millis(400),
            ..consumer::pull::Config::default()
        })
        .await
        .expect("consumer");

    // The first fetch takes three; two are acknowledged, the third is left pending.
    let mut batch = worker
        .fetch()
        .max_messages(3)
        .messages()
        .await
        .expect("fetch");
    let mut got = Vec::new();
    while let Some(message) = batch.next().await {
        let message = message.expect("message");
        got.push(String::from_utf8(message.payload.to_vec()).expect("utf-8"));
        if got.len() < 3 {
            message.ack().await.expect("ack");
        }
    }
    assert_eq!(got, ["eu 0", "eu 1", "eu 2"]);

    // Fetching more than remains ends early (404 No Messages) with the rest, filtered.
    let mut batch = worker
        .fetch()
        .max_messages(10)
        .messages()
        .await
        .expect("fetch");
    let mut rest = Vec::new();
    while let Some(message) = batch.next().await {
        let message = message.expect("message");
        rest.push(String::from_utf8(message.payload.to_vec()).expect("utf-8"));
        message.ack().await.expect("ack");
    }
    assert_eq!(rest, ["eu 3", "eu 4"]);

    // After ack_wait the unacknowledged "eu 2" comes back, marked as redelivered.
    let mut batch = worker
        .batch()
        .max_messages(1)
        .expires(Duration::from_secs(3))
        .messages()
        .await
        .expect("batch");
    let again = batch.next().await.expect("redelivery").expect("message");
    assert_eq!(again.payload.as_ref(), b"eu 2");
    assert_eq!(again.info().expect("ack info").delivered, 2);
    again.ack().await.expect("ack");

    // A long pull waits for the next message.
    let mut follow = worker
        .batch()
        .max_messages(1)
        .expires(Duration::from_secs(5))
        .messages()
        .await
        .expect("long pull");
    publish(&js, "orders.eu", "eu 5").await;
    let next = follow.next().await.expect("new message").expect("message");
    assert_eq!(next.payload.as_ref(), b"eu 5");
    next.ack().await.expect("ack");

    let mut worker = worker;
    let info = worker.info().await.expect("consumer info");
    assert_eq!(info.num_ack_pending, 0);
    assert_eq!(info.num_pending, 0);
    assert_eq!(info.delivered.stream_sequence, 7);
    assert_eq!(info.ack_floor.stream_sequence, 7);
    let names: Vec<String> = orders
        .consumer_names()
        .map(|name| name.expect("name"))
        .collect()
        .await;
    assert_eq!(names, ["worker"]);
    assert!(
        orders
            .delete_consumer("worker")
            .await
            .expect("delete")
            .success
    );
}

/// A durable consumer survives a restart: its configuration and progress (ack floor, the
/// message still pending) come back, and the pending message is redelivered.
#[tokio::test]
async fn a_durable_consumer_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let store = store.to_str().expect("utf-8");
    ack_two_of_three_then_stop(store, "term").await;
    let server = ServerProcess::start(&["-sd", store]);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let jobs = js.get_stream("JOBS").await.expect("stream loaded");
    let mut worker: consumer::PullConsumer =
        jobs.get_consumer("worker").await.expect("consumer loaded");
    let info = worker.info().await.expect("info");
    assert_eq!(info.ack_floor.stream_sequence, 2);
    assert_eq!(info.num_ack_pending, 1);
    let mut batch = worker
        .batch()
        .max_messages(1)
        .expires(Duration::from_secs(3))
        .messages()
        .await
        .expect("batch");
    let again = batch.next().await.expect("redelivery").expect("message");
    assert_eq!(again.payload.as_ref(), b"job 2");
    assert_eq!(again.info().expect("ack info").delivered, 2);
}

/// Killed (SIGKILL) right after the acks, before they may have been written: the restart
/// may deliver acknowledged messages again, but never skips the unacknowledged one.
#[tokio::test]
async fn a_killed_server_never_skips_an_unacknowledged_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let store = store.to_str().expect("utf-8");
    ack_two_of_three_then_stop(store, "stop").await;
    let server = ServerProcess::start(&["-sd", store]);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let jobs = js.get_stream("JOBS").await.expect("stream loaded");
    let worker: consumer::PullConsumer =
        jobs.get_consumer("worker").await.expect("consumer loaded");
    let mut batch = worker
        .batch()
        .max_messages(3)
        .expires(Duration::from_secs(2))
        .messages()
        .await
        .expect("batch");
    let mut payloads = Vec::new();
    while let Some(message) = batch.next().await {
        let message = message.expect("message");
        payloads.push(String::from_utf8_lossy(&message.payload).into_owned());
        message.ack().await.expect("acknowledged");
    }
    assert!(
        payloads.iter().any(|payload| payload == "job 2"),
        "the unacknowledged message came back: {payloads:?}"
    );
}

/// Creates stream JOBS with three messages and durable `worker`, fetches all three, acks
/// the first two, then sends the server `signal` (`term`: graceful; `stop`: SIGKILL).
async fn ack_two_of_three_then_stop(store: &str, signal: &str) {
    {
        let mut server = ServerProcess::start(&["-sd", store]);
        let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
        let jobs = create_stream(&js, "JOBS", "jobs").await;
        for index in 0..3 {
            publish(&js, "jobs", &format!("job {index}")).await;
        }
        let worker: consumer::PullConsumer = jobs
            .create_consumer(consumer::pull::Config {
                durable_name: Some("worker".to_owned()),
                ack_wait: Duration::from_millis(300),
                ..consumer::pull::Config::default()
            })
            .await
            .expect("consumer");
        let mut batch = worker
            .fetch()
            .max_messages(3)
            .messages()
            .await
            .expect("fetch");
        let mut seen = 0;
        while let Some(message) = batch.next().await {
            let message = message.expect("message");
            seen += 1;
            if seen < 3 {
                message.double_ack().await.expect("acknowledged");
            }
        }
        assert_eq!(seen, 3);
        server.send_signal(signal);
        assert!(
            server.wait_exit(Duration::from_secs(10)).is_some(),
            "stopped"
        );
    }
}

/// An ephemeral consumer (no durable name) gets a generated name, is served like any other,
/// writes nothing to disk, and is deleted after `inactive_threshold` without pull requests.
#[tokio::test]
async fn an_ephemeral_consumer_is_deleted_when_inactive() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let server = ServerProcess::start(&["-sd", store.to_str().expect("utf-8")]);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let events = create_stream(&js, "EVENTS", "events").await;
    publish(&js, "events", "first").await;
    let mut reader: consumer::PullConsumer = events
        .create_consumer(consumer::pull::Config {
            inactive_threshold: Duration::from_millis(400),
            ..consumer::pull::Config::default()
        })
        .await
        .expect("ephemeral consumer");
    let info = reader.info().await.expect("info").clone();
    assert_eq!(info.name.len(), 8, "generated name {:?}", info.name);
    assert!(info.config.durable_name.is_none());
    assert_eq!(info.config.inactive_threshold, Duration::from_millis(400));
    let message = reader
        .fetch()
        .max_messages(1)
        .messages()
        .await
        .expect("fetch")
        .next()
        .await
        .expect("a message")
        .expect("message");
    assert_eq!(message.payload.as_ref(), b"first");
    message.ack().await.expect("acknowledged");
    let consumers = store.join("jetstream/$G/streams/EVENTS/consumers");
    assert!(
        std::fs::read_dir(&consumers).map_or(true, |mut entries| entries.next().is_none()),
        "an ephemeral consumer writes nothing"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let error = events
        .consumer_info(&info.name)
        .await
        .expect_err("deleted after inactivity");
    assert!(error.to_string().contains("consumer not found"), "{error}");
}

/// Updating a consumer: `update` changes what may change (ack_wait, max_ack_pending), a
/// fixed field (ack policy) is refused with Go's text, `create` with a different config gets
/// 10148, and `update` of a missing consumer 10149.
#[tokio::test]
async fn a_consumer_is_updated_within_go_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(&["-sd", dir.path().to_str().expect("utf-8")]);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let tasks = create_stream(&js, "TASKS", "tasks").await;
    let base = consumer::pull::Config {
        durable_name: Some("runner".to_owned()),
        ack_wait: Duration::from_secs(10),
        ..consumer::pull::Config::default()
    };
    tasks.create_consumer(base.clone()).await.expect("consumer");
    let longer = consumer::pull::Config {
        ack_wait: Duration::from_secs(20),
        max_ack_pending: 5,
        ..base.clone()
    };
    let mut updated: consumer::PullConsumer =
        tasks.update_consumer(longer.clone()).await.expect("update");
    let info = updated.info().await.expect("info");
    assert_eq!(info.config.ack_wait, Duration::from_secs(20));
    assert_eq!(info.config.max_ack_pending, 5);

    let refused = tasks
        .update_consumer(consumer::pull::Config {
            ack_policy: consumer::AckPolicy::None,
            ..longer.clone()
        })
        .await
        .expect_err("ack policy is fixed");
    assert!(
        refused
            .to_string()
            .contains("ack policy can not be updated"),
        "{refused}"
    );
    let exists = tasks
        .create_consumer_strict(base)
        .await
        .expect_err("a different config exists");
    // async-nats maps err_code 10148 to this kind.
    assert_eq!(
        exists.kind(),
        stream::ConsumerCreateStrictErrorKind::AlreadyExists,
        "{exists}"
    );
    let missing = tasks
        .update_consumer(consumer::pull::Config {
            durable_name: Some("nobody".to_owned()),
            ..longer
        })
        .await
        .expect_err("no such consumer");
    // async-nats maps err_code 10149 to this kind.
    assert_eq!(
        missing.kind(),
        stream::ConsumerUpdateErrorKind::DoesNotExist,
        "{missing}"
    );
}
