//! Core NATS: request/reply through an inbox, answered by a responder on another connection.

use std::time::Duration;

use futures::StreamExt;
use natrium_tests::ServerProcess;

#[tokio::test]
async fn requests_get_their_own_replies() {
    let server = ServerProcess::start(&[]);
    let responder = async_nats::connect(server.url())
        .await
        .expect("connect responder");
    let mut requests = responder.subscribe("math.double").await.expect("subscribe");
    natrium_tests::barrier(&responder).await;
    let answering = responder.clone();
    tokio::spawn(async move {
        while let Some(request) = requests.next().await {
            let value: u64 = String::from_utf8_lossy(&request.payload)
                .parse()
                .unwrap_or(0);
            if let Some(reply) = request.reply {
                let answer = (value * 2).to_string();
                let _ = answering.publish(reply, answer.into()).await;
            }
        }
    });

    let requester = async_nats::connect(server.url())
        .await
        .expect("connect requester");
    for value in [1_u64, 21, 1000] {
        let reply = tokio::time::timeout(
            Duration::from_secs(5),
            requester.request("math.double", value.to_string().into()),
        )
        .await
        .expect("reply in time")
        .expect("request succeeds");
        assert_eq!(reply.payload, (value * 2).to_string().as_bytes());
    }
}
