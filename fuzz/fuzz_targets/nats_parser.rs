//! Fuzzes the NATS client-protocol parser: it must never panic, never ask for more than one
//! maximal frame, and must yield the same frames whether the input arrives whole or split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natrium_nats::{Parsed, ParserLimits, parser};

/// What a client would see: the frames (as debug text) and, when parsing stopped on an error,
/// the `-ERR` text sent for it (`None` inside for a silent close).
type Outcome = (Vec<String>, Option<Option<&'static str>>);

/// Parses `input` in chunks cut at `cut`, as a connection would.
fn parse_stream(input: &[u8], cut: usize, limits: &ParserLimits) -> Outcome {
    let mut frames = Vec::new();
    let mut buffer = Vec::new();
    for chunk in [&input[..cut], &input[cut..]] {
        buffer.extend_from_slice(chunk);
        loop {
            match parser::parse(&buffer, limits) {
                Ok(Parsed::Frame { frame, consumed }) => {
                    assert!(consumed > 0 && consumed <= buffer.len());
                    frames.push(format!("{frame:?}"));
                    buffer.drain(..consumed);
                }
                Ok(Parsed::Incomplete { needed }) => {
                    assert!(needed > buffer.len() && needed <= limits.frame_bytes_max());
                    break;
                }
                Err(error) => return (frames, Some(error.client_text())),
            }
        }
    }
    (frames, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, input)) = data.split_first() else { return };
    let limits = ParserLimits { control_line_max: 128, payload_max: 512 };
    let whole = parse_stream(input, input.len(), &limits);
    let split = parse_stream(input, usize::from(cut) % (input.len() + 1), &limits);
    assert_eq!(whole, split);
});
