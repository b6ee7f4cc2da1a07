//! Storage I/O behind a trait: real files, in-memory, and fault-injecting implementations.
