//! Record-body encryption: the cipher kind stored in `stream.meta`, per-stream key derivation,
//! the key-check value that tells a wrong key from corruption, and seal/open of one body.
//!
//! Keys: `HKDF-SHA256(salt = stream name, ikm = configured key)` expanded twice, with
//! distinct `info` strings, into the 32-byte record key and the 16-byte key-check value. A
//! wrong key therefore fails the key-check comparison at open, before any record is read.
//! Nonces are 12 random bytes per record, stored in the record, so a rewritten or truncated
//! block, or a secure erase that re-seals a body in place, never reuses a (key, nonce) pair
//! that an earlier write used with different bytes. The price is the birthday bound of random
//! 96-bit nonces under one key: after n sealed records the chance that two share a nonce is
//! about n^2 / 2^97, so 2^32 records (NIST SP 800-38D's limit for random GCM nonces) keep it
//! under 2^-33. A stream that will seal more than 2^32 records should be re-keyed
//! (docs/formats/record.md). Offset-derived nonces were rejected: a truncate or erase rewrites
//! the same offset with different plaintext, which would repeat a nonce.
//!
//! Block headers of encrypted streams carry an 8-byte MAC under a third derived key
//! (`natrium block header key v1`), see [`StreamKey::header_mac`].

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use sha2::Sha256;

use crate::layout::block::HEADER_MAC_SIZE;
use crate::layout::{meta::KEY_CHECK_SIZE, record::NONCE_SIZE, record::TAG_SIZE};
use crate::{Error, Result};

/// `info` for the record key; the version suffix lets a later scheme coexist.
const RECORD_KEY_INFO: &[u8] = b"natrium record key v1";
/// `info` for the key-check value stored in `stream.meta`.
const KEY_CHECK_INFO: &[u8] = b"natrium key check v1";
/// `info` for the key of block-header MACs.
const HEADER_KEY_INFO: &[u8] = b"natrium block header key v1";

/// Which AEAD seals record bodies; stored as one byte in `stream.meta` and block headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CipherKind {
    #[default]
    None,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl CipherKind {
    /// The on-disk byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Aes256Gcm => 1,
            Self::ChaCha20Poly1305 => 2,
        }
    }

    /// Parses the on-disk byte.
    pub fn from_byte(value: u8) -> Result<Self> {
        match value {
            0 => Ok(Self::None),
            1 => Ok(Self::Aes256Gcm),
            2 => Ok(Self::ChaCha20Poly1305),
            other => Err(Error::Unknown {
                what: "cipher kind",
                value: u64::from(other),
            }),
        }
    }
}

/// Key material of one stream, derived from the configured key and the stream name.
#[derive(Clone)]
pub struct StreamKey {
    record_key: [u8; 32],
    key_check: [u8; KEY_CHECK_SIZE],
    header_key: [u8; 32],
}

impl std::fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str("StreamKey(..)")
    }
}

