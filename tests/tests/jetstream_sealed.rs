//! Sealed streams as nats-server serves them: a stream can not be created sealed, sealing by
//! update turns on deny_delete and deny_purge (and discard new, no max_age, no roll-ups);
//! after it a publish, a message delete and a purge are refused with 10109, the messages stay
//! readable by consumers and direct gets, unsealing and cancelling the deny flags are refused
//! with Go's words, and the seal survives a restart.

use natrium_tests::{ServerProcess, js_request as request};

const CONFIG: &str = r#"{"name":"ARCHIVE","subjects":["archive.>"],"allow_direct":true,
    "max_age":3600000000000,"allow_rollup_hdrs":true"#;

#[tokio::test]
async fn a_sealed_stream_keeps_what_it_has_and_takes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().to_str().expect("utf-8");
    {
        let server = ServerProcess::start(&["-sd", store]);
        let client = async_nats::connect(server.url()).await.expect("connect");
        let sealed_create = format!("{CONFIG},\"sealed\":true}}");
        let refused = request(&client, "$JS.API.STREAM.CREATE.ARCHIVE", &sealed_create).await;
        assert_eq!(refused["error"]["err_code"], 10052, "{refused}");
        assert_eq!(
            refused["error"]["description"],
            "stream configuration for create can not be sealed"
        );
        let created = request(
            &client,
            "$JS.API.STREAM.CREATE.ARCHIVE",
            &format!("{CONFIG}}}"),
        )
        .await;
        assert!(created.get("error").is_none(), "{created}");
        let js = async_nats::jetstream::new(client.clone());
        for index in 0..3 {
            js.publish(format!("archive.{index}"), "kept".into())
                .await
                .expect("publish")
                .await
                .expect("ack");
        }

        let sealed = request(&client, "$JS.API.STREAM.UPDATE.ARCHIVE", &sealed_create).await;
        let config = &sealed["config"];
        assert_eq!(config["sealed"], true, "{sealed}");
        assert_eq!(config["deny_delete"], true);
        assert_eq!(config["deny_purge"], true);
        assert_eq!(config["discard"], "new");
        assert_eq!(config["max_age"], 0);
        assert_eq!(config["allow_rollup_hdrs"], false);

        let publish = js
            .publish("archive.3", "late".into())
            .await
            .expect("sent")
            .await;
        let error = publish.expect_err("a sealed stream takes no message");
        assert!(error.to_string().contains("10109"), "{error}");
        let deleted = request(&client, "$JS.API.STREAM.MSG.DELETE.ARCHIVE", r#"{"seq":1}"#).await;
        assert_eq!(deleted["error"]["err_code"], 10109, "{deleted}");
        assert_eq!(deleted["error"]["code"], 400);
        assert_eq!(
            deleted["error"]["description"],
            "invalid operation on sealed stream"
        );
        let purged = request(&client, "$JS.API.STREAM.PURGE.ARCHIVE", "").await;
        assert_eq!(purged["error"]["err_code"], 10109, "{purged}");

        let unseal = r#"{"name":"ARCHIVE","subjects":["archive.>"],"allow_direct":true,
            "discard":"new","deny_delete":true,"deny_purge":true}"#;
        let refused = request(&client, "$JS.API.STREAM.UPDATE.ARCHIVE", unseal).await;
        assert_eq!(
            refused["error"]["description"],
            "stream configuration update can not unseal a sealed stream",
            "{refused}"
        );
        assert_eq!(refused["error"]["err_code"], 10052);

        let stream = js.get_stream("ARCHIVE").await.expect("stream");
        let message = stream
            .get_raw_message(2)
            .await
            .expect("message 2 still there");
        assert_eq!(message.subject.as_str(), "archive.1");
        let info = request(&client, "$JS.API.STREAM.INFO.ARCHIVE", "").await;
        assert_eq!(info["state"]["messages"], 3, "{info}");
    }
    // The seal is part of the saved configuration.
    let server = ServerProcess::start(&["-sd", store]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let info = request(&client, "$JS.API.STREAM.INFO.ARCHIVE", "").await;
    assert_eq!(info["config"]["sealed"], true, "{info}");
    assert_eq!(info["state"]["messages"], 3);
    let js = async_nats::jetstream::new(client);
    let publish = js
        .publish("archive.4", "after".into())
        .await
        .expect("sent")
        .await;
    assert!(publish.is_err(), "still sealed after a restart");
}

#[tokio::test]
async fn deny_flags_can_not_be_cancelled() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let denying = r#"{"name":"D","subjects":["d"],"deny_delete":true,"deny_purge":true}"#;
    let created = request(&client, "$JS.API.STREAM.CREATE.D", denying).await;
    assert!(created.get("error").is_none(), "{created}");
    let cases = [
        (
            r#"{"name":"D","subjects":["d"],"deny_purge":true}"#,
            "stream configuration update can not cancel deny message deletes",
        ),
        (
            r#"{"name":"D","subjects":["d"],"deny_delete":true}"#,
            "stream configuration update can not cancel deny purge",
        ),
    ];
    for (body, description) in cases {
        let refused = request(&client, "$JS.API.STREAM.UPDATE.D", body).await;
        assert_eq!(refused["error"]["err_code"], 10052, "{refused}");
        assert_eq!(refused["error"]["description"], description);
    }
}
