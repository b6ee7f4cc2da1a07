//! Core NATS: with `echo: false` a connection does not receive its own messages, while other
//! connections do.

use std::time::Duration;

use futures::StreamExt;
use natrium_tests::ServerProcess;

#[tokio::test]
async fn no_echo_skips_own_messages() {
    let server = ServerProcess::start(&[]);
    let quiet = async_nats::ConnectOptions::new()
        .no_echo()
        .connect(server.url())
        .await
        .expect("connect no-echo");
    let other = async_nats::connect(server.url())
        .await
        .expect("connect other");
    let mut own = quiet.subscribe("echo.test").await.expect("subscribe own");
    let mut theirs = other.subscribe("echo.test").await.expect("subscribe other");
    natrium_tests::barrier(&quiet).await;
    natrium_tests::barrier(&other).await;

    quiet
        .publish("echo.test", "from quiet".into())
        .await
        .expect("publish");
    natrium_tests::barrier(&quiet).await;
    let message = tokio::time::timeout(Duration::from_secs(5), theirs.next())
        .await
        .expect("other connection receives")
        .expect("open");
    assert_eq!(message.payload, "from quiet".as_bytes());
    let echoed = tokio::time::timeout(Duration::from_millis(300), own.next()).await;
    assert!(echoed.is_err(), "own message not echoed: {echoed:?}");

    other
        .publish("echo.test", "from other".into())
        .await
        .expect("publish");
    natrium_tests::barrier(&other).await;
    let message = tokio::time::timeout(Duration::from_secs(5), own.next())
        .await
        .expect("messages from others still arrive")
        .expect("open");
    assert_eq!(message.payload, "from other".as_bytes());
}
