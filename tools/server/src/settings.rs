//! The server's effective settings: defaults, then the configuration file, then flags (flags
//! win, as in nats-server), and what each part of the server is built from them.

use std::path::PathBuf;

use natrium_auth::{AuthConfig, UserConfig};
use natrium_config::ServerConfig;
use natrium_nats::NatsOptions;
use natrium_tls::TlsSettings;

use crate::flags::Flags;

/// The client port nats-server listens on by default.
pub const PORT_DEFAULT: i32 = 4222;
/// A port of -1 asks for any free port (nats-server's `RANDOM_PORT`).
pub const PORT_RANDOM: i32 = -1;
/// Where JetStream keeps its streams when no `store_dir` is given.
pub const STORE_DIR_DEFAULT: &str = "./data";

/// Everything the binary needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    /// `-1` for a random free port.
    pub port: i32,
    pub server_name: Option<String>,
    /// The monitoring host; the client host when `None`.
    pub http_host: Option<String>,
    /// `0` disables monitoring; `-1` picks a random free port.
    pub http_port: i32,
    pub jetstream: bool,
    /// `jetstream { sync_interval }`: `Always` (natrium's default: a PubAck means the message
    /// is fsynced) or an interval (Go's behaviour, `sync_interval: 2m`).
    pub jetstream_sync: natrium_config::JetStreamSync,
    /// `jetstream { strict }`: API requests with fields Go does not know are refused (10025)
    /// instead of ignored.
    pub jetstream_strict: bool,
    /// `jetstream { max_memory_store, max_file_store }`: the account's byte limits.
    pub jetstream_max_memory: Option<u64>,
    pub jetstream_max_file: Option<u64>,
    pub store_dir: PathBuf,
    pub debug: bool,
    pub trace: bool,
    pub log_file: Option<PathBuf>,
    /// Timestamps on log lines.
    pub logtime: bool,
    pub pid_file: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
    /// Limits and timers of the NATS front-end (ids, host and port are filled at start).
    pub nats: NatsOptions,
    pub auth: AuthConfig,
    /// TLS on the client port (`tls {}`, `allow_non_tls`, `--tls*`); `None` is plain TCP.
    pub tls: Option<TlsSettings>,
    /// The top-level `allow_non_tls` (copied into `tls` once flags are applied).
    pub allow_non_tls: bool,
    /// `websocket {}`: a second listener serving NATS over WebSocket (when it has a port).
    pub websocket: Option<natrium_websocket::WebSocketSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            host: "0.0.0.0".to_owned(),
            port: PORT_DEFAULT,
            server_name: None,
            http_host: None,
            http_port: 0,
            jetstream: true,
            jetstream_sync: natrium_config::JetStreamSync::Always,
            jetstream_max_memory: None,
            jetstream_max_file: None,
            jetstream_strict: false,
            store_dir: PathBuf::from(STORE_DIR_DEFAULT),
            debug: false,
            trace: false,
            log_file: None,
            logtime: true,
            pid_file: None,
            config_file: None,
            nats: NatsOptions::default(),
            auth: AuthConfig::default(),
            tls: None,
            allow_non_tls: false,
            websocket: None,
        }
    }
}

impl Settings {
    /// Applies the command-line flags over the current values.
    pub fn apply_flags(&mut self, flags: &Flags) {
        if let Some(host) = &flags.host {
            self.host.clone_from(host);
        }
        if let Some(port) = flags.port {
            // As in nats-server, 0 means "the default port"; -1 asks for a random one.
            self.port = if port == 0 { PORT_DEFAULT } else { port };
        }
        if let Some(name) = &flags.server_name {
            self.server_name = Some(name.clone());
        }
        if let Some(http_port) = flags.http_port {
            self.http_port = http_port;
        }
        if let Some(jetstream) = flags.jetstream {
            self.jetstream = jetstream;
        }
        if let Some(store_dir) = &flags.store_dir {
            self.store_dir.clone_from(store_dir);
        }
        if let Some(debug) = flags.debug {
            self.debug = debug;
        }
        if let Some(trace) = flags.trace {
            self.trace = trace;
        }
        if let Some(log_file) = &flags.log_file {
            self.log_file = Some(log_file.clone());
        }
        if let Some(logtime) = flags.logtime {
            self.logtime = logtime;
        }
        if let Some(pid_file) = &flags.pid_file {
            self.pid_file = Some(pid_file.clone());
        }
        self.apply_auth_flags(flags);
    }

