//! A real client library (async-nats) against the front-end: publish/subscribe with headers,
//! request/reply through a queue group, and the no-responders status on a request nobody
//! serves.

mod common;

use std::time::Duration;

use futures::StreamExt;

#[tokio::test]
async fn async_nats_pub_sub_request_and_no_responders() {
    let server = common::start().await;
    let client = async_nats::connect(server.addr.to_string())
        .await
        .expect("connect");

    let mut subscriber = client.subscribe("orders.>").await.unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "42");
    client
        .publish_with_headers("orders.eu", headers, "payload".into())
        .await
        .unwrap();
    client.flush().await.unwrap();
    let message = tokio::time::timeout(common::WAIT, subscriber.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(message.subject.as_str(), "orders.eu");
    assert_eq!(&message.payload[..], b"payload");
    assert_eq!(
        message
            .headers
            .unwrap()
            .get("Nats-Msg-Id")
            .unwrap()
            .as_str(),
        "42"
    );

    let mut service = client
        .queue_subscribe("echo", "workers".into())
        .await
        .unwrap();
    let responder = client.clone();
    tokio::spawn(async move {
        while let Some(request) = service.next().await {
            let reply = request.reply.unwrap();
            responder.publish(reply, request.payload).await.unwrap();
        }
    });
    let response = tokio::time::timeout(common::WAIT, client.request("echo", "ping".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&response.payload[..], b"ping");

    let error = tokio::time::timeout(common::WAIT, client.request("nobody.home", "x".into()))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind(), async_nats::RequestErrorKind::NoResponders);

    let rtt = tokio::time::timeout(Duration::from_secs(5), client.flush()).await;
    assert!(rtt.is_ok());
}
