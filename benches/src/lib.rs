//! Criterion benchmarks of natrium's components.