    /// `--user`/`--pass` replace the configured users with that one user; `--auth` sets the
    /// token.
    fn apply_auth_flags(&mut self, flags: &Flags) {
        if flags.user.is_some() || flags.password.is_some() {
            let existing = self.auth.users.first().cloned().unwrap_or_default();
            self.auth.users = vec![UserConfig {
                user: flags.user.clone().unwrap_or(existing.user),
                password: flags.password.clone().unwrap_or(existing.password),
                permissions: existing.permissions,
            }];
        }
        if let Some(token) = &flags.token {
            self.auth.token = Some(token.clone());
        }
    }

    /// The port to bind: 0 (any free port) for `-1`.
    pub fn bind_port(port: i32) -> anyhow::Result<u16> {
        if port == PORT_RANDOM {
            return Ok(0);
        }
        u16::try_from(port).map_err(|_| anyhow::anyhow!("invalid port {port}"))
    }

    /// The monitoring host: `http_host`, else the client host.
    pub fn monitor_host(&self) -> &str {
        self.http_host.as_deref().unwrap_or(&self.host)
    }
}

/// Loads the effective settings: defaults, then the configuration file named by `-c` (if
/// any), then the flags. Returns the configuration file's warnings (unknown keys, ...).
pub fn load(flags: &Flags) -> anyhow::Result<(Settings, Vec<String>)> {
    let mut settings = Settings::default();
    let mut warnings = Vec::new();
    if let Some(path) = &flags.config {
        let options = natrium_config::LoadOptions {
            ignore_unsupported: flags.ignore_unsupported.clone(),
        };
        options.validate().map_err(anyhow::Error::msg)?;
        let loaded = natrium_config::load_with_options(path, &options)?;
        settings.apply_config(loaded.config);
        warnings = loaded.warnings;
        settings.config_file = Some(path.clone());
    }
    settings.apply_flags(flags);
    settings.apply_tls_flags(flags)?;
    settings.derive_from_tls();
    // Checked here so that `-t` and a reload refuse what the server could not start with.
    if let Some(tls) = &settings.tls {
        natrium_tls::check(tls).map_err(|error| anyhow::anyhow!("TLS configuration: {error}"))?;
    }
    if let Some(tls) = settings
        .websocket
        .as_ref()
        .and_then(|ws| ws.port.and(ws.tls.as_ref()))
    {
        natrium_tls::check(tls)
            .map_err(|error| anyhow::anyhow!("websocket TLS configuration: {error}"))?;
    }
    natrium_auth::Authenticator::new(settings.auth.clone())
        .map_err(|error| anyhow::anyhow!("invalid authorization: {error}"))?;
    Ok((settings, warnings))
}

impl Settings {
    /// The `--tls*` flags, as nats-server reads them: `--tls=false` turns TLS off; any other
    /// `--tls*` flag replaces the configured certificate, key, CA and verification (and the
    /// suite and version choices, with Go's defaults), keeping the rest of the `tls` block.
    fn apply_tls_flags(&mut self, flags: &Flags) -> anyhow::Result<()> {
        if flags.tls == Some(false) {
            self.tls = None;
            return Ok(());
        }
        let any = flags.tls.is_some()
            || flags.tls_verify.is_some()
            || flags.tls_cert.is_some()
            || flags.tls_key.is_some()
            || flags.tls_ca_cert.is_some();
        if !any {
            return Ok(());
        }
        let cert_file = flags
            .tls_cert
            .clone()
            .ok_or_else(|| anyhow::anyhow!("TLS Server certificate must be present and valid"))?;
        let key_file = flags
            .tls_key
            .clone()
            .ok_or_else(|| anyhow::anyhow!("TLS Server private key must be present and valid"))?;
        let base = self.tls.take().unwrap_or_default();
        self.tls = Some(TlsSettings {
            cert_file,
            key_file,
            ca_file: flags.tls_ca_cert.clone(),
            verify: flags.tls_verify.unwrap_or(false),
            cipher_suites: Vec::new(),
            min_version: natrium_tls::TlsVersion::default(),
            ..base
        });
        Ok(())
    }

    /// What TLS settles elsewhere, as in Go: `allow_non_tls` joins the TLS settings,
    /// `verify_and_map` makes certificates name users, and without a configured
    /// authorization timeout a client gets the TLS timeout plus one second to send CONNECT.
    fn derive_from_tls(&mut self) {
        let Some(tls) = &mut self.tls else {
            return;
        };
        tls.allow_non_tls = self.allow_non_tls;
        self.auth.map_certificates = tls.map_certificates;
        if self.auth.timeout.is_none() {
            self.nats.auth_timeout = tls.timeout() + std::time::Duration::from_secs(1);
        }
    }
}

