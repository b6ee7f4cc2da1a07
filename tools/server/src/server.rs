//! The running server: startup (banner, listeners, monitoring, PID file), the signal loop
//! (shutdown, reload, log reopen, lame-duck mode) and the shutdown sequence, with the Go
//! server's log lines.
//!
//! Phases travel to every connection task through one `watch` channel: `Running`, then
//! `LameDuck` (the listener closes; clients are told and closed over the lame-duck period),
//! then `Stopping` (connections flush and close).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use natrium_auth::Authenticator;
use natrium_nats::NatsFrontend;
use natrium_router::{Broker, Frontend, ServerPhase};
use natrium_tls::TlsSettings;
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::flags::Flags;
use crate::listener;
use crate::logging::Logger;
use crate::monitor::{self, MonitorState, ServerDescription};
use crate::settings::{self, Settings, join_host_port};
use crate::signals::PidFile;
use crate::tls;
use crate::websocket;

/// How long connections get to flush and close at shutdown before their tasks are aborted.
const SHUTDOWN_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// How long monitoring may take to finish its open HTTP requests at shutdown.
const MONITOR_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

/// What `main` hands over: settings already merged, the logger installed.
pub struct Boot {
    pub settings: Settings,
    pub flags: Flags,
    pub logger: Arc<Logger>,
    pub config_warnings: Vec<String>,
}

/// The parts of a running server that the signal loop works on.
struct Running {
    flags: Flags,
    settings: Settings,
    /// The client port's TLS transport, reloaded on SIGHUP.
    tls: Option<Arc<natrium_tls::TlsTransport>>,
    /// The WebSocket listener's transport (its wss certificates reload on SIGHUP).
    websocket: Option<Arc<natrium_websocket::WebSocketTransport>>,
    nats: Arc<NatsFrontend>,
    monitor: Option<Arc<MonitorState>>,
    logger: Arc<Logger>,
    phase: watch::Sender<ServerPhase>,
}

/// Runs the server until a shutdown signal or the end of lame-duck mode.
pub async fn run(boot: Boot) -> anyhow::Result<()> {
    let start = SystemTime::now();
    let Boot {
        settings,
        flags,
        logger,
        config_warnings,
    } = boot;
    // Before anything is announced: a signal that arrives once "Server is ready" is logged
    // must find its handler, not the default action (which kills the process).
    let signals = Signals::install()?;
    let server_id = nkeys::KeyPair::new_server().public_key();
    let server_name = settings
        .server_name
        .clone()
        .unwrap_or_else(|| server_id.clone());
    log_banner(&settings, &server_name, &server_id);
    for warning in &config_warnings {
        tracing::warn!("{warning}");
    }
    let client_transport = tls::client_transport(settings.tls.as_ref())?;
    let client_listener = bind_clients(&settings).await?;
    let client_port = client_listener.local_addr()?.port();
    let websocket_settings = websocket::configured(&settings);
    let websocket_listener = match &websocket_settings {
        Some(websocket) => Some(websocket::bind(websocket).await?),
        None => None,
    };
    let broker = Broker::new();
    let jetstream = start_jetstream(&settings, &broker, &server_name)?;
    let (phase, phase_watch) = watch::channel(ServerPhase::Running);

    let auth = Authenticator::new(settings.auth.clone()).context("invalid authorization")?;
    let auth_required = auth.auth_required();
    let options = nats_options(&settings, &server_id, &server_name, client_port);

    let mut description = describe(&settings, &options, auth_required);
    description.config_load_time = Some(start);
    description.websocket = websocket_settings
        .as_ref()
        .zip(websocket_listener.as_ref())
        .map(|(settings, bound)| websocket::describe(settings, bound.port));
    let js_monitor = jetstream
        .as_ref()
        .map(natrium_jetstream::JetStream::monitor);
    let (monitor_state, monitor_task) = start_monitor(
        &settings,
        &broker,
        (description, js_monitor),
        start,
        phase_watch.clone(),
    )
    .await?;

    let nats = NatsFrontend::new(Arc::clone(&broker), options, auth);
    let frontend: Arc<dyn Frontend> = nats.clone();
    tracing::info!(
        "Listening for client connections on {}",
        join_host_port(&settings.host, client_port)
    );
    tls::log_startup(settings.tls.as_ref());
    let _pid_file = settings
        .pid_file
        .as_deref()
        .map(PidFile::create)
        .transpose()?;
    let tasks_max = listener::tasks_max(settings.nats.max_connections);
    let (stop_accepting, accept_stop) = oneshot::channel();
    let websocket_transport = websocket_listener
        .as_ref()
        .map(|bound| Arc::clone(&bound.transport));
    let websocket_accept = websocket_listener.map(|bound| {
        let (stop, stop_receiver) = oneshot::channel();
        let task = tokio::spawn(listener::accept_loop(
            bound.listener,
            bound.transport,
            Arc::clone(&frontend),
            phase_watch.clone(),
            stop_receiver,
            tasks_max,
        ));
        (stop, task)
    });
    let accept = tokio::spawn(listener::accept_loop(
        client_listener,
        client_transport.transport,
        frontend,
        phase_watch,
        accept_stop,
        tasks_max,
    ));
    tracing::info!("Server is ready");

    let mut running = Running {
        flags,
        settings,
        tls: client_transport.tls,
        websocket: websocket_transport,
        nats,
        monitor: monitor_state,
        logger,
        phase,
    };
    let accepting = Accepting {
        stop: stop_accepting,
        task: accept,
        websocket: websocket_accept,
    };
    let tasks = running.signal_loop(signals, accepting).await?;

    shutdown(&running.phase, tasks, monitor_task).await;
    // After the connections: streams drain their writers and close their stores (checkpoints).
    drop(jetstream);
    tracing::info!("Server Exiting..");
    Ok(())
}

