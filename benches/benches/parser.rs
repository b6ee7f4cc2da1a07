//! Criterion benches of the NATS client-protocol parser: PUB and HPUB frames of several sizes
//! parsed from one buffer, and the same stream fed in 1500-byte chunks the way a connection's
//! read buffer sees it. Throughput is reported in bytes of protocol stream per second.
//!
//! The parser allocates nothing by construction (frames borrow from the input; no `Vec`,
//! `String` or `Box` on its path), so no allocation counter is installed here: one would need
//! an `unsafe impl GlobalAlloc`, which the workspace denies.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use natrium_nats::{Parsed, ParserLimits, parser};

/// Frames in each benched stream.
const FRAMES: usize = 1000;

/// Parses every frame of `input`; returns how many there were.
fn parse_all(input: &[u8], limits: &ParserLimits) -> usize {
    let mut offset = 0;
    let mut frames = 0;
    while let Ok(Parsed::Frame { frame, consumed }) = parser::parse(&input[offset..], limits) {
        black_box(frame);
        offset += consumed;
        frames += 1;
    }
    frames
}

/// Feeds `input` in `chunk` byte reads into a reusable buffer, parsing after each read as the
/// connection task does (the unparsed tail moves to the front before the next read).
fn parse_chunked(input: &[u8], chunk: usize, buffer: &mut Vec<u8>, limits: &ParserLimits) -> usize {
    buffer.clear();
    let mut frames = 0;
    for piece in input.chunks(chunk) {
        buffer.extend_from_slice(piece);
        let mut offset = 0;
        while let Ok(Parsed::Frame { frame, consumed }) = parser::parse(&buffer[offset..], limits) {
            black_box(frame);
            offset += consumed;
            frames += 1;
        }
        buffer.drain(..offset);
    }
    frames
}

fn pub_frame(payload: usize, reply: bool) -> Vec<u8> {
    let reply = if reply { " _INBOX.abcdefghij.1" } else { "" };
    format!(
        "PUB orders.eu.created{reply} {payload}\r\n{}\r\n",
        "x".repeat(payload)
    )
    .into_bytes()
}

fn hpub_frame(payload: usize) -> Vec<u8> {
    let headers = "NATS/1.0\r\nNats-Msg-Id: 0123456789\r\n\r\n";
    let total = headers.len() + payload;
    format!(
        "HPUB orders.eu.created {} {total}\r\n{headers}{}\r\n",
        headers.len(),
        "x".repeat(payload)
    )
    .into_bytes()
}

fn bench_parser(c: &mut Criterion) {
    let limits = ParserLimits::default();
    let mut group = c.benchmark_group("parser");
    let cases = [
        ("pub_16b", pub_frame(16, false)),
        ("pub_reply_128b", pub_frame(128, true)),
        ("pub_1kb", pub_frame(1024, false)),
        ("hpub_128b", hpub_frame(128)),
        (
            "sub_unsub",
            b"SUB orders.*.created workers 42\r\nUNSUB 42 10\r\n".to_vec(),
        ),
    ];
    for (name, frame) in cases {
        let stream = frame.repeat(FRAMES);
        group.throughput(Throughput::Bytes(stream.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse_all(black_box(&stream), &limits)));
    }
    for (name, payload) in [("split_1500_pub_128b", 128), ("split_1500_pub_4kb", 4096)] {
        let stream = pub_frame(payload, false).repeat(FRAMES);
        let mut buffer = Vec::with_capacity(limits.frame_bytes_max());
        group.throughput(Throughput::Bytes(stream.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| parse_chunked(black_box(&stream), 1500, &mut buffer, &limits))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_parser);
criterion_main!(benches);
