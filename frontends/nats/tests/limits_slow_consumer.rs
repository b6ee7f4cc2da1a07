//! A subscriber that stops reading is closed as a slow consumer once its outbound buffer
//! passes max_pending; the publisher never blocks and a fast subscriber keeps receiving.

mod common;

use std::sync::atomic::Ordering;

use common::{Client, options, start_with};
use natrium_auth::Authenticator;
use tokio::io::AsyncReadExt;
use tokio::net::TcpSocket;

const MESSAGES: usize = 10_000;
const PAYLOAD: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_consumer_is_cut_fast_one_keeps_up() {
    let mut opts = options();
    opts.max_pending = 512 * 1024;
    let server = start_with(opts, Authenticator::open()).await;

    // The slow subscriber: a tiny receive window, and it never reads after subscribing.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let mut slow = Client::from_stream(stream).await;
    slow.send(b"CONNECT {\"verbose\":false}\r\nSUB data 1\r\n")
        .await;
    slow.sync().await;

    let mut fast = Client::connect_quiet(&server, "").await;
    fast.send(b"SUB data 1\r\n").await;
    fast.sync().await;
    let expected_bytes =
        MESSAGES * format!("MSG data 1 {PAYLOAD}\r\n\r\n").len() + MESSAGES * PAYLOAD;
    // The fast subscriber reports its progress so the publisher can stay within its pace:
    // what is tested is that the slow one does not hold anybody back, not raw speed.
    let (progress, mut progress_rx) = tokio::sync::watch::channel(0usize);
    let reader = tokio::spawn(async move {
        let mut total = 0;
        let mut chunk = vec![0u8; 64 * 1024];
        while total < expected_bytes {
            let n = tokio::time::timeout(common::WAIT, fast.stream.read(&mut chunk))
                .await
                .expect("fast subscriber starved")
                .unwrap();
            assert!(n > 0, "fast subscriber closed");
            total += n;
            progress.send_replace(total);
        }
        total
    });

    let mut publisher = Client::connect_quiet(&server, "").await;
    let frame = format!("PUB data {PAYLOAD}\r\n{}\r\n", "x".repeat(PAYLOAD));
    let per_batch = 100;
    let batch = frame.repeat(per_batch);
    let message_bytes = expected_bytes / MESSAGES;
    for round in 1..=MESSAGES / per_batch {
        publisher.send(batch.as_bytes()).await;
        let target = round * per_batch * message_bytes;
        tokio::time::timeout(common::WAIT, progress_rx.wait_for(|&got| got >= target))
            .await
            .expect("fast subscriber fell behind")
            .unwrap();
    }
    publisher.sync().await;

    assert_eq!(reader.await.unwrap(), expected_bytes);
    let leftover = slow.read_to_close().await;
    assert!(
        leftover.len() < MESSAGES * PAYLOAD,
        "slow consumer was cut before the end"
    );
    assert_eq!(
        server.broker.stats().slow_consumers.load(Ordering::Relaxed),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_slower_than_the_deadline_is_a_slow_consumer() {
    let mut opts = options();
    opts.write_deadline = std::time::Duration::from_millis(100);
    let server = start_with(opts, Authenticator::open()).await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let mut slow = Client::from_stream(stream).await;
    slow.send(b"CONNECT {\"verbose\":false}\r\nSUB data 1\r\n")
        .await;
    slow.sync().await;

    let mut publisher = Client::connect_quiet(&server, "").await;
    let frame = format!("PUB data {PAYLOAD}\r\n{}\r\n", "x".repeat(PAYLOAD)).repeat(100);
    // Far more than the socket buffers hold: the writer blocks and misses its deadline.
    for _ in 0..MESSAGES / 100 {
        publisher.send(frame.as_bytes()).await;
    }
    assert_eq!(
        publisher.sync().await,
        b"",
        "the publisher is never held back"
    );
    // Nothing reads from the slow client until the server has given up on it: the writer's
    // blocked write must outlast the deadline (polled, bounded: there is no event to await).
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while server.broker.stats().slow_consumers.load(Ordering::Relaxed) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never detected as slow"
        );
        tokio::task::yield_now().await;
    }
    let leftover = slow.read_to_close().await;
    assert!(
        leftover.len() < MESSAGES * PAYLOAD,
        "cut before everything was delivered"
    );
    assert_eq!(
        server.broker.stats().slow_consumers.load(Ordering::Relaxed),
        1
    );
}
