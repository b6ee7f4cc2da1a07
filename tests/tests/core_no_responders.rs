//! Core NATS: a request to a subject nobody listens on fails fast with "no responders"
//! (a 503 status message), not with a timeout.

use std::time::{Duration, Instant};

use async_nats::RequestErrorKind;
use natrium_tests::ServerProcess;

#[tokio::test]
async fn request_without_subscribers_fails_fast() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::ConnectOptions::new()
        .request_timeout(Some(Duration::from_secs(5)))
        .connect(server.url())
        .await
        .expect("connect");
    let started = Instant::now();
    let error = client
        .request("nobody.home", "hello".into())
        .await
        .expect_err("no one answers");
    assert_eq!(error.kind(), RequestErrorKind::NoResponders, "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "answered before the timeout"
    );
}
