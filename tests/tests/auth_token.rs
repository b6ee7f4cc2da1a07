//! Authentication: `--auth TOKEN` admits clients presenting that token and no others.

use async_nats::ConnectErrorKind;
use natrium_tests::ServerProcess;

#[tokio::test]
async fn token_is_required() {
    let server = ServerProcess::start(&["--auth", "t0ken"]);
    let client = async_nats::ConnectOptions::with_token("t0ken".into())
        .connect(server.url())
        .await
        .expect("right token connects");
    natrium_tests::barrier(&client).await;

    let error = async_nats::ConnectOptions::with_token("wrong".into())
        .connect(server.url())
        .await
        .expect_err("wrong token refused");
    assert_eq!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );
}
