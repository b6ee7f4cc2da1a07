//! The result of one run, printed for people or as one JSON object (`--json`) for scripts
//! such as `benches/compare`.

use std::fmt::Write as _;
use std::time::Instant;

use serde::Serialize;

use crate::run::Settings;
use crate::stats::{ClientRun, LatencySummary, Side, process_cpu_s};

/// Everything a run measured. Absent sides are omitted from the JSON.
#[derive(Debug, Serialize)]
pub struct Report {
    pub mode: String,
    pub client: String,
    pub url: String,
    pub msgs: u64,
    pub size: usize,
    pub pubs: usize,
    pub subs: usize,
    /// Messages (or replies) the receiving side should have counted.
    pub expected: u64,
    pub received: u64,
    pub lost: u64,
    pub timeouts: u64,
    /// True when nothing was lost and no connection reported an error.
    pub complete: bool,
    pub errors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publishers: Option<Side>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribers: Option<Side>,
    /// Publishers and subscribers together (what `nats bench` calls pub/sub stats).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<Side>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<Side>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_us: Option<LatencySummary>,
    /// Server CPU seconds (user + system) over the measured phase of a JetStream mode, read
    /// from `/proc/<--server-pid>/stat`; setup such as filling a stream is not in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_cpu_phase_s: Option<f64>,
    /// CPU seconds (user + system) the bench process spent, handshakes included.
    pub bench_cpu_s: f64,
    pub wall_s: f64,
    #[serde(skip)]
    started: Instant,
    #[serde(skip)]
    cpu_at_start_s: f64,
}

impl Report {
    /// An empty report for a run that starts now.
    pub fn new(settings: &Settings) -> Self {
        Self {
            mode: String::new(),
            client: "raw".into(),
            url: settings.endpoint.address.to_string(),
            msgs: settings.msgs,
            size: settings.payload_bytes,
            pubs: 0,
            subs: 0,
            expected: 0,
            received: 0,
            lost: 0,
            timeouts: 0,
            complete: false,
            errors: Vec::new(),
            publishers: None,
            subscribers: None,
            aggregate: None,
            requests: None,
            latency_us: None,
            server_cpu_phase_s: None,
            bench_cpu_s: 0.0,
            wall_s: 0.0,
            started: Instant::now(),
            cpu_at_start_s: process_cpu_s(),
        }
    }

    /// Fills the publisher, subscriber and aggregate sides and collects errors.
    pub fn set_sides(&mut self, publishers: &[ClientRun], subscribers: &[ClientRun]) {
        let publisher_refs: Vec<&ClientRun> = publishers.iter().collect();
        let subscriber_refs: Vec<&ClientRun> = subscribers.iter().collect();
        if !publishers.is_empty() {
            self.publishers = Some(Side::of(&publisher_refs));
        }
        if !subscribers.is_empty() {
            self.subscribers = Some(Side::of(&subscriber_refs));
        }
        if !publishers.is_empty() && !subscribers.is_empty() {
            let all: Vec<&ClientRun> = publishers.iter().chain(subscribers).collect();
            self.aggregate = Some(Side::of(&all));
        }
        self.collect_errors(publishers.iter().chain(subscribers));
    }

    /// Keeps each distinct connection error once.
    pub fn collect_errors<'a>(&mut self, runs: impl Iterator<Item = &'a ClientRun>) {
        for error in runs.filter_map(|run| run.error.as_ref()) {
            if !self.errors.contains(error) {
                self.errors.push(error.clone());
            }
        }
    }

    /// Computes the totals that depend on everything else; call once at the end.
    pub fn finish(&mut self) {
        self.lost = self.expected.saturating_sub(self.received);
        self.complete = self.lost == 0 && self.errors.is_empty() && self.timeouts == 0;
        self.wall_s = self.started.elapsed().as_secs_f64();
        self.bench_cpu_s = process_cpu_s() - self.cpu_at_start_s;
    }

    /// A few aligned lines for a terminal.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "natrium-bench {} ({} client): {} msgs x {} B, {} pub x {} sub, {}",
            self.mode, self.client, self.msgs, self.size, self.pubs, self.subs, self.url
        );
        for (label, side) in [
            ("pub", &self.publishers),
            ("sub", &self.subscribers),
            ("pub+sub", &self.aggregate),
            ("requests", &self.requests),
        ] {
            if let Some(side) = side {
                let _ = writeln!(out, "  {label:<9}{}", side_line(side));
            }
        }
        if let Some(latency) = &self.latency_us {
            let _ = writeln!(
                out,
                "  latency  p50 {:.1} us  p90 {:.1} us  p99 {:.1} us  p99.9 {:.1} us  max {:.1} us",
                latency.p50_us, latency.p90_us, latency.p99_us, latency.p999_us, latency.max_us
            );
        }
        if let Some(seconds) = self.server_cpu_phase_s {
            let per_msg_ns = seconds * 1e9 / self.msgs.max(1) as f64;
            let _ = writeln!(
                out,
                "  server cpu {seconds:.2} s over the measured phase ({per_msg_ns:.0} ns/msg)"
            );
        }
        let _ = writeln!(
            out,
            "  received {} of {} (lost {}, timeouts {}); bench cpu {:.2} s over {:.2} s",
            self.received, self.expected, self.lost, self.timeouts, self.bench_cpu_s, self.wall_s
        );
        for error in &self.errors {
            let _ = writeln!(out, "  error: {error}");
        }
        out
    }
}

/// `1,234,567 msg/s  19.75 MB/s  (n msgs in t s; per client min/mean/max msg/s)`.
fn side_line(side: &Side) -> String {
    let mut line = format!(
        "{:>12} msg/s {:>9.2} MB/s  ({} msgs in {:.3} s",
        thousands(side.msgs_per_s),
        side.mb_per_s,
        side.msgs,
        side.elapsed_s
    );
    if side.clients > 1 {
        let _ = write!(
            line,
            "; per client min/mean/max {}/{}/{}",
            thousands(side.client_msgs_per_s_min),
            thousands(side.client_msgs_per_s_mean),
            thousands(side.client_msgs_per_s_max)
        );
    }
    line.push(')');
    line
}

/// A rate rounded to an integer with `,` thousands separators.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }
}
