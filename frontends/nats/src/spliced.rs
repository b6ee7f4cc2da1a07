//! [`Spliced`]: outbound bytes as one growable buffer with shared payloads spliced in. Small
//! deliveries and protocol replies are copied into the buffer; a large payload that the
//! publisher could share (see `Message::payload_shared`) is kept as a reference-counted
//! [`Bytes`] at its position instead, and written with vectored writes: the payload is never
//! copied in user space between the publisher's read and the subscriber's socket.
//!
//! The logical byte stream is `buffer[..at0] ++ shared0 ++ buffer[at0..at1] ++ shared1 ++ ...
//! ++ buffer[atN..]`, where `at` are the splice offsets, in non-decreasing order.

use std::io::IoSlice;

use bytes::Bytes;

/// Most slices handed to one vectored write (Linux's `IOV_MAX` is 1024).
pub const IO_SLICES_MAX: usize = 64;

/// A buffer with shared payloads spliced in at offsets.
#[derive(Debug, Default)]
pub struct Spliced {
    /// Copied bytes.
    pub buffer: Vec<u8>,
    /// `(offset in buffer, payload)`: each payload goes out right before `buffer[offset..]`.
    splices: Vec<(usize, Bytes)>,
    /// Sum of the spliced payloads' lengths.
    spliced_bytes: usize,
}

impl Spliced {
    /// Total bytes in the logical stream.
    pub fn len(&self) -> usize {
        self.buffer.len() + self.spliced_bytes
    }

    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty() && self.splices.is_empty()
    }

    /// True when every byte is in `buffer` (nothing spliced).
    pub fn is_contiguous(&self) -> bool {
        self.splices.is_empty()
    }

    /// Splices `payload` in at the current end of the buffer.
    pub fn splice(&mut self, payload: Bytes) {
        self.spliced_bytes += payload.len();
        self.splices.push((self.buffer.len(), payload));
    }

    /// Empties it, keeping the buffer's capacity.
    pub fn clear(&mut self) {
        self.buffer.clear();
        self.splices.clear();
        self.spliced_bytes = 0;
    }

    /// Exchanges contents with `other`.
    pub fn swap(&mut self, other: &mut Spliced) {
        std::mem::swap(self, other);
    }

    /// Fills `slices` with the stream from byte `position` on, in order, stopping at
    /// [`IO_SLICES_MAX`] slices.
    pub fn io_slices<'a>(&'a self, position: usize, slices: &mut Vec<IoSlice<'a>>) {
        slices.clear();
        let mut skip = position;
        let mut push = |segment: &'a [u8], slices: &mut Vec<IoSlice<'a>>| {
            if segment.len() <= skip {
                skip -= segment.len();
                return slices.len() < IO_SLICES_MAX;
            }
            slices.push(IoSlice::new(segment.get(skip..).unwrap_or_default()));
            skip = 0;
            slices.len() < IO_SLICES_MAX
        };
        let mut copied_from = 0;
        for (at, payload) in &self.splices {
            let copied = self.buffer.get(copied_from..*at).unwrap_or_default();
            copied_from = *at;
            if !push(copied, slices) || !push(payload, slices) {
                return;
            }
        }
        push(self.buffer.get(copied_from..).unwrap_or_default(), slices);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(spliced: &Spliced, position: usize) -> Vec<u8> {
        let mut slices = Vec::new();
        spliced.io_slices(position, &mut slices);
        slices.iter().flat_map(|slice| slice.to_vec()).collect()
    }

    #[test]
    fn splices_go_out_in_place_from_any_position() {
        let mut spliced = Spliced::default();
        spliced.buffer.extend_from_slice(b"MSG a 1 3\r\n");
        spliced.splice(Bytes::from_static(b"abc"));
        spliced.buffer.extend_from_slice(b"\r\nMSG b 1 2\r\n");
        spliced.splice(Bytes::from_static(b"de"));
        spliced.buffer.extend_from_slice(b"\r\nPONG\r\n");
        let whole = b"MSG a 1 3\r\nabc\r\nMSG b 1 2\r\nde\r\nPONG\r\n";
        assert_eq!(spliced.len(), whole.len());
        for position in 0..=whole.len() {
            assert_eq!(
                stream(&spliced, position),
                whole[position..],
                "from {position}"
            );
        }
        assert!(!spliced.is_contiguous());
        spliced.clear();
        assert!(spliced.is_empty() && spliced.is_contiguous());
    }

    #[test]
    fn slices_per_call_are_bounded() {
        let mut spliced = Spliced::default();
        for _ in 0..IO_SLICES_MAX {
            spliced.buffer.extend_from_slice(b"h");
            spliced.splice(Bytes::from_static(b"p"));
        }
        let mut slices = Vec::new();
        spliced.io_slices(0, &mut slices);
        assert_eq!(slices.len(), IO_SLICES_MAX);
        assert_eq!(
            slices.iter().map(|slice| slice.len()).sum::<usize>(),
            IO_SLICES_MAX
        );
    }
}
