//! The fixed 32-byte header at the start of every block file (docs/formats/block.md).

use crate::cipher::CipherKind;
use crate::layout::{FORMAT_VERSION, block as L};
use crate::meta::Compression;
use crate::wire::{Reader, check_crc, push_crc};
use crate::{Error, Result};

/// What a block file says about itself. Records follow at offset `layout::block::HEADER_SIZE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    pub index: u32,
    /// Reserved for block-wide flags; written as 0, unknown bits rejected.
    pub flags: u16,
    pub cipher: CipherKind,
    pub compression: Compression,
}

impl BlockHeader {
    pub fn new(index: u32, cipher: CipherKind, compression: Compression) -> Self {
        Self {
            index,
            flags: 0,
            cipher,
            compression,
        }
    }

    /// Appends the 32 header bytes to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&L::MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.index.to_le_bytes());
        out.push(self.cipher.to_byte());
        out.push(self.compression.to_byte());
        out.extend_from_slice(&[0u8; L::CRC_OFFSET - L::RESERVED_OFFSET]);
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
        if flags != 0 {
            return Err(Error::Corrupt {
                offset: L::FLAGS_OFFSET as u64,
                reason: "unknown block flags",
            });
        }
        Ok(Self {
            index: r.u32(L::INDEX_OFFSET)?,
            flags,
            cipher: CipherKind::from_byte(r.u8(L::CIPHER_OFFSET)?)?,
            compression: Compression::from_byte(r.u8(L::COMPRESSION_OFFSET)?)?,
        })
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
        for len in 0..buf.len() {
            assert!(matches!(
                BlockHeader::decode(&buf[..len]),
                Err(Error::Truncated { .. })
            ));
        }
    }
}
