//! Lame-duck mode is not cut short by SIGTERM (as in nats-server), but SIGINT (`--signal
//! quit`) still stops the server at once: its clients are closed and it exits 0.

use std::time::Duration;

use async_nats::Event;
use natrium_tests::ServerProcess;
use tokio::sync::mpsc;

const CONFIG: &str = "lame_duck_grace_period: \"20s\"\nlame_duck_duration: \"30s\"\n";

async fn wait_for(events: &mut mpsc::UnboundedReceiver<Event>, wanted: Event) {
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(event) = events.recv().await {
            if std::mem::discriminant(&event) == std::mem::discriminant(&wanted) {
                return;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no {wanted} event");
}

// Multi-threaded: the harness blocks while waiting on the server process, and the client
// must keep running meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn term_is_ignored_in_lame_duck_but_quit_stops() {
    let mut server = ServerProcess::start_with_config(CONFIG, &[]);
    let (options, mut events) =
        natrium_tests::with_events(async_nats::ConnectOptions::new().max_reconnects(Some(1)));
    let client = options.connect(server.url()).await.expect("connect");
    natrium_tests::barrier(&client).await;

    server.send_signal("ldm");
    wait_for(&mut events, Event::LameDuckMode).await;
    server.send_signal("term");
    let trapped = server.wait_for_log("Trapped \"terminated\" signal", Duration::from_secs(5));
    assert!(trapped.is_some(), "log:\n{}", server.log_text());
    natrium_tests::barrier(&client).await;
    assert!(
        server.wait_exit(Duration::from_millis(300)).is_none(),
        "SIGTERM ignored in LDM"
    );

    server.send_signal("quit");
    let status = server
        .wait_exit(Duration::from_secs(8))
        .expect("server exits");
    assert!(status.success(), "{status:?}; log:\n{}", server.log_text());
    wait_for(&mut events, Event::Disconnected).await;
}
