//! Stream `sources` on one server: a stream copies in the messages of other streams (all of
//! them, a filtered part, or under transformed subjects, from a start sequence), each copy
//! carrying Nats-Stream-Source; stream info reports each source's lag; after a restart the
//! sources resume where the stored copies end (no copy lost or repeated); Go's refusals.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use natrium_tests::{ServerProcess, js_request as request};
use serde_json::Value;

async fn create(client: &async_nats::Client, name: &str, config: &str) {
    let created = request(client, &format!("$JS.API.STREAM.CREATE.{name}"), config).await;
    assert!(created.get("error").is_none(), "{created}");
}

async fn publish(js: &async_nats::jetstream::Context, subject: &str, payload: &str) {
    js.publish(subject.to_owned(), payload.to_owned().into())
        .await
        .expect("publish")
        .await
        .expect("ack");
}

/// Waits (bounded) until `stream` holds `count` messages; returns its info.
async fn wait_for(client: &async_nats::Client, stream: &str, count: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = request(client, &format!("$JS.API.STREAM.INFO.{stream}"), "").await;
        if info["state"]["messages"].as_u64() == Some(count) || Instant::now() > deadline {
            return info;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// subject -> (payload, Nats-Stream-Source) of every message in `stream`.
async fn contents(
    js: &async_nats::jetstream::Context,
    stream: &str,
) -> BTreeMap<u64, (String, String, String)> {
    let stream = js.get_stream(stream).await.expect("stream");
    let last = stream.cached_info().state.last_sequence;
    let mut out = BTreeMap::new();
    for seq in 1..=last {
        if let Ok(message) = stream.get_raw_message(seq).await {
            let source = message
                .headers
                .get("Nats-Stream-Source")
                .map(|value| value.as_str().to_owned())
                .unwrap_or_default();
            let payload = String::from_utf8_lossy(&message.payload).into_owned();
            out.insert(seq, (message.subject.to_string(), payload, source));
        }
    }
    out
}

#[tokio::test]
async fn sources_copy_filter_transform_and_resume_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().to_str().expect("utf-8");
    let target = r#"{"name":"ALL","subjects":["all.>"],"sources":[
        {"name":"EU"},
        {"name":"US","filter_subject":"us.big.>"},
        {"name":"ASIA","subject_transforms":[{"src":"asia.*","dest":"copied.asia.$1"}],
         "opt_start_seq":2}]}"#;
    {
        let server = ServerProcess::start(&["-sd", store]);
        let client = async_nats::connect(server.url()).await.expect("connect");
        let js = async_nats::jetstream::new(client.clone());
        create(&client, "EU", r#"{"name":"EU","subjects":["eu.>"]}"#).await;
        create(
            &client,
            "US",
            r#"{"name":"US","subjects":["us.>"],"storage":"memory"}"#,
        )
        .await;
        create(&client, "ASIA", r#"{"name":"ASIA","subjects":["asia.>"]}"#).await;
        publish(&js, "asia.skipped", "before the start sequence").await;
        create(&client, "ALL", target).await;
        publish(&js, "eu.one", "e1").await;
        publish(&js, "us.small", "not copied").await;
        publish(&js, "us.big.one", "u1").await;
        publish(&js, "asia.one", "a1").await;
        publish(&js, "all.own", "own").await;
        let info = wait_for(&client, "ALL", 4).await;
        assert_eq!(info["state"]["messages"], 4, "{info}");
        let sources = info["sources"].as_array().expect("sources in the info");
        assert_eq!(sources.len(), 3, "{info}");
        assert!(sources.iter().all(|source| source["lag"] == 0), "{info}");

        let copied = contents(&js, "ALL").await;
        let by_subject: BTreeMap<&str, (&str, &str)> = copied
            .values()
            .map(|(subject, payload, source)| {
                (subject.as_str(), (payload.as_str(), source.as_str()))
            })
            .collect();
        assert_eq!(by_subject["eu.one"].0, "e1");
        assert!(by_subject["eu.one"].1.starts_with("EU 1 "), "{copied:?}");
        assert_eq!(by_subject["us.big.one"].0, "u1");
        assert!(
            by_subject["us.big.one"].1.starts_with("US 2 "),
            "{copied:?}"
        );
        assert_eq!(by_subject["copied.asia.one"].0, "a1");
        assert_eq!(by_subject["all.own"], ("own", ""));
        assert!(!by_subject.contains_key("us.small"));
        assert!(!by_subject.contains_key("copied.asia.skipped"));
    }
    // After a restart each source resumes after its last stored copy.
    let server = ServerProcess::start(&["-sd", store]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = async_nats::jetstream::new(client.clone());
    publish(&js, "eu.two", "e2").await;
    publish(&js, "asia.two", "a2").await;
    let info = wait_for(&client, "ALL", 6).await;
    assert_eq!(info["state"]["messages"], 6, "{info}");
    // Nothing more arrives: no source copies again what it had copied.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let copied = contents(&js, "ALL").await;
    assert_eq!(copied.len(), 6, "{copied:?}");
    let payloads: Vec<&str> = copied
        .values()
        .map(|(_, payload, _)| payload.as_str())
        .collect();
    for expected in ["e1", "u1", "a1", "own", "e2", "a2"] {
        assert_eq!(
            payloads
                .iter()
                .filter(|payload| **payload == expected)
                .count(),
            1,
            "{expected} exactly once in {copied:?}"
        );
    }
}

#[tokio::test]
async fn a_source_only_stream_and_its_refusals() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = async_nats::jetstream::new(client.clone());
    create(&client, "A", r#"{"name":"A","subjects":["a.>"]}"#).await;
    // Without subjects and with sources, a stream takes only copies (no subject of its own).
    create(
        &client,
        "COPY",
        r#"{"name":"COPY","sources":[{"name":"A"}]}"#,
    )
    .await;
    let info = request(&client, "$JS.API.STREAM.INFO.COPY", "").await;
    assert!(
        info["config"]
            .get("subjects")
            .is_none_or(|s| s.as_array().is_some_and(Vec::is_empty)),
        "{info}"
    );
    publish(&js, "a.x", "x").await;
    let info = wait_for(&client, "COPY", 1).await;
    assert_eq!(info["state"]["messages"], 1, "{info}");
    let cases = [
        (
            r#"{"name":"S","sources":[{"name":"S"}]}"#,
            "can not contain itself",
        ),
        (
            r#"{"name":"S","sources":[{"name":"A"},{"name":"A"}]}"#,
            "duplicate source configuration detected",
        ),
        (
            r#"{"name":"S","sources":[{"name":"A","external":{"api":"$JS.hub.API"}}]}"#,
            "not supported by natrium yet",
        ),
    ];
    for (body, words) in cases {
        let refused = request(&client, "$JS.API.STREAM.CREATE.S", body).await;
        let description = refused["error"]["description"].as_str().unwrap_or_default();
        assert!(description.contains(words), "{refused}");
    }
}

#[tokio::test]
async fn a_mirror_keeps_the_origin_sequences_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().to_str().expect("utf-8");
    {
        let server = ServerProcess::start(&["-sd", store]);
        let client = async_nats::connect(server.url()).await.expect("connect");
        let js = async_nats::jetstream::new(client.clone());
        create(&client, "O", r#"{"name":"O","subjects":["o.>"]}"#).await;
        for index in 1..=5 {
            publish(&js, &format!("o.{index}"), &format!("m{index}")).await;
        }
        let deleted = request(&client, "$JS.API.STREAM.MSG.DELETE.O", r#"{"seq":3}"#).await;
        assert_eq!(deleted["success"], true, "{deleted}");
        create(&client, "M", r#"{"name":"M","mirror":{"name":"O"}}"#).await;
        create(
            &client,
            "LATE",
            r#"{"name":"LATE","mirror":{"name":"O","opt_start_seq":4}}"#,
        )
        .await;
        let info = wait_for(&client, "M", 4).await;
        assert_eq!(info["state"]["messages"], 4, "{info}");
        assert_eq!(info["state"]["last_seq"], 5);
        assert_eq!(info["mirror"]["name"], "O", "{info}");
        assert_eq!(info["mirror"]["lag"], 0);
        let late = wait_for(&client, "LATE", 2).await;
        assert_eq!(late["state"]["first_seq"], 4, "{late}");
        let mirrored = contents(&js, "M").await;
        assert_eq!(
            mirrored.keys().copied().collect::<Vec<_>>(),
            vec![1, 2, 4, 5]
        );
        assert_eq!(
            mirrored[&4],
            ("o.4".to_owned(), "m4".to_owned(), String::new())
        );

        let refusals = [
            (
                r#"{"name":"X","subjects":["x"],"mirror":{"name":"O"}}"#,
                10034,
            ),
            (
                r#"{"name":"X","mirror":{"name":"O"},"sources":[{"name":"M"}]}"#,
                10031,
            ),
            (r#"{"name":"X","mirror":{"name":"O"},"first_seq":9}"#, 10143),
            (
                r#"{"name":"X","mirror":{"name":"O","opt_start_seq":2,"opt_start_time":"2026-01-01T00:00:00Z"}}"#,
                10032,
            ),
        ];
        for (body, err_code) in refusals {
            let refused = request(&client, "$JS.API.STREAM.CREATE.X", body).await;
            assert_eq!(refused["error"]["err_code"], err_code, "{refused}");
        }
        let changed = request(
            &client,
            "$JS.API.STREAM.UPDATE.M",
            r#"{"name":"M","mirror":{"name":"LATE"}}"#,
        )
        .await;
        assert_eq!(changed["error"]["err_code"], 10055, "{changed}");
    }
    let server = ServerProcess::start(&["-sd", store]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = async_nats::jetstream::new(client.clone());
    publish(&js, "o.6", "m6").await;
    let info = wait_for(&client, "M", 5).await;
    assert_eq!(info["state"]["messages"], 5, "{info}");
    assert_eq!(info["state"]["last_seq"], 6);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mirrored = contents(&js, "M").await;
    assert_eq!(
        mirrored.keys().copied().collect::<Vec<_>>(),
        vec![1, 2, 4, 5, 6]
    );
}