/// The NATS front-end's options: the configured limits plus the identity and bound port.
fn nats_options(
    settings: &Settings,
    server_id: &str,
    server_name: &str,
    port: u16,
) -> natrium_nats::NatsOptions {
    let mut options = settings.nats.clone();
    server_id.clone_into(&mut options.server_id);
    server_name.clone_into(&mut options.server_name);
    options.host.clone_from(&settings.host);
    options.port = port;
    options.jetstream = settings.jetstream;
    options
}

/// Stops every connection (flushing what is buffered), waits for them within a bound, and
/// stops monitoring.
async fn shutdown(
    phase: &watch::Sender<ServerPhase>,
    tasks: JoinSet<()>,
    monitor_task: Option<MonitorTask>,
) {
    tracing::info!("Initiating Shutdown...");
    phase.send_replace(ServerPhase::Stopping);
    let aborted = listener::drain(tasks, SHUTDOWN_DRAIN_TIMEOUT).await;
    if aborted > 0 {
        tracing::warn!("{aborted} connections did not close in time and were aborted");
    }
    if let Some(task) = monitor_task {
        // The monitor shuts down on the Stopping phase, but waits for open HTTP connections;
        // a keep-alive client must not hold the exit up. Its error is not actionable here.
        let abort = task.abort_handle();
        if tokio::time::timeout(MONITOR_SHUTDOWN_TIMEOUT, task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

fn log_banner(settings: &Settings, server_name: &str, server_id: &str) {
    // natrium names itself; the protocol version it speaks (INFO `version`) is a separate
    // line, so nobody mistakes natrium for a nats-server release.
    tracing::info!("Starting natrium v{}", env!("CARGO_PKG_VERSION"));
    tracing::info!("  Compatible with nats-server: v{}", settings.nats.version);
    tracing::info!("  Name:     {server_name}");
    tracing::info!("  ID:       {server_id}");
    if let Some(path) = &settings.config_file {
        tracing::info!("Using configuration file: {}", path.display());
    }
}

/// Starts JetStream (streams loaded from the store directory, `$JS.API` answered) when it is
/// enabled; INFO then advertises `jetstream: true`. What natrium does not serve yet is named
/// in one warning and refused with an API error when asked for, never silently ignored.
fn start_jetstream(
    settings: &Settings,
    broker: &Arc<Broker>,
    server_name: &str,
) -> anyhow::Result<Option<natrium_jetstream::JetStream>> {
    if !settings.jetstream {
        return Ok(None);
    }
    let store_dir: &PathBuf = &settings.store_dir;
    std::fs::create_dir_all(store_dir)
        .with_context(|| format!("could not create store directory {}", store_dir.display()))?;
    let sync = match settings.jetstream_sync {
        natrium_config::JetStreamSync::Always => natrium_jetstream::SyncPolicy::Always,
        natrium_config::JetStreamSync::Interval(interval) => {
            natrium_jetstream::SyncPolicy::Interval {
                interval_ms: u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
            }
        }
    };
    let options = natrium_jetstream::JetStreamOptions {
        store_dir: store_dir.clone(),
        sync,
        max_memory: settings.jetstream_max_memory,
        max_file: settings.jetstream_max_file,
        server_name: server_name.to_owned(),
        strict: settings.jetstream_strict,
    };
    let jetstream = natrium_jetstream::JetStream::start(Arc::clone(broker), options)
        .with_context(|| format!("could not start JetStream in {}", store_dir.display()))?;
    tracing::info!(
        "Starting JetStream: store directory {}, {} stream(s) loaded, sync {:?}",
        store_dir.display(),
        jetstream.stream_count(),
        sync
    );
    tracing::warn!(
        "JetStream features not served yet (refused with an API error when asked for): \
         snapshots and restore, external sources, replay original, rate limits, \
         priority groups, Nats-TTL: never"
    );
    Ok(Some(jetstream))
}

async fn bind_clients(settings: &Settings) -> anyhow::Result<TcpListener> {
    let port = Settings::bind_port(settings.port)?;
    TcpListener::bind((settings.host.as_str(), port))
        .await
        .with_context(|| {
            format!(
                "Error listening on port: {}",
                join_host_port(&settings.host, port)
            )
        })
}

/// What monitoring reports about the server.
fn describe(
    settings: &Settings,
    options: &natrium_nats::NatsOptions,
    auth_required: bool,
) -> ServerDescription {
    ServerDescription {
        server_id: options.server_id.clone(),
        server_name: options.server_name.clone(),
        version: options.version.clone(),
        host: options.host.clone(),
        port: options.port,
        http_host: settings.monitor_host().to_owned(),
        http_port: 0,
        auth_required,
        max_connections: options.max_connections,
        max_subscriptions: options.max_subscriptions,
        max_payload: options.max_payload,
        max_control_line: options.max_control_line,
        max_pending: options.max_pending,
        ping_interval: options.ping_interval,
        ping_max: options.ping_max,
        auth_timeout: settings.auth.timeout.unwrap_or(options.auth_timeout),
        write_deadline: options.write_deadline,
        config_load_time: None,
        tls_required: settings.tls.as_ref().is_some_and(|tls| !tls.allow_non_tls),
        tls_verify: settings.tls.as_ref().is_some_and(TlsSettings::verifies),
        tls_timeout: settings
            .tls
            .as_ref()
            .map_or(natrium_tls::TIMEOUT_DEFAULT, TlsSettings::timeout),
        websocket: None,
    }
}

type MonitorTask = JoinHandle<std::io::Result<()>>;

/// Binds and starts monitoring when an HTTP port is configured.
async fn start_monitor(
    settings: &Settings,
    broker: &Arc<Broker>,
    (mut description, jetstream): (
        ServerDescription,
        Option<natrium_jetstream::JetStreamMonitor>,
    ),
    start: SystemTime,
    mut phase: watch::Receiver<ServerPhase>,
) -> anyhow::Result<(Option<Arc<MonitorState>>, Option<MonitorTask>)> {
    if settings.http_port == 0 {
        return Ok((None, None));
    }
    let host = settings.monitor_host();
    let port = Settings::bind_port(settings.http_port)?;
    let listener = monitor::bind(host, port).await.with_context(|| {
        format!(
            "can't listen to the monitor port: {}",
            join_host_port(host, port)
        )
    })?;
    let bound_port = listener.local_addr()?.port();
    description.http_port = bound_port;
    tracing::info!(
        "Starting http monitor on {}",
        join_host_port(host, bound_port)
    );
    let state = Arc::new(MonitorState::new(
        Arc::clone(broker),
        description,
        start,
        jetstream,
    ));
    let shutdown = async move {
        let _ = phase
            .wait_for(|phase| *phase == ServerPhase::Stopping)
            .await;
    };
    let task = tokio::spawn(monitor::serve(listener, Arc::clone(&state), shutdown));
    Ok((Some(state), Some(task)))
}

/// The signals the server reacts to.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
    user1: Signal,
    user2: Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            user1: signal(SignalKind::user_defined1())?,
            user2: signal(SignalKind::user_defined2())?,
        })
    }
}

