//! Client certificates: with `verify_and_map` the certificate's e-mail or subject DN names the
//! user in `authorization.users`, and that user's permissions apply. A certificate that names
//! nobody is an authorization violation; no certificate, or one from another CA, fails the
//! handshake. Other clients keep working.

use std::time::Duration;

use futures::StreamExt;
use natrium_tests::tls::{ClientNames, TestPki, client_options, tls_block};
use natrium_tests::{ServerProcess, barrier, http_json};

const USERS: &str = r#"
authorization {
  users: [
    { user: "alice@acme.test", permissions: { publish: ["alice.>", "natrium.tests.>"], subscribe: ["alice.>", "_INBOX.>"] } }
    { user: "CN=bob,O=Acme", permissions: { publish: ["bob.>", "alice.>", "natrium.tests.>"], subscribe: ["bob.>", "_INBOX.>"] } }
  ]
}
"#;

#[tokio::test]
async fn certificates_name_users_and_their_permissions_apply() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::new(dir.path(), "natrium");
    let alice_names = ClientNames {
        common_name: "alice",
        organization: Some("Acme"),
        emails: &["alice@acme.test"],
        dns_names: &[],
    };
    let (alice_cert, alice_key) = pki.client("alice", &alice_names);
    let bob_names = ClientNames {
        common_name: "bob",
        organization: Some("Acme"),
        ..ClientNames::default()
    };
    let (bob_cert, bob_key) = pki.client("bob", &bob_names);
    let nobody_names = ClientNames {
        common_name: "nobody",
        ..ClientNames::default()
    };
    let (nobody_cert, nobody_key) = pki.client("nobody", &nobody_names);
    let config = format!("{}{USERS}", tls_block(&pki, "verify_and_map: true"));
    let server = ServerProcess::start_with_config(&config, &["-m", "-1"]);

    let alice = client_options(&pki)
        .add_client_certificate(alice_cert, alice_key)
        .connect(server.url())
        .await
        .expect("alice by e-mail");
    let bob = client_options(&pki)
        .add_client_certificate(bob_cert, bob_key)
        .connect(server.url())
        .await
        .expect("bob by subject DN");
    let mut alice_inbox = alice.subscribe("alice.>").await.expect("subscribe");
    let mut bob_own = bob.subscribe("bob.>").await.expect("subscribe");
    barrier(&alice).await;
    barrier(&bob).await;
    bob.publish("alice.hello", "from bob".into())
        .await
        .expect("publish");
    let message = tokio::time::timeout(Duration::from_secs(5), alice_inbox.next())
        .await
        .expect("in time")
        .expect("message");
    assert_eq!(message.payload, "from bob");
    // alice may not publish to bob.>: the server drops it (and tells alice).
    alice
        .publish("bob.secret", "x".into())
        .await
        .expect("publish");
    barrier(&alice).await;
    bob.publish("bob.check", "own".into())
        .await
        .expect("publish");
    let message = tokio::time::timeout(Duration::from_secs(5), bob_own.next())
        .await
        .expect("in time")
        .expect("message");
    assert_eq!(
        message.subject.as_str(),
        "bob.check",
        "alice's publish was denied"
    );

    let connz = http_json(server.monitor_port.expect("monitor"), "/connz?auth=1");
    let users: Vec<_> = connz["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .map(|c| c["authorized_user"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(users.contains(&"alice@acme.test".to_owned()), "{connz}");
    assert!(users.contains(&"CN=bob,O=Acme".to_owned()), "{connz}");

    let nobody = client_options(&pki)
        .add_client_certificate(nobody_cert, nobody_key)
        .connect(server.url())
        .await;
    assert!(nobody.is_err(), "a certificate naming no user is refused");
    assert!(
        client_options(&pki).connect(server.url()).await.is_err(),
        "no certificate"
    );
    let other_dir = tempfile::tempdir().expect("temp dir");
    let other = TestPki::new(other_dir.path(), "other");
    let (stranger_cert, stranger_key) = other.client("alice", &alice_names);
    let stranger = client_options(&pki)
        .add_client_certificate(stranger_cert, stranger_key)
        .connect(server.url())
        .await;
    assert!(stranger.is_err(), "a certificate from another CA");

    bob.publish("alice.again", "still".into())
        .await
        .expect("publish");
    let message = tokio::time::timeout(Duration::from_secs(5), alice_inbox.next())
        .await
        .expect("in time")
        .expect("message");
    assert_eq!(message.payload, "still");
}
