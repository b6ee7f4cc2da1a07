//! When the server drops messages, natrium-bench stops at its timeout, reports exactly how
//! many were lost, and exits with code 2 instead of waiting forever.

mod fake_server;

use fake_server::{FakeServer, run_bench};

#[test]
fn dropped_deliveries_are_reported_as_loss_with_exit_code_2() {
    // Every 100th delivery is dropped: 20 of 2000.
    let server = FakeServer::start(100);
    let (output, report) = run_bench(
        &server.url,
        &[
            "pubsub",
            "--msgs",
            "2000",
            "--size",
            "8",
            "--timeout-s",
            "2",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert_eq!(report["complete"], false);
    assert_eq!(report["expected"], 2_000);
    assert_eq!(report["received"], 1_980);
    assert_eq!(report["lost"], 20);
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|error| error.as_str().unwrap().contains("1980 of 2000"))
    );
}
