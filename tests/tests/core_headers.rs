//! Core NATS: headers (HPUB/HMSG) survive the round trip, multi-valued ones included.

use std::time::Duration;

use async_nats::HeaderMap;
use futures::StreamExt;
use natrium_tests::ServerProcess;

#[tokio::test]
async fn headers_round_trip() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    assert!(client.server_info().headers, "INFO advertises headers");
    let mut subscription = client.subscribe("with.headers").await.expect("subscribe");
    natrium_tests::barrier(&client).await;

    let mut headers = HeaderMap::new();
    headers.insert("Trace-Id", "abc-123");
    headers.append("Multi", "one");
    headers.append("Multi", "two");
    client
        .publish_with_headers("with.headers", headers, "body".into())
        .await
        .expect("publish with headers");
    natrium_tests::barrier(&client).await;

    let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("message in time")
        .expect("subscription open");
    let received = message.headers.expect("headers delivered");
    assert_eq!(
        received.get("Trace-Id").map(|value| value.as_str()),
        Some("abc-123")
    );
    let multi: Vec<&str> = received
        .get_all("Multi")
        .map(|value| value.as_str())
        .collect();
    assert_eq!(multi, ["one", "two"]);
    assert_eq!(message.payload, "body".as_bytes());
}
