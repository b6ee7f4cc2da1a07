//! Scalar literals: quoted, unquoted and block strings, numbers with size suffixes, floats,
//! IP addresses, booleans and datetimes, following the Go server's conf/lex.go rules.
//!
//! The classification is by first character: a digit or `-` starts a number, which falls back
//! to an unquoted string when it is followed by something a number cannot hold (`10s`, `1h30m`),
//! and turns into a string when it has several dots (`127.0.0.1:4222`).

use crate::error::Result;
use crate::scanner::{Scanner, ends_unquoted};
use crate::value::Value;

/// What an unquoted token turned out to be.
pub(crate) enum Scalar {
    /// A plain value.
    Value(Value),
    /// `$name`: a reference the parser resolves.
    Variable(String),
}

/// A `"..."` string with `\t \n \r \" \\ \xHH` escapes; the cursor is on the opening quote.
pub(crate) fn double_quoted(scan: &mut Scanner<'_>) -> Result<String> {
    scan.bump();
    let mut bytes = Vec::new();
    loop {
        match scan.bump() {
            None => return Err(scan.error("unexpected end of file in a quoted string")),
            Some(b'"') => break,
            Some(b'\\') => escape(scan, &mut bytes)?,
            Some(byte) => bytes.push(byte),
        }
    }
    String::from_utf8(bytes).map_err(|_| scan.error("string is not valid UTF-8 after escapes"))
}

/// A `'...'` string: raw, no escapes.
pub(crate) fn single_quoted(scan: &mut Scanner<'_>) -> Result<String> {
    scan.bump();
    let start = scan.offset();
    scan.bump_while(|byte| byte != b'\'');
    if scan.peek().is_none() {
        return Err(scan.error("unexpected end of file in a quoted string"));
    }
    let text = scan.slice(start, scan.offset()).to_owned();
    scan.bump();
    Ok(text)
}

/// A `( ... )` block string: raw text up to a `)` alone at the start of a line.
pub(crate) fn block(scan: &mut Scanner<'_>) -> Result<String> {
    scan.bump();
    let start = scan.offset();
    loop {
        match scan.bump() {
            None => return Err(scan.error("unexpected end of file in a block string")),
            Some(b'\n')
                if scan.peek() == Some(b')')
                    && matches!(scan.peek_at(1), None | Some(b'\n' | b'\r')) =>
            {
                let end = scan.offset().saturating_sub(1);
                scan.bump();
                return Ok(scan.slice(start, end).to_owned());
            }
            Some(_) => {}
        }
    }
}

