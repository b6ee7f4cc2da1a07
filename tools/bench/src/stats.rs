//! Measurements: what each bench connection counted, their per-side summaries
//! (msg/s, MB/s), latency percentiles, and the bench process's own CPU time.

use std::time::Instant;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Linux exposes `utime`/`stime` in `USER_HZ` ticks, fixed at 100 by the kernel ABI.
const USER_HZ: f64 = 100.0;
/// Latencies are recorded in nanoseconds up to one minute with 3 significant digits.
const LATENCY_NS_MAX: u64 = 60_000_000_000;

/// What one connection did: message count, payload bytes, and when it first and last
/// moved a message (publishers: first write to the final flush's `PONG`).
#[derive(Clone, Debug, Default)]
pub struct ClientRun {
    pub msgs: u64,
    pub payload_bytes: u64,
    pub first: Option<Instant>,
    pub last: Option<Instant>,
    pub error: Option<String>,
}

impl ClientRun {
    /// Marks one message of `bytes` payload as moved now (or at `now`, to avoid a clock
    /// read per message when the caller has one).
    pub fn record(&mut self, bytes: usize, now: Instant) {
        self.first.get_or_insert(now);
        self.last = Some(now);
        self.msgs += 1;
        self.payload_bytes += bytes as u64;
    }

    /// Seconds from the first to the last message (zero for fewer than two).
    fn elapsed_s(&self) -> f64 {
        match (self.first, self.last) {
            (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
            _ => 0.0,
        }
    }
}

/// The summary of one side (publishers, subscribers, requesters) or of all of them.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    pub clients: usize,
    pub msgs: u64,
    pub payload_bytes: u64,
    pub elapsed_s: f64,
    pub msgs_per_s: f64,
    pub mb_per_s: f64,
    /// Slowest, mean and fastest single connection, in msg/s.
    pub client_msgs_per_s_min: f64,
    pub client_msgs_per_s_mean: f64,
    pub client_msgs_per_s_max: f64,
}

impl Side {
    /// Sums connections; the side's time span runs from the earliest first message to the
    /// latest last message, as `nats bench` computes its aggregate rates.
    pub fn of(runs: &[&ClientRun]) -> Self {
        let msgs = runs.iter().map(|run| run.msgs).sum();
        let payload_bytes = runs.iter().map(|run| run.payload_bytes).sum();
        let first = runs.iter().filter_map(|run| run.first).min();
        let last = runs.iter().filter_map(|run| run.last).max();
        let elapsed_s = match (first, last) {
            (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
            _ => 0.0,
        };
        let rates: Vec<f64> = runs
            .iter()
            .map(|run| rate(run.msgs, run.elapsed_s()))
            .collect();
        let count = rates.len().max(1) as f64;
        Self {
            clients: runs.len(),
            msgs,
            payload_bytes,
            elapsed_s,
            msgs_per_s: rate(msgs, elapsed_s),
            mb_per_s: rate(payload_bytes, elapsed_s) / 1e6,
            client_msgs_per_s_min: rates.iter().copied().reduce(f64::min).unwrap_or(0.0),
            client_msgs_per_s_mean: rates.iter().sum::<f64>() / count,
            client_msgs_per_s_max: rates.iter().copied().fold(0.0, f64::max),
        }
    }
}

/// `count / seconds`, zero when no time elapsed (a single message has no rate).
fn rate(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// A latency histogram in nanoseconds.
pub struct Latencies(Histogram<u64>);

impl Latencies {
    /// An empty histogram (1 ns to 60 s, 3 significant digits).
    pub fn new() -> Self {
        // The bounds are constants that hdrhistogram accepts (low >= 1, high >= 2 * low).
        let histogram = Histogram::new_with_bounds(1, LATENCY_NS_MAX, 3)
            .expect("constant histogram bounds are valid");
        Self(histogram)
    }

    /// Records one round trip, saturating at the histogram's ceiling.
    pub fn record_ns(&mut self, nanos: u64) {
        self.0.saturating_record(nanos.clamp(1, LATENCY_NS_MAX));
    }

    /// Merges another connection's histogram into this one.
    pub fn merge(&mut self, other: &Self) {
        // Both histograms share the same bounds, so adding cannot fail; a failure would only
        // lose the other's samples, which the count in the report would show.
        let _ = self.0.add(&other.0);
    }

    /// Percentiles in microseconds.
    pub fn summary(&self) -> LatencySummary {
        let micros = |quantile: f64| self.0.value_at_quantile(quantile) as f64 / 1e3;
        LatencySummary {
            samples: self.0.len(),
            min_us: self.0.min() as f64 / 1e3,
            mean_us: self.0.mean() / 1e3,
            p50_us: micros(0.50),
            p90_us: micros(0.90),
            p99_us: micros(0.99),
            p999_us: micros(0.999),
            max_us: self.0.max() as f64 / 1e3,
        }
    }
}

/// Latency percentiles of a request/reply run.
#[derive(Clone, Debug, Serialize)]
pub struct LatencySummary {
    pub samples: u64,
    pub min_us: f64,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

/// User plus system CPU seconds consumed so far by this process (all threads).
pub fn process_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| cpu_ticks(&stat))
        .map_or(0.0, |ticks| ticks as f64 / USER_HZ)
}

/// User plus system CPU seconds consumed so far by process `pid` (for example the server
/// under test), or `None` when it is gone or unreadable.
#[cfg_attr(
    not(feature = "async-nats-client"),
    allow(dead_code, reason = "only the JetStream modes read the server's CPU")
)]
pub fn process_cpu_s_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_ticks(&stat).map(|ticks| ticks as f64 / USER_HZ)
}

/// `utime + stime` from a `/proc/<pid>/stat` line. The command name may contain spaces
/// and parentheses, so fields are counted from the last `)`.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace();
    // Fields after the name start at 3 (state); utime is field 14 and stime field 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn side_rates_span_earliest_first_to_latest_last() {
        let start = Instant::now();
        let mut one = ClientRun::default();
        one.record(10, start);
        one.record(10, start + Duration::from_secs(1));
        let mut two = ClientRun::default();
        two.record(10, start + Duration::from_millis(500));
        two.record(10, start + Duration::from_secs(2));
        let side = Side::of(&[&one, &two]);
        assert_eq!(side.msgs, 4);
        assert_eq!(side.payload_bytes, 40);
        assert!((side.elapsed_s - 2.0).abs() < 1e-9);
        assert!((side.msgs_per_s - 2.0).abs() < 1e-9);
        assert!((side.client_msgs_per_s_max - 2.0).abs() < 1e-9);
        assert!((side.client_msgs_per_s_min - 2.0 / 1.5).abs() < 1e-9);
    }

    #[test]
    fn cpu_ticks_skip_a_command_name_with_spaces() {
        let stat = "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0";
        assert_eq!(cpu_ticks(stat), Some(325));
        assert_eq!(cpu_ticks("garbage"), None);
        assert!(process_cpu_s() >= 0.0);
        assert!(process_cpu_s_of(std::process::id()).is_some());
    }

    #[test]
    fn latency_percentiles_follow_the_samples() {
        let mut latencies = Latencies::new();
        for micros in 1..=100u64 {
            latencies.record_ns(micros * 1_000);
        }
        let summary = latencies.summary();
        assert_eq!(summary.samples, 100);
        assert!((summary.p50_us - 50.0).abs() < 0.1);
        assert!((summary.p99_us - 99.0).abs() < 0.1);
    }
}
