//! Large payloads are delivered by reference to the publisher's read buffer and written with
//! vectored writes; small ones are copied. Mixed in one pipelined stream, to two subscribers,
//! every byte must arrive in order, exactly as the copying path would write it.

mod common;

use common::{Client, options, start_with};
use natrium_auth::Authenticator;

/// Sizes on both sides of the sharing threshold (8 KiB).
const SIZES: &[usize] = &[1, 100, 8191, 8192, 9000, 16_384, 40_000, 65_536, 0, 12_345];
const PAYLOAD_MAX: usize = 128 * 1024;

/// A payload that never contains `PONG` (the harness's barrier marker).
fn payload(size: usize, seed: usize) -> Vec<u8> {
    (0..size)
        .map(|at| b'a' + ((at + seed) % 13) as u8)
        .collect()
}

#[tokio::test]
async fn mixed_small_and_shared_payloads_arrive_byte_for_byte() {
    let server = start_with(
        natrium_nats::NatsOptions {
            max_payload: PAYLOAD_MAX as u32,
            max_control_line: 4096,
            ..options()
        },
        Authenticator::open(),
    )
    .await;
    let headers_on = ",\"headers\":true,\"pedantic\":false";
    let mut first = Client::connect_quiet(&server, headers_on).await;
    let mut second = Client::connect_quiet(&server, headers_on).await;
    first.send(b"SUB big 1\r\n").await;
    second.send(b"SUB big 2\r\n").await;
    first.sync().await;
    second.sync().await;

    let mut publisher = Client::connect_quiet(&server, headers_on).await;
    let mut sent = Vec::new();
    let (mut expected_first, mut expected_second) = (Vec::new(), Vec::new());
    for round in 0..3 {
        for (index, &size) in SIZES.iter().enumerate() {
            let body = payload(size, round * 100 + index);
            let with_headers = index % 3 == 1;
            let headers: &[u8] = b"NATS/1.0\r\nk: v\r\n\r\n";
            for (expected, sid) in [(&mut expected_first, 1), (&mut expected_second, 2)] {
                if with_headers {
                    let total = headers.len() + size;
                    let line = format!("HMSG big {sid} rep {} {total}\r\n", headers.len());
                    expected.extend_from_slice(line.as_bytes());
                    expected.extend_from_slice(headers);
                } else {
                    expected.extend_from_slice(format!("MSG big {sid} rep {size}\r\n").as_bytes());
                }
                expected.extend_from_slice(&body);
                expected.extend_from_slice(b"\r\n");
            }
            if with_headers {
                let total = headers.len() + size;
                let line = format!("HPUB big rep {} {total}\r\n", headers.len());
                sent.extend_from_slice(line.as_bytes());
                sent.extend_from_slice(headers);
            } else {
                sent.extend_from_slice(format!("PUB big rep {size}\r\n").as_bytes());
            }
            sent.extend_from_slice(&body);
            sent.extend_from_slice(b"\r\n");
        }
    }
    // Written in odd-sized pieces so frames straddle reads.
    for piece in sent.chunks(7_777) {
        publisher.send(piece).await;
    }
    publisher.sync().await;
    assert_eq!(first.sync().await, expected_first);
    assert_eq!(second.sync().await, expected_second);
}
