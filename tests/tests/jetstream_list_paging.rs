//! Stream and consumer lists as Go pages them (`offset`, `limit`, `total`), and a stream found
//! by subject (`STREAM.NAMES` with `subject`, which async-nats' `stream_by_subject` sends).

use async_nats::jetstream::{self, consumer, stream};
use natrium_tests::ServerProcess;
use serde_json::Value;

async fn request(client: &async_nats::Client, subject: &str, body: &str) -> Value {
    let reply = client
        .request(subject.to_owned(), body.to_owned().into())
        .await
        .expect("request");
    serde_json::from_slice(&reply.payload).expect("JSON")
}

#[tokio::test]
async fn lists_page_and_streams_are_found_by_subject() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client.clone());
    for (name, subject) in [("A", "a.>"), ("B", "b.*"), ("C", "c")] {
        let stream = js
            .create_stream(stream::Config {
                name: name.to_owned(),
                subjects: vec![subject.to_owned()],
                storage: stream::StorageType::Memory,
                ..stream::Config::default()
            })
            .await
            .expect("stream");
        if name == "A" {
            for durable in ["x", "y", "z"] {
                let _: consumer::PullConsumer = stream
                    .create_consumer(consumer::pull::Config {
                        durable_name: Some(durable.to_owned()),
                        ..consumer::pull::Config::default()
                    })
                    .await
                    .expect("consumer");
            }
        }
    }
    let page = request(&client, "$JS.API.STREAM.NAMES", r#"{"offset":1}"#).await;
    assert_eq!(page["total"], 3, "{page}");
    assert_eq!(page["offset"], 1, "{page}");
    assert_eq!(page["streams"], serde_json::json!(["B", "C"]), "{page}");
    let listed = request(&client, "$JS.API.STREAM.LIST", r#"{"offset":2}"#).await;
    assert_eq!(listed["streams"][0]["config"]["name"], "C", "{listed}");
    let consumers = request(&client, "$JS.API.CONSUMER.NAMES.A", r#"{"offset":2}"#).await;
    assert_eq!(
        consumers["consumers"],
        serde_json::json!(["z"]),
        "{consumers}"
    );
    assert_eq!(consumers["total"], 3, "{consumers}");

    assert_eq!(
        js.stream_by_subject("b.anything").await.expect("found"),
        "B"
    );
    assert_eq!(js.stream_by_subject("a.b.c").await.expect("found"), "A");
    assert!(
        js.stream_by_subject("d").await.is_err(),
        "no stream takes d"
    );
}
