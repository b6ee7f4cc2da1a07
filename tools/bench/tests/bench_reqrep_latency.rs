//! Request/reply: every request gets exactly one reply through the queue group, and each
//! round trip lands in the latency histogram.

mod fake_server;

use fake_server::{FakeServer, run_bench};

#[test]
fn every_request_is_answered_once_and_timed() {
    let server = FakeServer::start(0);
    let (output, report) = run_bench(
        &server.url,
        &[
            "reqrep",
            "--clients",
            "3",
            "--services",
            "2",
            "--msgs",
            "300",
            "--size",
            "32",
        ],
    );
    assert!(output.status.success(), "{report}");
    assert_eq!(report["received"], 300);
    assert_eq!(report["timeouts"], 0);
    assert_eq!(report["requests"]["clients"], 3);
    let latency = &report["latency_us"];
    assert_eq!(latency["samples"], 300);
    let p50 = latency["p50_us"].as_f64().unwrap();
    let p99 = latency["p99_us"].as_f64().unwrap();
    assert!(p50 > 0.0 && p50 <= p99, "{latency}");
    assert!(p99 <= latency["max_us"].as_f64().unwrap());
}
