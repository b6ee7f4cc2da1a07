//! This process's resident memory and CPU use, read from `/proc/self`, for `/varz`.

use std::time::Instant;

/// Clock ticks per second of `/proc/self/stat` times (`USER_HZ`, 100 on every Linux ABI).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// Samples closer together than this reuse the previous CPU figure (too few ticks between
/// them to say anything).
const CPU_SAMPLE_INTERVAL_MIN_MS: u128 = 250;

/// Resident set size in bytes, 0 when `/proc` cannot be read.
pub fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kibibytes| kibibytes * 1024)
}

/// User plus system CPU time of this process, in clock ticks.
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_cpu_ticks(&stat)
}

/// Fields 14 and 15 (utime, stime) of a `/proc/PID/stat` line. The command name (field 2)
/// may contain spaces and parentheses, so fields are counted after its last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// CPU use in percent of one core since the previous sample, like the Go server's `cpu`.
pub struct CpuSampler {
    last_ticks: u64,
    last_time: Instant,
    last_percent: f64,
}

impl CpuSampler {
    /// A sampler whose first reading covers the time since now.
    pub fn new() -> Self {
        Self {
            last_ticks: cpu_ticks().unwrap_or(0),
            last_time: Instant::now(),
            last_percent: 0.0,
        }
    }

    /// The CPU percentage since the previous sample (rounded to 0.01).
    pub fn sample(&mut self) -> f64 {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last_time);
        if elapsed.as_millis() < CPU_SAMPLE_INTERVAL_MIN_MS {
            return self.last_percent;
        }
        let Some(ticks) = cpu_ticks() else { return 0.0 };
        let used_seconds = ticks.saturating_sub(self.last_ticks) as f64 / CLOCK_TICKS_PER_SECOND;
        let percent = used_seconds / elapsed.as_secs_f64() * 100.0;
        self.last_ticks = ticks;
        self.last_time = now;
        self.last_percent = (percent * 100.0).round() / 100.0;
        self.last_percent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_awkward_name() {
        let stat = "1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 37 5 0 0 20 0 1 0";
        assert_eq!(parse_cpu_ticks(stat), Some(42));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn reads_this_process() {
        assert!(resident_bytes() > 0, "a running test has resident memory");
        assert!(cpu_ticks().is_some());
        let mut sampler = CpuSampler::new();
        assert!(sampler.sample() >= 0.0);
    }
}
