//! The client listener: accepts TCP connections, hands each to the transport (plain TCP or
//! TLS) and then to a protocol front-end, on its own task, until the server leaves the
//! `Running` phase. A transport step the front-end does not perform itself after its greeting
//! (see `Frontend::upgrades_after_greeting`) is performed here, before the front-end starts.
//!
//! Bounds: at most `tasks_max` connection tasks exist at once (a semaphore permit per task);
//! past that, new connections are closed at once. The NATS front-end enforces the configured
//! `max_connections` itself (it answers `-ERR 'maximum connections exceeded'`), so the bound
//! here sits above it with headroom for those refusals.

use std::sync::Arc;
use std::time::Duration;

use natrium_router::plugin::Transport;
use natrium_router::{Frontend, PeerInfo, PhaseWatch, ServerPhase};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;

/// Connection tasks allowed above the front-end's own `max_connections`, so that refused
/// clients still get the protocol's error message.
pub const TASKS_HEADROOM: usize = 1024;
/// The task bound when `max_connections` is 0 (unlimited), far above what one process's file
/// descriptors allow.
pub const TASKS_MAX_UNLIMITED: usize = 1 << 20;
/// Pause after an accept error (out of file descriptors, ...), growing to the maximum, as the
/// Go server backs off.
const ACCEPT_BACKOFF_MIN_MS: u64 = 10;
const ACCEPT_BACKOFF_MAX_MS: u64 = 1000;

/// The connection-task bound for a front-end `max_connections` (0 = unlimited).
pub fn tasks_max(max_connections: u32) -> usize {
    match usize::try_from(max_connections) {
        Ok(0) | Err(_) => TASKS_MAX_UNLIMITED,
        Ok(max) => max.saturating_add(TASKS_HEADROOM),
    }
}

/// Accepts connections until `stop` fires (or is dropped) or `phase` leaves `Running`, then
/// drops the listener (no new connection is accepted after that) and returns the live
/// connection tasks.
pub async fn accept_loop(
    listener: TcpListener,
    transport: Arc<dyn Transport>,
    frontend: Arc<dyn Frontend>,
    mut phase: PhaseWatch,
    mut stop: oneshot::Receiver<()>,
    tasks_max: usize,
) -> JoinSet<()> {
    let permits = Arc::new(Semaphore::new(tasks_max));
    let mut tasks = JoinSet::new();
    let mut backoff_ms = ACCEPT_BACKOFF_MIN_MS;
    loop {
        if *phase.borrow_and_update() != ServerPhase::Running {
            break;
        }
        tokio::select! {
            biased;
            _ = &mut stop => break,
            changed = phase.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff_ms = ACCEPT_BACKOFF_MIN_MS;
                    let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                        tracing::warn!("Too many connections ({tasks_max} tasks), closing new one");
                        continue;
                    };
                    let frontend = Arc::clone(&frontend);
                    let transport = Arc::clone(&transport);
                    let phase = phase.clone();
                    tasks.spawn(async move {
                        serve_connection(stream, transport, frontend, phase).await;
                        drop(permit);
                    });
                }
                Err(error) => {
                    tracing::error!(
                        "Temporary Client Accept Error({error}), sleeping {backoff_ms}ms"
                    );
                    tokio::time::sleep(Duration::from_millis(backoff_ms)).await;
                    backoff_ms = (backoff_ms * 2).min(ACCEPT_BACKOFF_MAX_MS);
                }
            },
        }
    }
    tasks
}

/// Hands one accepted stream to the transport, then runs the front-end on it.
async fn serve_connection(
    stream: TcpStream,
    transport: Arc<dyn Transport>,
    frontend: Arc<dyn Frontend>,
    phase: PhaseWatch,
) {
    let (Ok(remote), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
        return;
    };
    // Small protocol lines (PING/PONG, acks) must not wait for Nagle's algorithm.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!("{remote} - could not set TCP_NODELAY: {error}");
    }
    let mut accepted = match transport.accept(Box::new(stream)).await {
        Ok(accepted) => accepted,
        Err(error) => {
            log_transport_error(transport.name(), remote, &error);
            return;
        }
    };
    if accepted.pending.is_some() && !frontend.upgrades_after_greeting() {
        accepted = match accepted.upgrade().await {
            Ok(upgraded) => upgraded,
            Err(error) => {
                log_transport_error(transport.name(), remote, &error);
                return;
            }
        };
    }
    frontend
        .serve(accepted, PeerInfo { remote, local }, phase)
        .await;
}

