//! The measured phase of a JetStream run: its clock, what it moved, its latencies and the
//! server's CPU time across it; and the deadline every wait is bounded by.

use std::fmt::Display;
use std::future::Future;
use std::time::Instant;

use anyhow::{Result, anyhow};

use crate::stats::{ClientRun, Latencies, process_cpu_s_of};

/// What a measured phase produced; `run.error` says why it stopped early, if it did.
pub struct Measured {
    pub run: ClientRun,
    pub latencies: Option<Latencies>,
    /// Server CPU seconds (user + system) spent during the phase, when its pid is known.
    pub server_cpu_s: Option<f64>,
}

/// A phase being measured. Setup (creating, filling) happens before [`Phase::start`].
pub struct Phase {
    server_pid: Option<u32>,
    server_cpu_at_start_s: Option<f64>,
    run: ClientRun,
    latencies: Option<Latencies>,
}

impl Phase {
    /// Starts the clock now; `with_latencies` keeps a histogram for [`Phase::latency`].
    pub fn start(server_pid: Option<u32>, with_latencies: bool) -> Self {
        let server_cpu_at_start_s = server_pid.and_then(process_cpu_s_of);
        let run = ClientRun {
            first: Some(Instant::now()),
            ..ClientRun::default()
        };
        Self {
            server_pid,
            server_cpu_at_start_s,
            run,
            latencies: with_latencies.then(Latencies::new),
        }
    }

    /// Messages moved so far.
    pub fn msgs(&self) -> u64 {
        self.run.msgs
    }

    /// One message of `bytes` payload moved at `now`.
    pub fn record(&mut self, bytes: usize, now: Instant) {
        self.run.record(bytes, now);
    }

    /// One operation that started at `since` completed at `now`.
    pub fn latency(&mut self, since: Instant, now: Instant) {
        if let Some(latencies) = &mut self.latencies {
            let nanos = now.saturating_duration_since(since).as_nanos();
            latencies.record_ns(u64::try_from(nanos).unwrap_or(u64::MAX));
        }
    }

    /// Stops the clock; an error from the phase is kept in the run.
    pub fn finish(mut self, outcome: Result<()>) -> Measured {
        let server_cpu_end_s = self.server_pid.and_then(process_cpu_s_of);
        let server_cpu_s = match (self.server_cpu_at_start_s, server_cpu_end_s) {
            (Some(start), Some(end)) => Some(end - start),
            _ => None,
        };
        if let Err(error) = outcome {
            self.run.error = Some(format!("{error:#}"));
        }
        Measured {
            run: self.run,
            latencies: self.latencies,
            server_cpu_s,
        }
    }
}

/// Awaits `future` until `deadline`; passing the deadline is an error naming `what`.
pub async fn before<F: Future>(deadline: Instant, what: &str, future: F) -> Result<F::Output> {
    tokio::time::timeout_at(deadline.into(), future)
        .await
        .map_err(|_| anyhow!("{what}: the run's deadline passed"))
}

/// Awaits a fallible `future` until `deadline`; its error is reported as `what` failing.
pub async fn within<T, E: Display>(
    deadline: Instant,
    what: &str,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T> {
    before(deadline, what, future)
        .await?
        .map_err(|error| anyhow!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_phase_keeps_its_counts_latencies_and_error() {
        let mut phase = Phase::start(Some(std::process::id()), true);
        let started = Instant::now();
        phase.latency(started, started + Duration::from_micros(250));
        phase.record(128, started + Duration::from_micros(250));
        assert_eq!(phase.msgs(), 1);
        let measured = phase.finish(Err(anyhow!("PubAck 2 of 2: stream gone")));
        assert_eq!(measured.run.msgs, 1);
        assert_eq!(measured.run.payload_bytes, 128);
        assert_eq!(
            measured.run.error.as_deref(),
            Some("PubAck 2 of 2: stream gone")
        );
        let latencies = measured
            .latencies
            .expect("the phase kept latencies")
            .summary();
        assert_eq!(latencies.samples, 1);
        assert!((latencies.p50_us - 250.0).abs() < 1.0);
        assert!(measured.server_cpu_s.is_some_and(|seconds| seconds >= 0.0));
    }

    #[test]
    fn an_unknown_server_has_no_cpu_figure() {
        let measured = Phase::start(None, false).finish(Ok(()));
        assert!(measured.server_cpu_s.is_none());
        assert!(measured.latencies.is_none());
        assert!(measured.run.error.is_none());
    }

    #[tokio::test]
    async fn a_passed_deadline_names_the_wait() {
        let never = std::future::pending::<Result<(), String>>();
        let error = within(Instant::now(), "awaiting a PubAck", never)
            .await
            .expect_err("the deadline has passed");
        assert!(error.to_string().contains("awaiting a PubAck"));
    }
}
