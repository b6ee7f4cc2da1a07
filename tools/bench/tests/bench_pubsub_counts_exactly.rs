//! natrium-bench's fan-out run ends by itself once every subscriber counted every message,
//! and reports exact counts and rates on both sides.

mod fake_server;

use fake_server::{FakeServer, run_bench};

#[test]
fn fanout_counts_every_message_on_every_subscriber_and_exits_zero() {
    let server = FakeServer::start(0);
    let (output, report) = run_bench(
        &server.url,
        &[
            "fanout",
            "--subs",
            "3",
            "--msgs",
            "5000",
            "--size",
            "100",
            "--timeout-s",
            "8",
        ],
    );
    assert!(output.status.success(), "{report}");
    assert_eq!(report["complete"], true);
    assert_eq!(report["expected"], 15_000);
    assert_eq!(report["received"], 15_000);
    assert_eq!(report["lost"], 0);
    assert_eq!(report["publishers"]["msgs"], 5_000);
    assert_eq!(report["publishers"]["payload_bytes"], 500_000);
    assert_eq!(report["subscribers"]["clients"], 3);
    assert_eq!(report["subscribers"]["payload_bytes"], 1_500_000);
    assert!(report["subscribers"]["msgs_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(report["aggregate"]["msgs"], 20_000);
}

#[test]
fn multi_publishers_split_the_count_exactly() {
    let server = FakeServer::start(0);
    let (output, report) = run_bench(
        &server.url,
        &[
            "multi", "--pubs", "3", "--subs", "2", "--msgs", "1000", "--size", "16",
        ],
    );
    assert!(output.status.success(), "{report}");
    assert_eq!(report["publishers"]["clients"], 3);
    assert_eq!(report["publishers"]["msgs"], 1_000);
    assert_eq!(report["received"], 2_000);
}
