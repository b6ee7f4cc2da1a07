//! Authentication: with `--user`/`--pass`, the right credentials connect and wrong or missing
//! ones are refused with an authorization violation.

use async_nats::ConnectErrorKind;
use natrium_tests::ServerProcess;

#[tokio::test]
async fn wrong_password_is_refused() {
    let server = ServerProcess::start(&["--user", "alice", "--pass", "s3cret"]);
    let good = async_nats::ConnectOptions::with_user_and_password("alice".into(), "s3cret".into())
        .connect(server.url())
        .await
        .expect("right password connects");
    assert!(good.server_info().auth_required);
    natrium_tests::barrier(&good).await;

    let error = async_nats::ConnectOptions::with_user_and_password("alice".into(), "nope".into())
        .connect(server.url())
        .await
        .expect_err("wrong password refused");
    assert_eq!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );

    let error = async_nats::connect(server.url())
        .await
        .expect_err("no credentials refused");
    assert_eq!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );
}