/// The accept loops (client port, and the WebSocket port when configured) and the switches
/// that stop them.
struct Accepting {
    stop: oneshot::Sender<()>,
    task: JoinHandle<JoinSet<()>>,
    websocket: Option<(oneshot::Sender<()>, JoinHandle<JoinSet<()>>)>,
}

impl Accepting {
    /// Stops accepting (the listeners are closed when this returns) and hands back the live
    /// connection tasks of both.
    async fn close(self) -> JoinSet<()> {
        // A loop may have ended already (phase change); then there is nothing to stop.
        let _ = self.stop.send(());
        let websocket = match self.websocket {
            Some((stop, task)) => {
                let _ = stop.send(());
                Some(task.await.unwrap_or_default())
            }
            None => None,
        };
        let mut tasks = self.task.await.unwrap_or_default();
        if let Some(mut websocket) = websocket.filter(|tasks| !tasks.is_empty()) {
            // One set to drain: a task that waits for the WebSocket connections. Aborting it
            // (a drain that timed out) drops their set, which aborts them too.
            tasks.spawn(async move { while websocket.join_next().await.is_some() {} });
        }
        tasks
    }
}

/// Lame-duck progress: the connections left and the two deadlines.
struct LameDuck {
    tasks: JoinSet<()>,
    grace_end: Instant,
    end: Instant,
    grace_logged: bool,
}

