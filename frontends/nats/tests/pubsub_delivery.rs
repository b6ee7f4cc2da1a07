//! Publish/subscribe bytes: MSG/HMSG, reply subjects, queue groups, UNSUB with max, echo off,
//! no-responders, and frames split at every byte.

mod common;

use common::{Client, start};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn msg_and_hmsg_bytes() {
    let server = start().await;
    let mut sub = Client::connect_quiet(&server, ",\"headers\":true").await;
    sub.send(b"SUB foo.* 7\r\nSUB > 8\r\n").await;
    sub.sync().await;
    let mut publisher = Client::connect_quiet(&server, ",\"headers\":true").await;
    publisher
        .send(b"PUB foo.bar rep 5\r\nhello\r\nHPUB foo.baz 12 14\r\nNATS/1.0\r\n\r\nab\r\n")
        .await;
    publisher.sync().await;
    let got = sub.sync().await;
    let text = String::from_utf8_lossy(&got);
    for expected in [
        "MSG foo.bar 7 rep 5\r\nhello\r\n",
        "MSG foo.bar 8 rep 5\r\nhello\r\n",
        "HMSG foo.baz 7 12 14\r\nNATS/1.0\r\n\r\nab\r\n",
        "HMSG foo.baz 8 12 14\r\nNATS/1.0\r\n\r\nab\r\n",
    ] {
        assert!(text.contains(expected), "{text:?} lacks {expected:?}");
    }
    assert_eq!(
        got.len(),
        2 * "MSG foo.bar 7 rep 5\r\nhello\r\n".len()
            + 2 * "HMSG foo.baz 7 12 14\r\nNATS/1.0\r\n\r\nab\r\n".len()
    );
}

#[tokio::test]
async fn queue_group_gets_each_message_once() {
    let server = start().await;
    let mut a = Client::connect_quiet(&server, "").await;
    let mut b = Client::connect_quiet(&server, "").await;
    a.send(b"SUB work q 1\r\n").await;
    b.send(b"SUB work q 1\r\n").await;
    a.sync().await;
    b.sync().await;
    let mut publisher = Client::connect_quiet(&server, "").await;
    for _ in 0..20 {
        publisher.send(b"PUB work 1\r\nx\r\n").await;
    }
    publisher.sync().await;
    let count = |bytes: &[u8]| bytes.windows(4).filter(|w| w == b"MSG ").count();
    let (got_a, got_b) = (count(&a.sync().await), count(&b.sync().await));
    assert_eq!(got_a + got_b, 20);
    assert!(
        got_a > 0 && got_b > 0,
        "round robin spreads: {got_a} / {got_b}"
    );
}

#[tokio::test]
async fn unsub_max_counts_delivered_messages() {
    let server = start().await;
    let mut client = Client::connect_quiet(&server, "").await;
    client
        .send(b"SUB foo 1\r\nUNSUB 1 2\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\n")
        .await;
    assert_eq!(
        client.sync().await,
        b"MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\n"
    );
    // Already delivered one: a max of 1 unsubscribes at once.
    client
        .send(b"SUB bar 2\r\nPUB bar 1\r\na\r\nUNSUB 2 1\r\nPUB bar 1\r\nb\r\n")
        .await;
    assert_eq!(client.sync().await, b"MSG bar 2 1\r\na\r\n");
    assert_eq!(server.broker.sublist().count(), 0);
}

#[tokio::test]
async fn echo_off_skips_own_subscriptions() {
    let server = start().await;
    let mut quiet = Client::connect_quiet(&server, ",\"echo\":false").await;
    let mut other = Client::connect_quiet(&server, "").await;
    quiet.send(b"SUB foo 1\r\nPUB foo 1\r\na\r\n").await;
    assert_eq!(quiet.sync().await, b"");
    other.send(b"PUB foo 1\r\nb\r\n").await;
    other.sync().await;
    assert_eq!(quiet.sync().await, b"MSG foo 1 1\r\nb\r\n");
}

#[tokio::test]
async fn no_responders_status_on_own_reply_subscription() {
    let server = start().await;
    let mut client =
        Client::connect_quiet(&server, ",\"headers\":true,\"no_responders\":true").await;
    client
        .send(b"SUB _INBOX.> 9\r\nPUB service _INBOX.abc 2\r\nhi\r\n")
        .await;
    assert_eq!(
        client.sync().await,
        b"HMSG _INBOX.abc 9 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"
    );
    // Without no_responders nothing comes back.
    let mut plain = Client::connect_quiet(&server, ",\"headers\":true").await;
    plain
        .send(b"SUB _INBOX.> 9\r\nPUB service _INBOX.abc 2\r\nhi\r\n")
        .await;
    assert_eq!(plain.sync().await, b"");
}

#[tokio::test]
async fn frames_split_at_every_byte() {
    let server = start().await;
    let mut client = Client::connect_quiet(&server, ",\"headers\":true").await;
    let input: &[u8] =
        b"SUB a.b q 1\r\nPUB a.b r 5\r\nhello\r\nHPUB a.b 12 15\r\nNATS/1.0\r\n\r\nxyz\r\n";
    for byte in input {
        client.send(std::slice::from_ref(byte)).await;
        client.stream.flush().await.unwrap();
    }
    assert_eq!(
        String::from_utf8_lossy(&client.sync().await),
        "MSG a.b 1 r 5\r\nhello\r\nHMSG a.b 1 12 15\r\nNATS/1.0\r\n\r\nxyz\r\n"
    );
}

/// Go (checked against nats-server 2.9.10) routes a published subject with `*` or `>` tokens
/// when the client is not pedantic, matching those tokens literally: `foo.*` reaches `foo.*`
/// and `foo.>` subscribers, never `foo.bar` or a one-token `*`.
#[tokio::test]
async fn wildcard_tokens_in_a_published_subject_match_literally() {
    let server = start().await;
    // A CONNECT without "pedantic" keeps the pre-CONNECT default (pedantic), as in Go.
    let mut client = Client::connect_quiet(&server, ",\"pedantic\":false").await;
    client
        .send(b"SUB foo.* 1\r\nSUB foo.bar 2\r\nSUB foo.> 3\r\nSUB * 4\r\nSUB foo.*.x 5\r\n")
        .await;
    client.sync().await;
    client
        .send(b"PUB foo.* 2\r\nhi\r\nPUB foo.> 2\r\nho\r\nPUB foo.*.x 1\r\nz\r\n")
        .await;
    let got = client.sync().await;
    let text = String::from_utf8_lossy(&got);
    let lines: Vec<&str> = text.split_inclusive("\r\n").collect();
    // Each MSG is two lines (header, payload); delivery order across subscriptions is free.
    let mut messages: Vec<String> = lines.chunks(2).map(<[&str]>::concat).collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "MSG foo.* 1 2\r\nhi\r\n",
            "MSG foo.* 3 2\r\nhi\r\n",
            "MSG foo.*.x 3 1\r\nz\r\n",
            "MSG foo.*.x 5 1\r\nz\r\n",
            "MSG foo.> 1 2\r\nho\r\n",
            "MSG foo.> 3 2\r\nho\r\n",
        ],
        "{text:?}"
    );
    // Pedantic clients are refused instead, and nothing is routed.
    let mut pedantic = Client::connect_quiet(&server, ",\"pedantic\":true").await;
    pedantic.send(b"PUB foo.* 1\r\nx\r\n").await;
    assert_eq!(pedantic.sync().await, b"-ERR 'Invalid Publish Subject'\r\n");
    assert!(
        client.sync().await.is_empty(),
        "no delivery from a pedantic client"
    );
}
