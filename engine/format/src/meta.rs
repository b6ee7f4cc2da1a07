//! `stream.meta` (docs/formats/stream-meta.md): the configuration needed to read a stream's
//! blocks (format version, cipher kind and key-check value, compression, block size, name).

use crate::cipher::{CipherKind, StreamKey};
use crate::layout::{CRC_SIZE, FORMAT_VERSION, meta as L};
use crate::wire::{Reader, check_crc, push_crc};
use crate::{Error, Result};

/// Longest stream name stored in `stream.meta` (the Go server caps names far lower).
pub const STREAM_NAME_LEN_MAX: usize = 1024;

/// How record bodies are compressed; stored as one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    #[default]
    None,
    /// snappy raw format, per record body, kept only when smaller.
    Snappy,
}

impl Compression {
    pub fn to_byte(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Snappy => 1,
        }
    }

    pub fn from_byte(value: u8) -> Result<Self> {
        match value {
            0 => Ok(Self::None),
            1 => Ok(Self::Snappy),
            other => Err(Error::Unknown {
                what: "compression",
                value: u64::from(other),
            }),
        }
    }
}

/// Decoded `stream.meta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamMeta {
    pub name: String,
    pub cipher: CipherKind,
    /// All zeros when `cipher` is `None`.
    pub key_check: [u8; L::KEY_CHECK_SIZE],
    pub compression: Compression,
    pub block_bytes_max: u64,
}

impl StreamMeta {
    /// Meta for a new stream; derives the key-check value from `key` when encrypted.
    pub fn new(
        name: &str,
        cipher: CipherKind,
        key: Option<&StreamKey>,
        compression: Compression,
        block_bytes_max: u64,
    ) -> Self {
        let key_check = match (cipher, key) {
            (CipherKind::None, _) | (_, None) => [0; L::KEY_CHECK_SIZE],
            (_, Some(key)) => key.key_check(),
        };
        Self {
            name: name.to_owned(),
            cipher,
            key_check,
            compression,
            block_bytes_max,
        }
    }

    /// `Error::WrongKey` when the stream is encrypted and `key` is not the one that made it;
    /// `Error::KeyRequired` when it is encrypted and no key was given.
    pub fn check_key(&self, key: Option<&StreamKey>) -> Result<()> {
        match (self.cipher, key) {
            (CipherKind::None, _) => Ok(()),
            (_, None) => Err(Error::KeyRequired { seq: 0 }),
            (_, Some(key)) => key.verify(&self.key_check),
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        let name_len = u16::try_from(self.name.len())
            .ok()
            .filter(|len| usize::from(*len) <= STREAM_NAME_LEN_MAX)
            .ok_or(Error::Limit {
                what: "stream name length",
                max: STREAM_NAME_LEN_MAX as u64,
            })?;
        let start = out.len();
        out.extend_from_slice(&L::MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.push(self.cipher.to_byte());
        out.push(self.compression.to_byte());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&self.block_bytes_max.to_le_bytes());
        out.extend_from_slice(&self.key_check);
        out.extend_from_slice(self.name.as_bytes());
        push_crc(out, start);
        Ok(())
    }

    pub fn decode(buf: &[u8]) -> Result<Self> {
        let r = Reader::new(buf, 0);
        if r.array::<8>(0)? != L::MAGIC {
            return Err(Error::Corrupt {
                offset: 0,
                reason: "bad stream.meta magic",
            });
        }
        let name_len = usize::from(r.u16(L::NAME_LEN_OFFSET)?);
        if name_len > STREAM_NAME_LEN_MAX {
            return Err(Error::Limit {
                what: "stream name length",
                max: STREAM_NAME_LEN_MAX as u64,
            });
        }
        let crc_at = L::FIXED_SIZE + name_len;
        check_crc(&r, crc_at)?;
        if buf.len() != crc_at + CRC_SIZE {
            return Err(Error::Corrupt {
                offset: (crc_at + CRC_SIZE) as u64,
                reason: "trailing bytes after stream.meta",
            });
        }
        let version = r.u16(L::VERSION_OFFSET)?;
        if version != FORMAT_VERSION {
            return Err(Error::Version {
                got: version,
                supported: FORMAT_VERSION,
            });
        }
        let name =
            std::str::from_utf8(r.bytes(L::FIXED_SIZE, name_len)?).map_err(|_| Error::Corrupt {
                offset: L::FIXED_SIZE as u64,
                reason: "stream name is not UTF-8",
            })?;
        Ok(Self {
            name: name.to_owned(),
            cipher: CipherKind::from_byte(r.u8(L::CIPHER_OFFSET)?)?,
            key_check: r.array(L::KEY_CHECK_OFFSET)?,
            compression: Compression::from_byte(r.u8(L::COMPRESSION_OFFSET)?)?,
            block_bytes_max: r.u64(L::BLOCK_BYTES_MAX_OFFSET)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_roundtrip_flips_truncations_and_key_check() {
        let key = StreamKey::derive(b"secret", b"ORDERS");
        let meta = StreamMeta::new(
            "ORDERS",
            CipherKind::Aes256Gcm,
            Some(&key),
            Compression::Snappy,
            8 << 20,
        );
        let mut buf = Vec::new();
        meta.encode(&mut buf).unwrap();
        assert_eq!(StreamMeta::decode(&buf).as_ref(), Ok(&meta));
        for bit in 0..buf.len() * 8 {
            let mut bad = buf.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(StreamMeta::decode(&bad).is_err(), "bit {bit}");
        }
        for len in 0..buf.len() {
            assert!(StreamMeta::decode(&buf[..len]).is_err(), "len {len}");
        }
        assert_eq!(meta.check_key(Some(&key)), Ok(()));
        let wrong = StreamKey::derive(b"other", b"ORDERS");
        assert_eq!(meta.check_key(Some(&wrong)), Err(Error::WrongKey));
        assert!(matches!(
            meta.check_key(None),
            Err(Error::KeyRequired { .. })
        ));
    }
}
