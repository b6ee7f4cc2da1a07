//! Core NATS: `*` matches exactly one token and `>` one or more trailing tokens.

use std::time::Duration;

use futures::StreamExt;
use natrium_tests::ServerProcess;

async fn subjects_received(subscription: &mut async_nats::Subscriber, count: usize) -> Vec<String> {
    let mut subjects = Vec::new();
    for _ in 0..count {
        let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
            .await
            .expect("message in time")
            .expect("subscription open");
        subjects.push(message.subject.to_string());
    }
    let extra = tokio::time::timeout(Duration::from_millis(200), subscription.next()).await;
    assert!(extra.is_err(), "unexpected extra message: {extra:?}");
    subjects
}

#[tokio::test]
async fn star_and_greater_than() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let mut star = client
        .subscribe("orders.*.created")
        .await
        .expect("subscribe *");
    let mut tail = client.subscribe("orders.>").await.expect("subscribe >");
    natrium_tests::barrier(&client).await;

    for subject in [
        "orders.eu.created",
        "orders.us.created",
        "orders.eu.sent.late",
        "orders",
    ] {
        client.publish(subject, "x".into()).await.expect("publish");
    }
    natrium_tests::barrier(&client).await;

    assert_eq!(
        subjects_received(&mut star, 2).await,
        ["orders.eu.created", "orders.us.created"]
    );
    assert_eq!(
        subjects_received(&mut tail, 3).await,
        [
            "orders.eu.created",
            "orders.us.created",
            "orders.eu.sent.late"
        ]
    );
}
