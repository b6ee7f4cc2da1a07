//! Lame-duck mode (`--signal ldm=PID`): the listener closes at once, connected clients are
//! told (INFO `ldm`), and once they have moved away the server exits cleanly, well before the
//! lame-duck duration (30 s, the minimum) would have closed them.

use std::time::{Duration, Instant};

use async_nats::Event;
use natrium_tests::ServerProcess;

const CONFIG: &str = "lame_duck_grace_period: \"1s\"\nlame_duck_duration: \"30s\"\n";

// Multi-threaded: the harness blocks while waiting on the server process, and the client
// must keep running meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lame_duck_signal_drains_and_exits() {
    let mut server = ServerProcess::start_with_config(CONFIG, &[]);
    let (options, mut events) =
        natrium_tests::with_events(async_nats::ConnectOptions::new().max_reconnects(Some(1)));
    let client = options.connect(server.url()).await.expect("connect");
    natrium_tests::barrier(&client).await;

    let started = Instant::now();
    server.send_signal("ldm");
    let told = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(event) = events.recv().await {
            if matches!(event, Event::LameDuckMode) {
                return;
            }
        }
    })
    .await;
    assert!(
        told.is_ok(),
        "client saw INFO ldm; log:\n{}",
        server.log_text()
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", server.port)).is_err(),
        "no new connections in lame-duck mode"
    );
    // A real client reconnects elsewhere on LDM; this one just leaves (dropping the last
    // handle closes the connection).
    drop(client);
    let status = server
        .wait_exit(Duration::from_secs(8))
        .expect("server exits");
    assert!(status.success(), "exit status {status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "did not wait for the full duration"
    );
    let log = server.log_text();
    assert!(
        log.contains("Entering lame duck mode, stop accepting new clients"),
        "{log}"
    );
    assert!(log.contains("Server Exiting.."), "{log}");
}
