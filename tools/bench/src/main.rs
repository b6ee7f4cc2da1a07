//! natrium-bench: a NATS load generator like nats bench.

fn main() {}
