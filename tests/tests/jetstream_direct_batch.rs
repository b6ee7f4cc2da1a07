//! Batched direct gets as nats-server 2.11+ answers them (ADR-31): `batch` from a sequence on
//! a filter, `multi_last` (the last message of each matching subject, at or before
//! `up_to_seq`), each message with Nats-Num-Pending and Nats-Last-Sequence, a `204 EOB`
//! status at the end; `413` past 1,024 subjects; `408` for a body on the subject-in-subject
//! form.

use std::time::Duration;

use futures::StreamExt;
use natrium_tests::ServerProcess;

/// Sends a direct get and collects the answers up to (and with) the first status message.
async fn direct(
    client: &async_nats::Client,
    subject: &str,
    body: &str,
) -> Vec<async_nats::Message> {
    let inbox = client.new_inbox();
    let mut answers = client.subscribe(inbox.clone()).await.expect("subscribe");
    client
        .publish_with_reply(subject.to_owned(), inbox, body.to_owned().into())
        .await
        .expect("request");
    let mut out = Vec::new();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), answers.next())
            .await
            .expect("answered in time")
            .expect("open");
        let is_status = message.status.is_some();
        out.push(message);
        if is_status {
            return out;
        }
    }
}

fn header(message: &async_nats::Message, name: &str) -> String {
    message
        .headers
        .as_ref()
        .and_then(|headers| headers.get(name))
        .map_or_else(String::new, |value| value.as_str().to_owned())
}

fn status(message: &async_nats::Message) -> (u16, String) {
    (
        message.status.map_or(0, |status| status.as_u16()),
        message.description.clone().unwrap_or_default(),
    )
}

#[tokio::test]
async fn batches_and_multi_last_end_with_their_eob() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = async_nats::jetstream::new(client.clone());
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "D".into(),
        subjects: vec!["d.>".into()],
        allow_direct: true,
        ..Default::default()
    })
    .await
    .expect("stream");
    for (subject, payload) in [("d.a", "1"), ("d.b", "2"), ("d.a", "3"), ("d.c", "4")] {
        js.publish(subject, payload.into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }

    let answers = direct(
        &client,
        "$JS.API.DIRECT.GET.D",
        r#"{"seq":1,"batch":2,"next_by_subj":"d.>"}"#,
    )
    .await;
    assert_eq!(answers.len(), 3, "two messages and the EOB");
    assert_eq!(answers[0].payload.as_ref(), b"1");
    assert_eq!(header(&answers[0], "Nats-Num-Pending"), "3");
    assert_eq!(header(&answers[0], "Nats-Last-Sequence"), "0");
    assert_eq!(answers[1].payload.as_ref(), b"2");
    assert_eq!(header(&answers[1], "Nats-Num-Pending"), "2");
    assert_eq!(header(&answers[1], "Nats-Last-Sequence"), "1");
    assert_eq!(status(&answers[2]), (204, "EOB".to_owned()));
    assert_eq!(header(&answers[2], "Nats-Num-Pending"), "2");
    assert_eq!(header(&answers[2], "Nats-Last-Sequence"), "2");

    let answers = direct(&client, "$JS.API.DIRECT.GET.D", r#"{"multi_last":["d.>"]}"#).await;
    let payloads: Vec<&[u8]> = answers.iter().map(|m| m.payload.as_ref()).collect();
    assert_eq!(payloads, vec![&b"2"[..], b"3", b"4", b""]);
    assert_eq!(
        header(&answers[0], "Nats-UpTo-Sequence"),
        "",
        "only on the EOB, as Go"
    );
    assert_eq!(status(&answers[3]), (204, "EOB".to_owned()));
    assert_eq!(header(&answers[3], "Nats-UpTo-Sequence"), "4");
    assert_eq!(header(&answers[3], "Nats-Num-Pending"), "0");

    let answers = direct(
        &client,
        "$JS.API.DIRECT.GET.D",
        r#"{"multi_last":["d.a","d.b"],"up_to_seq":2}"#,
    )
    .await;
    let payloads: Vec<&[u8]> = answers.iter().map(|m| m.payload.as_ref()).collect();
    assert_eq!(
        payloads,
        vec![&b"1"[..], b"2", b""],
        "as the keys were at sequence 2"
    );

    let answers = direct(
        &client,
        "$JS.API.DIRECT.GET.D",
        r#"{"multi_last":["nothing.>"]}"#,
    )
    .await;
    assert_eq!(status(&answers[0]).0, 404);
    let answers = direct(&client, "$JS.API.DIRECT.GET.D.d.a", r#"{"seq":1}"#).await;
    assert_eq!(status(&answers[0]).0, 408);
}

#[tokio::test]
async fn multi_last_over_too_many_subjects_is_refused() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = async_nats::jetstream::new(client.clone());
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "MANY".into(),
        subjects: vec!["many.>".into()],
        allow_direct: true,
        storage: async_nats::jetstream::stream::StorageType::Memory,
        ..Default::default()
    })
    .await
    .expect("stream");
    let mut acks = Vec::new();
    for index in 0..1025 {
        acks.push(
            js.publish(format!("many.{index}"), "x".into())
                .await
                .expect("publish"),
        );
    }
    for ack in acks {
        ack.await.expect("ack");
    }
    let answers = direct(
        &client,
        "$JS.API.DIRECT.GET.MANY",
        r#"{"multi_last":["many.>"]}"#,
    )
    .await;
    assert_eq!(status(&answers[0]), (413, "Too Many Results".to_owned()));
}
