//! Subject filters for stored messages: validating subjects and matching them against filters
//! with `*` (one token) and `>` (one or more trailing tokens). It lives here, beside the record
//! codec, so the store and the offline tool (`natrium-blk dump --subject`) share one matcher
//! without either depending on the router; the router's `subject` module is the reference
//! grammar for the wire.

/// True when `filter` matches every subject (`""` or `">"`).
pub fn is_match_all(filter: &str) -> bool {
    filter.is_empty() || filter == ">"
}

/// True when no token of `filter` is a wildcard.
pub fn is_literal(filter: &str) -> bool {
    !filter.split('.').any(|token| token == "*" || token == ">")
}

/// True for a subject a message may be stored under: non-empty tokens, no wildcard token,
/// no whitespace. One pass: it runs on every store.
pub fn is_valid_subject(subject: &str) -> bool {
    !subject.is_empty()
        && subject.split('.').all(|token| {
            !token.is_empty()
                && token != "*"
                && token != ">"
                && !token
                    .bytes()
                    .any(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        })
}

/// True for a valid filter: non-empty tokens, no whitespace, `>` only as the last token.
pub fn is_valid_filter(filter: &str) -> bool {
    if filter.is_empty() {
        return false;
    }
    let mut tokens = filter.split('.').peekable();
    while let Some(token) = tokens.next() {
        if token.is_empty()
            || token
                .bytes()
                .any(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            return false;
        }
        if token == ">" && tokens.peek().is_some() {
            return false;
        }
    }
    true
}

/// True when the literal `subject` matches `filter`. `""` matches everything.
pub fn matches(filter: &str, subject: &str) -> bool {
    if is_match_all(filter) {
        return true;
    }
    let mut subject_tokens = subject.split('.');
    let mut filter_tokens = filter.split('.').peekable();
    while let Some(filter_token) = filter_tokens.next() {
        if filter_token == ">" && filter_tokens.peek().is_none() {
            return subject_tokens.next().is_some();
        }
        match subject_tokens.next() {
            Some(token) if filter_token == "*" || filter_token == token => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_filters_match_only_equal_subjects() {
        assert!(matches("a.b", "a.b"));
        assert!(!matches("a.b", "a.bc"));
        assert!(!matches("a.b", "a.b.c"));
        assert!(!matches("a.b.c", "a.b"));
    }

    #[test]
    fn star_matches_exactly_one_token() {
        assert!(matches("a.*", "a.b"));
        assert!(matches("*.b", "a.b"));
        assert!(!matches("a.*", "a"));
        assert!(!matches("a.*", "a.b.c"));
        assert!(matches("*.*.c", "x.y.c"));
    }

    #[test]
    fn full_wildcard_matches_one_or_more_trailing_tokens() {
        assert!(matches("a.>", "a.b"));
        assert!(matches("a.>", "a.b.c.d"));
        assert!(!matches("a.>", "a"));
        assert!(matches(">", "anything.at.all"));
        assert!(matches("", "x"));
        assert!(matches("*.>", "a.b"));
        assert!(!matches("*.>", "a"));
    }

    #[test]
    fn validity_rejects_empty_tokens_whitespace_and_inner_full_wildcard() {
        assert!(is_valid_subject("orders.new"));
        assert!(!is_valid_subject("orders.*"));
        assert!(!is_valid_subject("orders..new"));
        assert!(!is_valid_subject("orders new"));
        assert!(!is_valid_subject(""));
        assert!(is_valid_filter("a.*.>"));
        assert!(!is_valid_filter("a.>.b"));
        assert!(is_literal("a.b*"));
        assert!(!is_literal("a.*"));
    }

    /// The matching rule spelled out recursively over token lists.
    fn naive(filter: &[&str], subject: &[&str]) -> bool {
        match (filter.split_first(), subject.split_first()) {
            (Some((&">", [])), Some(_)) => true,
            (Some((&"*", rest_f)), Some((_, rest_s))) => naive(rest_f, rest_s),
            (Some((f, rest_f)), Some((t, rest_s))) => f == t && naive(rest_f, rest_s),
            (None, None) => true,
            _ => false,
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: std::env::var("NATRIUM_PROPTEST_CASES")
                .ok()
                .and_then(|value| value.parse().ok())
                .unwrap_or(512),
            failure_persistence: None,
            ..Default::default()
        })]

        #[test]
        fn matches_agrees_with_the_recursive_rule(
            filter in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b", "*", ">"]), 1..5),
            subject in proptest::collection::vec(proptest::sample::select(vec!["a", "b"]), 1..5),
        ) {
            let filter_text = filter.join(".");
            let subject_text = subject.join(".");
            // Only valid filters (">" last) are specified.
            proptest::prop_assume!(is_valid_filter(&filter_text));
            proptest::prop_assert_eq!(
                matches(&filter_text, &subject_text),
                naive(&filter, &subject),
                "{} vs {}", filter_text, subject_text
            );
        }
    }
}
