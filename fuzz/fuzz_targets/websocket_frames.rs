//! Fuzzes the WebSocket frame decoder: it must never panic, every call must make progress,
//! data ranges must lie inside the input and respect the read size, and the outcome (data
//! bytes, control events, error) must be the same whether the input arrives whole or split
//! at any byte, in reads of any size. The upgrade answer is fuzzed too (never panics).
#![no_main]

use libfuzzer_sys::fuzz_target;
use natrium_websocket::frame::{Decoder, Event};

/// Frame payload limit for the run: small, so that the limit is hit often.
const PAYLOAD_MAX: u64 = 4096;

type Outcome = (Vec<u8>, Vec<String>, Option<String>);

fn decode(input: &[u8], cut: usize, data_max: usize) -> Outcome {
    let mut decoder = Decoder::new(PAYLOAD_MAX);
    let mut data = Vec::new();
    let mut events = Vec::new();
    for chunk in [&input[..cut], &input[cut..]] {
        let mut chunk = chunk.to_vec();
        let mut offset = 0;
        while offset < chunk.len() {
            let rest = &mut chunk[offset..];
            let length = rest.len();
            let decoded = match decoder.decode(rest, data_max) {
                Ok(decoded) => decoded,
                Err(error) => return (data, events, Some(error.to_string())),
            };
            assert!(decoded.consumed <= length);
            assert!(decoded.consumed > 0 || decoded.event.is_some());
            match decoded.event {
                Some(Event::Data(range)) => {
                    assert!(range.end <= decoded.consumed && range.len() <= data_max);
                    data.extend_from_slice(&rest[range]);
                }
                Some(event) => events.push(format!("{event:?}")),
                None => assert_eq!(decoded.consumed, length),
            }
            offset += decoded.consumed;
        }
    }
    (data, events, None)
}

fuzz_target!(|input: &[u8]| {
    let Some((&selector, frames)) = input.split_first() else {
        return;
    };
    let whole = decode(frames, frames.len(), usize::MAX);
    let cut = usize::from(selector) % (frames.len() + 1);
    let data_max = usize::from(selector % 17) + 1;
    assert_eq!(decode(frames, cut, data_max), whole);
    let settings = natrium_websocket::WebSocketSettings::default();
    let _ = natrium_websocket::handshake::answer(frames, &settings, selector & 1 == 1);
});
