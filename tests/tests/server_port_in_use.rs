//! Startup errors: a client port already in use stops a second server with nats-server's
//! `Error listening on port` message and exit code 1.

use natrium_tests::{ServerProcess, run_binary};

#[test]
fn second_server_on_the_same_port_exits_1() {
    let first = ServerProcess::start(&[]);
    let port = first.port.to_string();
    let store = first.dir.path().join("second-store");
    let store = store.to_str().expect("utf-8");
    let (status, stderr) = run_binary(&["-a", "127.0.0.1", "-p", &port, "-sd", store]);
    assert_eq!(status.code(), Some(1), "{stderr}");
    let expected = format!("[ERR] Error listening on port: 127.0.0.1:{port}");
    assert!(stderr.contains(&expected), "{stderr}");
}
