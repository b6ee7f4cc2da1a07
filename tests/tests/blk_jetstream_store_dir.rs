//! natrium-blk on a JetStream store directory: `verify` and `inspect` run on every stream of
//! the `-sd` directory (and of its `jetstream/`), each named with its account and its
//! stream.json configuration (memory streams have no directory, as in Go); `--json` is a
//! sequence of JSON values jq can read.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use natrium_tests::{ServerProcess, natrium_binary, workspace_root};
use serde_json::Value;

/// The natrium-blk binary beside natrium's, built when missing or out of date.
fn blk_binary() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-p", "natrium-blk", "--bin", "natrium-blk"])
        .current_dir(workspace_root())
        .status()
        .expect("cargo build natrium-blk");
    assert!(status.success());
    natrium_binary().with_file_name("natrium-blk")
}

fn blk(args: &[&str]) -> (i32, String) {
    let output = Command::new(blk_binary())
        .args(args)
        .output()
        .expect("run natrium-blk");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code().unwrap_or(-1), stdout)
}

#[tokio::test]
async fn verify_and_inspect_walk_every_stream_of_a_store_dir() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().to_str().expect("utf-8");
    {
        let mut server = ServerProcess::start(&["-sd", store]);
        let client = async_nats::connect(server.url()).await.expect("connect");
        let js = async_nats::jetstream::new(client.clone());
        js.create_stream(async_nats::jetstream::stream::Config {
            name: "FILES".into(),
            subjects: vec!["files.>".into()],
            ..Default::default()
        })
        .await
        .expect("file stream");
        js.create_stream(async_nats::jetstream::stream::Config {
            name: "LOGS".into(),
            subjects: vec!["logs".into()],
            ..Default::default()
        })
        .await
        .expect("second file stream");
        for index in 0..3 {
            js.publish(format!("files.{index}"), "stored".into())
                .await
                .expect("publish")
                .await
                .expect("ack");
        }
        drop(client);
        server.send_signal("quit");
        assert!(
            server.wait_exit(Duration::from_secs(10)).is_some(),
            "stopped"
        );
    }

    let (code, text) = blk(&["verify", store]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("== stream $G/FILES (file storage, subjects [\"files.>\"]) =="),
        "{text}"
    );
    assert!(text.contains("== stream $G/LOGS (file storage"), "{text}");
    assert!(text.contains("3 records verified"), "{text}");

    let jetstream_dir = dir.path().join("jetstream");
    let (code, text) = blk(&["inspect", jetstream_dir.to_str().expect("utf-8"), "--json"]);
    assert_eq!(code, 0, "{text}");
    let values: Vec<Value> = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .expect("a sequence of JSON values");
    let files_at = values
        .iter()
        .position(|value| value["jetstream_stream"]["name"] == "FILES")
        .expect("the FILES header");
    assert_eq!(values[files_at]["jetstream_stream"]["account"], "$G");
    assert_eq!(
        values[files_at]["jetstream_stream"]["config"]["subjects"][0],
        "files.>"
    );
    let report = &values[files_at + 1];
    assert_eq!(report["state"]["last_seq"], 3, "{report}");

    // A single stream's directory is still inspected on its own.
    let files_dir = jetstream_dir.join("$G").join("streams").join("FILES");
    let (code, text) = blk(&["inspect", files_dir.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("== stream"), "{text}");
}
