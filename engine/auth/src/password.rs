//! Password and token comparison: bcrypt hashes or plain text in constant time, as the Go
//! server's `comparePasswords`.

/// True when `stored` looks like a bcrypt hash: `$2a$`, `$2b$`, `$2x$` or `$2y$`, two cost
/// digits and `$` (the Go server's `validBcryptPrefix`).
pub(crate) fn is_bcrypt(stored: &str) -> bool {
    let bytes = stored.as_bytes();
    matches!(
        bytes,
        [b'$', b'2', b'a' | b'b' | b'x' | b'y', b'$', d1, d2, b'$', ..]
            if d1.is_ascii_digit() && d2.is_ascii_digit()
    )
}

/// True when the client's secret matches the configured one.
///
/// A bcrypt verification costs tens of milliseconds by design; callers on an async runtime
/// should run `authenticate` off the reactor (e.g. `spawn_blocking`) when hashes are configured.
pub(crate) fn matches(stored: &str, offered: &str) -> bool {
    if is_bcrypt(stored) {
        return bcrypt::verify(offered, stored).unwrap_or(false);
    }
    constant_time_eq(stored.as_bytes(), offered.as_bytes())
}

/// Compares without an early exit on the first differing byte, so the time taken does not tell
/// an attacker how long a matching prefix was. Like Go's `subtle.ConstantTimeCompare`, a length
/// mismatch returns at once.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    let difference = left
        .iter()
        .zip(right)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcrypt_prefix_detection() {
        assert!(is_bcrypt("$2a$11$abcdefghijklmnopqrstuv"));
        assert!(is_bcrypt("$2b$04$x"));
        assert!(!is_bcrypt("$2c$11$x"));
        assert!(!is_bcrypt("$2a$1x$x"));
        assert!(!is_bcrypt("2a$11$x"));
        assert!(!is_bcrypt("$"));
    }

    #[test]
    fn plain_comparison() {
        assert!(matches("secret", "secret"));
        assert!(!matches("secret", "secreT"));
        assert!(!matches("secret", "secret2"));
        assert!(matches("", ""));
    }

    #[test]
    fn bcrypt_comparison() {
        let hash = bcrypt::hash("s3cr3t", 4).unwrap();
        assert!(matches(&hash, "s3cr3t"));
        assert!(!matches(&hash, "s3cr3T"));
        assert!(!matches(&hash, &hash));
        // A malformed hash with a bcrypt prefix refuses rather than panicking.
        assert!(!matches("$2a$11$tooshort", "s3cr3t"));
    }
}
