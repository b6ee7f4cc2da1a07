//! Stream `subject_transform` as nats-server serves it (ADR-30): a matching subject is stored
//! rewritten, others as they came; a bad source answers 10155 and a bad destination 10156.

use natrium_tests::{ServerProcess, js_request as request};

#[tokio::test]
async fn matching_subjects_are_stored_rewritten() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let config = r#"{"name":"T","subjects":["in.>"],
        "subject_transform":{"src":"in.*.*","dest":"out.$2.{{wildcard(1)}}"}}"#;
    let created = request(&client, "$JS.API.STREAM.CREATE.T", config).await;
    assert!(created.get("error").is_none(), "{created}");
    assert_eq!(
        created["config"]["subject_transform"]["dest"],
        "out.$2.{{wildcard(1)}}"
    );
    let js = async_nats::jetstream::new(client.clone());
    for subject in ["in.a.b", "in.x"] {
        js.publish(subject, "m".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
    let stream = js.get_stream("T").await.expect("stream");
    let first = stream.get_raw_message(1).await.expect("message 1");
    assert_eq!(first.subject.as_str(), "out.b.a");
    let second = stream.get_raw_message(2).await.expect("message 2");
    assert_eq!(second.subject.as_str(), "in.x");
    let last = stream
        .get_last_raw_message_by_subject("out.b.a")
        .await
        .expect("by the stored subject");
    assert_eq!(last.sequence, 1);
}

#[tokio::test]
async fn bad_transforms_are_refused_with_go_codes() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let bad_source = r#"{"name":"T","subjects":["in.>"],
        "subject_transform":{"src":"in..x","dest":"out.>"}}"#;
    let refused = request(&client, "$JS.API.STREAM.CREATE.T", bad_source).await;
    assert_eq!(refused["error"]["err_code"], 10155, "{refused}");
    assert_eq!(refused["error"]["code"], 400);
    let bad_destination = r#"{"name":"T","subjects":["in.>"],
        "subject_transform":{"src":"in.*","dest":"out.$3"}}"#;
    let refused = request(&client, "$JS.API.STREAM.CREATE.T", bad_destination).await;
    assert_eq!(refused["error"]["err_code"], 10156, "{refused}");
    let description = refused["error"]["description"].as_str().unwrap_or_default();
    assert!(description.starts_with("stream transform: "), "{refused}");
}
