//! JetStream in the monitoring endpoint, in the Go server's shapes: `/jsz` (totals, and with
//! `streams`, `consumers`, `config` the account's streams and consumers), the `jetstream`
//! section of `/varz`, and `/healthz?js-enabled-only=true` (503 when JetStream is off).

use async_nats::jetstream::{self, consumer, stream};
use natrium_tests::{ServerProcess, http_get, http_json};

#[tokio::test]
async fn jsz_varz_and_healthz_show_jetstream() {
    let server = ServerProcess::start(&["-m", "-1"]);
    let monitor = server.monitor_port.expect("monitor port");
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let orders = js
        .create_stream(stream::Config {
            name: "ORDERS".to_owned(),
            subjects: vec!["orders.>".to_owned()],
            ..stream::Config::default()
        })
        .await
        .expect("stream");
    for _ in 0..3 {
        js.publish("orders.eu", "x".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
    let _: consumer::PullConsumer = orders
        .create_consumer(consumer::pull::Config {
            durable_name: Some("audit".to_owned()),
            ..consumer::pull::Config::default()
        })
        .await
        .expect("consumer");

    let jsz = http_json(monitor, "/jsz");
    assert_eq!(jsz["streams"], 1, "{jsz}");
    assert_eq!(jsz["consumers"], 1, "{jsz}");
    assert_eq!(jsz["messages"], 3, "{jsz}");
    assert!(
        jsz["config"]["store_dir"]
            .as_str()
            .expect("store_dir")
            .ends_with("jetstream")
    );
    assert!(
        jsz["api"]["total"].as_u64().expect("api total") >= 2,
        "{jsz}"
    );
    assert!(
        jsz.get("account_details").is_none(),
        "details only when asked: {jsz}"
    );

    let detailed = http_json(monitor, "/jsz?streams=1&consumers=1&config=1");
    let account = &detailed["account_details"][0];
    assert_eq!(account["name"], "$G", "{detailed}");
    let stream = &account["stream_detail"][0];
    assert_eq!(stream["name"], "ORDERS", "{detailed}");
    assert_eq!(stream["state"]["messages"], 3, "{detailed}");
    assert_eq!(stream["config"]["subjects"][0], "orders.>", "{detailed}");
    let consumer = &stream["consumer_detail"][0];
    assert_eq!(consumer["name"], "audit", "{detailed}");
    assert_eq!(consumer["num_pending"], 3, "{detailed}");

    let varz = http_json(monitor, "/varz");
    assert_eq!(varz["jetstream"]["config"]["sync_always"], true, "{varz}");
    assert!(
        varz["jetstream"]["stats"]["api"]["total"]
            .as_u64()
            .expect("total")
            >= 2
    );

    let (status, body) = http_get(monitor, "/healthz?js-enabled-only=true");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn healthz_asks_for_jetstream_when_told_to() {
    let server = ServerProcess::start(&["-m", "-1", "-js=false"]);
    let monitor = server.monitor_port.expect("monitor port");
    let (status, body) = http_get(monitor, "/healthz?js-enabled-only=true");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("JetStream not enabled"), "{body}");
    assert_eq!(http_get(monitor, "/healthz").0, 200);
    let jsz = http_json(monitor, "/jsz");
    assert_eq!(jsz["disabled"], true, "{jsz}");
}
