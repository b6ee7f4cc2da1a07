//! Monitoring: `/connz?sort=KEY` orders open connections by each of the Go server's keys, in
//! its directions: `cid` and `start` ascend, `uptime` ascends (newest connection first), the
//! counters, `last`, `idle`, `pending` and `rtt` descend; ties keep the cid order.
//!
//! Three clients get distinct values for every counter: a publishes 3 x 10 bytes to c,
//! b publishes 1 x 150 bytes to a, c publishes 2 x 100 bytes to b; a has 1 subscription,
//! b 3 and c 2 (plus each client's request inbox); their last activity is in the order b, c, a.

mod monitor_support;

use futures::StreamExt;
use std::time::Duration;

use monitor_support::{column, parse_go_duration};
use natrium_tests::{ServerProcess, barrier};
use serde_json::Value;

async fn connect(server: &ServerProcess, name: &str) -> async_nats::Client {
    async_nats::ConnectOptions::new()
        .name(name)
        .connect(server.url())
        .await
        .expect("connect")
}

async fn subscribe(client: &async_nats::Client, subjects: &[&str]) -> Vec<async_nats::Subscriber> {
    let mut subscribers = Vec::new();
    for subject in subjects {
        subscribers.push(
            client
                .subscribe(subject.to_string())
                .await
                .expect("subscribe"),
        );
    }
    barrier(client).await;
    subscribers
}

async fn publish(client: &async_nats::Client, subject: &str, count: usize, size: usize) {
    for _ in 0..count {
        client
            .publish(subject.to_owned(), vec![b'x'; size].into())
            .await
            .expect("publish");
    }
}

async fn receive(subscriber: &mut async_nats::Subscriber, count: usize) {
    for _ in 0..count {
        subscriber.next().await.expect("delivery");
    }
}

fn names(monitor: u16, sort: &str) -> Vec<Value> {
    column(monitor, &format!("/connz?sort={sort}"), "name")
}

fn numbers(monitor: u16, sort: &str, field: &str) -> Vec<i64> {
    column(monitor, &format!("/connz?sort={sort}"), field)
        .iter()
        .map(|value| value.as_i64().expect("number"))
        .collect()
}

#[tokio::test]
async fn connz_sorts_by_every_key() {
    let server = ServerProcess::start(&["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let a = connect(&server, "a").await;
    let b = connect(&server, "b").await;
    let c = connect(&server, "c").await;
    let mut on_a = subscribe(&a, &["t.a"]).await;
    let mut on_b = subscribe(&b, &["t.b1", "t.b2", "t.b3"]).await;
    let mut on_c = subscribe(&c, &["t.c1", "t.c2"]).await;

    publish(&a, "t.c1", 3, 10).await;
    publish(&b, "t.a", 1, 150).await;
    publish(&c, "t.b1", 2, 100).await;
    receive(&mut on_c[0], 3).await;
    receive(&mut on_a[0], 1).await;
    receive(&mut on_b[0], 2).await;
    // The last activity of each client, in this order.
    for client in [&b, &c, &a] {
        barrier(client).await;
    }

    assert_eq!(names(monitor, "cid"), ["a", "b", "c"]);
    assert_eq!(names(monitor, "start"), ["a", "b", "c"]);
    assert_eq!(names(monitor, "subs"), ["b", "c", "a"]);
    assert_eq!(numbers(monitor, "subs", "subscriptions"), [4, 3, 2]);
    // Each client also made two requests (barriers), each answered by a no-responders status.
    assert_eq!(names(monitor, "msgs_from"), ["a", "c", "b"]);
    assert_eq!(numbers(monitor, "msgs_from", "in_msgs"), [5, 4, 3]);
    assert_eq!(names(monitor, "msgs_to"), ["c", "b", "a"]);
    assert_eq!(numbers(monitor, "msgs_to", "out_msgs"), [5, 4, 3]);
    assert_eq!(names(monitor, "bytes_from"), ["c", "b", "a"]);
    assert_eq!(numbers(monitor, "bytes_from", "in_bytes"), [200, 150, 30]);
    assert_eq!(names(monitor, "bytes_to"), ["b", "a", "c"]);
    let out_bytes = numbers(monitor, "bytes_to", "out_bytes");
    assert_eq!(
        [out_bytes[0] - out_bytes[1], out_bytes[1] - out_bytes[2]],
        [200 - 150, 150 - 30],
        "{out_bytes:?}"
    );
    assert_eq!(names(monitor, "last"), ["a", "c", "b"]);
    assert_eq!(names(monitor, "idle"), ["b", "c", "a"]);
    assert_eq!(names(monitor, "uptime"), ["c", "b", "a"]);
    // Nothing is pending: ties keep the cid order.
    assert_eq!(numbers(monitor, "pending", "pending_bytes"), [0, 0, 0]);
    assert_eq!(names(monitor, "pending"), ["a", "b", "c"]);
    // RTTs (estimated at CONNECT) differ by chance: check the direction only.
    let rtts: Vec<Duration> = column(monitor, "/connz?sort=rtt", "rtt")
        .iter()
        .map(|rtt| parse_go_duration(rtt.as_str().expect("rtt")))
        .collect();
    assert!(rtts.iter().all(|rtt| !rtt.is_zero()), "{rtts:?}");
    assert!(rtts.windows(2).all(|pair| pair[0] >= pair[1]), "{rtts:?}");
    drop((on_a, on_b, on_c));
}
