//! Reconnection: a client whose server is killed reconnects when a new server comes up on the
//! same port, and its subscriptions are restored.

use std::time::Duration;

use async_nats::Event;
use futures::StreamExt;
use natrium_tests::ServerProcess;
use tokio::sync::mpsc;

async fn next_event(events: &mut mpsc::UnboundedReceiver<Event>, wanted: &Event) {
    let found = tokio::time::timeout(Duration::from_secs(8), async {
        while let Some(event) = events.recv().await {
            if std::mem::discriminant(&event) == std::mem::discriminant(wanted) {
                return;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no {wanted} event");
}

// Multi-threaded: the harness blocks while waiting on the server process, and the client
// must keep running meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resubscribes_after_server_restart() {
    let mut server = ServerProcess::start(&[]);
    let port = server.port.to_string();
    let (options, mut events) = natrium_tests::with_events(
        async_nats::ConnectOptions::new()
            .reconnect_delay_callback(|_attempts| Duration::from_millis(100)),
    );
    let client = options.connect(server.url()).await.expect("connect");
    let mut subscription = client.subscribe("survives").await.expect("subscribe");
    natrium_tests::barrier(&client).await;

    server.kill();
    next_event(&mut events, &Event::Disconnected).await;
    let restarted = ServerProcess::start(&["-p", &port]);
    assert_eq!(restarted.port, server.port);
    next_event(&mut events, &Event::Connected).await;

    let publisher = async_nats::connect(restarted.url())
        .await
        .expect("connect publisher");
    // The client resubscribes ahead of this round trip on its new connection.
    natrium_tests::barrier(&client).await;
    publisher
        .publish("survives", "after restart".into())
        .await
        .expect("publish");
    natrium_tests::barrier(&publisher).await;
    let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("message after reconnect")
        .expect("open");
    assert_eq!(message.payload, "after restart".as_bytes());
}
