//! The connection's reusable read buffer: bytes are read in after what is still unparsed,
//! frames are parsed in place, and the unparsed tail moves to the front only when room runs
//! out. Its capacity never exceeds one maximal frame plus a read chunk.
//!
//! It is a `BytesMut` so that a frame carrying a large payload can be split off as a
//! reference-counted `Bytes` ([`ReadBuffer::split_frame`]) and delivered without copying the
//! payload; the buffer then continues in a fresh allocation once it needs room and the old
//! one is still referenced, and the old allocation is freed when its last frame is written.

use bytes::{Buf, Bytes, BytesMut};

/// Bytes offered to the first read: most connections are quiet and stay this small.
const READ_CHUNK_BYTES_MIN: usize = 4 * 1024;
/// Bytes offered to each read at most: a busy publisher gets big reads (fewer syscalls),
/// growing to this as its reads keep filling the buffer.
const READ_CHUNK_BYTES_MAX: usize = 64 * 1024;
/// Smallest spare room a read is offered.
const READ_ROOM_BYTES_MIN: usize = 1024;

/// A read buffer with a parse cursor (the front of the `BytesMut`).
#[derive(Debug)]
pub struct ReadBuffer {
    bytes: BytesMut,
    /// Total unparsed bytes the current frame needs (from the parser), 0 when unknown.
    needed: usize,
    /// `frame_bytes_max` + one read chunk: the most this buffer ever holds.
    capacity_max: usize,
    /// Bytes offered to the next read, between the chunk bounds.
    chunk: usize,
}

impl ReadBuffer {
    /// An empty buffer for frames of at most `frame_bytes_max` bytes.
    pub fn new(frame_bytes_max: usize) -> Self {
        Self {
            bytes: BytesMut::new(),
            needed: 0,
            capacity_max: frame_bytes_max
                .checked_add(READ_CHUNK_BYTES_MAX)
                .expect("frame limits are far below usize::MAX"),
            chunk: READ_CHUNK_BYTES_MIN,
        }
    }

    /// The bytes not parsed yet.
    pub fn unparsed(&self) -> &[u8] {
        &self.bytes
    }

    /// Bytes the current allocation holds from the cursor on (unparsed plus spare room): what a
    /// frame split off with [`ReadBuffer::split_frame`] may keep alive at most.
    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// Marks `count` bytes as parsed.
    pub fn consume(&mut self, count: usize) {
        assert!(
            count <= self.bytes.len(),
            "consumed past the unparsed bytes"
        );
        self.bytes.advance(count);
        self.needed = 0;
    }

    /// Takes the next `count` unparsed bytes (one whole frame) out of the buffer as a shared,
    /// immutable handle, without copying them; they count as parsed.
    pub fn split_frame(&mut self, count: usize) -> Bytes {
        assert!(count <= self.bytes.len(), "split past the unparsed bytes");
        self.needed = 0;
        self.bytes.split_to(count).freeze()
    }

    /// Records that the frame at the cursor needs `needed` unparsed bytes in total.
    pub fn expect(&mut self, needed: usize) {
        self.needed = needed;
    }

    /// Records that a read brought `count` bytes: a read that filled its chunk asks for a
    /// bigger one next time.
    pub fn filled(&mut self, count: usize) {
        if count >= self.chunk {
            self.chunk = (self.chunk * 2).min(READ_CHUNK_BYTES_MAX);
        }
    }

    /// Makes room for the next read and returns the buffer to read into (its spare capacity
    /// is filled by `read_buf`). `BytesMut::reserve` moves the unparsed tail to the front of
    /// the allocation when that makes room, or moves to a new one, within `capacity_max`.
    pub fn prepare(&mut self) -> &mut BytesMut {
        let unparsed = self.bytes.len();
        let want = self
            .needed
            .max(unparsed + self.chunk)
            .min(self.capacity_max);
        let spare_wanted = want.saturating_sub(unparsed).max(READ_ROOM_BYTES_MIN);
        let room = self.capacity_max.saturating_sub(unparsed).max(1);
        self.bytes.reserve(spare_wanted.min(room));
        &mut self.bytes
    }
}

#[cfg(test)]
mod tests {
    use bytes::BufMut;

    use super::*;

    #[test]
    fn compacts_and_stays_bounded() {
        let mut buffer = ReadBuffer::new(100);
        buffer.filled(READ_CHUNK_BYTES_MIN);
        assert_eq!(buffer.chunk, 2 * READ_CHUNK_BYTES_MIN);
        buffer.prepare().put_slice(b"PING\r\nPU");
        buffer.consume(6);
        assert_eq!(buffer.unparsed(), b"PU");
        buffer.expect(50);
        let bytes = buffer.prepare();
        assert!(bytes.capacity() - bytes.len() >= 48);
        buffer.consume(2);
        buffer.prepare();
        assert!(buffer.unparsed().is_empty());
        assert!(buffer.capacity() <= 2 * (READ_CHUNK_BYTES_MAX + 100 + READ_ROOM_BYTES_MIN));
    }

    #[test]
    fn a_split_frame_survives_later_reads() {
        let mut buffer = ReadBuffer::new(1024);
        buffer.prepare().put_slice(b"PUB a 5\r\nhello\r\nPING\r\n");
        let frame = buffer.split_frame(16);
        assert_eq!(&frame[..], b"PUB a 5\r\nhello\r\n");
        assert_eq!(buffer.unparsed(), b"PING\r\n");
        buffer.consume(6);
        for _ in 0..8 {
            buffer.prepare().put_slice(&[b'x'; 4096]);
            let len = buffer.unparsed().len();
            buffer.consume(len);
        }
        assert_eq!(
            &frame[..],
            b"PUB a 5\r\nhello\r\n",
            "the split bytes are untouched"
        );
    }
}
