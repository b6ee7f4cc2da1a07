//! Subject and queue-name grammar, as the Go server checks it.
//!
//! A subject is a non-empty sequence of non-empty tokens separated by `.`, with no whitespace.
//! In a subscription filter a token that is exactly `*` matches one token and a final token that
//! is exactly `>` matches one or more tokens; elsewhere these bytes are ordinary.
//!
//! The Go server (server/sublist.go) has several checks; each has its twin here:
//!
//! | Go                         | here                          | refuses                          |
//! |----------------------------|-------------------------------|----------------------------------|
//! | `IsValidSubject`           | [`is_valid_filter`]           | empty token, whitespace, `>` not last |
//! | `IsValidPublishSubject`    | [`is_valid_literal`]          | the above, and `*` / `>` tokens  |
//! | `IsValidLiteralSubject`    | [`is_valid_literal_subject`]  | empty token, `*` / `>` tokens (whitespace allowed) |
//! | `subjectIsLiteral`         | [`subject_is_literal`]        | nothing: a fast wildcard probe   |
//! | `isValidSubject(s, true)`  | [`is_valid_subject_checked`]  | also NUL and U+FFFD / bad UTF-8 (the file store's check) |
//!
//! Whitespace means the five bytes `' '`, `'\t'`, `'\n'`, `'\r'`, `'\x0c'` (Go's `"\t\n\f\r "`);
//! a vertical tab or a non-ASCII space is an ordinary byte. The Go server has no queue-name
//! check of its own: a queue name is whatever `SUB` argument splitting leaves, so here it is
//! any non-empty run of non-whitespace bytes.
//!
//! Nothing here bounds the number of tokens: the Go server does not by default (`max_sub_tokens`
//! is 0), and the sublist walks tokens iteratively, so a long subject costs time, not stack.

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

/// Go's `IsValidLiteralSubject`: non-empty tokens and no `*` / `>` token. Unlike
/// [`is_valid_literal`] it does not look for whitespace (Go uses it on already-split
/// protocol arguments, which cannot hold any).
pub fn is_valid_literal_subject(subject: &[u8]) -> bool {
    subject
        .split(|&byte| byte == b'.')
        .all(|token| !token.is_empty() && token != b"*" && token != b">")
}

/// Go's `subjectIsLiteral`: true when no token is exactly `*` or `>`. It does not validate.
pub fn subject_is_literal(subject: &[u8]) -> bool {
    !subject
        .split(|&byte| byte == b'.')
        .any(|token| token == b"*" || token == b">")
}

/// Go's `isValidSubject(subject, true)`: [`is_valid_filter`], and no NUL byte, no invalid
/// UTF-8 and no U+FFFD (Go cannot tell a replacement character from a decoding error).
pub fn is_valid_subject_checked(subject: &[u8]) -> bool {
    if subject.contains(&0) {
        return false;
    }
    match std::str::from_utf8(subject) {
        Ok(text) if !text.contains('\u{FFFD}') => is_valid_filter(subject),
        _ => false,
    }
}

/// Number of `.`-separated tokens in `subject` (1 for a subject without dots).
pub fn token_count(subject: &[u8]) -> usize {
    subject.iter().filter(|&&byte| byte == b'.').count() + 1
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
        for good in [
            "foo",
            "foo.bar",
            "foo.*",
            "*",
            ">",
            "foo.>",
            "foo.*.baz",
            "a>.b",
            "*a",
        ] {
            assert!(is_valid_filter(good.as_bytes()), "{good}");
        }
        for bad in [
            "",
            ".",
            "foo.",
            ".foo",
            "foo..bar",
            "foo.>.bar",
            "foo bar",
            "a\tb",
        ] {
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
        assert!(filter_matches(b"*", b"*"));
        assert!(filter_matches(b"foo.*", b"foo.>"));
        assert!(!filter_matches(b"foo.bar", b"foo.*"));
    }

    #[test]
    fn whitespace_is_exactly_go_set() {
        for byte in [b' ', b'\t', b'\n', b'\r', b'\x0c'] {
            let subject = [b'a', byte, b'b'];
            assert!(!is_valid_filter(&subject), "{byte:#x} inside a token");
            assert!(!is_valid_filter(&[byte]), "{byte:#x} as a one-byte token");
            assert!(!is_valid_queue(&subject), "{byte:#x} in a queue name");
        }
        // Go's set has no vertical tab, NUL or non-ASCII space.
        for byte in [b'\x0b', 0u8, 0xa0] {
            assert!(is_valid_filter(&[b'a', byte]), "{byte:#x}");
        }
    }

    #[test]
    fn go_literal_subject_allows_whitespace_but_not_wildcards() {
        assert!(is_valid_literal_subject(b"foo bar.baz"));
        assert!(!is_valid_literal(b"foo bar.baz"));
        assert!(!is_valid_literal_subject(b"foo.*"));
        assert!(!is_valid_literal_subject(b"foo.>"));
        assert!(!is_valid_literal_subject(b""));
        assert!(!is_valid_literal_subject(b"foo..bar"));
        assert!(is_valid_literal_subject(b"foo.*a.>b"));
    }

    #[test]
    fn literal_probe() {
        assert!(subject_is_literal(b"foo.bar"));
        assert!(subject_is_literal(b"foo.a*.b>"));
        assert!(!subject_is_literal(b"*"));
        assert!(!subject_is_literal(b"foo.>"));
        assert!(!subject_is_literal(b"foo.*.bar"));
    }

    #[test]
    fn checked_subjects_refuse_nul_and_bad_utf8() {
        assert!(is_valid_subject_checked("foo.bär".as_bytes()));
        assert!(!is_valid_subject_checked(b"foo\0bar"));
        assert!(!is_valid_subject_checked(b"foo.\xff"));
        assert!(!is_valid_subject_checked("foo.\u{FFFD}".as_bytes()));
        assert!(!is_valid_subject_checked(b"foo..bar"));
    }

    #[test]
    fn full_wildcard_only_last() {
        assert!(is_valid_filter(b"a.>"));
        assert!(!is_valid_filter(b">.a"));
        assert!(!is_valid_filter(b"a.>.>"));
        assert!(is_valid_filter(b"a.>>.b"));
        assert_eq!(token_count(b"a.b.c"), 3);
        assert_eq!(token_count(b"a"), 1);
    }
}
