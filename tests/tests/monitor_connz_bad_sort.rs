//! Monitoring: `/connz` refuses an unknown sort key, and `stop` or `reason` outside
//! `state=closed`, with a 400 and the Go server's error texts.

use natrium_tests::{ServerProcess, http_get, http_json};

#[tokio::test]
async fn bad_sort_keys_get_go_errors() {
    let server = ServerProcess::start(&["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let cases = [
        ("/connz?sort=bogus", "invalid sorting option: bogus"),
        (
            "/connz?sort=stop",
            "sort by stop only valid on closed connections",
        ),
        (
            "/connz?sort=reason&state=any",
            "sort by reason only valid on closed connections",
        ),
        ("/connz?state=sideways", "Error decoding state for sideways"),
        (
            "/connz?cid=x",
            "Error decoding uint64 for 'cid': strconv.ParseUint: parsing \"x\": invalid syntax",
        ),
    ];
    for (path, error) in cases {
        assert_eq!(http_get(monitor, path), (400, error.to_owned()), "{path}");
    }
    for key in ["stop", "reason"] {
        let closed = http_json(monitor, &format!("/connz?state=closed&sort={key}"));
        assert_eq!(closed["total"], 0);
    }
}
