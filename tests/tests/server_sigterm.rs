//! Graceful shutdown: SIGTERM (sent with `--signal term=PIDFILE`) closes client connections,
//! removes the PID file and exits 0.

use std::time::Duration;

use async_nats::Event;
use natrium_tests::ServerProcess;

// Multi-threaded: the harness blocks while waiting on the server process, and the client
// must keep running meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pid_file = dir.path().join("natrium.pid");
    let mut server = ServerProcess::start(&["-P", pid_file.to_str().expect("utf-8")]);
    let written = std::fs::read_to_string(&pid_file).expect("pid file written");
    assert_eq!(written.trim(), server.pid().to_string());

    let (options, mut events) =
        natrium_tests::with_events(async_nats::ConnectOptions::new().max_reconnects(Some(1)));
    let client = options.connect(server.url()).await.expect("connect");
    natrium_tests::barrier(&client).await;

    // `--signal term=PIDFILE`: the target named by the PID file the server wrote.
    let (status, stderr) = natrium_tests::run_binary(&[
        "--signal",
        &format!("term={}", pid_file.to_str().expect("utf-8")),
    ]);
    assert!(status.success(), "{stderr}");
    let status = server
        .wait_exit(Duration::from_secs(8))
        .expect("server exits");
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        server.log_text()
    );
    let disconnected = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(event) = events.recv().await {
            if matches!(event, Event::Disconnected) {
                return;
            }
        }
    })
    .await;
    assert!(disconnected.is_ok(), "the client saw the connection close");
    assert!(!pid_file.exists(), "pid file removed at exit");
    let log = server.log_text();
    assert!(log.contains("Trapped \"terminated\" signal"), "{log}");
    assert!(log.contains("Server Exiting.."), "{log}");
}
