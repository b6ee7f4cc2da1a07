//! [`NatsFrontend`]: the NATS protocol as a [`Frontend`] plugin the server binary registers.

use std::sync::Arc;

use natrium_auth::Authenticator;
use natrium_router::plugin::BoxFuture;
use natrium_router::{Accepted, Broker, Frontend, PeerInfo, PhaseWatch};
use parking_lot::RwLock;

use crate::options::NatsOptions;

/// Serves NATS client connections against one broker.
///
/// Concurrency: the authenticator sits behind a `RwLock` so SIGHUP can swap it; each
/// connection clones it once when it starts, so a reload applies to new connections only.
pub struct NatsFrontend {
    broker: Arc<Broker>,
    options: NatsOptions,
    auth: RwLock<Authenticator>,
}

impl NatsFrontend {
    /// A front-end for `broker` with `options`, checking clients with `auth`.
    pub fn new(broker: Arc<Broker>, options: NatsOptions, auth: Authenticator) -> Arc<Self> {
        Arc::new(Self {
            broker,
            options,
            auth: RwLock::new(auth),
        })
    }

    /// Replaces the authenticator (SIGHUP); connections accepted afterwards use it.
    pub fn reload_auth(&self, auth: Authenticator) {
        *self.auth.write() = auth;
    }

    /// The options this front-end was built with.
    pub fn options(&self) -> &NatsOptions {
        &self.options
    }

    /// The broker connections publish to.
    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    /// The current authenticator (a cheap clone).
    pub(crate) fn authenticator(&self) -> Authenticator {
        self.auth.read().clone()
    }
}

impl Frontend for NatsFrontend {
    fn name(&self) -> &'static str {
        "nats"
    }

    /// NATS greets first: INFO goes out in plain text, then the client starts TLS.
    fn upgrades_after_greeting(&self) -> bool {
        true
    }

    fn serve(
        self: Arc<Self>,
        connection: Accepted,
        peer: PeerInfo,
        phase: PhaseWatch,
    ) -> BoxFuture<'static, ()> {
        Box::pin(crate::connection::serve(self, connection, peer, phase))
    }
}
