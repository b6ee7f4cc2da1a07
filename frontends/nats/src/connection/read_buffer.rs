//! The connection's reusable read buffer: bytes are read in after what is still unparsed,
//! frames are parsed in place, and the unparsed tail moves to the front only when room runs
//! out. Its capacity never exceeds one maximal frame plus a read chunk.

/// Bytes offered to the first read: most connections are quiet and stay this small.
const READ_CHUNK_BYTES_MIN: usize = 4 * 1024;
/// Bytes offered to each read at most: a busy publisher gets big reads (fewer syscalls),
/// growing to this as its reads keep filling the buffer.
const READ_CHUNK_BYTES_MAX: usize = 64 * 1024;

/// A read buffer with a parse cursor.
#[derive(Debug)]
pub struct ReadBuffer {
    bytes: Vec<u8>,
    start: usize,
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
            bytes: Vec::new(),
            start: 0,
            needed: 0,
            capacity_max: frame_bytes_max.saturating_add(READ_CHUNK_BYTES_MAX),
            chunk: READ_CHUNK_BYTES_MIN,
        }
    }

    /// The bytes not parsed yet.
    pub fn unparsed(&self) -> &[u8] {
        self.bytes.get(self.start..).unwrap_or_default()
    }

    /// Marks `count` bytes as parsed.
    pub fn consume(&mut self, count: usize) {
        self.start = (self.start + count).min(self.bytes.len());
        self.needed = 0;
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

    /// Makes room for the next read and returns the vector to read into (its spare capacity
    /// is filled by `read_buf`). Compacts or grows, within `capacity_max`.
    pub fn prepare(&mut self) -> &mut Vec<u8> {
        let unparsed = self.bytes.len() - self.start.min(self.bytes.len());
        if unparsed == 0 {
            self.bytes.clear();
            self.start = 0;
        }
        let want = self
            .needed
            .max(unparsed + self.chunk)
            .min(self.capacity_max);
        if self.start > 0 && self.start + want > self.bytes.capacity() {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        let spare_wanted = (self.start + want)
            .saturating_sub(self.bytes.len())
            .max(1024);
        let room = self.capacity_max.saturating_sub(self.bytes.len()).max(1);
        self.bytes.reserve(spare_wanted.min(room));
        &mut self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_and_stays_bounded() {
        let mut buffer = ReadBuffer::new(100);
        buffer.filled(READ_CHUNK_BYTES_MIN);
        assert_eq!(buffer.chunk, 2 * READ_CHUNK_BYTES_MIN);
        buffer.prepare().extend_from_slice(b"PING\r\nPU");
        buffer.consume(6);
        assert_eq!(buffer.unparsed(), b"PU");
        buffer.expect(50);
        let bytes = buffer.prepare();
        assert!(bytes.capacity() - bytes.len() >= 48);
        buffer.consume(2);
        buffer.prepare();
        assert!(buffer.unparsed().is_empty());
        assert!(buffer.bytes.capacity() <= READ_CHUNK_BYTES_MAX + 100 + 1024);
    }
}
