//! Core NATS: one connection holds 10 000 subscriptions, and each still gets its own messages.

use std::time::Duration;

use futures::StreamExt;
use natrium_tests::ServerProcess;

const SUBSCRIPTIONS: usize = 10_000;

#[tokio::test]
async fn ten_thousand_subscriptions_on_one_connection() {
    let server = ServerProcess::start(&["-m", "-1"]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let mut subscriptions = Vec::with_capacity(SUBSCRIPTIONS);
    for index in 0..SUBSCRIPTIONS {
        subscriptions.push(
            client
                .subscribe(format!("many.{index}"))
                .await
                .expect("subscribe"),
        );
    }
    natrium_tests::barrier(&client).await;

    let monitor = server.monitor_port.expect("monitor port");
    let varz = natrium_tests::http_json(monitor, "/varz");
    // Plus the client's request inbox, which the barrier's request created, and JetStream's
    // internal `$JS.API.>`, `$JS.ACK.>` and `$JS.FC.>` subscriptions.
    assert_eq!(varz["subscriptions"], SUBSCRIPTIONS as u64 + 4);

    let publisher = async_nats::connect(server.url())
        .await
        .expect("connect publisher");
    for index in 0..SUBSCRIPTIONS {
        publisher
            .publish(format!("many.{index}"), index.to_string().into())
            .await
            .expect("pub");
    }
    natrium_tests::barrier(&publisher).await;
    for (index, subscription) in subscriptions.iter_mut().enumerate() {
        let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
            .await
            .expect("message in time")
            .expect("open");
        assert_eq!(message.subject.as_str(), format!("many.{index}"));
        assert_eq!(message.payload, index.to_string().as_bytes());
    }
}
