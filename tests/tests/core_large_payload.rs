//! Core NATS: payloads of 1 MiB (the default `max_payload`) arrive byte for byte.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use natrium_tests::ServerProcess;

const PAYLOAD_BYTES: usize = 1024 * 1024;

#[tokio::test]
async fn one_mebibyte_payloads_round_trip() {
    let server = ServerProcess::start(&[]);
    let subscriber = async_nats::connect(server.url()).await.expect("connect");
    let publisher = async_nats::connect(server.url()).await.expect("connect");
    assert!(publisher.server_info().max_payload >= PAYLOAD_BYTES);
    let mut subscription = subscriber.subscribe("big").await.expect("subscribe");
    natrium_tests::barrier(&subscriber).await;

    for round in 0..4_u8 {
        let payload: Bytes = (0..PAYLOAD_BYTES)
            .map(|index| (index as u8).wrapping_add(round))
            .collect();
        publisher
            .publish("big", payload.clone())
            .await
            .expect("publish");
        natrium_tests::barrier(&publisher).await;
        let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
            .await
            .expect("message in time")
            .expect("open");
        assert_eq!(message.payload.len(), PAYLOAD_BYTES);
        assert!(message.payload == payload, "payload {round} intact");
    }
}
