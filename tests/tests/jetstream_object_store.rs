//! The object store through the real async-nats client: objects larger than one chunk are
//! put (chunks plus a rolled-up meta message), read back through an ordered push consumer,
//! listed, replaced and deleted (their chunks purged by subject filter).

use std::time::Duration;

use async_nats::jetstream::{self, object_store};
use futures::TryStreamExt;
use natrium_tests::ServerProcess;
use tokio::io::AsyncReadExt;

const WAIT: Duration = Duration::from_secs(10);

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn read_all(bucket: &object_store::ObjectStore, name: &str) -> Vec<u8> {
    let mut object = bucket.get(name).await.expect("get");
    let mut data = Vec::new();
    tokio::time::timeout(WAIT, object.read_to_end(&mut data))
        .await
        .expect("read in time")
        .expect("read");
    data
}

#[tokio::test]
async fn objects_are_put_read_listed_replaced_and_deleted() {
    let server = ServerProcess::start(&[]);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let bucket = js
        .create_object_store(object_store::Config {
            bucket: "files".to_owned(),
            ..object_store::Config::default()
        })
        .await
        .expect("create object store");

    // 300 KiB: three chunks of the default 128 KiB.
    let big = pattern(300 * 1024, 7);
    let info = bucket
        .put("big.bin", &mut big.as_slice())
        .await
        .expect("put big");
    assert_eq!(info.size, big.len());
    assert!(info.chunks >= 3, "{} chunks", info.chunks);
    bucket
        .put("small.txt", &mut b"hello".as_slice())
        .await
        .expect("put small");

    assert_eq!(read_all(&bucket, "big.bin").await, big);
    assert_eq!(read_all(&bucket, "small.txt").await, b"hello");
    assert_eq!(bucket.info("big.bin").await.expect("info").size, big.len());

    let mut names: Vec<String> = tokio::time::timeout(
        WAIT,
        bucket
            .list()
            .await
            .expect("list")
            .map_ok(|info| info.name)
            .try_collect::<Vec<_>>(),
    )
    .await
    .expect("list ends")
    .expect("list");
    names.sort();
    assert_eq!(names, ["big.bin", "small.txt"]);

    // Replacing an object purges the old chunks: the stream holds only the new ones.
    let replacement = pattern(10 * 1024, 99);
    bucket
        .put("big.bin", &mut replacement.as_slice())
        .await
        .expect("replace");
    assert_eq!(read_all(&bucket, "big.bin").await, replacement);

    bucket.delete("small.txt").await.expect("delete");
    assert!(
        bucket.get("small.txt").await.is_err(),
        "deleted object is gone"
    );
    let mut stream = js.get_stream("OBJ_files").await.expect("stream");
    let state = stream.info().await.expect("info").state.clone();
    // One chunk of the replacement plus the two meta messages.
    assert_eq!(state.messages, 3, "{state:?}");
}
