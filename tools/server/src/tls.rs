//! TLS on the client port: the transport the listener uses, the Go server's start-up lines,
//! and what a reload (SIGHUP) does with it: re-read every file, so certificates renewed in
//! place are served to new clients while connected ones keep their sessions.

use std::sync::Arc;

use anyhow::Context as _;
use natrium_router::plugin::{PlainTransport, Transport};
use natrium_tls::{HandshakeFirst, TlsSettings, TlsTransport};

/// The client port's transport, and the TLS transport again when there is one (to reload).
pub struct ClientTransport {
    pub transport: Arc<dyn Transport>,
    pub tls: Option<Arc<TlsTransport>>,
}

/// Builds the client port's transport; bad files stop the start with a message naming them.
pub fn client_transport(settings: Option<&TlsSettings>) -> anyhow::Result<ClientTransport> {
    let Some(settings) = settings else {
        return Ok(ClientTransport {
            transport: Arc::new(PlainTransport),
            tls: None,
        });
    };
    let tls = Arc::new(TlsTransport::new(settings).context("TLS configuration")?);
    Ok(ClientTransport {
        transport: Arc::clone(&tls) as Arc<dyn Transport>,
        tls: Some(tls),
    })
}

/// Go's lines after "Listening for client connections".
pub fn log_startup(settings: Option<&TlsSettings>) {
    let Some(settings) = settings else {
        return;
    };
    if settings.plain_allowed() {
        tracing::info!("TLS available for client connections");
    } else {
        tracing::info!("TLS required for client connections");
    }
    if settings.handshake_first == HandshakeFirst::Always {
        tracing::warn!(
            "Clients that are not using \"TLS Handshake First\" option will fail to connect"
        );
    }
}

/// SIGHUP: re-reads the files with the fresh settings. Turning TLS on or off needs a restart
/// (the listener keeps its transport); that, like a bad file, fails the whole reload, so
/// nothing weaker than the configuration asks for is ever served.
pub fn reload(current: Option<&TlsTransport>, fresh: Option<&TlsSettings>) -> anyhow::Result<()> {
    match (current, fresh) {
        (None, None) => Ok(()),
        (Some(transport), Some(settings)) => {
            transport.reload(settings).context("TLS configuration")?;
            tracing::info!("Reloaded: tls");
            Ok(())
        }
        (None, Some(_)) => anyhow::bail!("enabling TLS on the client port needs a restart"),
        (Some(_), None) => anyhow::bail!("disabling TLS on the client port needs a restart"),
    }
}
