//! Reload (`--signal reload=PID`, SIGHUP): a changed password in the configuration file takes
//! effect for new connections without a restart, and so does a change of log level.

use async_nats::ConnectErrorKind;
use natrium_tests::ServerProcess;

fn config(password: &str) -> String {
    format!("authorization {{ user: alice, password: {password} }}\n")
}

async fn connect(
    server: &ServerProcess,
    password: &str,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    async_nats::ConnectOptions::with_user_and_password("alice".into(), password.into())
        .connect(server.url())
        .await
}

// Multi-threaded: the harness blocks while waiting on the server process, and the client
// must keep running meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_applies_on_reload() {
    let server = ServerProcess::start_with_config(&config("first"), &[]);
    connect(&server, "first")
        .await
        .expect("first password works");

    let second = format!("{}debug: true\n", config("second"));
    std::fs::write(server.dir.path().join("natrium.conf"), second).expect("rewrite");
    server.send_signal("reload");
    let reloaded = server.wait_for_log(
        "Reloaded server configuration",
        natrium_tests::STARTUP_TIMEOUT,
    );
    assert!(reloaded.is_some(), "log:\n{}", server.log_text());
    let log = server.log_text();
    assert!(log.contains("Reloaded: authorization"), "{log}");
    assert!(
        log.contains("Reloaded: debug = true, trace = false"),
        "{log}"
    );

    connect(&server, "second")
        .await
        .expect("new password works");
    let error = connect(&server, "first")
        .await
        .expect_err("old password refused");
    assert_eq!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );
}
