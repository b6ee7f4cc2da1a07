//! NATS subject filters for `dump --subject`: `*` matches one token, `>` the rest (one or more).

/// True when `subject` matches `filter`.
pub fn subject_matches(filter: &str, subject: &str) -> bool {
    let mut subject_tokens = subject.split('.');
    let mut filter_tokens = filter.split('.').peekable();
    while let Some(token) = filter_tokens.next() {
        if token == ">" && filter_tokens.peek().is_none() {
            return subject_tokens.next().is_some();
        }
        match subject_tokens.next() {
            Some(s) if token == "*" || token == s => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::subject_matches;

    #[test]
    fn wildcards_follow_nats_rules() {
        assert!(subject_matches("orders.1", "orders.1"));
        assert!(subject_matches("orders.*", "orders.1"));
        assert!(!subject_matches("orders.*", "orders.1.x"));
        assert!(subject_matches("orders.>", "orders.1.x"));
        assert!(!subject_matches("orders.>", "orders"));
        assert!(subject_matches(">", "a"));
        assert!(!subject_matches("orders.1", "orders.2"));
        assert!(!subject_matches("orders", "orders.1"));
    }
}
