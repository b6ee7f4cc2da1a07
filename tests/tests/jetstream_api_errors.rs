//! The `$JS.API` answers a refused request with the Go server's error JSON (code, err_code,
//! description as nats-server 2.15.1 answered the same requests), and fails closed: a stream
//! feature natrium does not implement is refused, not ignored, and an API it does not serve
//! answers at once instead of timing out.

use natrium_tests::ServerProcess;
use serde_json::Value;

async fn request(client: &async_nats::Client, subject: &str, body: &str) -> Value {
    let reply = client
        .request(subject.to_owned(), body.to_owned().into())
        .await
        .unwrap_or_else(|error| panic!("{subject}: {error}"));
    serde_json::from_slice(&reply.payload).expect("JSON")
}

fn error_of(response: &Value) -> (u64, Option<u64>, String) {
    let error = &response["error"];
    (
        error["code"].as_u64().expect("code"),
        error["err_code"].as_u64(),
        error["description"]
            .as_str()
            .expect("description")
            .to_owned(),
    )
}

#[tokio::test]
async fn refused_requests_carry_go_error_codes() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let create = r#"{"name":"ORDERS","subjects":["orders.>"]}"#;
    let created = request(&client, "$JS.API.STREAM.CREATE.ORDERS", create).await;
    assert_eq!(
        created["type"],
        "io.nats.jetstream.api.v1.stream_create_response"
    );
    assert_eq!(created["config"]["max_msgs"], -1);
    assert_eq!(created["config"]["duplicate_window"], 120_000_000_000u64);
    assert_eq!(created["state"]["first_ts"], "0001-01-01T00:00:00Z");
    assert_eq!(created["did_create"], true);

    let cases = [
        (
            "$JS.API.STREAM.INFO.NOPE",
            "",
            (404, Some(10059), "stream not found"),
        ),
        (
            "$JS.API.STREAM.CREATE.ORDERS",
            r#"{"name":"ORDERS","subjects":["orders.*"]}"#,
            (
                400,
                Some(10058),
                "stream name already in use with a different configuration",
            ),
        ),
        (
            "$JS.API.STREAM.CREATE.BAD",
            r#"{"name":"OTHER","subjects":["x.>"]}"#,
            (
                400,
                Some(10056),
                "stream name in subject does not match request",
            ),
        ),
        (
            "$JS.API.STREAM.CREATE.OVER",
            r#"{"name":"OVER","subjects":["orders.eu"]}"#,
            (400, Some(10065), "subjects overlap with an existing stream"),
        ),
        (
            "$JS.API.STREAM.CREATE.R",
            r#"{"name":"R","subjects":["r"],"num_replicas":3}"#,
            (
                500,
                Some(10074),
                "replicas > 1 not supported in non-clustered mode",
            ),
        ),
        (
            "$JS.API.STREAM.CREATE.W",
            r#"{"name":"W","subjects":["w"],"retention":"everything"}"#,
            (500, Some(10052), "retention \"everything\""),
        ),
        (
            "$JS.API.STREAM.CREATE.M",
            r#"{"name":"M","subjects":["m"],"mirror":{"name":"ORDERS"}}"#,
            (400, Some(10034), "stream mirrors can not contain subjects"),
        ),
        (
            "$JS.API.STREAM.CREATE.M",
            r#"{"name":"M","subjects":["m"],"allow_msg_schedules":true}"#,
            (
                500,
                Some(10052),
                "allow_msg_schedules is not supported by natrium yet",
            ),
        ),
        (
            "$JS.API.STREAM.CREATE.N",
            r#"{"name":"N","subjects":["$JS.API.>"]}"#,
            (
                500,
                Some(10052),
                "subjects that overlap with jetstream api require no-ack to be true",
            ),
        ),
        (
            "$JS.API.STREAM.MSG.GET.ORDERS",
            r#"{"seq":7}"#,
            (404, Some(10037), "no message found"),
        ),
        (
            "$JS.API.STREAM.DELETE.NOPE",
            "",
            (404, Some(10059), "stream not found"),
        ),
        (
            "$JS.API.CONSUMER.INFO.ORDERS.C",
            "",
            (404, Some(10014), "consumer not found"),
        ),
        (
            "$JS.API.STREAM.SNAPSHOT.ORDERS",
            "",
            (
                501,
                None,
                "$JS.API.STREAM.SNAPSHOT.ORDERS is not implemented by natrium yet",
            ),
        ),
    ];
    for (subject, body, (code, err_code, description)) in cases {
        let response = request(&client, subject, body).await;
        assert_eq!(
            error_of(&response),
            (code, err_code, description.to_owned()),
            "{subject} {body}: {response}"
        );
    }
    let bad_json = request(&client, "$JS.API.STREAM.CREATE.J", "not json").await;
    let (code, err_code, description) = error_of(&bad_json);
    assert_eq!((code, err_code), (400, Some(10025)));
    assert!(description.starts_with("invalid JSON: "), "{description}");

    // A publish whose expectation fails is refused, and nothing is stored.
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Expected-Last-Msg-Id", "some-id");
    let reply = client
        .request_with_headers("orders.eu".to_owned(), headers, "x".into())
        .await
        .expect("ack");
    let ack: Value = serde_json::from_slice(&reply.payload).expect("JSON");
    assert_eq!(ack["error"]["err_code"], 10070, "{ack}");
    assert_eq!(ack["error"]["description"], "wrong last msg ID: ", "{ack}");
    let info = request(&client, "$JS.API.STREAM.INFO.ORDERS", "").await;
    assert_eq!(info["state"]["messages"], 0, "nothing stored: {info}");
    let account = request(&client, "$JS.API.INFO", "").await;
    assert_eq!(
        account["type"],
        "io.nats.jetstream.api.v1.account_info_response"
    );
    assert_eq!(account["streams"], 1);
    assert!(account["api"]["errors"].as_u64().expect("errors") >= 11);
}

