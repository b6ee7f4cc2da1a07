//! The HTTP monitoring endpoint (`-m`/`http_port`): `/varz`, `/connz`, `/subsz`, `/routez`,
//! `/healthz` and `/`, with the Go server's JSON field names and formats (pretty-printed with
//! two spaces, as Go's `json.MarshalIndent` does), as JSONP on `?callback=NAME`.
//!
//! Concurrency: handlers read the broker's atomics and registries, the [`MonitorState`]'s
//! server description behind a read-write lock (replaced on reload), and a mutex-guarded CPU
//! sampler. No lock is held across an await.

mod connz;
mod jsonp;
mod jsz;
mod process;
mod subsz;
mod varz;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use natrium_router::Broker;
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use tokio::net::TcpListener;

/// Query parameters, as given (each endpoint decodes the ones it knows).
type Params = Query<BTreeMap<String, String>>;

/// The server's description as monitoring reports it; replaced on config reload.
#[derive(Debug, Clone, Default)]
pub struct ServerDescription {
    pub server_id: String,
    pub server_name: String,
    pub version: String,
    pub host: String,
    pub port: u16,
    pub http_host: String,
    pub http_port: u16,
    pub auth_required: bool,
    pub max_connections: u32,
    pub max_subscriptions: u32,
    pub max_payload: u32,
    pub max_control_line: u32,
    pub max_pending: u64,
    pub ping_interval: Duration,
    pub ping_max: u32,
    pub auth_timeout: Duration,
    pub write_deadline: Duration,
    pub config_load_time: Option<SystemTime>,
    /// TLS on the client port, required (not merely available) and verifying clients.
    pub tls_required: bool,
    pub tls_verify: bool,
    pub tls_timeout: Duration,
    /// The WebSocket listener, when one runs (`/varz` `websocket`).
    pub websocket: Option<WebSocketDescription>,
}

/// What `/varz` reports of the WebSocket listener (Go's `WebsocketOptsVarz`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WebSocketDescription {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub host: String,
    #[serde(skip_serializing_if = "is_zero_port")]
    pub port: u16,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub advertise: String,
    /// Nanoseconds, as Go's `time.Duration`.
    #[serde(skip_serializing_if = "is_zero_nanos")]
    pub handshake_timeout: u64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_tls: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tls_map: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tls_pinned_certs: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub same_origin: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_origins: Vec<String>,
    /// Always false: natrium refuses `compression: true`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub compression: bool,
}

fn is_zero_port(port: &u16) -> bool {
    *port == 0
}

fn is_zero_nanos(nanos: &u64) -> bool {
    *nanos == 0
}

/// Everything the handlers read.
pub struct MonitorState {
    broker: Arc<Broker>,
    description: RwLock<ServerDescription>,
    start: SystemTime,
    cpu: Mutex<process::CpuSampler>,
    /// Requests per endpoint path (`http_req_stats` in `/varz`).
    requests: Mutex<BTreeMap<&'static str, u64>>,
    /// JetStream, when it runs (`/jsz`, `/varz`, `/healthz`).
    jetstream: Option<natrium_jetstream::JetStreamMonitor>,
}

impl MonitorState {
    /// State for a server started at `start`.
    pub fn new(
        broker: Arc<Broker>,
        description: ServerDescription,
        start: SystemTime,
        jetstream: Option<natrium_jetstream::JetStreamMonitor>,
    ) -> Self {
        Self {
            broker,
            description: RwLock::new(description),
            start,
            cpu: Mutex::new(process::CpuSampler::new()),
            requests: Mutex::new(BTreeMap::new()),
            jetstream,
        }
    }

    /// Replaces the description (after a config reload).
    pub fn update(&self, change: impl FnOnce(&mut ServerDescription)) {
        change(&mut self.description.write());
    }

    fn count_request(&self, path: &'static str) {
        *self.requests.lock().entry(path).or_insert(0) += 1;
    }

    fn description(&self) -> ServerDescription {
        self.description.read().clone()
    }
}

/// Binds the monitoring listener on `host:port` (port 0 picks a free one).
pub async fn bind(host: &str, port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind((host, port)).await
}