impl StreamKey {
    /// Derives the stream's keys. `configured_key` is the operator's secret (any length).
    pub fn derive(configured_key: &[u8], stream_name: &[u8]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(stream_name), configured_key);
        let mut record_key = [0u8; 32];
        let mut key_check = [0u8; KEY_CHECK_SIZE];
        let mut header_key = [0u8; 32];
        // Expansion fails only for outputs over 255 * 32 bytes; 32 and 16 are far below.
        let _ = hkdf.expand(RECORD_KEY_INFO, &mut record_key);
        let _ = hkdf.expand(KEY_CHECK_INFO, &mut key_check);
        let _ = hkdf.expand(HEADER_KEY_INFO, &mut header_key);
        Self {
            record_key,
            key_check,
            header_key,
        }
    }

    /// A MAC of a block header's bytes: HKDF-Expand (HMAC-SHA256) keyed with the header key,
    /// the bytes as `info`, truncated to 8 bytes. A forger without the key guesses 64 bits.
    pub fn header_mac(&self, bytes: &[u8]) -> [u8; HEADER_MAC_SIZE] {
        let mut mac = [0u8; HEADER_MAC_SIZE];
        // A 32-byte PRK is exactly SHA-256's output length, and 8 bytes of output are far
        // below the expansion limit: neither call can fail.
        if let Ok(hkdf) = Hkdf::<Sha256>::from_prk(&self.header_key) {
            let _ = hkdf.expand(bytes, &mut mac);
        }
        mac
    }

    /// Whether `mac` is [`StreamKey::header_mac`] of `bytes` (constant-time comparison).
    pub fn header_mac_matches(&self, bytes: &[u8], mac: &[u8; HEADER_MAC_SIZE]) -> bool {
        let diff = self
            .header_mac(bytes)
            .iter()
            .zip(mac.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }

    /// The value stored in `stream.meta` to recognise this key later.
    pub fn key_check(&self) -> [u8; KEY_CHECK_SIZE] {
        self.key_check
    }

    /// `Error::WrongKey` unless `stored` (from `stream.meta`) was made by this key.
    pub fn verify(&self, stored: &[u8; KEY_CHECK_SIZE]) -> Result<()> {
        // Constant-time compare: the check value is derived from the secret.
        let diff = self
            .key_check
            .iter()
            .zip(stored.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff == 0 {
            Ok(())
        } else {
            Err(Error::WrongKey)
        }
    }
}

enum Aead {
    Aes(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

/// A ready-to-use AEAD for one stream. Cheap to share by reference; holds expanded keys.
pub struct RecordCipher {
    kind: CipherKind,
    aead: Aead,
}

impl std::fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecordCipher({:?})", self.kind)
    }
}

impl RecordCipher {
    /// Builds the cipher; `None` when `kind` is `CipherKind::None` (nothing to seal).
    pub fn new(kind: CipherKind, key: &StreamKey) -> Option<Self> {
        let aead = match kind {
            CipherKind::None => return None,
            CipherKind::Aes256Gcm => Aead::Aes(Box::new(Aes256Gcm::new(&key.record_key.into()))),
            CipherKind::ChaCha20Poly1305 => {
                Aead::ChaCha(Box::new(ChaCha20Poly1305::new(&key.record_key.into())))
            }
        };
        Some(Self { kind, aead })
    }

    pub fn kind(&self) -> CipherKind {
        self.kind
    }

    /// Encrypts `buf` in place and returns the tag. `aad` binds the record header and subject.
    pub fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_SIZE],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_SIZE]> {
        let failed = Error::Limit {
            what: "encrypted body length",
            max: u64::from(u32::MAX),
        };
        let tag = match &self.aead {
            Aead::Aes(a) => a
                .encrypt_inout_detached(&(*nonce).into(), aad, buf.into())
                .map_err(|_| failed)?
                .into(),
            Aead::ChaCha(c) => c
                .encrypt_inout_detached(&(*nonce).into(), aad, buf.into())
                .map_err(|_| failed)?
                .into(),
        };
        Ok(tag)
    }

    /// Decrypts `buf` in place; `Error::Authentication { seq }` when the tag does not verify.
    pub fn open_in_place(
        &self,
        seq: u64,
        nonce: &[u8; NONCE_SIZE],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_SIZE],
    ) -> Result<()> {
        let result = match &self.aead {
            Aead::Aes(a) => {
                a.decrypt_inout_detached(&(*nonce).into(), aad, buf.into(), &(*tag).into())
            }
            Aead::ChaCha(c) => {
                c.decrypt_inout_detached(&(*nonce).into(), aad, buf.into(), &(*tag).into())
            }
        };
        result.map_err(|_| Error::Authentication { seq })
    }
}

/// A fresh random nonce from the OS-seeded thread RNG.
pub fn random_nonce() -> [u8; NONCE_SIZE] {
    rand::random()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_check_distinguishes_keys_and_streams() {
        let a = StreamKey::derive(b"secret", b"ORDERS");
        assert!(a.verify(&a.key_check()).is_ok());
        let other_key = StreamKey::derive(b"secreT", b"ORDERS");
        assert_eq!(other_key.verify(&a.key_check()), Err(Error::WrongKey));
        let other_stream = StreamKey::derive(b"secret", b"ORDERZ");
        assert_ne!(other_stream.key_check(), a.key_check());
    }

    #[test]
    fn seal_open_roundtrip_and_tamper_for_both_ciphers() {
        let key = StreamKey::derive(b"k", b"S");
        for kind in [CipherKind::Aes256Gcm, CipherKind::ChaCha20Poly1305] {
            let cipher = RecordCipher::new(kind, &key).expect("cipher for non-None kind");
            let nonce = random_nonce();
            let mut buf = b"hello world".to_vec();
            let tag = cipher.seal_in_place(&nonce, b"aad", &mut buf).unwrap();
            assert_ne!(buf, b"hello world");
            let mut copy = buf.clone();
            cipher
                .open_in_place(7, &nonce, b"aad", &mut copy, &tag)
                .unwrap();
            assert_eq!(copy, b"hello world");
            let mut copy = buf.clone();
            let wrong_aad = cipher.open_in_place(7, &nonce, b"aaD", &mut copy, &tag);
            assert_eq!(wrong_aad, Err(Error::Authentication { seq: 7 }));
        }
        assert!(RecordCipher::new(CipherKind::None, &key).is_none());
    }

    #[test]
    fn cipher_kind_bytes_roundtrip() {
        for kind in [
            CipherKind::None,
            CipherKind::Aes256Gcm,
            CipherKind::ChaCha20Poly1305,
        ] {
            assert_eq!(CipherKind::from_byte(kind.to_byte()), Ok(kind));
        }
        assert!(matches!(
            CipherKind::from_byte(9),
            Err(Error::Unknown { .. })
        ));
    }
}
