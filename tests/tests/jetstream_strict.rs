//! `jetstream { strict: true }`: a stream or consumer request with a field Go's request
//! struct does not have is refused with 10025 and Go 2.12+'s words; without it (the default)
//! such a field is ignored, as Go 2.10 did.

use natrium_tests::{ServerProcess, js_request as request};

#[tokio::test]
async fn strict_refuses_unknown_fields_and_the_default_ignores_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = format!(
        "jetstream {{ store_dir: {:?}, strict: true }}\n",
        dir.path().to_str().expect("utf-8")
    );
    let server = ServerProcess::start_with_config(&config, &[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let body = r#"{"name":"S","subjects":["s"],"no_such_field":1}"#;
    let refused = request(&client, "$JS.API.STREAM.CREATE.S", body).await;
    assert_eq!(refused["error"]["err_code"], 10025, "{refused}");
    assert_eq!(refused["error"]["code"], 400);
    assert_eq!(
        refused["error"]["description"],
        "invalid JSON: json: unknown field \"no_such_field\""
    );
    let created = request(
        &client,
        "$JS.API.STREAM.CREATE.S",
        r#"{"name":"S","subjects":["s"]}"#,
    )
    .await;
    assert!(created.get("error").is_none(), "{created}");
    let consumer =
        r#"{"stream_name":"S","config":{"durable_name":"C","ack_policy":"explicit","bogus":true}}"#;
    let refused = request(&client, "$JS.API.CONSUMER.CREATE.S.C", consumer).await;
    assert_eq!(refused["error"]["err_code"], 10025, "{refused}");
    assert_eq!(
        refused["error"]["description"],
        "invalid JSON: json: unknown field \"bogus\""
    );
    drop(server);

    let relaxed = ServerProcess::start(&[]);
    let client = async_nats::connect(relaxed.url()).await.expect("connect");
    let created = request(&client, "$JS.API.STREAM.CREATE.S", body).await;
    assert!(
        created.get("error").is_none(),
        "ignored by default: {created}"
    );
}
