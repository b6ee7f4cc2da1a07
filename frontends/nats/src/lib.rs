//! natrium-nats: the NATS client protocol front-end.
//!
//! It parses the client protocol ([`parser`]), runs one task per connection (`connection`),
//! speaks INFO/CONNECT ([`info`], [`connect`]), checks credentials and permissions through
//! `natrium-auth`, and delivers routed messages through a per-connection sink ([`outbound`]).
//! [`NatsFrontend`] implements [`natrium_router::Frontend`].
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

mod closed;
pub mod connect;
mod connection;
pub mod error;
mod flush;
pub mod frontend;
pub mod info;
pub mod options;
pub mod outbound;
pub mod parser;
mod stall;
mod writer;

pub use closed::ClosedReason;
pub use error::{Error, Result};
pub use frontend::NatsFrontend;
pub use options::NatsOptions;
pub use parser::{Frame, Parsed, ParserLimits};
