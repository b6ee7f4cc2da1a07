//! A publisher that the server rejects stops with the server's own `-ERR` text, and the
//! run exits with code 2 rather than hanging or blaming a broken pipe.

mod fake_server;

use fake_server::{FakeServer, run_bench};

#[test]
fn oversized_publish_reports_the_servers_error() {
    let server = FakeServer::start(0);
    let (output, report) = run_bench(
        &server.url,
        &[
            "pub",
            "--msgs",
            "3",
            "--size",
            "2000000",
            "--timeout-s",
            "5",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert_eq!(report["complete"], false);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    let error = errors[0].as_str().unwrap();
    assert!(error.contains("Maximum Payload Violation"), "{error}");
    assert!(
        report
            .get("publishers")
            .is_some_and(|side| side["msgs"] == 0),
        "{report}"
    );
}
