//! The nonce a server puts in INFO when NKey users are configured.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Random bytes in a nonce, as the Go server's `nonceRawLen`; encoded they are 15 characters.
pub const NONCE_RAW_BYTES: usize = 11;

/// A fresh nonce: 11 random bytes in unpadded base64url, as the Go server sends in INFO. The
/// client signs these ASCII bytes, so the front-end passes `nonce.as_bytes()` to
/// `Authenticator::authenticate`.
pub fn new_nonce() -> String {
    let mut raw = [0u8; NONCE_RAW_BYTES];
    rand::fill(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_is_15_url_safe_characters_and_fresh() {
        let first = new_nonce();
        let second = new_nonce();
        assert_eq!(first.len(), 15);
        assert!(
            first
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(first, second);
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&first).unwrap().len(),
            NONCE_RAW_BYTES
        );
    }
}
