//! Push and ordered consumers through the real async-nats client: a durable push consumer
//! delivers to its deliver subject and takes acks; an ordered consumer reads a long stream in
//! order through several flow-control windows; idle heartbeats carry the last sequences; the
//! Go server's checks refuse push-only settings on a pull consumer and bad filter lists; and
//! `filter_subjects`, `headers_only` and `by_start_time` select what Go selects.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use natrium_tests::ServerProcess;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(10);

async fn memory_stream(js: &jetstream::Context, name: &str, subject: &str) -> stream::Stream {
    js.create_stream(stream::Config {
        name: name.to_owned(),
        subjects: vec![subject.to_owned()],
        storage: stream::StorageType::Memory,
        ..stream::Config::default()
    })
    .await
    .expect("stream")
}

async fn publish(js: &jetstream::Context, subject: &str, payload: String) -> u64 {
    js.publish(subject.to_owned(), payload.into())
        .await
        .expect("publish")
        .await
        .expect("ack")
        .sequence
}

async fn api(client: &async_nats::Client, subject: &str, body: &str) -> Value {
    let reply = tokio::time::timeout(
        WAIT,
        client.request(subject.to_owned(), body.to_owned().into()),
    )
    .await
    .expect("in time")
    .expect("request");
    serde_json::from_slice(&reply.payload).expect("JSON")
}

#[tokio::test]
async fn a_durable_push_consumer_delivers_and_takes_acks() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client.clone());
    let events = memory_stream(&js, "EVENTS", "events.>").await;
    for index in 0..10 {
        publish(&js, "events.a", format!("event {index}")).await;
    }
    let pusher: consumer::PushConsumer = events
        .create_consumer(consumer::push::Config {
            durable_name: Some("pusher".to_owned()),
            deliver_subject: "deliver.pusher".to_owned(),
            ack_policy: consumer::AckPolicy::Explicit,
            ..consumer::push::Config::default()
        })
        .await
        .expect("push consumer");
    let mut messages = pusher.messages().await.expect("messages");
    for index in 0..10 {
        let message = tokio::time::timeout(WAIT, messages.next())
            .await
            .expect("in time")
            .expect("open")
            .expect("message");
        assert_eq!(
            message.payload.as_ref(),
            format!("event {index}").as_bytes()
        );
        assert_eq!(message.subject.as_str(), "events.a");
        message.double_ack().await.expect("double ack");
    }
    let info = api(&client, "$JS.API.CONSUMER.INFO.EVENTS.pusher", "").await;
    assert_eq!(info["num_ack_pending"], 0, "{info}");
    assert_eq!(info["ack_floor"]["stream_seq"], 10, "{info}");
    assert_eq!(info["push_bound"], true, "{info}");
    assert_eq!(
        info["config"]["deliver_subject"], "deliver.pusher",
        "{info}"
    );
    assert!(info["config"].get("max_waiting").is_none(), "{info}");
}

#[tokio::test]
async fn an_ordered_consumer_reads_a_long_stream_through_flow_control() {
    const COUNT: u64 = 20_000;
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client.clone());
    let log = memory_stream(&js, "LOG", "log").await;
    // Published in windows of 500 outstanding acks.
    let mut sent = 0;
    while sent < COUNT {
        let mut acks = Vec::new();
        for _ in 0..500 {
            let ack = js
                .publish("log", format!("{sent}").into())
                .await
                .expect("publish");
            acks.push(ack);
            sent += 1;
        }
        for ack in acks {
            ack.await.expect("ack");
        }
    }
    let reader = log
        .create_consumer(consumer::push::OrderedConfig {
            deliver_subject: client.new_inbox(),
            ..consumer::push::OrderedConfig::default()
        })
        .await
        .expect("ordered consumer");
    let mut messages = reader.messages().await.expect("messages");
    for expected in 0..COUNT {
        let message = tokio::time::timeout(WAIT, messages.next())
            .await
            .expect("in time")
            .expect("open")
            .expect("message");
        assert_eq!(message.payload.as_ref(), expected.to_string().as_bytes());
        let info = message.info().expect("ack subject");
        assert_eq!(info.stream_sequence, expected + 1);
        assert_eq!(info.pending, COUNT - expected - 1);
    }
}

