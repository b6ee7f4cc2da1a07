//! Authentication: an NKey user proves its identity by signing the INFO nonce; a different
//! key is refused.

use async_nats::ConnectErrorKind;
use natrium_tests::ServerProcess;

#[tokio::test]
async fn nkey_signature_admits_only_the_configured_key() {
    let user = nkeys::KeyPair::new_user();
    let config = format!(
        "authorization {{ users = [ {{ nkey: {} }} ] }}\n",
        user.public_key()
    );
    let server = ServerProcess::start_with_config(&config, &[]);

    let seed = user.seed().expect("seed");
    let client = async_nats::ConnectOptions::with_nkey(seed)
        .connect(server.url())
        .await
        .expect("configured key connects");
    assert!(
        !client.server_info().nonce.is_empty(),
        "INFO carries a nonce"
    );
    natrium_tests::barrier(&client).await;

    let stranger = nkeys::KeyPair::new_user().seed().expect("seed");
    let error = async_nats::ConnectOptions::with_nkey(stranger)
        .connect(server.url())
        .await
        .expect_err("unknown key refused");
    assert_eq!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );
}
