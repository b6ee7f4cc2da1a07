//! natrium-nats: the NATS client protocol front-end.
//!
//! It parses the client protocol ([`parser`]), runs one task per connection (`connection`),
//! speaks INFO/CONNECT ([`info`], [`connect`]), checks credentials and permissions through
//! `natrium-auth`, and delivers routed messages through a per-connection sink ([`outbound`]).
//! [`NatsFrontend`] implements [`natrium_router::Frontend`].
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

// Limits are u32/u64 in the protocol and the configuration and usize in buffers: converting
// them must never clamp, which only a 64-bit usize guarantees.
#[cfg(not(target_pointer_width = "64"))]
compile_error!("natrium-nats needs a 64-bit target");

mod closed;
pub mod connect;
mod connection;
pub mod error;
pub mod frontend;
pub mod info;
pub mod options;
pub mod outbound;
pub mod parser;
mod spliced;
mod writer;

pub use closed::ClosedReason;
pub use error::{Error, Result};
pub use frontend::NatsFrontend;
pub use options::NatsOptions;
pub use parser::{Frame, Parsed, ParserLimits};
