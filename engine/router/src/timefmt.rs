//! Time and duration text in the Go server's formats: log timestamps
//! (`2026/11/22 04:26:45.123456`), RFC 3339 timestamps with nanoseconds (Go's `time.Time` in
//! JSON), Go's `time.Duration.String()` (`1.5ms`, `2m3s`) and the monitor's uptime style
//! (`1d2h3m4s`).
//!
//! Every timestamp is UTC: the standard library has no safe way to read the local time zone,
//! and the Go server logs UTC with `--logtime_utc` (and on servers whose zone is UTC).

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A UTC calendar time split into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
}

/// Splits `time` into UTC calendar fields (times before 1970 clamp to the epoch).
pub fn civil(time: SystemTime) -> Civil {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX / 2);
    let second_of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    // The casts are in range: second_of_day < 86 400.
    Civil {
        year,
        month,
        day,
        hour: (second_of_day / 3600) as u32,
        minute: (second_of_day / 60 % 60) as u32,
        second: (second_of_day % 60) as u32,
        nanos: since_epoch.subsec_nanos(),
    }
}

/// Howard Hinnant's days-to-civil algorithm: the proleptic Gregorian date of a day count
/// since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The Go logger's timestamp with microseconds: `2026/11/22 04:26:45.123456`.
pub fn log_timestamp(time: SystemTime) -> String {
    let c = civil(time);
    format!(
        "{:04}/{:02}/{:02} {:02}:{:02}:{:02}.{:06}",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.nanos / 1000
    )
}

/// RFC 3339 with nanoseconds, trailing zeros trimmed, as Go marshals a UTC `time.Time`:
/// `2026-11-22T04:26:45.1234567Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let c = civil(time);
    let mut text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if c.nanos != 0 {
        let fraction = format!("{:09}", c.nanos);
        let _ = write!(text, ".{}", fraction.trim_end_matches('0'));
    }
    text.push('Z');
    text
}

/// Parses RFC 3339 as clients send times (`opt_start_time`, `start_time`):
/// `2026-11-22T04:26:45.1234567Z` or with a `+hh:mm`/`-hh:mm` offset; `None` when malformed
/// or before 1970.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = bytes.get(range)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators
        .iter()
        .any(|&(at, byte)| bytes.get(at) != Some(&byte))
        || !matches!(bytes.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0_i64;
    if bytes.get(at) == Some(&b'.') {
        let start = at + 1;
        let end = start
            + bytes
                .get(start..)?
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        if end == start {
            return None;
        }
        let fraction = number(start..end.min(start + 9))?;
        let width = u32::try_from(end.min(start + 9) - start).ok()?;
        nanos = fraction * 10_i64.pow(9 - width);
        at = end;
    }
    let offset = match bytes.get(at..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let minutes = number(at + 1..at + 3)? * 60 + number(at + 4..at + 6)?;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset * 60;
    let seconds = u64::try_from(seconds).ok()?;
    let nanos = u32::try_from(nanos).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanos))
}

/// Parses a Go duration (`time.ParseDuration`): a sequence of decimal numbers with units
/// `ns`, `us`, `µs`, `ms`, `s`, `m`, `h` (`1h30m`, `1.5s`, `300ms`); `None` when malformed,
/// negative or too large.
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    const UNITS: [(&str, f64); 7] = [
        ("ns", 1.0),
        ("us", 1e3),
        ("µs", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
        ("m", 60e9),
        ("h", 3600e9),
    ];
    let mut rest = text;
    let mut nanos = 0.0_f64;
    match rest {
        "" => return None,
        "0" => return Some(Duration::ZERO),
        _ => {}
    }
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest.get(..number_len)?.parse().ok()?;
        rest = rest.get(number_len..)?;
        // The longest unit that prefixes the rest ("ms" before "m").
        let (unit, scale) = UNITS
            .iter()
            .filter(|(unit, _)| rest.starts_with(unit))
            .max_by_key(|(unit, _)| unit.len())?;
        nanos += value * scale;
        rest = rest.get(unit.len()..)?;
    }
    (nanos.is_finite() && nanos < 1.8e19).then(|| Duration::from_nanos(nanos as u64))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The monitor's uptime style (whole seconds, days and years shown): `3s`, `1m2s`,
