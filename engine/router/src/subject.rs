//! Subject and queue-name grammar, as the Go server checks it.
//!
//! A subject is a non-empty sequence of non-empty tokens separated by `.`, with no whitespace.
//! In a subscription filter a token that is exactly `*` matches one token and a final token that
//! is exactly `>` matches one or more tokens; elsewhere these bytes are ordinary.

/// True for the bytes the Go server refuses inside a subject or queue name.
fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c')
}

/// True when `subject` is a valid subscription filter (wildcards allowed).
pub fn is_valid_filter(subject: &[u8]) -> bool {
    if subject.is_empty() {
        return false;
    }
    let mut tokens = subject.split(|&byte| byte == b'.').peekable();
    while let Some(token) = tokens.next() {
        if token.is_empty() || token.iter().copied().any(is_whitespace) {
            return false;
        }
        if token == b">" && tokens.peek().is_some() {
            return false;
        }
    }
    true
}

/// True when `subject` is a valid publish subject: a valid filter without wildcard tokens.
pub fn is_valid_literal(subject: &[u8]) -> bool {
    is_valid_filter(subject)
        && subject
            .split(|&byte| byte == b'.')
            .all(|token| token != b"*" && token != b">")
}

/// True when `queue` is a valid queue group name.
pub fn is_valid_queue(queue: &[u8]) -> bool {
    !queue.is_empty() && !queue.iter().copied().any(is_whitespace)
}

/// True when the literal `subject` matches the subscription `filter`. A reference matcher:
/// token by token, no index. The sublist must agree with it.
pub fn filter_matches(filter: &[u8], subject: &[u8]) -> bool {
    let mut filter_tokens = filter.split(|&byte| byte == b'.');
    let mut subject_tokens = subject.split(|&byte| byte == b'.');
    loop {
        match (filter_tokens.next(), subject_tokens.next()) {
            (None, None) => return true,
            (Some(b">"), Some(_)) => return true,
            (Some(b"*"), Some(_)) => {}
            (Some(want), Some(got)) if want == got => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        for good in ["foo", "foo.bar", "foo.*", "*", ">", "foo.>", "foo.*.baz", "a>.b", "*a"] {
            assert!(is_valid_filter(good.as_bytes()), "{good}");
        }
        for bad in ["", ".", "foo.", ".foo", "foo..bar", "foo.>.bar", "foo bar", "a\tb"] {
            assert!(!is_valid_filter(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn literals() {
        assert!(is_valid_literal(b"foo.bar"));
        assert!(is_valid_literal(b"foo.a*"));
        assert!(!is_valid_literal(b"foo.*"));
        assert!(!is_valid_literal(b"foo.>"));
    }

    #[test]
    fn matching() {
        assert!(filter_matches(b"foo.*", b"foo.bar"));
        assert!(!filter_matches(b"foo.*", b"foo.bar.baz"));
        assert!(filter_matches(b"foo.>", b"foo.bar.baz"));
        assert!(!filter_matches(b"foo.>", b"foo"));
        assert!(filter_matches(b">", b"foo"));
        assert!(filter_matches(b"foo", b"foo"));
        assert!(!filter_matches(b"foo", b"foo.bar"));
    }
}
