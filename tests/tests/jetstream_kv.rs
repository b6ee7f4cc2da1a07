//! KV buckets through the real async-nats client, on what natrium serves so far (streams,
//! direct get, expected-sequence headers, roll-ups; not yet watch or keys, which need
//! consumers): create a bucket, put, get, create-if-absent, update at a revision, delete and
//! purge a key.

use async_nats::jetstream::{self, kv};
use natrium_tests::ServerProcess;

#[tokio::test]
async fn kv_put_get_create_update_delete_purge() {
    let server = ServerProcess::start(&[]);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let bucket = js
        .create_key_value(kv::Config {
            bucket: "settings".to_owned(),
            history: 5,
            ..kv::Config::default()
        })
        .await
        .expect("create bucket");

    let first = bucket.put("colour", "blue".into()).await.expect("put");
    assert_eq!(first, 1);
    let entry = bucket
        .entry("colour")
        .await
        .expect("entry")
        .expect("present");
    assert_eq!(entry.value.as_ref(), b"blue");
    assert_eq!(entry.revision, 1);
    assert_eq!(entry.operation, kv::Operation::Put);
    assert_eq!(
        bucket.get("colour").await.expect("get").as_deref(),
        Some(b"blue".as_slice())
    );
    assert!(bucket.get("size").await.expect("get absent").is_none());

    // Create only succeeds for an absent key (Nats-Expected-Last-Subject-Sequence: 0).
    assert!(bucket.create("colour", "red".into()).await.is_err());
    assert_eq!(bucket.create("size", "L".into()).await.expect("create"), 2);
    // Update succeeds only at the key's current revision.
    assert!(bucket.update("colour", "green".into(), 7).await.is_err());
    let updated = bucket
        .update("colour", "green".into(), 1)
        .await
        .expect("update at revision 1");
    assert_eq!(updated, 3);
    assert_eq!(
        bucket.get("colour").await.expect("get").as_deref(),
        Some(b"green".as_slice())
    );

    bucket.delete("size").await.expect("delete");
    assert!(bucket.get("size").await.expect("get deleted").is_none());
    let tombstone = bucket
        .entry("size")
        .await
        .expect("entry")
        .expect("delete marker");
    assert_eq!(tombstone.operation, kv::Operation::Delete);

    // Purge rolls the key up: only the purge marker remains for it.
    bucket.purge("colour").await.expect("purge");
    assert!(bucket.get("colour").await.expect("get purged").is_none());
    let mut stream = js
        .get_stream("KV_settings")
        .await
        .expect("the bucket's stream");
    let info = stream.info().await.expect("info");
    // size: put + delete marker; colour: only its purge marker.
    assert_eq!(info.state.messages, 3);
}
