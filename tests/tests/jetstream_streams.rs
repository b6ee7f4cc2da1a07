//! JetStream streams through the real async-nats client: create a stream, publish with
//! acknowledgements (durable: the ack comes after the fsync), read stream info and a message
//! back, purge by subject, delete a message and the stream; the error codes of Go's
//! errors.json where a request is refused; and the stream surviving a restart.

use async_nats::jetstream::{self, stream};
use natrium_tests::ServerProcess;

fn config(name: &str, subjects: &[&str]) -> stream::Config {
    stream::Config {
        name: name.to_owned(),
        subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
        ..stream::Config::default()
    }
}

#[tokio::test]
async fn streams_store_acknowledge_and_answer_info() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client);
    let mut orders = js
        .create_stream(config("ORDERS", &["orders.>"]))
        .await
        .expect("create ORDERS");
    assert_eq!(orders.cached_info().config.name, "ORDERS");
    for (index, subject) in ["orders.eu", "orders.us", "orders.eu"].iter().enumerate() {
        let ack = js
            .publish(*subject, format!("order {index}").into())
            .await
            .expect("publish")
            .await
            .expect("ack");
        assert_eq!(ack.stream, "ORDERS");
        assert_eq!(ack.sequence, index as u64 + 1);
    }
    let info = orders.info().await.expect("info");
    assert_eq!(info.state.messages, 3);
    assert_eq!(
        (info.state.first_sequence, info.state.last_sequence),
        (1, 3)
    );
    assert_eq!(info.state.subjects_count, 2);

    let message = orders.get_raw_message(2).await.expect("message 2");
    assert_eq!(message.subject.as_str(), "orders.us");
    assert_eq!(message.payload.as_ref(), b"order 1");

    let purged = orders.purge().filter("orders.eu").await.expect("purge eu");
    assert_eq!(purged.purged, 2);
    assert!(orders.delete_message(2).await.expect("delete 2"));
    let info = orders.info().await.expect("info after");
    assert_eq!(info.state.messages, 0);
    assert_eq!(info.state.last_sequence, 3);

    // A subject another stream has already taken: Go's 10065.
    let overlap = js.create_stream(config("MORE", &["orders.eu"])).await;
    let error = overlap.expect_err("overlapping subjects").to_string();
    assert!(error.contains("10065"), "{error}");
    assert!(js.delete_stream("ORDERS").await.expect("delete").success);
    let missing = js
        .get_stream("ORDERS")
        .await
        .expect_err("deleted")
        .to_string();
    assert!(
        missing.contains("10059") || missing.contains("not found"),
        "{missing}"
    );
}

#[tokio::test]
async fn a_file_stream_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let store = store.to_str().expect("utf-8");
    {
        let server = ServerProcess::start(&["-sd", store]);
        let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
        js.create_stream(config("EVENTS", &["events.*"]))
            .await
            .expect("create");
        for index in 0..5u8 {
            js.publish("events.new", vec![index].into())
                .await
                .expect("publish")
                .await
                .expect("ack");
        }
    }
    let server = ServerProcess::start(&["-sd", store]);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let mut events = js.get_stream("EVENTS").await.expect("loaded at start");
    let info = events.info().await.expect("info");
    assert_eq!(info.state.messages, 5);
    let ack = js
        .publish("events.new", vec![9].into())
        .await
        .expect("publish")
        .await
        .expect("ack");
    assert_eq!(ack.sequence, 6, "sequences continue after the restart");
    assert!(
        std::path::Path::new(store)
            .join("jetstream/$G/streams/EVENTS")
            .is_dir()
    );
}

/// The stream's writer runs the store's timers: a message older than max_age goes.
#[tokio::test]
async fn max_age_expires_messages() {
    let server = ServerProcess::start(&[]);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let mut short = js
        .create_stream(stream::Config {
            max_age: std::time::Duration::from_millis(500),
            ..config("SHORT", &["short"])
        })
        .await
        .expect("create");
    js.publish("short", "soon gone".into())
        .await
        .expect("publish")
        .await
        .expect("ack");
    assert_eq!(short.info().await.expect("info").state.messages, 1);
    // Expiry runs on the writer's one-second tick: poll, bounded, instead of sleeping blind.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if short.info().await.expect("info").state.messages == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never expired");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(short.info().await.expect("info").state.last_sequence, 1);
}
