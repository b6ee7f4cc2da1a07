//! Go's `time.ParseDuration`: `300ms`, `1.5h`, `2h45m`, `-1m`; units ns, us (µs, μs), ms, s, m,
//! h; a bare `0` is zero.

/// Nanoseconds of each unit.
const UNITS: [(&str, u64); 9] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("", 0),
];

/// Parses a Go duration into signed nanoseconds, with Go's range (an `i64`).
pub fn parse_go_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration \"{text}\"");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..).unwrap_or_default()),
        Some(b'+') => (false, text.get(1..).unwrap_or_default()),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at_checked(number_len).ok_or_else(invalid)?;
        let unit_len = after
            .find(|ch: char| ch.is_ascii_digit() || ch == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at_checked(unit_len).ok_or_else(invalid)?;
        let scale = UNITS
            .iter()
            .find(|(name, _)| *name == unit && !unit.is_empty())
            .map(|(_, scale)| *scale)
            .ok_or_else(|| {
                if unit.is_empty() {
                    format!("time: missing unit in duration \"{text}\"")
                } else {
                    format!("time: unknown unit \"{unit}\" in duration \"{text}\"")
                }
            })?;
        total = total.saturating_add(scaled(number, scale).ok_or_else(invalid)?);
        rest = after;
    }
    let limit = if negative {
        1u128 << 63
    } else {
        (1u128 << 63) - 1
    };
    if total > limit {
        return Err(invalid());
    }
    let magnitude = i128::try_from(total).map_err(|_| invalid())?;
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).map_err(|_| invalid())
}

/// `whole.fraction` times `scale` nanoseconds, truncated like Go; `None` for a malformed
/// number (no digits, two dots).
fn scaled(number: &str, scale: u64) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut value = whole.checked_mul(u128::from(scale))?;
    let mut unit = u128::from(scale);
    for digit in fraction.bytes().take(30) {
        unit /= 10;
        value = value.checked_add(u128::from(digit - b'0').checked_mul(unit)?)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000_000;

    #[test]
    fn go_examples() {
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(parse_go_duration("10s"), Ok(10 * SECOND));
        assert_eq!(parse_go_duration("2m"), Ok(120 * SECOND));
        assert_eq!(parse_go_duration("1h30m"), Ok(5400 * SECOND));
        assert_eq!(parse_go_duration("1.5h"), Ok(5400 * SECOND));
        assert_eq!(parse_go_duration("300ms"), Ok(SECOND * 3 / 10));
        assert_eq!(parse_go_duration("-1m"), Ok(-60 * SECOND));
        assert_eq!(parse_go_duration("1µs"), Ok(1_000));
        assert_eq!(parse_go_duration(".5s"), Ok(SECOND / 2));
        assert_eq!(parse_go_duration("2562047h"), Ok(2_562_047 * 3600 * SECOND));
    }

    #[test]
    fn go_rejections() {
        for bad in ["", "s", "10", "1x", "1..5s", ".s", "-", "2562048h", "1h-1m"] {
            assert!(parse_go_duration(bad).is_err(), "{bad}");
        }
    }
}
