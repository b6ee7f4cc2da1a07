//! Authorization: a user's publish and subscribe permissions are enforced; violations are
//! reported with nats-server's `Permissions Violation` errors and the message is not routed.

use std::time::Duration;

use async_nats::{Event, ServerError};
use futures::StreamExt;
use natrium_tests::ServerProcess;
use tokio::sync::mpsc;

const CONFIG: &str = r#"
authorization {
  users = [
    { user: limited, password: pw, permissions: {
        publish: { allow: ["allowed.>"] }
        subscribe: { allow: ["allowed.>", "_INBOX.>"], deny: ["allowed.secret"] }
    } }
    { user: admin, password: pw }
  ]
}
"#;

/// Waits for a server error event whose text contains `needle`.
async fn expect_error(events: &mut mpsc::UnboundedReceiver<Event>, needle: &str) {
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(event) = events.recv().await {
            if let Event::ServerError(ServerError::Other(text)) = &event
                && text.contains(needle)
            {
                return;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no server error containing {needle:?}");
}

#[tokio::test]
async fn violations_are_refused_and_reported() {
    let server = ServerProcess::start_with_config(CONFIG, &[]);
    let admin = async_nats::ConnectOptions::with_user_and_password("admin".into(), "pw".into())
        .connect(server.url())
        .await
        .expect("admin connects");
    // Two tokens: sees both test subjects, but not the barrier's three-token subject.
    let mut watch = admin.subscribe("*.*").await.expect("admin subscribes");
    natrium_tests::barrier(&admin).await;

    let (options, mut events) = natrium_tests::with_events(
        async_nats::ConnectOptions::with_user_and_password("limited".into(), "pw".into()),
    );
    let limited = options
        .connect(server.url())
        .await
        .expect("limited connects");

    limited
        .publish("forbidden.topic", "no".into())
        .await
        .expect("queued");
    limited.flush().await.expect("flush");
    expect_error(
        &mut events,
        "Permissions Violation for Publish to \"forbidden.topic\"",
    )
    .await;

    let _denied = limited.subscribe("allowed.secret").await.expect("queued");
    limited.flush().await.expect("flush");
    expect_error(
        &mut events,
        "Permissions Violation for Subscription to \"allowed.secret\"",
    )
    .await;

    limited
        .publish("allowed.ok", "yes".into())
        .await
        .expect("publish allowed");
    limited.flush().await.expect("flush");
    let message = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("allowed message routed")
        .expect("open");
    assert_eq!(
        message.subject.as_str(),
        "allowed.ok",
        "the forbidden publish was not routed"
    );
}