/// One escape after a backslash.
fn escape(scan: &mut Scanner<'_>, bytes: &mut Vec<u8>) -> Result<()> {
    let decoded = match scan.bump() {
        Some(b't') => b'\t',
        Some(b'n') => b'\n',
        Some(b'r') => b'\r',
        Some(b'"') => b'"',
        Some(b'\\') => b'\\',
        Some(b'x') => {
            let high = scan.bump().and_then(hex_digit);
            let low = scan.bump().and_then(hex_digit);
            match (high, low) {
                (Some(high), Some(low)) => high << 4 | low,
                _ => return Err(scan.error("expected two hexadecimal digits after '\\x'")),
            }
        }
        _ => {
            return Err(scan.error(
                "invalid escape character; only \\xXX, \\t, \\n, \\r, \\\" and \\\\ are allowed",
            ));
        }
    };
    bytes.push(decoded);
    Ok(())
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

/// An unquoted token: a string, a boolean or a `$variable`. It ends at white space, a newline,
/// `;`, `,`, `]` or `}`; a `'` also ends it (and is consumed), as in Go.
pub(crate) fn unquoted(scan: &mut Scanner<'_>) -> Result<Scalar> {
    let start = scan.offset();
    let mut escaped: Option<Vec<u8>> = None;
    let mut end = None;
    while let Some(byte) = scan.peek() {
        if ends_unquoted(byte) {
            break;
        }
        if byte == b'\'' {
            end = Some(scan.offset());
            scan.bump();
            break;
        }
        if byte == b'\\' {
            let buffer =
                escaped.get_or_insert_with(|| scan.slice(start, scan.offset()).as_bytes().to_vec());
            scan.bump();
            escape(scan, buffer)?;
            continue;
        }
        scan.bump();
        if let Some(buffer) = &mut escaped {
            buffer.push(byte);
        }
    }
    if let Some(bytes) = escaped {
        let text = String::from_utf8(bytes)
            .map_err(|_| scan.error("string is not valid UTF-8 after escapes"))?;
        return Ok(Scalar::Value(Value::String(text)));
    }
    let text = scan.slice(start, end.unwrap_or(scan.offset()));
    if let Some(flag) = boolean(text) {
        return Ok(Scalar::Value(Value::Bool(flag)));
    }
    if let Some(name) = text.strip_prefix('$') {
        return Ok(Scalar::Variable(name.to_owned()));
    }
    Ok(Scalar::Value(Value::String(text.to_owned())))
}

fn boolean(text: &str) -> Option<bool> {
    let lower = text.to_ascii_lowercase();
    match lower.as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// True for the bytes that end a number.
fn ends_number(byte: u8) -> bool {
    ends_unquoted(byte) && byte != b'\''
}

fn is_size_suffix(byte: u8) -> bool {
    matches!(
        byte.to_ascii_lowercase(),
        b'k' | b'm' | b'g' | b't' | b'p' | b'e'
    )
}

/// A token starting with a digit or `-`: integer (with size suffix), float, datetime, IP
/// address string, or an unquoted string such as `10s`.
pub(crate) fn number(scan: &mut Scanner<'_>) -> Result<Scalar> {
    let mark = scan.mark();
    let start = scan.offset();
    let negative = scan.peek() == Some(b'-');
    if negative {
        scan.bump();
        if !scan.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            return Err(scan.error("expected a digit after '-'"));
        }
    }
    scan.bump_while(|byte| byte.is_ascii_digit());
    let digits = scan.offset() - start;
    match scan.peek() {
        Some(b'-') if !negative && digits == 4 => datetime(scan, start),
        Some(b'.') => float_or_address(scan, start),
        Some(byte) if is_size_suffix(byte) => {
            scan.bump();
            scan.bump_while(|byte| matches!(byte, b'b' | b'B' | b'i' | b'I'));
            match scan.peek() {
                None => integer(scan, start),
                Some(byte) if ends_number(byte) || byte.is_ascii_digit() => integer(scan, start),
                Some(_) => {
                    scan.reset(mark);
                    unquoted(scan)
                }
            }
        }
        None => integer(scan, start),
        Some(byte) if ends_number(byte) || negative => integer(scan, start),
        Some(_) => {
            scan.reset(mark);
            unquoted(scan)
        }
    }
}

fn datetime(scan: &mut Scanner<'_>, start: usize) -> Result<Scalar> {
    for expected in *b"-00-00T00:00:00Z" {
        let got = scan.bump();
        let fits = match got {
            Some(byte) if expected == b'0' => byte.is_ascii_digit(),
            Some(byte) => byte == expected,
            None => false,
        };
        if !fits {
            return Err(scan.error("expected an ISO 8601 datetime in full Zulu form"));
        }
    }
    let text = scan.slice(start, scan.offset()).to_owned();
    Ok(Scalar::Value(Value::Datetime(text)))
}

fn float_or_address(scan: &mut Scanner<'_>, start: usize) -> Result<Scalar> {
    scan.bump();
    if !scan.peek().is_some_and(|byte| byte.is_ascii_digit()) {
        return Err(scan.error("floats must have a digit after the '.'"));
    }
    scan.bump_while(|byte| byte.is_ascii_digit());
    if scan.peek() == Some(b'.') {
        // A second dot: an IP address, possibly with a port (`127.0.0.1:4222`).
        scan.bump_while(|byte| byte.is_ascii_digit() || matches!(byte, b'.' | b':' | b'-'));
        let text = scan.slice(start, scan.offset()).to_owned();
        return Ok(Scalar::Value(Value::String(text)));
    }
    let text = scan.slice(start, scan.offset());
    match text.parse::<f64>() {
        Ok(number) if number.is_finite() => Ok(Scalar::Value(Value::Float(number))),
        _ => Err(scan.error(format!("float '{text}' is out of range"))),
    }
}

/// Converts `-?digits[suffix]`; suffixes as Go's parser: `k`/`m`/`g`/`t`/`p`/`e` are powers of
/// 1000, `kb`/`ki`/`kib` (and so on) powers of 1024, case-insensitive.
fn integer(scan: &mut Scanner<'_>, start: usize) -> Result<Scalar> {
    let text = scan.slice(start, scan.offset());
    let split = text
        .char_indices()
        .find(|&(index, ch)| !(ch.is_ascii_digit() || (index == 0 && ch == '-')))
        .map_or(text.len(), |(index, _)| index);
    let (digits, suffix) = text.split_at_checked(split).unwrap_or((text, ""));
    let out_of_range = || scan.error(format!("integer '{text}' is out of range"));
    let number: i64 = digits.parse().map_err(|_| out_of_range())?;
    let multiplier = multiplier(&suffix.to_ascii_lowercase())
        .ok_or_else(|| scan.error(format!("invalid size suffix in '{text}'")))?;
    let value = number.checked_mul(multiplier).ok_or_else(out_of_range)?;
    Ok(Scalar::Value(Value::Integer(value)))
}

fn multiplier(suffix: &str) -> Option<i64> {
    let (base, power): (i64, u32) = match suffix {
        "" => return Some(1),
        "k" => (1000, 1),
        "kb" | "ki" | "kib" => (1024, 1),
        "m" => (1000, 2),
        "mb" | "mi" | "mib" => (1024, 2),
        "g" => (1000, 3),
        "gb" | "gi" | "gib" => (1024, 3),
        "t" => (1000, 4),
        "tb" | "ti" | "tib" => (1024, 4),
        "p" => (1000, 5),
        "pb" | "pi" | "pib" => (1024, 5),
        "e" => (1000, 6),
        "eb" | "ei" | "eib" => (1024, 6),
        _ => return None,
    };
    base.checked_pow(power)
}
