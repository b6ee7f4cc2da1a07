//! The connection's reusable read buffer: bytes are read in after what is still unparsed,
//! frames are parsed in place, and the unparsed tail moves to the front only when room runs
//! out. Its capacity never exceeds one maximal frame plus a read chunk.

/// Bytes offered to each read when the buffer has no better hint.
const READ_CHUNK_BYTES: usize = 16 * 1024;

/// A read buffer with a parse cursor.
#[derive(Debug)]
pub struct ReadBuffer {
    bytes: Vec<u8>,
    start: usize,
    /// Total unparsed bytes the current frame needs (from the parser), 0 when unknown.
    needed: usize,
    /// `frame_bytes_max` + one read chunk: the most this buffer ever holds.
    capacity_max: usize,
}

impl ReadBuffer {
    /// An empty buffer for frames of at most `frame_bytes_max` bytes.
    pub fn new(frame_bytes_max: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(READ_CHUNK_BYTES),
            start: 0,
            needed: 0,
            capacity_max: frame_bytes_max.saturating_add(READ_CHUNK_BYTES),
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
            .max(unparsed + READ_CHUNK_BYTES / 4)
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
        buffer.prepare().extend_from_slice(b"PING\r\nPU");
        buffer.consume(6);
        assert_eq!(buffer.unparsed(), b"PU");
        buffer.expect(50);
        let bytes = buffer.prepare();
        assert!(bytes.capacity() - bytes.len() >= 48);
        buffer.consume(2);
        buffer.prepare();
        assert!(buffer.unparsed().is_empty());
        assert!(buffer.bytes.capacity() <= READ_CHUNK_BYTES + 100 + 1024);
    }
}