/// A configured port: `Some(0)` is Go's random port (`-1`).
fn config_port(port: u16) -> i32 {
    if port == 0 {
        PORT_RANDOM
    } else {
        i32::from(port)
    }
}

impl Settings {
    /// Applies the configuration file's values over the defaults.
    fn apply_config(&mut self, config: ServerConfig) {
        let set = |target: &mut Option<String>, value: Option<String>| {
            if value.is_some() {
                *target = value;
            }
        };
        if let Some(host) = config.host {
            self.host = host;
        }
        if let Some(port) = config.port {
            self.port = config_port(port);
        }
        set(&mut self.server_name, config.server_name);
        set(&mut self.http_host, config.http_host);
        if let Some(port) = config.http_port {
            self.http_port = config_port(port);
        }
        if let Some(jetstream) = config.jetstream {
            self.jetstream = jetstream.enabled;
            if let Some(store_dir) = jetstream.store_dir {
                self.store_dir = store_dir;
            }
            if let Some(sync) = jetstream.sync {
                self.jetstream_sync = sync;
            }
            self.jetstream_max_memory = jetstream.max_memory_store.or(self.jetstream_max_memory);
            self.jetstream_max_file = jetstream.max_file_store.or(self.jetstream_max_file);
            self.jetstream_strict = jetstream.strict.unwrap_or(self.jetstream_strict);
        }
        self.debug = config.debug.unwrap_or(self.debug);
        self.trace = config.trace.unwrap_or(self.trace);
        self.log_file = config.log_file.or(self.log_file.take());
        self.logtime = config.logtime.unwrap_or(self.logtime);
        self.pid_file = config.pid_file.or(self.pid_file.take());
        self.tls = config.tls;
        self.allow_non_tls = config.allow_non_tls.unwrap_or(false);
        self.websocket = config.websocket;
        if let Some(auth) = config.auth {
            if let Some(timeout) = auth.timeout {
                self.nats.auth_timeout = timeout;
            }
            self.auth = auth;
        }
        let nats = &mut self.nats;
        nats.max_payload = config.max_payload.unwrap_or(nats.max_payload);
        nats.max_pending = config.max_pending.unwrap_or(nats.max_pending);
        nats.max_control_line = config.max_control_line.unwrap_or(nats.max_control_line);
        nats.max_connections = config.max_connections.unwrap_or(nats.max_connections);
        nats.max_subscriptions = config.max_subscriptions.unwrap_or(nats.max_subscriptions);
        nats.ping_interval = config.ping_interval.unwrap_or(nats.ping_interval);
        nats.ping_max = config.ping_max.unwrap_or(nats.ping_max);
        nats.write_deadline = config.write_deadline.unwrap_or(nats.write_deadline);
        nats.lame_duck_duration = config.lame_duck_duration.unwrap_or(nats.lame_duck_duration);
        nats.lame_duck_grace_period = config
            .lame_duck_grace_period
            .unwrap_or(nats.lame_duck_grace_period);
    }
}

/// The settings whose change a reload cannot apply (listeners, limits baked into the
/// front-end at start), by their configuration names.
pub fn restart_needed(current: &Settings, fresh: &Settings) -> Vec<&'static str> {
    let (old, new) = (&current.nats, &fresh.nats);
    let checks = [
        ("host", current.host != fresh.host),
        ("port", current.port != fresh.port),
        ("server_name", current.server_name != fresh.server_name),
        ("http_port", current.http_port != fresh.http_port),
        ("jetstream", current.jetstream != fresh.jetstream),
        ("store_dir", current.store_dir != fresh.store_dir),
        ("log_file", current.log_file != fresh.log_file),
        ("max_payload", old.max_payload != new.max_payload),
        (
            "max_control_line",
            old.max_control_line != new.max_control_line,
        ),
        ("max_pending", old.max_pending != new.max_pending),
        (
            "max_connections",
            old.max_connections != new.max_connections,
        ),
        (
            "max_subscriptions",
            old.max_subscriptions != new.max_subscriptions,
        ),
        ("ping_interval", old.ping_interval != new.ping_interval),
        ("ping_max", old.ping_max != new.ping_max),
        ("write_deadline", old.write_deadline != new.write_deadline),
        ("websocket", current.websocket != fresh.websocket),
    ];
    checks
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(name, _)| name)
        .collect()
}

