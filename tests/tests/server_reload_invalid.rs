//! Reload with a broken configuration file: the error is logged, the server keeps running
//! with the configuration it had.

use natrium_tests::ServerProcess;

// Multi-threaded: the harness blocks while waiting on the server's log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_file_keeps_the_running_configuration() {
    let config = "authorization { user: alice, password: kept }\n";
    let server = ServerProcess::start_with_config(config, &[]);
    std::fs::write(
        server.dir.path().join("natrium.conf"),
        "authorization { user: alice, password: \n",
    )
    .expect("break the file");
    server.send_signal("reload");
    let failed = server.wait_for_log(
        "[ERR] Failed to reload server configuration",
        natrium_tests::STARTUP_TIMEOUT,
    );
    assert!(failed.is_some(), "log:\n{}", server.log_text());

    let client = async_nats::ConnectOptions::with_user_and_password("alice".into(), "kept".into())
        .connect(server.url())
        .await
        .expect("the old password still works");
    natrium_tests::barrier(&client).await;
}
