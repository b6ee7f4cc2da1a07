//! Stream options as nats-server serves them: `compression: s2` (file blocks compressed,
//! readable after a restart), `first_seq`, `no_ack`, `discard_new_per_subject` and
//! `max_consumers` (10026).

use std::time::Duration;

use natrium_tests::{ServerProcess, js_request as request};

#[tokio::test]
async fn compressed_streams_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let store = store.to_str().expect("utf-8");
    let payload = "compressible ".repeat(100);
    {
        let server = ServerProcess::start(&["-sd", store]);
        let client = async_nats::connect(server.url()).await.expect("connect");
        let created = request(
            &client,
            "$JS.API.STREAM.CREATE.LOGS",
            r#"{"name":"LOGS","subjects":["logs"],"compression":"s2","first_seq":100}"#,
        )
        .await;
        assert_eq!(created["config"]["compression"], "s2", "{created}");
        assert_eq!(created["config"]["first_seq"], 100, "{created}");
        for expected in 100..110 {
            let ack = request(&client, "logs", &payload).await;
            assert_eq!(ack["seq"], expected, "{ack}");
        }
    }
    let server = ServerProcess::start(&["-sd", store]);
    let client = async_nats::connect(server.url()).await.expect("reconnect");
    let got = request(&client, "$JS.API.STREAM.MSG.GET.LOGS", r#"{"seq":105}"#).await;
    let data = got["message"]["data"].as_str().expect("data");
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    assert_eq!(decoded, payload.as_bytes());
    let refused = request(
        &client,
        "$JS.API.STREAM.UPDATE.LOGS",
        r#"{"name":"LOGS","subjects":["logs"],"compression":"none","first_seq":100}"#,
    )
    .await;
    assert_eq!(refused["error"]["err_code"], 10052, "{refused}");
}

#[tokio::test]
async fn no_ack_discard_new_per_subject_and_max_consumers() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    request(
        &client,
        "$JS.API.STREAM.CREATE.QUIET",
        r#"{"name":"QUIET","subjects":["quiet"],"no_ack":true,"storage":"memory"}"#,
    )
    .await;
    let mut replies = client.subscribe("quiet.replies").await.expect("subscribe");
    client
        .publish_with_reply("quiet", "quiet.replies", "x".into())
        .await
        .expect("publish");
    client.flush().await.expect("flush");
    // The stream's writer stores on its own thread: without a PubAck nothing says when, so
    // look again for a bounded while.
    let mut info = request(&client, "$JS.API.STREAM.INFO.QUIET", "").await;
    for _ in 0..50 {
        if info["state"]["messages"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        info = request(&client, "$JS.API.STREAM.INFO.QUIET", "").await;
    }
    assert_eq!(info["state"]["messages"], 1, "{info}");
    let ack = tokio::time::timeout(
        Duration::from_millis(300),
        futures::StreamExt::next(&mut replies),
    )
    .await;
    assert!(ack.is_err(), "no PubAck under no_ack");

    let bad = request(
        &client,
        "$JS.API.STREAM.CREATE.BAD",
        r#"{"name":"BAD","subjects":["bad"],"discard_new_per_subject":true}"#,
    )
    .await;
    assert_eq!(bad["error"]["err_code"], 10052, "{bad}");
    request(
        &client,
        "$JS.API.STREAM.CREATE.ONE",
        r#"{"name":"ONE","subjects":["one.>"],"storage":"memory","discard":"new",
            "max_msgs_per_subject":1,"discard_new_per_subject":true,"max_consumers":1}"#,
    )
    .await;
    assert_eq!(request(&client, "one.a", "first").await["seq"], 1);
    let second = request(&client, "one.a", "second").await;
    assert!(
        second.get("error").is_some(),
        "refused per subject: {second}"
    );
    assert_eq!(request(&client, "one.b", "other subject").await["seq"], 2);

    let first = request(
        &client,
        "$JS.API.CONSUMER.CREATE.ONE.a",
        r#"{"stream_name":"ONE","config":{"durable_name":"a"}}"#,
    )
    .await;
    assert!(first.get("error").is_none(), "{first}");
    let extra = request(
        &client,
        "$JS.API.CONSUMER.CREATE.ONE.b",
        r#"{"stream_name":"ONE","config":{"durable_name":"b"}}"#,
    )
    .await;
    assert_eq!(extra["error"]["err_code"], 10026, "{extra}");
}