#[tokio::test]
async fn idle_heartbeats_carry_the_last_sequences() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client.clone());
    memory_stream(&js, "TICKS", "ticks").await;
    publish(&js, "ticks", "one".to_owned()).await;
    publish(&js, "ticks", "two".to_owned()).await;
    let mut inbox = client.subscribe("hb.inbox").await.expect("subscribe");
    let created = api(
        &client,
        "$JS.API.CONSUMER.CREATE.TICKS",
        r#"{"stream_name":"TICKS","config":{"deliver_subject":"hb.inbox","ack_policy":"none",
            "flow_control":true,"idle_heartbeat":200000000}}"#,
    )
    .await;
    assert!(created.get("error").is_none(), "{created}");
    let mut payloads = Vec::new();
    let heartbeat = loop {
        let message = tokio::time::timeout(WAIT, inbox.next())
            .await
            .expect("in time")
            .expect("message");
        match message.status {
            None => payloads.push(message.payload.to_vec()),
            Some(status) => break (status, message),
        }
    };
    assert_eq!(payloads, [b"one".to_vec(), b"two".to_vec()]);
    let (status, message) = heartbeat;
    assert_eq!(status, async_nats::StatusCode::IDLE_HEARTBEAT);
    assert!(message.reply.is_none(), "a heartbeat asks for no reply");
    let headers = message.headers.expect("headers");
    assert_eq!(
        headers.get("Nats-Last-Consumer").map(|v| v.as_str()),
        Some("2")
    );
    assert_eq!(
        headers.get("Nats-Last-Stream").map(|v| v.as_str()),
        Some("2")
    );
}

#[tokio::test]
async fn push_only_settings_and_bad_filters_are_refused_as_go_refuses_them() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client.clone());
    memory_stream(&js, "CHECKS", "checks.>").await;
    let cases = [
        (r#"{"durable_name":"a","idle_heartbeat":1000000000}"#, 10088),
        (r#"{"durable_name":"a","flow_control":true}"#, 10089),
        (r#"{"deliver_subject":"d.x","flow_control":true}"#, 10108),
        (r#"{"deliver_subject":"d.x","max_waiting":5}"#, 10080),
        (r#"{"deliver_subject":"d.*"}"#, 10079),
        (r#"{"deliver_subject":"d..x"}"#, 10112),
        (
            r#"{"filter_subject":"checks.a","filter_subjects":["checks.b"]}"#,
            10136,
        ),
        (r#"{"filter_subjects":["checks.a",""]}"#, 10139),
        (r#"{"filter_subjects":["checks.*","checks.a"]}"#, 10138),
    ];
    for (config, err_code) in cases {
        let body = format!(r#"{{"stream_name":"CHECKS","config":{config}}}"#);
        // A durable's name goes in the subject too, as Go requires.
        let subject = if config.contains(r#""durable_name":"a""#) {
            "$JS.API.CONSUMER.CREATE.CHECKS.a"
        } else {
            "$JS.API.CONSUMER.CREATE.CHECKS"
        };
        let answer = api(&client, subject, &body).await;
        assert_eq!(answer["error"]["err_code"], err_code, "{config}: {answer}");
    }
}

/// Fetches everything a pull consumer has now.
async fn fetch_all(consumer: &consumer::PullConsumer) -> Vec<jetstream::Message> {
    let mut batch = consumer
        .fetch()
        .max_messages(100)
        .messages()
        .await
        .expect("fetch");
    let mut got = Vec::new();
    while let Some(message) = tokio::time::timeout(WAIT, batch.next())
        .await
        .expect("in time")
    {
        got.push(message.expect("message"));
    }
    got
}

#[tokio::test]
async fn filter_subjects_headers_only_and_start_time_select_as_go() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client.clone());
    let metrics = memory_stream(&js, "METRICS", "m.>").await;
    for subject in ["m.cpu", "m.disk", "m.net", "m.cpu"] {
        publish(&js, subject, format!("{subject} value")).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let later = time::OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::from_millis(50)).await;
    publish(&js, "m.net", "late".to_owned()).await;

    let two: consumer::PullConsumer = metrics
        .create_consumer(consumer::pull::Config {
            durable_name: Some("two".to_owned()),
            filter_subjects: vec!["m.cpu".to_owned(), "m.net".to_owned()],
            ..consumer::pull::Config::default()
        })
        .await
        .expect("filter_subjects consumer");
    let subjects: Vec<String> = fetch_all(&two)
        .await
        .iter()
        .map(|message| message.subject.to_string())
        .collect();
    assert_eq!(subjects, ["m.cpu", "m.net", "m.cpu", "m.net"]);

    let sizes: consumer::PullConsumer = metrics
        .create_consumer(consumer::pull::Config {
            durable_name: Some("sizes".to_owned()),
            filter_subject: "m.disk".to_owned(),
            headers_only: true,
            ..consumer::pull::Config::default()
        })
        .await
        .expect("headers_only consumer");
    let got = fetch_all(&sizes).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].payload.is_empty());
    let headers = got[0].headers.as_ref().expect("headers");
    assert_eq!(headers.get("Nats-Msg-Size").map(|v| v.as_str()), Some("12"));

    let recent: consumer::PullConsumer = metrics
        .create_consumer(consumer::pull::Config {
            durable_name: Some("recent".to_owned()),
            deliver_policy: consumer::DeliverPolicy::ByStartTime { start_time: later },
            ..consumer::pull::Config::default()
        })
        .await
        .expect("by_start_time consumer");
    let payloads: Vec<Vec<u8>> = fetch_all(&recent)
        .await
        .iter()
        .map(|message| message.payload.to_vec())
        .collect();
    assert_eq!(payloads, [b"late".to_vec()]);
}
