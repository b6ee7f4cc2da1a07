//! Core NATS: a message published on one connection reaches a subscriber on another, in order,
//! with its payload intact.

use std::time::Duration;

use futures::StreamExt;
use natrium_tests::ServerProcess;

#[tokio::test]
async fn messages_reach_a_subscriber_in_order() {
    let server = ServerProcess::start(&[]);
    let subscriber = async_nats::connect(server.url())
        .await
        .expect("connect subscriber");
    let publisher = async_nats::connect(server.url())
        .await
        .expect("connect publisher");
    let mut subscription = subscriber.subscribe("greet.one").await.expect("subscribe");
    natrium_tests::barrier(&subscriber).await;

    for index in 0..100_u32 {
        publisher
            .publish("greet.one", index.to_string().into())
            .await
            .expect("publish");
    }
    publisher
        .publish("greet.other", "not for us".into())
        .await
        .expect("publish");
    natrium_tests::barrier(&publisher).await;

    for index in 0..100_u32 {
        let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
            .await
            .expect("message in time")
            .expect("subscription open");
        assert_eq!(message.subject.as_str(), "greet.one");
        assert_eq!(message.payload, index.to_string().as_bytes());
    }
    let extra = tokio::time::timeout(Duration::from_millis(200), subscription.next()).await;
    assert!(extra.is_err(), "no message on another subject: {extra:?}");
}
