//! The StreamStore trait, FileStore and MemStore, and the consumer-state store.
