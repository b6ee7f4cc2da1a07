//! A real browser over WebSocket: headless Chromium runs the nats.ws client (npm) in a page
//! served from loopback (tests/scripts/ws_browser_nats_ws.mjs, driven by puppeteer-core) and
//! talks to an async-nats client on the TCP port through natrium: request/reply both ways and
//! a publish each way. The page's origin is the one `allowed_origins` lists, so the browser's
//! `Origin` header passes the check. /connz lists the closed browser connection as Go's
//! `type: websocket`.
//!
//! scripts/browser-env installs Chromium (Debian's package, with apt-get, once) and the pinned
//! nats.ws and puppeteer-core (npm, into target/browser-env). Where Chromium cannot be
//! installed (no apt-get, no package), the test says so and returns without asserting.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use futures::StreamExt;
use natrium_tests::child::run_bounded;
use natrium_tests::websocket::websocket_port;
use natrium_tests::{ServerProcess, barrier, http_json, workspace_root};

/// How long scripts/browser-env may take: an instant when ready; the first run installs
/// Chromium and runs npm.
const SETUP_TIMEOUT: Duration = Duration::from_secs(900);
/// The scenario bounds itself at 30 s; this is the backstop.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(40);
/// scripts/browser-env's exit code for "Chromium cannot be installed here".
const NO_BROWSER: i32 = 3;

/// Chromium and the node_modules directory, or `None` (with the reason printed) when this
/// machine cannot have Chromium.
fn browser_env() -> Option<(String, PathBuf)> {
    let root = workspace_root();
    let mut command = Command::new(root.join("scripts").join("browser-env"));
    command.current_dir(&root);
    let setup = run_bounded(command, SETUP_TIMEOUT);
    if setup.status.code() == Some(NO_BROWSER) {
        eprintln!(
            "SKIPPED ws_browser_nats_ws: Chromium cannot be installed here:\n{}",
            setup.stderr
        );
        return None;
    }
    assert!(
        setup.status.success(),
        "scripts/browser-env failed ({}):\n{}",
        setup.status,
        setup.stderr
    );
    let mut lines = setup.stdout.lines().rev();
    let modules = PathBuf::from(lines.next().unwrap_or_default().trim());
    let chromium = lines.next().unwrap_or_default().trim().to_owned();
    assert!(modules.join("nats.ws").is_dir(), "{}", setup.stdout);
    Some((chromium, modules))
}

/// A loopback port free right now, for the page's HTTP server.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[tokio::test]
async fn nats_ws_in_chromium_talks_to_async_nats() {
    let Some((chromium, modules)) = browser_env() else {
        return;
    };
    let http_port = free_port();
    let config = format!(
        "websocket {{\n  host: 127.0.0.1\n  port: -1\n  no_tls: true\n  \
         allowed_origins: [\"http://127.0.0.1:{http_port}\"]\n}}\n"
    );
    let server = ServerProcess::start_with_config(&config, &["-m", "-1"]);
    let ws_port = websocket_port(&server);

    let rust = async_nats::connect(server.url()).await.expect("tcp client");
    let mut service = rust.subscribe("rust.service").await.expect("subscribe");
    let mut hello = rust.subscribe("browser.hello").await.expect("subscribe");
    barrier(&rust).await;
    let responder = tokio::spawn({
        let rust = rust.clone();
        async move {
            let request = service.next().await.expect("a request from the browser");
            let reply = request.reply.expect("reply subject");
            rust.publish(reply, "rust:pong".into())
                .await
                .expect("respond");
            rust.flush().await.expect("flush");
        }
    });
    let pusher = tokio::spawn({
        let rust = rust.clone();
        async move {
            let hello = hello.next().await.expect("the browser's hello");
            assert_eq!(hello.payload, "hello from the browser");
            let answer = rust
                .request("browser.service", "x".into())
                .await
                .expect("the browser answers");
            rust.publish("browser.inbox", "pushed from rust".into())
                .await
                .expect("publish");
            rust.flush().await.expect("flush");
            answer.payload
        }
    });

    let script = workspace_root()
        .join("tests")
        .join("scripts")
        .join("ws_browser_nats_ws.mjs");
    let mut command = Command::new("node");
    command.arg(script).args([
        chromium.as_str(),
        modules.to_str().expect("utf-8 path"),
        &ws_port.to_string(),
        &http_port.to_string(),
    ]);
    let finished = tokio::task::spawn_blocking(move || run_bounded(command, SCENARIO_TIMEOUT))
        .await
        .expect("scenario thread");
    assert!(
        finished.status.success(),
        "browser scenario failed ({}):\n{}\n{}",
        finished.status,
        finished.stdout,
        finished.stderr
    );
    let result: serde_json::Value =
        serde_json::from_str(finished.stdout.lines().last().unwrap_or_default())
            .unwrap_or_else(|error| panic!("{error}: {}\n{}", finished.stdout, finished.stderr));
    assert_eq!(
        result["answer"], "rust:pong",
        "{result}\n{}",
        finished.stderr
    );
    assert_eq!(result["pushed"], "pushed from rust", "{result}");
    assert_eq!(result["origin"], format!("http://127.0.0.1:{http_port}"));
    responder.await.expect("responder");
    let browser_answer = tokio::time::timeout(Duration::from_secs(5), pusher)
        .await
        .expect("in time")
        .expect("pusher");
    assert_eq!(browser_answer, "browser:x");

    let closed = http_json(server.monitor_port.expect("monitor"), "/connz?state=closed");
    let browser = closed["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .find(|c| c["name"] == "browser")
        .unwrap_or_else(|| panic!("the browser among the closed: {closed}"))
        .clone();
    assert_eq!(browser["type"], "websocket", "{browser}");
    assert_eq!(browser["lang"], "nats.ws", "{browser}");
}
