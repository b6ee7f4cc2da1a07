//! natrium-router: the in-memory heart of core NATS.
//!
//! It owns subject validation ([`subject`]), the subscription index ([`sublist`]), the
//! [`broker::Broker`] that routes one publish to every matching subscriber's [`plugin::Sink`],
//! the per-batch publish context ([`batch`]) with publisher back-pressure ([`stall`]),
//! server-wide counters ([`stats`]), the registry of live clients that monitoring reads
//! ([`client`]), and the plugin API ([`plugin`], [`transport`]) that protocol front-ends and
//! transports implement. It never opens a socket and never touches a file.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod batch;
pub mod broker;
pub mod client;
pub mod error;
pub mod plugin;
pub mod stall;
pub mod stats;
pub mod subject;
pub mod sublist;
pub mod timefmt;
pub mod transform;
pub mod transport;

pub use batch::{DeferredFlush, PublishBatch};
pub use broker::Broker;
pub use client::{
    CLOSED_CLIENTS_MAX, CLOSED_SUBSCRIPTIONS_MAX, ClientId, ClientRegistry, ClientSnapshot,
    ClientView, SubscriptionDetail,
};
pub use error::{Error, Result};
pub use plugin::{
    Accepted, ByteStream, DeliveryOutcome, Frontend, Message, PeerInfo, PhaseWatch, ServerPhase,
    Sink, Transport,
};
pub use stall::StallGate;
pub use stats::ServerStats;
pub use sublist::{LastMatch, MatchResult, QueueGroup, Sublist, SublistStats, Subscription};
