//! NATS over WebSocket through a third client library: nats-py with its aiohttp WebSocket
//! transport runs tests/scripts/ws_nats_py.py against natrium's `ws://` listener beside a
//! nats-py TCP client: a publish each way (with headers), request/reply each way, a 256 KiB
//! payload, a queue group split across the two transports. /connz lists the closed WebSocket
//! client as Go's `type: websocket`, `lang: python3`.
//!
//! The interpreter is the one of `target/python-venv`, made by scripts/python-env (pinned
//! nats-py and aiohttp); the test runs that script, instant when the venv is ready.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use natrium_tests::child::run_bounded;
use natrium_tests::websocket::websocket_port;
use natrium_tests::{ServerProcess, http_json, workspace_root};

/// How long scripts/python-env may take (creating the venv runs pip).
const VENV_TIMEOUT: Duration = Duration::from_secs(600);
/// The script bounds itself at 20 s; this is the backstop.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(25);

fn python() -> PathBuf {
    let root = workspace_root();
    let mut command = Command::new(root.join("scripts").join("python-env"));
    command.current_dir(&root);
    let setup = run_bounded(command, VENV_TIMEOUT);
    assert!(
        setup.status.success(),
        "scripts/python-env failed ({}):\n{}",
        setup.status,
        setup.stderr
    );
    let interpreter = PathBuf::from(setup.stdout.lines().last().unwrap_or_default().trim());
    assert!(interpreter.is_file(), "{}\n{}", setup.stdout, setup.stderr);
    interpreter
}

#[test]
fn nats_py_over_websocket() {
    let python = python();
    let config = "websocket {\n  host: 127.0.0.1\n  port: -1\n  no_tls: true\n}\n";
    let server = ServerProcess::start_with_config(config, &["-m", "-1"]);
    let ws_url = format!("ws://127.0.0.1:{}", websocket_port(&server));
    let script = workspace_root()
        .join("tests")
        .join("scripts")
        .join("ws_nats_py.py");
    let mut command = Command::new(python);
    command
        .arg(&script)
        .arg(&ws_url)
        .arg(server.url())
        // No __pycache__ next to the checked-in script.
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let finished = run_bounded(command, SCENARIO_TIMEOUT);
    assert!(
        finished.status.success() && finished.stdout.trim() == "ok",
        "nats-py over WebSocket failed ({})\nstdout:\n{}\nstderr:\n{}\nserver log:\n{}",
        finished.status,
        finished.stdout,
        finished.stderr,
        server.log_text()
    );
    let closed = http_json(server.monitor_port.expect("monitor"), "/connz?state=closed");
    let entry = closed["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .find(|c| c["name"] == "nats-py-ws")
        .unwrap_or_else(|| panic!("the ws client among the closed: {closed}"))
        .clone();
    assert_eq!(entry["type"], "websocket", "{entry}");
    assert_eq!(entry["lang"], "python3", "{entry}");
}