/// A failed handshake is the client's (or a probe's) business: logged as the Go server does,
/// at error level for TLS and WebSocket.
fn log_transport_error(name: &str, remote: std::net::SocketAddr, error: &std::io::Error) {
    if name == "tls" {
        tracing::error!("{remote} - TLS handshake error: {error}");
    } else if name == "websocket" {
        // The transport's message starts with Go's "websocket handshake error:" (or says
        // which TLS step failed on a wss port).
        tracing::error!("{remote} - {error}");
    } else {
        tracing::debug!("{remote} - {name} transport error: {error}");
    }
}

/// Waits for connection tasks to end, up to `timeout`, then aborts the rest. Returns how many
/// had to be aborted.
pub async fn drain(mut tasks: JoinSet<()>, timeout: Duration) -> usize {
    let waited = tokio::time::timeout(timeout, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if waited.is_ok() {
        return 0;
    }
    let left = tasks.len();
    tasks.shutdown().await;
    left
}

#[cfg(test)]
mod tests {
    use super::*;
    use natrium_router::ByteStream;
    use natrium_router::plugin::BoxFuture;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::watch;

    /// Echoes one line back, then waits for the server to stop.
    struct EchoUntilStop;

    impl Frontend for EchoUntilStop {
        fn name(&self) -> &'static str {
            "echo"
        }

        fn serve(
            self: Arc<Self>,
            connection: natrium_router::Accepted,
            _peer: PeerInfo,
            mut phase: PhaseWatch,
        ) -> BoxFuture<'static, ()> {
            Box::pin(async move {
                let mut stream: ByteStream = connection.stream;
                let mut buffer = [0_u8; 16];
                let read = stream.read(&mut buffer).await.unwrap_or(0);
                let _ = stream
                    .write_all(buffer.get(..read).unwrap_or_default())
                    .await;
                let _ = phase
                    .wait_for(|phase| *phase == ServerPhase::Stopping)
                    .await;
                let _ = stream.write_all(b"bye").await;
            })
        }
    }

    /// A running accept loop over `EchoUntilStop`, and a client that has had its echo.
    struct Running {
        address: std::net::SocketAddr,
        phase: watch::Sender<ServerPhase>,
        stop: oneshot::Sender<()>,
        accept: tokio::task::JoinHandle<JoinSet<()>>,
        client: TcpStream,
    }

    async fn start_with_one_client() -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (phase, phase_receiver) = watch::channel(ServerPhase::Running);
        let (stop, stop_receiver) = oneshot::channel();
        let accept = tokio::spawn(accept_loop(
            listener,
            Arc::new(natrium_router::plugin::PlainTransport),
            Arc::new(EchoUntilStop),
            phase_receiver,
            stop_receiver,
            8,
        ));
        let mut client = TcpStream::connect(address).await.expect("connect");
        client.write_all(b"hello").await.expect("write");
        let mut echoed = [0_u8; 5];
        client.read_exact(&mut echoed).await.expect("echo");
        assert_eq!(&echoed, b"hello");
        Running {
            address,
            phase,
            stop,
            accept,
            client,
        }
    }

    #[tokio::test]
    async fn serves_until_stopping_then_drains() {
        let Running {
            address,
            phase,
            stop: _stop,
            accept,
            mut client,
        } = start_with_one_client().await;
        phase.send(ServerPhase::Stopping).expect("phase");
        let tasks = accept.await.expect("accept loop ends");
        assert_eq!(drain(tasks, Duration::from_secs(5)).await, 0);
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.expect("read to end");
        assert_eq!(rest, b"bye");
        assert!(
            TcpStream::connect(address).await.is_err(),
            "listener closed"
        );
    }

    #[tokio::test]
    async fn stop_closes_the_listener_but_keeps_connections() {
        let Running {
            address,
            phase,
            stop,
            accept,
            client: _client,
        } = start_with_one_client().await;
        stop.send(()).expect("stop accepting");
        let tasks = accept.await.expect("accept loop ends");
        assert_eq!(tasks.len(), 1, "the open connection lives on");
        phase.send(ServerPhase::LameDuck).expect("phase");
        assert!(
            TcpStream::connect(address).await.is_err(),
            "no new connections"
        );
        phase.send(ServerPhase::Stopping).expect("phase");
        assert_eq!(drain(tasks, Duration::from_secs(5)).await, 0);
    }

    #[test]
    fn task_bounds() {
        assert_eq!(tasks_max(0), TASKS_MAX_UNLIMITED);
        assert_eq!(tasks_max(10), 10 + TASKS_HEADROOM);
    }
}
