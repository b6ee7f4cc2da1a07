//! Authentication and permissions: `Authorization Violation`, `Authentication Timeout`, the
//! NKey nonce, publish/subscribe violations that keep the connection, and allow_responses.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::{Client, options, start_with};
use natrium_auth::{
    AuthConfig, Authenticator, NkeyUserConfig, PermissionsConfig, ResponsePermission,
    SubjectPermission, UserConfig,
};

fn allow(subjects: &[&str]) -> SubjectPermission {
    SubjectPermission {
        allow: subjects.iter().map(|s| (*s).to_owned()).collect(),
        deny: vec![],
    }
}

fn users() -> AuthConfig {
    AuthConfig {
        users: vec![
            UserConfig {
                user: "alice".into(),
                password: "secret".into(),
                permissions: Some(PermissionsConfig {
                    publish: allow(&["foo"]),
                    subscribe: allow(&["foo", "bar"]),
                    allow_responses: None,
                }),
            },
            UserConfig {
                user: "svc".into(),
                password: "pw".into(),
                permissions: Some(PermissionsConfig {
                    publish: SubjectPermission::default(),
                    subscribe: allow(&["req"]),
                    allow_responses: Some(ResponsePermission {
                        max_msgs: 1,
                        expires: Duration::from_secs(60),
                    }),
                }),
            },
            UserConfig {
                user: "root".into(),
                password: "root".into(),
                permissions: None,
            },
        ],
        timeout: Some(Duration::from_millis(200)),
        ..AuthConfig::default()
    }
}

async fn server() -> common::TestServer {
    start_with(options(), Authenticator::new(users()).unwrap()).await
}

#[tokio::test]
async fn bad_credentials_and_early_verbs_are_violations() {
    let server = server().await;
    let (mut client, info) = Client::connect(&server).await;
    assert_eq!(info["auth_required"], true);
    assert!(info.get("nonce").is_none(), "no NKey users, no nonce");
    client
        .send(b"CONNECT {\"user\":\"alice\",\"pass\":\"wrong\"}\r\n")
        .await;
    assert_eq!(
        client.read_to_close().await,
        b"-ERR 'Authorization Violation'\r\n"
    );

    let (mut early, _) = Client::connect(&server).await;
    early.send(b"SUB foo 1\r\n").await;
    assert_eq!(
        early.read_to_close().await,
        b"-ERR 'Authorization Violation'\r\n"
    );

    let (mut silent, _) = Client::connect(&server).await;
    assert_eq!(
        silent.read_to_close().await,
        b"-ERR 'Authentication Timeout'\r\n"
    );
}

#[tokio::test]
async fn permission_violations_keep_the_connection() {
    let server = server().await;
    let mut client =
        Client::connect_quiet(&server, ",\"user\":\"alice\",\"pass\":\"secret\"").await;
    client
        .send(b"PUB nope 1\r\na\r\nSUB nope 1\r\nSUB nope q 2\r\nSUB foo 3\r\nPUB foo 1\r\nb\r\n")
        .await;
    assert_eq!(
        String::from_utf8_lossy(&client.sync().await),
        "-ERR 'Permissions Violation for Publish to \"nope\"'\r\n\
         -ERR 'Permissions Violation for Subscription to \"nope\"'\r\n\
         -ERR 'Permissions Violation for Subscription to \"nope\" using queue \"q\"'\r\n\
         MSG foo 3 1\r\nb\r\n"
    );
}

#[tokio::test]
async fn allow_responses_grants_one_reply() {
    let server = server().await;
    let mut service = Client::connect_quiet(&server, ",\"user\":\"svc\",\"pass\":\"pw\"").await;
    service.send(b"SUB req 1\r\n").await;
    service.sync().await;
    let mut requester =
        Client::connect_quiet(&server, ",\"user\":\"root\",\"pass\":\"root\"").await;
    requester
        .send(b"SUB _INBOX.7 1\r\nPUB req _INBOX.7 1\r\nq\r\n")
        .await;
    requester.sync().await;
    assert_eq!(service.sync().await, b"MSG req 1 _INBOX.7 1\r\nq\r\n");
    service
        .send(b"PUB _INBOX.7 1\r\na\r\nPUB _INBOX.7 1\r\nb\r\nPUB other 1\r\nc\r\n")
        .await;
    assert_eq!(
        String::from_utf8_lossy(&service.sync().await),
        "-ERR 'Permissions Violation for Publish to \"_INBOX.7\"'\r\n\
         -ERR 'Permissions Violation for Publish to \"other\"'\r\n"
    );
    assert_eq!(requester.sync().await, b"MSG _INBOX.7 1 1\r\na\r\n");
}

#[tokio::test]
async fn nkey_user_signs_the_info_nonce() {
    let user = nkeys::KeyPair::new_user();
    let config = AuthConfig {
        nkeys: vec![NkeyUserConfig {
            nkey: user.public_key(),
            permissions: None,
        }],
        ..AuthConfig::default()
    };
    let server = start_with(options(), Authenticator::new(config).unwrap()).await;
    let (mut client, info) = Client::connect(&server).await;
    let nonce = info["nonce"].as_str().expect("nonce in INFO").to_owned();
    assert_eq!(nonce.len(), 15);
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(user.sign(nonce.as_bytes()).unwrap());
    let connect = format!(
        "CONNECT {{\"verbose\":false,\"nkey\":\"{}\",\"sig\":\"{signature}\"}}\r\n",
        user.public_key()
    );
    client.send(connect.as_bytes()).await;
    assert_eq!(client.sync().await, b"");

    // A signature over another nonce is refused.
    let (mut other, _) = Client::connect(&server).await;
    other.send(connect.as_bytes()).await;
    assert_eq!(
        other.read_to_close().await,
        b"-ERR 'Authorization Violation'\r\n"
    );
}

#[tokio::test]
async fn reload_applies_to_new_connections() {
    let server = server().await;
    let mut kept = Client::connect_quiet(&server, ",\"user\":\"root\",\"pass\":\"root\"").await;
    server.frontend.reload_auth(Authenticator::open());
    let (mut open, info) = Client::connect(&server).await;
    assert!(info.get("auth_required").is_none());
    open.send(b"SUB x 1\r\nPUB x 1\r\na\r\n").await;
    assert_eq!(open.sync().await, b"+OK\r\n+OK\r\nMSG x 1 1\r\na\r\n");
    // The connection authenticated before the reload keeps working.
    kept.send(b"SUB x 2\r\n").await;
    assert_eq!(kept.sync().await, b"");
}
