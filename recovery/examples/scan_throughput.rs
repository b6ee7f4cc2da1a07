//! Measures block-scan throughput (MB/s) of the recovery scanner, and record encode throughput
//! for comparison. Results go in docs/benchmarks/recovery.md.
//!
//! `cargo run --release -p natrium-recovery --example scan_throughput [payload_bytes] [block_mb]`

use std::path::Path;
use std::time::Instant;

use natrium_format::cipher::random_nonce;
use natrium_format::{
    BlockHeader, CipherKind, Compression, Limits, RecordCipher, RecordEncoder, RecordInput,
    StreamKey,
};
use natrium_recovery::{RecoveryMode, ScanOptions, scan_block};

const ROUNDS: usize = 5;

fn build(payload_len: usize, block_bytes: usize, cipher: Option<&RecordCipher>) -> (Vec<u8>, f64) {
    let payload: Vec<u8> = (0..payload_len).map(|i| (i * 31 % 251) as u8).collect();
    let mut block = Vec::with_capacity(block_bytes + payload_len + 256);
    BlockHeader::new(1, CipherKind::None, Compression::None).encode(&mut block);
    let mut encoder = RecordEncoder::new(Limits::default(), false);
    let start = Instant::now();
    let mut seq = 0u64;
    while block.len() < block_bytes {
        seq += 1;
        let input = RecordInput::message(seq, seq as i64, b"orders.eu.created", b"", &payload);
        let seal = cipher.map(|c| (c, random_nonce()));
        encoder.encode(&input, seal, &mut block).expect("encode");
    }
    let mb_per_s = block.len() as f64 / 1e6 / start.elapsed().as_secs_f64();
    (block, mb_per_s)
}

fn scan_rate(block: &[u8], mode: RecoveryMode) -> (f64, u64) {
    let options = ScanOptions::new(mode, Path::new("bench.blk"), true);
    let mut best = f64::MAX;
    let mut records = 0u64;
    for _ in 0..ROUNDS {
        records = 0;
        let start = Instant::now();
        scan_block(block, &options, |_| records += 1).expect("scan");
        best = best.min(start.elapsed().as_secs_f64());
    }
    (block.len() as f64 / 1e6 / best, records)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let payload_len: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(128);
    let block_mb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let (block, encode_rate) = build(payload_len, block_mb << 20, None);
    println!("payload {payload_len} B, block {} MB", block.len() >> 20);
    println!("encode (plain)               {encode_rate:8.0} MB/s");
    for mode in [RecoveryMode::Strict, RecoveryMode::Salvage] {
        let (rate, records) = scan_rate(&block, mode);
        let name = format!("scan {mode:?}");
        println!("{name:<29}{rate:8.0} MB/s ({records} records)");
    }
    // Damage every 1000th record's payload: salvage resynchronises after each.
    let mut damaged = block.clone();
    let stride = (payload_len + 40 + 17) * 1000;
    let mut at = 32 + 60;
    while at < damaged.len() {
        damaged[at] ^= 0xff;
        at += stride;
    }
    let (rate, records) = scan_rate(&damaged, RecoveryMode::Salvage);
    println!("scan Salvage, 0.1% damaged   {rate:8.0} MB/s ({records} records kept)");
    let key = StreamKey::derive(b"bench key", b"BENCH");
    for kind in [CipherKind::Aes256Gcm, CipherKind::ChaCha20Poly1305] {
        let cipher = RecordCipher::new(kind, &key);
        let (sealed, rate) = build(payload_len, block_mb << 20, cipher.as_ref());
        let (scan, _) = scan_rate(&sealed, RecoveryMode::Strict);
        let name = format!("encode {kind:?}");
        println!("{name:<29}{rate:8.0} MB/s; scan (crc only, no key) {scan:6.0} MB/s");
    }
}