/// `jetstream { max_file_store }` bounds what the account's file streams hold: the account
/// info reports it, a stream asking for more is refused, and a publish past it gets Go's
/// 10047 instead of being stored.
#[tokio::test]
async fn account_storage_limits_are_enforced() {
    let config = "jetstream { max_file_store: 2048 }\n";
    let server = ServerProcess::start_with_config(config, &[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let account = request(&client, "$JS.API.INFO", "").await;
    assert_eq!(account["limits"]["max_storage"], 2048, "{account}");
    let too_big = request(
        &client,
        "$JS.API.STREAM.CREATE.BIG",
        r#"{"name":"BIG","subjects":["big"],"max_bytes":4096}"#,
    )
    .await;
    assert_eq!(error_of(&too_big).1, Some(10047), "{too_big}");
    let created = request(
        &client,
        "$JS.API.STREAM.CREATE.LOGS",
        r#"{"name":"LOGS","subjects":["logs"]}"#,
    )
    .await;
    assert!(created.get("error").is_none(), "{created}");
    let payload = "x".repeat(300);
    let mut stored = 0;
    let refusal = loop {
        let reply = client
            .request("logs".to_owned(), payload.clone().into())
            .await
            .expect("ack");
        let ack: Value = serde_json::from_slice(&reply.payload).expect("JSON");
        if ack.get("error").is_some() {
            break ack;
        }
        stored += 1;
        assert!(stored < 20, "the limit never refused a publish");
    };
    assert_eq!(
        error_of(&refusal),
        (
            500,
            Some(10047),
            "insufficient storage resources available".to_owned()
        )
    );
    let info = request(&client, "$JS.API.STREAM.INFO.LOGS", "").await;
    assert_eq!(info["state"]["messages"], stored);
    assert!(info["state"]["bytes"].as_u64().expect("bytes") <= 2048);
}
