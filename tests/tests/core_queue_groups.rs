//! Core NATS: each message to a queue group goes to exactly one member, and the members share
//! the load; a plain subscriber on the same subject still gets every message.

use std::time::Duration;

use futures::StreamExt;
use natrium_tests::ServerProcess;

const MESSAGES: usize = 300;

/// Drains `subscription` until `quiet` passes with nothing new; returns the payloads.
async fn drain(subscription: &mut async_nats::Subscriber, quiet: Duration) -> Vec<String> {
    let mut payloads = Vec::new();
    while let Ok(Some(message)) = tokio::time::timeout(quiet, subscription.next()).await {
        payloads.push(String::from_utf8_lossy(&message.payload).into_owned());
    }
    payloads
}

#[tokio::test]
async fn one_member_per_message_spread_across_members() {
    let server = ServerProcess::start(&[]);
    let mut members = Vec::new();
    for _ in 0..3 {
        let client = async_nats::connect(server.url())
            .await
            .expect("connect member");
        let subscription = client
            .queue_subscribe("work", "workers".into())
            .await
            .expect("queue subscribe");
        natrium_tests::barrier(&client).await;
        members.push((client, subscription));
    }
    let watcher = async_nats::connect(server.url())
        .await
        .expect("connect watcher");
    let mut all = watcher.subscribe("work").await.expect("subscribe");
    natrium_tests::barrier(&watcher).await;

    let publisher = async_nats::connect(server.url())
        .await
        .expect("connect publisher");
    for index in 0..MESSAGES {
        publisher
            .publish("work", index.to_string().into())
            .await
            .expect("publish");
    }
    natrium_tests::barrier(&publisher).await;

    let mut received = Vec::new();
    for (_, subscription) in &mut members {
        let got = drain(subscription, Duration::from_millis(500)).await;
        assert!(!got.is_empty(), "every member gets a share");
        received.push(got);
    }
    let mut every: Vec<usize> = received
        .iter()
        .flatten()
        .map(|payload| payload.parse().expect("index"))
        .collect();
    every.sort_unstable();
    assert_eq!(
        every,
        (0..MESSAGES).collect::<Vec<_>>(),
        "each message exactly once"
    );
    assert_eq!(
        drain(&mut all, Duration::from_millis(300)).await.len(),
        MESSAGES
    );
}