/// `2h0m5s`, `1d2h3m4s`, `1y2d3h4m5s`.
pub fn uptime(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let minutes = seconds / 60;
    let hours = minutes / 60;
    let days = hours / 24;
    let years = days / 365;
    let (s, m, h) = (seconds % 60, minutes % 60, hours % 24);
    if years > 0 {
        format!("{years}y{}d{h}h{m}m{s}s", days % 365)
    } else if days > 0 {
        format!("{days}d{h}h{m}m{s}s")
    } else if hours > 0 {
        format!("{hours}h{m}m{s}s")
    } else if minutes > 0 {
        format!("{minutes}m{s}s")
    } else {
        format!("{seconds}s")
    }
}

/// Go's `time.Duration.String()`: `0s`, `1.5µs`, `12.345ms`, `1.5s`, `2m3.5s`, `1h0m0s`.
pub fn go_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", fraction(nanos, 1_000));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", fraction(nanos, 1_000_000));
    }
    let whole_seconds = nanos / 1_000_000_000;
    let hours = whole_seconds / 3600;
    let minutes = whole_seconds / 60 % 60;
    let seconds = fraction(nanos % 60_000_000_000, 1_000_000_000);
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// `value / unit` as a decimal with trailing zeros trimmed (`1500, 1000` -> `1.5`).
fn fraction(value: u128, unit: u128) -> String {
    let whole = value / unit;
    let rest = value % unit;
    if rest == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(seconds, nanos)
    }

    #[test]
    fn go_durations_parse_as_go_parses_them() {
        assert_eq!(parse_go_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_go_duration("300ms"), Some(Duration::from_millis(300)));
        assert_eq!(parse_go_duration("2µs"), Some(Duration::from_micros(2)));
        assert_eq!(parse_go_duration("0"), Some(Duration::ZERO));
        for bad in ["", "5", "1x", "-1s", "s", "1..5s"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_parses_what_it_formats_and_offsets() {
        for time in [at(0, 0), at(1_795_000_000, 123_456_700), at(951_782_400, 1)] {
            assert_eq!(parse_rfc3339(&rfc3339(time)), Some(time));
        }
        assert_eq!(
            parse_rfc3339("2026-12-04T19:00:00+01:00"),
            parse_rfc3339("2026-12-04T18:00:00Z")
        );
        assert_eq!(
            parse_rfc3339("1970-01-01T00:00:01.5Z"),
            Some(at(1, 500_000_000))
        );
        for bad in [
            "",
            "2026-12-04",
            "2026-13-04T00:00:00Z",
            "2026-12-04T00:00:00",
            "2026-12-04T00:00:00.Z",
            "1969-12-31T23:59:59Z",
            "2026-12-04T00:00:00+0100",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn calendar_fields() {
        // 2026-11-22T04:26:45Z is 1795321605 seconds after the epoch.
        let c = civil(at(1_795_321_605, 123_456_789));
        assert_eq!((c.year, c.month, c.day), (2026, 11, 22));
        assert_eq!((c.hour, c.minute, c.second), (4, 26, 45));
        assert_eq!(
            civil(at(951_782_400, 0)).day,
            29,
            "2000-02-29 is a leap day"
        );
        assert_eq!(civil(at(0, 0)).year, 1970);
    }

    #[test]
    fn log_and_json_timestamps() {
        let time = at(1_795_321_605, 123_456_789);
        assert_eq!(log_timestamp(time), "2026/11/22 04:26:45.123456");
        assert_eq!(rfc3339(time), "2026-11-22T04:26:45.123456789Z");
        assert_eq!(
            rfc3339(at(1_795_321_605, 500_000_000)),
            "2026-11-22T04:26:45.5Z"
        );
        assert_eq!(rfc3339(at(1_795_321_605, 0)), "2026-11-22T04:26:45Z");
    }

    #[test]
    fn uptimes() {
        assert_eq!(uptime(Duration::from_millis(2500)), "2s");
        assert_eq!(uptime(Duration::from_secs(62)), "1m2s");
        assert_eq!(uptime(Duration::from_secs(7205)), "2h0m5s");
        assert_eq!(uptime(Duration::from_secs(93_784)), "1d2h3m4s");
        assert_eq!(uptime(Duration::from_secs(366 * 86_400)), "1y1d0h0m0s");
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_nanos(999)), "999ns");
        assert_eq!(go_duration(Duration::from_nanos(1_500)), "1.5µs");
        assert_eq!(go_duration(Duration::from_micros(12_345)), "12.345ms");
        assert_eq!(go_duration(Duration::from_millis(1_500)), "1.5s");
        assert_eq!(go_duration(Duration::from_millis(123_500)), "2m3.5s");
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
    }
}
