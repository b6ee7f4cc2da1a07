//! What `/connz` reads: the ClientView registered for each connection, and the server-wide
//! counters, kept per read batch.

mod common;

use std::sync::atomic::Ordering;

use common::{Client, start};

#[tokio::test]
async fn client_view_reports_connect_metadata_counters_and_subscriptions() {
    let server = start().await;
    let mut client = Client::connect_quiet(
        &server,
        ",\"name\":\"orders\",\"lang\":\"rust\",\"version\":\"9.9.9\"",
    )
    .await;
    client
        .send(b"SUB a.* 1\r\nSUB b 2\r\nPUB a.x 3\r\nabc\r\nPUB b 2\r\nde\r\n")
        .await;
    assert_eq!(
        client.sync().await,
        b"MSG a.x 1 3\r\nabc\r\nMSG b 2 2\r\nde\r\n"
    );

    let snapshots = server.broker.clients().snapshots(true);
    assert_eq!(snapshots.len(), 1);
    let view = &snapshots[0];
    assert_eq!((view.kind, view.client_type), ("Client", "nats"));
    assert_eq!(
        (
            view.name.as_str(),
            view.lang.as_str(),
            view.version.as_str()
        ),
        ("orders", "rust", "9.9.9")
    );
    assert_eq!(view.remote, Some(client.stream.local_addr().unwrap()));
    assert_eq!((view.in_msgs, view.in_bytes), (2, 5));
    assert_eq!((view.out_msgs, view.out_bytes), (2, 5));
    assert_eq!(view.subscriptions, 2);
    let mut subjects: Vec<&str> = view
        .subscriptions_detail
        .iter()
        .map(|detail| detail.subject.as_str())
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["a.*", "b"]);

    let stats = server.broker.stats();
    assert_eq!(stats.in_msgs.load(Ordering::Relaxed), 2);
    assert_eq!(stats.out_msgs.load(Ordering::Relaxed), 2);
    assert_eq!(stats.connections.load(Ordering::Relaxed), 1);

    drop(client);
    // The registry forgets the client once its task has cleaned up; a new connection's PING
    // round trip is not ordered with that, so wait on the registry itself (bounded).
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while !server.broker.clients().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "client never unregistered"
        );
        tokio::task::yield_now().await;
    }
    assert_eq!(server.broker.sublist().count(), 0);
}
