//! Monitoring: with `?callback=NAME` a JSON endpoint answers JSONP, `NAME(<json>)` typed
//! `application/javascript`, as the Go server does; without it, plain JSON.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use natrium_tests::ServerProcess;

/// The raw response (head and body) to a GET of `path`.
fn raw_get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to monitor");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("send request");
    let mut response = String::new();
    stream
        .take(1024 * 1024)
        .read_to_string(&mut response)
        .expect("read response");
    response
}

#[tokio::test]
async fn callback_wraps_json() {
    let server = ServerProcess::start(&["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let response = raw_get(monitor, "/healthz?callback=show");
    let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/javascript"),
        "{head}"
    );
    let json = body
        .strip_prefix("show(")
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("JSONP body: {body}"));
    let value: serde_json::Value = serde_json::from_str(json).expect("JSON inside");
    assert_eq!(value["status"], "ok");

    let connz = raw_get(monitor, "/connz?callback=cb&state=closed");
    let (_, body) = connz.split_once("\r\n\r\n").expect("head and body");
    assert!(body.starts_with("cb({") && body.ends_with("})"), "{body}");

    let plain = raw_get(monitor, "/healthz");
    let (head, body) = plain.split_once("\r\n\r\n").expect("head and body");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    assert!(body.starts_with('{'), "{body}");
}
