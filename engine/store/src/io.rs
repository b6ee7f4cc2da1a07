//! The storage I/O trait the `FileStore` writes through, and its three implementations.
//!
//! They live in the `natrium-io` crate, below both this crate and `natrium-recovery`, so that
//! recovery's own writes (repair, compaction, checkpoints) go through the same trait and can be
//! crash-tested with the same simulated disk. Re-exported here so that `natrium_store::io`
//! keeps naming everything it always did.

pub use natrium_io::*;