/// Takes over from `fresh` what a reload applies: authorization, TLS (the server reloaded its
/// transport first), log levels and the
/// lame-duck timers (read by the server when lame-duck mode starts).
pub fn apply_reloadable(current: &mut Settings, fresh: Settings) {
    current.auth = fresh.auth;
    current.tls = fresh.tls;
    current.debug = fresh.debug;
    current.trace = fresh.trace;
    current.nats.lame_duck_grace_period = fresh.nats.lame_duck_grace_period;
    current.nats.lame_duck_duration = fresh.nats.lame_duck_duration;
}

/// `host:port`, bracketing IPv6 hosts as Go's `net.JoinHostPort` does.
pub fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_go_defaults_plus_jetstream() {
        let settings = Settings::default();
        assert_eq!((settings.host.as_str(), settings.port), ("0.0.0.0", 4222));
        assert!(settings.jetstream);
        assert_eq!(settings.store_dir, PathBuf::from("./data"));
        assert_eq!(settings.http_port, 0);
    }

    #[test]
    fn flags_override() {
        let mut settings = Settings::default();
        let flags = crate::flags::parse(["-p", "-1", "-m", "8222", "-js=false", "--user", "u"])
            .expect("flags");
        settings.apply_flags(&flags);
        assert_eq!(settings.port, -1);
        assert_eq!(Settings::bind_port(settings.port).expect("port"), 0);
        assert_eq!(settings.http_port, 8222);
        assert!(!settings.jetstream);
        assert_eq!(settings.auth.users.len(), 1);
        assert_eq!(
            settings.auth.users.first().map(|u| u.user.as_str()),
            Some("u")
        );
        assert!(Settings::bind_port(70_000).is_err());
        let mut settings = Settings::default();
        settings.apply_flags(&crate::flags::parse(["-p", "0"]).expect("flags"));
        assert_eq!(
            settings.port, PORT_DEFAULT,
            "-p 0 is the default port, as in Go"
        );
    }

    #[test]
    fn config_then_flags() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("natrium.conf");
        let text = "port: 5222\nmax_payload: 2048\nhttp_port: -1\ncluster { name: c1 }\n\
                    jetstream { store_dir: \"/tmp/x\" }\nauthorization { token: abc }\n";
        std::fs::write(&path, text).expect("write");
        let path_text = path.to_str().expect("utf-8");
        let refused = crate::flags::parse(["-c", path_text]).expect("flags");
        let error = load(&refused).expect_err("an unimplemented block without the opt-in");
        assert!(
            error.to_string().contains("\"cluster\" is not supported"),
            "{error}"
        );
        let flags = crate::flags::parse([
            "-c",
            path_text,
            "-p",
            "6222",
            "--ignore_unsupported=cluster",
        ])
        .expect("flags");
        let (settings, warnings) = load(&flags).expect("loads");
        assert_eq!(settings.port, 6222, "the flag wins");
        assert_eq!(settings.nats.max_payload, 2048);
        assert_eq!(settings.http_port, PORT_RANDOM);
        assert_eq!(settings.store_dir, PathBuf::from("/tmp/x"));
        assert_eq!(settings.auth.token.as_deref(), Some("abc"));
        assert_eq!(settings.config_file.as_deref(), Some(path.as_path()));
        assert!(
            warnings.iter().any(|warning| warning.contains("cluster")),
            "{warnings:?}"
        );
    }

    #[test]
    fn contradictory_authorization_is_refused() {
        let flags = crate::flags::parse(["--auth", "t", "--user", "u", "--pass", "p"])
            .expect("flags parse");
        let error = load(&flags).expect_err("a token and users together");
        assert!(
            error.to_string().contains("invalid authorization"),
            "{error}"
        );
    }

    #[test]
    fn reload_takes_only_reloadable_settings() {
        let mut current = Settings::default();
        let mut fresh = Settings {
            port: 1,
            debug: true,
            ..Settings::default()
        };
        fresh.auth.token = Some("new".into());
        assert_eq!(restart_needed(&current, &fresh), ["port"]);
        apply_reloadable(&mut current, fresh);
        assert_eq!(current.port, PORT_DEFAULT);
        assert!(current.debug);
        assert_eq!(current.auth.token.as_deref(), Some("new"));
    }

    #[test]
    fn host_port_joining() {
        assert_eq!(join_host_port("0.0.0.0", 4222), "0.0.0.0:4222");
        assert_eq!(join_host_port("::1", 4222), "[::1]:4222");
    }
}
