//! SIGHUP re-reads the certificate files: renewed in place (here by a new CA), they are served
//! to new clients, while a client connected before keeps its session.

use std::time::Duration;

use futures::StreamExt;
use natrium_tests::tls::{TestPki, client_options, tls_block};
use natrium_tests::{ServerProcess, barrier};

#[tokio::test]
async fn renewed_certificates_for_new_clients_without_dropping_old_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old = TestPki::new(dir.path(), "old");
    let new_dir = tempfile::tempdir().expect("temp dir");
    let new = TestPki::new(new_dir.path(), "new");
    let server = ServerProcess::start_with_config(&tls_block(&old, ""), &[]);
    let connected = client_options(&old)
        .connect(server.url())
        .await
        .expect("client of the old CA");
    let mut subscription = connected.subscribe("still").await.expect("subscribe");
    barrier(&connected).await;

    for (from, to) in [
        (&new.cert_file, &old.cert_file),
        (&new.key_file, &old.key_file),
        (&new.ca_file, &old.ca_file),
    ] {
        std::fs::copy(from, to).expect("renew in place");
    }
    server.send_signal("reload");
    assert!(
        server
            .wait_for_log("Reloaded: tls", Duration::from_secs(5))
            .is_some(),
        "{}",
        server.log_text()
    );

    let renewed = client_options(&new)
        .connect(server.url())
        .await
        .expect("client of the new CA");
    renewed
        .publish("still", "here".into())
        .await
        .expect("publish");
    let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("in time")
        .expect("the old session is alive");
    assert_eq!(message.payload, "here");
    // A fresh client that trusts only the old CA now fails: the old certificate is gone.
    let new_only_ca = tempfile::tempdir().expect("temp dir");
    let stale = TestPki::new(new_only_ca.path(), "stale");
    assert!(client_options(&stale).connect(server.url()).await.is_err());
}
