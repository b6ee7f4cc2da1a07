//! Monitoring: `/connz?subs=detail` lists each subscription of an open connection with the Go
//! server's `SubDetail` fields (subject, qgroup, sid, msgs, max, cid; no account for an open
//! connection, as Go); `subs=1` lists the subjects only.

use futures::StreamExt;
use natrium_tests::{ServerProcess, http_json};
use serde_json::{Value, json};

fn listed(connection: &Value, field: &str) -> Vec<Value> {
    let mut list: Vec<Value> = connection[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} in {connection}"))
        .iter()
        .filter(|item| {
            let subject = item.get("subject").unwrap_or(item);
            !subject.as_str().is_some_and(|s| s.starts_with("_INBOX."))
        })
        .cloned()
        .collect();
    list.sort_by_key(|item| item.to_string());
    list
}

#[tokio::test]
async fn subscription_details() {
    let server = ServerProcess::start(&["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let client = async_nats::ConnectOptions::new()
        .name("detailed")
        .connect(server.url())
        .await
        .expect("connect");
    let mut plain = client.subscribe("detail.plain").await.expect("subscribe");
    let _queued = client
        .queue_subscribe("detail.*", "workers".into())
        .await
        .expect("queue subscribe");
    let mut limited = client.subscribe("detail.limited").await.expect("subscribe");
    limited
        .unsubscribe_after(5)
        .await
        .expect("auto-unsubscribe");
    for subject in ["detail.plain", "detail.plain", "detail.limited"] {
        client.publish(subject, "x".into()).await.expect("publish");
    }
    plain.next().await.expect("first");
    plain.next().await.expect("second");
    limited.next().await.expect("limited");
    natrium_tests::barrier(&client).await;

    let connz = http_json(monitor, "/connz?subs=detail");
    let connection = &connz["connections"][0];
    let cid = connection["cid"].as_u64().expect("cid");
    assert!(connection.get("subscriptions_list").is_none());
    let details = listed(connection, "subscriptions_list_detail");
    let sid_of = |subject: &str| {
        details
            .iter()
            .find(|detail| detail["subject"] == subject)
            .map(|detail| detail["sid"].clone())
            .unwrap_or_else(|| panic!("{subject} in {details:?}"))
    };
    let expected = vec![
        json!({"subject": "detail.*", "qgroup": "workers", "sid": sid_of("detail.*"),
               "msgs": 3, "cid": cid}),
        json!({"subject": "detail.limited", "sid": sid_of("detail.limited"), "msgs": 1,
               "max": 5, "cid": cid}),
        json!({"subject": "detail.plain", "sid": sid_of("detail.plain"), "msgs": 2,
               "cid": cid}),
    ];
    let mut expected = expected;
    expected.sort_by_key(|item| item.to_string());
    assert_eq!(details, expected);

    let subjects = listed(
        &http_json(monitor, "/connz?subs=1")["connections"][0],
        "subscriptions_list",
    );
    assert_eq!(subjects, ["detail.*", "detail.limited", "detail.plain"]);
}
