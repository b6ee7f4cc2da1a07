//! The WebSocket listener: its transport (natrium-websocket, wss through natrium-tls), the
//! Go server's start-up lines, what `/varz` reports of it, and the reload of its TLS files.
//! Clients that come through it are served by the same NATS front-end as the client port.

use std::sync::Arc;

use anyhow::Context as _;
use natrium_websocket::{WebSocketSettings, WebSocketTransport};
use tokio::net::TcpListener;

use crate::monitor::WebSocketDescription;
use crate::settings::{Settings, join_host_port};

/// The host Go listens on when `websocket {}` names none.
const HOST_DEFAULT: &str = "0.0.0.0";

/// A bound WebSocket listener and its transport.
pub struct WebSocketListener {
    pub listener: TcpListener,
    pub transport: Arc<WebSocketTransport>,
    pub port: u16,
}

/// The configured listener's settings, with the frame limit taken from the server's limits;
/// `None` when there is no `websocket {}` block or it has no port (Go starts no listener).
pub fn configured(settings: &Settings) -> Option<WebSocketSettings> {
    let mut websocket = settings.websocket.clone()?;
    websocket.port?;
    websocket.frame_payload_max = WebSocketSettings::frame_payload_max_for(
        settings.nats.max_payload,
        settings.nats.max_control_line,
    );
    Some(websocket)
}

/// Builds the transport (reading the TLS files) and binds the port; an error stops the start.
pub async fn bind(websocket: &WebSocketSettings) -> anyhow::Result<WebSocketListener> {
    let transport =
        Arc::new(WebSocketTransport::new(websocket).context("websocket configuration")?);
    let host = websocket.host.as_deref().unwrap_or(HOST_DEFAULT);
    let port = websocket.port.unwrap_or(0);
    let listener = TcpListener::bind((host, port)).await.with_context(|| {
        format!(
            "Unable to listen for websocket connections: {}",
            join_host_port(host, port)
        )
    })?;
    let port = listener.local_addr()?.port();
    let scheme = if websocket.tls.is_some() { "wss" } else { "ws" };
    tracing::info!(
        "Listening for websocket clients on {scheme}://{}",
        join_host_port(host, port)
    );
    if websocket.tls.is_none() {
        tracing::warn!("Websocket not configured with TLS. DO NOT USE IN PRODUCTION!");
    }
    Ok(WebSocketListener {
        listener,
        transport,
        port,
    })
}

/// What `/varz` reports (Go's `WebsocketOptsVarz`).
pub fn describe(websocket: &WebSocketSettings, port: u16) -> WebSocketDescription {
    let tls = websocket.tls.as_ref();
    WebSocketDescription {
        host: websocket
            .host
            .clone()
            .unwrap_or_else(|| HOST_DEFAULT.to_owned()),
        port,
        advertise: websocket.advertise.clone().unwrap_or_default(),
        handshake_timeout: u64::try_from(websocket.handshake_timeout().as_nanos())
            .unwrap_or(u64::MAX),
        no_tls: websocket.no_tls,
        tls_map: tls.is_some_and(|tls| tls.map_certificates),
        tls_pinned_certs: tls
            .map(|tls| tls.pinned_certs.iter().cloned().collect())
            .unwrap_or_default(),
        same_origin: websocket.origins.same_origin(),
        allowed_origins: websocket.origins.allowed_origins().to_vec(),
        compression: false,
    }
}

/// SIGHUP: re-reads the wss certificates. Other websocket changes need a restart (reported
/// by `settings::restart_needed`).
pub fn reload(
    current: Option<&WebSocketTransport>,
    fresh: Option<&WebSocketSettings>,
) -> anyhow::Result<()> {
    let (Some(transport), Some(settings)) = (current, fresh) else {
        return Ok(());
    };
    if let (Some(tls), Some(tls_settings)) = (transport.tls(), &settings.tls) {
        let mut tls_settings = tls_settings.clone();
        tls_settings.handshake_first = natrium_tls::HandshakeFirst::Always;
        tls_settings.timeout = settings.handshake_timeout();
        tls.reload(&tls_settings)
            .context("websocket TLS configuration")?;
        tracing::info!("Reloaded: websocket tls");
    }
    Ok(())
}
