//! Core NATS: `UNSUB sid max` ends a subscription after exactly `max` messages.

use std::time::Duration;

use futures::StreamExt;
use natrium_tests::ServerProcess;

#[tokio::test]
async fn subscription_ends_after_max_messages() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let mut subscription = client.subscribe("limited").await.expect("subscribe");
    subscription
        .unsubscribe_after(3)
        .await
        .expect("unsubscribe after 3");
    natrium_tests::barrier(&client).await;

    for index in 0..10_u32 {
        client
            .publish("limited", index.to_string().into())
            .await
            .expect("publish");
    }
    natrium_tests::barrier(&client).await;

    let mut payloads = Vec::new();
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_secs(2), subscription.next()).await
    {
        payloads.push(String::from_utf8_lossy(&message.payload).into_owned());
    }
    assert_eq!(payloads, ["0", "1", "2"]);
}
