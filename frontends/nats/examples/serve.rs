//! Serves the NATS front-end alone (no configuration, no monitoring, no JetStream) on the
//! address given as the first argument, for measuring the front-end end to end with a load
//! generator: `cargo run --release -p natrium-nats --example serve -- 127.0.0.1:4333`.

use std::sync::Arc;

use natrium_auth::Authenticator;
use natrium_nats::{NatsFrontend, NatsOptions};
use natrium_router::{Accepted, Broker, Frontend, PeerInfo, ServerPhase};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4333".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let local = listener.local_addr()?;
    let options = NatsOptions {
        server_id: "NEXAMPLESERVE".to_owned(),
        host: local.ip().to_string(),
        port: local.port(),
        ..NatsOptions::default()
    };
    let frontend = NatsFrontend::new(Broker::new(), options, Authenticator::open());
    let (_phase, phase_rx) = tokio::sync::watch::channel(ServerPhase::Running);
    eprintln!("serving NATS on {local}");
    loop {
        let (stream, remote) = listener.accept().await?;
        // Small writes (PONG, +OK) must not wait for Nagle.
        stream.set_nodelay(true)?;
        let peer = PeerInfo {
            remote,
            local: stream.local_addr()?,
        };
        let connection = Accepted::plain(Box::new(stream));
        tokio::spawn(Arc::clone(&frontend).serve(connection, peer, phase_rx.clone()));
    }
}
