//! KV reads built on ordered push consumers, through the real async-nats client: keys,
//! history, watch (live changes, with history, several keys at once). These use
//! `deliver_policy: last_per_subject`, `headers_only`, flow control, idle heartbeats and the
//! pending count in each delivery's ack subject, as nats-server serves them.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use futures::{StreamExt, TryStreamExt};
use natrium_tests::ServerProcess;

const WAIT: Duration = Duration::from_secs(10);

async fn bucket(js: &jetstream::Context, name: &str) -> kv::Store {
    js.create_key_value(kv::Config {
        bucket: name.to_owned(),
        history: 10,
        ..kv::Config::default()
    })
    .await
    .expect("create bucket")
}

#[tokio::test]
async fn keys_and_history_end_after_the_last_entry() {
    let server = ServerProcess::start(&[]);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let store = bucket(&js, "profiles").await;

    // An empty bucket has no keys, and the listing ends at once.
    let keys: Vec<String> =
        tokio::time::timeout(WAIT, store.keys().await.expect("keys").try_collect())
            .await
            .expect("keys of an empty bucket end")
            .expect("keys");
    assert!(keys.is_empty());

    for (key, value) in [
        ("ann", "1"),
        ("bob", "2"),
        ("ann", "3"),
        ("cid", "4"),
        ("bob", "5"),
    ] {
        store.put(key, value.into()).await.expect("put");
    }
    store.delete("cid").await.expect("delete");

    let mut keys: Vec<String> =
        tokio::time::timeout(WAIT, store.keys().await.expect("keys").try_collect())
            .await
            .expect("keys end")
            .expect("keys");
    keys.sort();
    assert_eq!(keys, ["ann", "bob"], "a deleted key is not listed");

    let history: Vec<kv::Entry> = tokio::time::timeout(
        WAIT,
        store.history("ann").await.expect("history").try_collect(),
    )
    .await
    .expect("history ends")
    .expect("history");
    let values: Vec<&[u8]> = history.iter().map(|entry| entry.value.as_ref()).collect();
    assert_eq!(values, [b"1".as_slice(), b"3"]);
    assert_eq!(
        history.iter().map(|e| e.revision).collect::<Vec<_>>(),
        [1, 3]
    );

    let cid: Vec<kv::Entry> = tokio::time::timeout(
        WAIT,
        store.history("cid").await.expect("history").try_collect(),
    )
    .await
    .expect("history ends")
    .expect("history");
    let operations: Vec<kv::Operation> = cid.iter().map(|entry| entry.operation).collect();
    assert_eq!(operations, [kv::Operation::Put, kv::Operation::Delete]);
}

/// The next entry of a watch, within [`WAIT`].
async fn next(watch: &mut kv::Watch) -> kv::Entry {
    tokio::time::timeout(WAIT, watch.next())
        .await
        .expect("in time")
        .expect("open")
        .expect("entry")
}

#[tokio::test]
async fn watch_sees_changes_as_they_happen() {
    let server = ServerProcess::start(&[]);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let store = bucket(&js, "flags").await;
    store.put("old", "before".into()).await.expect("put");

    let mut all = store.watch_all().await.expect("watch all");
    let mut one = store.watch("beta").await.expect("watch one key");
    let mut many = store
        .watch_many(["alpha", "gamma"])
        .await
        .expect("watch many");
    // The watches only see what comes after them (deliver_policy: new).
    store.put("alpha", "on".into()).await.expect("put");
    store.put("beta", "off".into()).await.expect("put");
    store.put("gamma", "on".into()).await.expect("put");
    store.delete("alpha").await.expect("delete");

    let seen: Vec<(String, kv::Operation)> = [
        next(&mut all).await,
        next(&mut all).await,
        next(&mut all).await,
        next(&mut all).await,
    ]
    .into_iter()
    .map(|entry| (entry.key, entry.operation))
    .collect();
    assert_eq!(
        seen,
        [
            ("alpha".to_owned(), kv::Operation::Put),
            ("beta".to_owned(), kv::Operation::Put),
            ("gamma".to_owned(), kv::Operation::Put),
            ("alpha".to_owned(), kv::Operation::Delete),
        ]
    );
    let beta = next(&mut one).await;
    assert_eq!(
        (beta.key.as_str(), beta.value.as_ref()),
        ("beta", b"off".as_slice())
    );
    let keys: Vec<String> = [
        next(&mut many).await,
        next(&mut many).await,
        next(&mut many).await,
    ]
    .into_iter()
    .map(|entry| entry.key)
    .collect();
    assert_eq!(keys, ["alpha", "gamma", "alpha"]);

    // With history: the latest value of each key first, then live changes.
    let mut history = store
        .watch_with_history("old")
        .await
        .expect("watch with history");
    let latest = next(&mut history).await;
    assert_eq!(latest.value.as_ref(), b"before");
    store.put("old", "after".into()).await.expect("put");
    assert_eq!(next(&mut history).await.value.as_ref(), b"after");
}