impl Running {
    /// Reacts to signals until the server must stop; returns the connection tasks to drain.
    async fn signal_loop(
        &mut self,
        mut signals: Signals,
        accepting: Accepting,
    ) -> anyhow::Result<JoinSet<()>> {
        let mut accept = Some(accepting);
        let mut lame_duck: Option<LameDuck> = None;
        loop {
            let in_lame_duck = lame_duck.is_some();
            let far = Instant::now() + Duration::from_secs(86_400);
            let (grace_end, end) = lame_duck
                .as_ref()
                .map_or((far, far), |ldm| (ldm.grace_end, ldm.end));
            let grace_pending = lame_duck.as_ref().is_some_and(|ldm| !ldm.grace_logged);
            tokio::select! {
                _ = signals.interrupt.recv() => {
                    tracing::info!("Trapped \"interrupt\" signal");
                    break;
                }
                _ = signals.terminate.recv() => {
                    tracing::info!("Trapped \"terminated\" signal");
                    // As in Go, SIGTERM does not cut a lame-duck shutdown short.
                    if !in_lame_duck {
                        break;
                    }
                }
                _ = signals.hangup.recv() => {
                    tracing::info!("Trapped \"hangup\" signal");
                    if let Err(error) = self.reload() {
                        tracing::error!("Failed to reload server configuration: {error:#}");
                    }
                }
                _ = signals.user1.recv() => {
                    tracing::info!("Trapped \"user defined signal 1\" signal");
                    self.reopen_log();
                }
                _ = signals.user2.recv() => {
                    tracing::info!("Trapped \"user defined signal 2\" signal");
                    if let Some(accept) = accept.take() {
                        let ldm = self.enter_lame_duck(accept).await;
                        if ldm.tasks.is_empty() {
                            break;
                        }
                        lame_duck = Some(ldm);
                    }
                }
                Some(_) = join_next(&mut lame_duck), if in_lame_duck => {
                    if lame_duck.as_ref().is_some_and(|ldm| ldm.tasks.is_empty()) {
                        break;
                    }
                }
                () = tokio::time::sleep_until(grace_end), if grace_pending => {
                    tracing::info!("Closing existing clients");
                    if let Some(ldm) = lame_duck.as_mut() {
                        ldm.grace_logged = true;
                    }
                }
                () = tokio::time::sleep_until(end), if in_lame_duck => break,
            }
        }
        self.phase.send_replace(ServerPhase::Stopping);
        if let Some(ldm) = lame_duck {
            return Ok(ldm.tasks);
        }
        match accept {
            Some(accepting) => Ok(accepting.close().await),
            None => Ok(JoinSet::new()),
        }
    }

