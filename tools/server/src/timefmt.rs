//! Go time formats: moved to `natrium_router::timefmt` (monitoring and JetStream both answer
//! Go-formatted times).
pub use natrium_router::timefmt::*;
