//! The fixed 32-byte header at the start of every block file (docs/formats/block.md).

use crate::cipher::{CipherKind, StreamKey};
use crate::layout::{FORMAT_VERSION, block as L};
use crate::meta::Compression;
use crate::wire::{Reader, check_crc, push_crc};
use crate::{Error, Result};

/// What a block file says about itself. Records follow at offset `layout::block::HEADER_SIZE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    pub index: u32,
    /// Block-wide flags (`layout::block::FLAG_*`); unknown bits rejected.
    pub flags: u16,
    pub cipher: CipherKind,
    pub compression: Compression,
    /// With `FLAG_AUTHENTICATED`: the MAC of bytes `0..20` (see [`BlockHeader::verify`]).
    pub mac: [u8; L::HEADER_MAC_SIZE],
}

impl BlockHeader {
    pub fn new(index: u32, cipher: CipherKind, compression: Compression) -> Self {
        Self {
            index,
            flags: 0,
            cipher,
            compression,
            mac: [0; L::HEADER_MAC_SIZE],
        }
    }

    /// The header of a block of an encrypted stream: flagged authenticated, with the MAC of
    /// its bytes under `key`.
    pub fn authenticated(
        index: u32,
        cipher: CipherKind,
        compression: Compression,
        key: &StreamKey,
    ) -> Self {
        let mut header = Self::new(index, cipher, compression);
        header.flags = L::FLAG_AUTHENTICATED;
        header.mac = key.header_mac(&header.mac_input());
        header
    }

    /// Whether the header carries a MAC (and its block's records are all sealed).
    pub fn is_authenticated(&self) -> bool {
        self.flags & L::FLAG_AUTHENTICATED != 0
    }

    /// `Error::Authentication` unless the header is authenticated and its MAC is `key`'s.
    pub fn verify(&self, key: &StreamKey) -> Result<()> {
        if self.is_authenticated() && key.header_mac_matches(&self.mac_input(), &self.mac) {
            Ok(())
        } else {
            Err(Error::Authentication { seq: 0 })
        }
    }

    /// Bytes `0..HEADER_MAC_OFFSET` as this header encodes them (the MAC's input).
    fn mac_input(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(L::HEADER_SIZE);
        out.extend_from_slice(&L::MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.index.to_le_bytes());
        out.push(self.cipher.to_byte());
        out.push(self.compression.to_byte());
        out.extend_from_slice(&[0u8; L::HEADER_MAC_OFFSET - L::RESERVED_OFFSET]);
        assert_eq!(out.len(), L::HEADER_MAC_OFFSET);
        out
    }

    /// Appends the 32 header bytes to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.mac_input());
        out.extend_from_slice(&self.mac);
        push_crc(out, start);
    }

    /// Decodes the header from the start of a block file.
    pub fn decode(buf: &[u8]) -> Result<Self> {
        let r = Reader::new(buf, 0);
        r.bytes(0, L::HEADER_SIZE)?;
        if r.array::<8>(L::MAGIC_OFFSET)? != L::MAGIC {
            return Err(Error::Corrupt {
                offset: 0,
                reason: "bad block magic",
            });
        }
        check_crc(&r, L::CRC_OFFSET)?;
        let version = r.u16(L::VERSION_OFFSET)?;
        if version != FORMAT_VERSION {
            return Err(Error::Version {
                got: version,
                supported: FORMAT_VERSION,
            });
        }
        let flags = r.u16(L::FLAGS_OFFSET)?;
        if flags & !L::FLAGS_KNOWN != 0 {
            return Err(Error::Corrupt {
                offset: L::FLAGS_OFFSET as u64,
                reason: "unknown block flags",
            });
        }
        let header = Self {
            index: r.u32(L::INDEX_OFFSET)?,
            flags,
            cipher: CipherKind::from_byte(r.u8(L::CIPHER_OFFSET)?)?,
            compression: Compression::from_byte(r.u8(L::COMPRESSION_OFFSET)?)?,
            mac: r.array(L::HEADER_MAC_OFFSET)?,
        };
        // Unauthenticated headers keep the reserved bytes and MAC zero; an authenticated one
        // re-encodes exactly (the MAC check covers the reserved bytes through that).
        let reserved = r.bytes(
            L::RESERVED_OFFSET,
            L::HEADER_MAC_OFFSET - L::RESERVED_OFFSET,
        )?;
        let clean = reserved.iter().all(|byte| *byte == 0)
            && (header.is_authenticated() || header.mac == [0; L::HEADER_MAC_SIZE]);
        if !clean {
            return Err(Error::Corrupt {
                offset: L::RESERVED_OFFSET as u64,
                reason: "non-zero reserved block header bytes",
            });
        }
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_roundtrip_and_every_bit_flip_detected() {
        let header = BlockHeader::new(77, CipherKind::ChaCha20Poly1305, Compression::Snappy);
        let mut buf = Vec::new();
        header.encode(&mut buf);
        assert_eq!(buf.len(), L::HEADER_SIZE);
        assert_eq!(BlockHeader::decode(&buf), Ok(header));
        for bit in 0..buf.len() * 8 {
            let mut bad = buf.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(BlockHeader::decode(&bad).is_err(), "bit {bit}");
        }
        let key = StreamKey::derive(b"k", b"S");
        let header = BlockHeader::authenticated(9, CipherKind::Aes256Gcm, Compression::None, &key);
        let mut buf = Vec::new();
        header.encode(&mut buf);
        let decoded = BlockHeader::decode(&buf).unwrap();
        assert_eq!(decoded, header);
        assert_eq!(decoded.verify(&key), Ok(()));
        assert!(decoded.verify(&StreamKey::derive(b"K", b"S")).is_err());
        assert!(
            BlockHeader::new(9, CipherKind::Aes256Gcm, Compression::None)
                .verify(&key)
                .is_err()
        );
        // Altered fields with a recomputed crc decode, and fail the MAC.
        for at in [12, 16, 17, 20] {
            let mut bad = buf.clone();
            bad[at] ^= 1;
            let crc = crc32fast::hash(&bad[..28]);
            bad[28..32].copy_from_slice(&crc.to_le_bytes());
            let verified = BlockHeader::decode(&bad).and_then(|h| h.verify(&key));
            assert!(verified.is_err(), "byte {at}");
        }
        for len in 0..buf.len() {
            assert!(matches!(
                BlockHeader::decode(&buf[..len]),
                Err(Error::Truncated { .. })
            ));
        }
    }
}
