//! Core NATS: each message to a queue group goes to exactly one member, and the members share
//! the load; a plain subscriber on the same subject still gets every message.

use std::time::Duration;

use futures::StreamExt;
use natrium_tests::ServerProcess;
use tokio::sync::mpsc;

const MESSAGES: usize = 300;
const MEMBERS: usize = 3;

#[tokio::test]
async fn one_member_per_message_spread_across_members() {
    let server = ServerProcess::start(&[]);
    // Every member forwards (member index, message index) to one channel.
    let (sender, mut deliveries) = mpsc::unbounded_channel::<(usize, usize)>();
    let mut clients = Vec::new();
    for member in 0..MEMBERS {
        let client = async_nats::connect(server.url())
            .await
            .expect("connect member");
        let mut subscription = client
            .queue_subscribe("work", "workers".into())
            .await
            .expect("queue subscribe");
        natrium_tests::barrier(&client).await;
        let sender = sender.clone();
        tokio::spawn(async move {
            while let Some(message) = subscription.next().await {
                let index = String::from_utf8_lossy(&message.payload)
                    .parse()
                    .unwrap_or(usize::MAX);
                let _ = sender.send((member, index));
            }
        });
        clients.push(client);
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

    let mut per_member = [0_usize; MEMBERS];
    let mut seen = vec![false; MESSAGES];
    for _ in 0..MESSAGES {
        let (member, index) = tokio::time::timeout(Duration::from_secs(5), deliveries.recv())
            .await
            .expect("delivery in time")
            .expect("members alive");
        assert!(index < MESSAGES, "payload {index}");
        assert!(!seen[index], "message {index} delivered twice");
        seen[index] = true;
        per_member[member] += 1;
    }
    assert!(
        per_member.iter().all(|&count| count > 0),
        "every member gets a share: {per_member:?}"
    );
    let extra = tokio::time::timeout(Duration::from_millis(200), deliveries.recv()).await;
    assert!(extra.is_err(), "no message delivered twice: {extra:?}");

    for _ in 0..MESSAGES {
        tokio::time::timeout(Duration::from_secs(5), all.next())
            .await
            .expect("the plain subscriber gets every message")
            .expect("open");
    }
}