/// Serves monitoring on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<MonitorState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The endpoint table.
pub fn router(state: Arc<MonitorState>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/varz", get(varz::handle))
        .route("/connz", get(connz::handle))
        .route("/subsz", get(subsz::handle))
        .route("/subscriptionsz", get(subsz::handle))
        .route("/routez", get(routez))
        .route("/healthz", get(healthz))
        .route("/jsz", get(jsz::handle))
        .layer(axum::middleware::from_fn(jsonp::wrap))
        .with_state(state)
}

/// A JSON body, two-space indented like Go's `MarshalIndent`.
fn json_response(value: &impl Serialize) -> Response {
    match serde_json::to_string_pretty(value) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// A 400 with a plain-text reason, as the Go server answers bad query parameters.
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, self.0).into_response()
    }
}

/// Go's `strconv.ParseBool` for a query parameter; absent or empty is false.
fn query_bool(params: &BTreeMap<String, String>, name: &str) -> Result<bool, BadRequest> {
    match params.get(name).map(String::as_str) {
        None | Some("") => Ok(false),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
        Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
        Some(other) => Err(BadRequest(format!(
            "Error decoding boolean for '{name}': strconv.ParseBool: parsing {other:?}: invalid syntax"
        ))),
    }
}

/// An integer query parameter; absent or empty is 0.
fn query_int(params: &BTreeMap<String, String>, name: &str) -> Result<i64, BadRequest> {
    match params.get(name).map(String::as_str) {
        None | Some("") => Ok(0),
        Some(text) => text.parse().map_err(|_| {
            BadRequest(format!(
                "Error decoding int for '{name}': strconv.Atoi: parsing {text:?}: invalid syntax"
            ))
        }),
    }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `/healthz`: ok, unless a JetStream stream's store failed, or JetStream is off and
/// `js-enabled-only=true` asks for it (503 with Go's `unavailable` shape).
async fn healthz(State(state): State<Arc<MonitorState>>, params: Params) -> Response {
    state.count_request("/healthz");
    let js_required = match query_bool(&params, "js-enabled-only") {
        Ok(required) => required,
        Err(bad) => return bad.into_response(),
    };
    let problem = match &state.jetstream {
        None if js_required => Some("JetStream not enabled".to_owned()),
        None => None,
        Some(jetstream) => jetstream.unhealthy(),
    };
    match problem {
        None => json_response(&Health {
            status: "ok",
            status_code: None,
            error: None,
        }),
        Some(error) => {
            let body = json_response(&Health {
                status: "unavailable",
                status_code: Some(503),
                error: Some(error),
            });
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}

#[derive(Serialize)]
struct Routez {
    server_id: String,
    server_name: String,
    now: String,
    num_routes: u32,
    routes: Vec<()>,
}

/// No cluster yet: an empty route list with the Go server's shape.
async fn routez(State(state): State<Arc<MonitorState>>) -> Response {
    state.count_request("/routez");
    let description = state.description();
    json_response(&Routez {
        server_id: description.server_id,
        server_name: description.server_name,
        now: crate::timefmt::rfc3339(SystemTime::now()),
        num_routes: 0,
        routes: Vec::new(),
    })
}

/// The endpoints that exist, as links.
const ROOT_LINKS: &[(&str, &str)] = &[
    ("General", "/varz"),
    ("Connections", "/connz"),
    ("Subscriptions", "/subsz"),
    ("Routes", "/routez"),
    ("Health Probe", "/healthz"),
    ("JetStream", "/jsz"),
];

async fn root(State(state): State<Arc<MonitorState>>) -> Response {
    state.count_request("/");
    let version = state.description().version;
    let mut body = format!(
        "<html lang=\"en\">\n<head><title>natrium</title></head>\n<body>\n\
         <h1>natrium</h1>\n<p>NATS server version v{version}</p>\n"
    );
    for (label, path) in ROOT_LINKS {
        body.push_str(&format!(
            "<a href=.{path}>{label}<span class=\"endpoint\"> {path}</span></a><br/>\n"
        ));
    }
    body.push_str("</body>\n</html>\n");
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}