    /// SIGUSR1: reopens the log file after a rotation moved it away.
    fn reopen_log(&self) {
        match self.logger.reopen() {
            Ok(true) => tracing::info!("File log re-opened"),
            Ok(false) => tracing::info!("File log re-open ignored, not a file logger"),
            Err(error) => tracing::error!("Failed to reopen the log file: {error}"),
        }
    }

    /// Enters lame-duck mode: the listener closes, then connected clients are told (the NATS
    /// front-end sends INFO with `ldm`, so a client that hears it finds the listener already
    /// gone); they are closed over the lame-duck period.
    async fn enter_lame_duck(&self, accepting: Accepting) -> LameDuck {
        tracing::info!("Entering lame duck mode, stop accepting new clients");
        let tasks = accepting.close().await;
        self.phase.send_replace(ServerPhase::LameDuck);
        let now = Instant::now();
        let grace = self.settings.nats.lame_duck_grace_period;
        let duration = self.settings.nats.lame_duck_duration.max(grace);
        LameDuck {
            tasks,
            grace_end: now + grace,
            end: now + duration,
            grace_logged: false,
        }
    }

    /// SIGHUP: re-reads the configuration file and applies what can change at runtime
    /// (authorization, log levels); other changes are reported as needing a restart.
    fn reload(&mut self) -> anyhow::Result<()> {
        let (fresh, warnings) = settings::load(&self.flags)?;
        for warning in &warnings {
            tracing::warn!("{warning}");
        }
        let auth = Authenticator::new(fresh.auth.clone()).context("invalid authorization")?;
        let auth_required = auth.auth_required();
        // First, as it may fail: a reload that cannot read its certificates changes nothing.
        tls::reload(self.tls.as_deref(), fresh.tls.as_ref())?;
        websocket::reload(self.websocket.as_deref(), fresh.websocket.as_ref())?;
        if fresh.auth != self.settings.auth {
            self.nats.reload_auth(auth);
            tracing::info!("Reloaded: authorization");
        }
        if (fresh.debug, fresh.trace) != (self.settings.debug, self.settings.trace) {
            self.logger.set_levels(fresh.debug, fresh.trace);
            tracing::info!("Reloaded: debug = {}, trace = {}", fresh.debug, fresh.trace);
        }
        for name in settings::restart_needed(&self.settings, &fresh) {
            tracing::warn!("Reload: a change of {name} takes effect after a restart");
        }
        if let Some(monitor) = &self.monitor {
            monitor.update(|description| {
                description.auth_required = auth_required;
                description.tls_verify = fresh.tls.as_ref().is_some_and(TlsSettings::verifies);
                description.tls_required = fresh.tls.as_ref().is_some_and(|tls| !tls.allow_non_tls);
                description.config_load_time = Some(SystemTime::now());
            });
        }
        settings::apply_reloadable(&mut self.settings, fresh);
        tracing::info!("Reloaded server configuration");
        Ok(())
    }
}

/// The next finished connection task in lame-duck mode (never resolves outside it).
async fn join_next(lame_duck: &mut Option<LameDuck>) -> Option<()> {
    match lame_duck {
        Some(ldm) => ldm.tasks.join_next().await.map(|_| ()),
        None => std::future::pending().await,
    }
}
