//! The `$JS.API` answers a refused request with the Go server's error JSON (code, err_code,
//! description as nats-server 2.15.1 answered the same requests), and fails closed: a stream
//! feature natrium does not implement is refused, not ignored, and an API it does not serve
//! answers at once instead of timing out.

use natrium_tests::ServerProcess;
use serde_json::Value;

async fn request(client: &async_nats::Client, subject: &str, body: &str) -> Value {
    let reply = client
        .request(subject.to_owned(), body.to_owned().into())
        .await
        .unwrap_or_else(|error| panic!("{subject}: {error}"));
    serde_json::from_slice(&reply.payload).expect("JSON")
}

fn error_of(response: &Value) -> (u64, Option<u64>, String) {
    let error = &response["error"];
    (
        error["code"].as_u64().expect("code"),
        error["err_code"].as_u64(),
        error["description"]
            .as_str()
            .expect("description")
            .to_owned(),
    )
}

#[tokio::test]
async fn refused_requests_carry_go_error_codes() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let create = r#"{"name":"ORDERS","subjects":["orders.>"]}"#;
    let created = request(&client, "$JS.API.STREAM.CREATE.ORDERS", create).await;
    assert_eq!(
        created["type"],
        "io.nats.jetstream.api.v1.stream_create_response"
    );
    assert_eq!(created["config"]["max_msgs"], -1);
    assert_eq!(created["config"]["duplicate_window"], 120_000_000_000u64);
    assert_eq!(created["state"]["first_ts"], "0001-01-01T00:00:00Z");
    assert_eq!(created["did_create"], true);

    let cases = [
        (
            "$JS.API.STREAM.INFO.NOPE",
            "",
            (404, Some(10059), "stream not found"),
        ),
        (
            "$JS.API.STREAM.CREATE.ORDERS",
            r#"{"name":"ORDERS","subjects":["orders.*"]}"#,
            (
                400,
                Some(10058),
                "stream name already in use with a different configuration",
            ),
        ),
        (
            "$JS.API.STREAM.CREATE.BAD",
            r#"{"name":"OTHER","subjects":["x.>"]}"#,
            (
                400,
                Some(10056),
                "stream name in subject does not match request",
            ),
        ),
        (
            "$JS.API.STREAM.CREATE.OVER",
            r#"{"name":"OVER","subjects":["orders.eu"]}"#,
            (400, Some(10065), "subjects overlap with an existing stream"),
        ),
        (
            "$JS.API.STREAM.CREATE.R",
            r#"{"name":"R","subjects":["r"],"num_replicas":3}"#,
            (
                500,
                Some(10074),
                "replicas > 1 not supported in non-clustered mode",
            ),
        ),
        (
            "$JS.API.STREAM.CREATE.W",
            r#"{"name":"W","subjects":["w"],"retention":"everything"}"#,
            (
                400,
                Some(10025),
                r#"invalid JSON: can not unmarshal "\"everything\"""#,
            ),
        ),
        (
            "$JS.API.STREAM.CREATE.M",
            r#"{"name":"M","subjects":["m"],"mirror":{"name":"ORDERS"}}"#,
            (400, Some(10034), "stream mirrors can not contain subjects"),
        ),
        (
            "$JS.API.STREAM.CREATE.M",
            r#"{"name":"M","subjects":["m"],"allow_msg_schedules":true}"#,
            (
                500,
                Some(10052),
                "allow_msg_schedules is not supported by natrium yet",
            ),
        ),
        (
            "$JS.API.STREAM.CREATE.N",
            r#"{"name":"N","subjects":["$JS.API.>"]}"#,
            (
                500,
                Some(10052),
                "subjects that overlap with jetstream api require no-ack to be true",
            ),
        ),
        (
            "$JS.API.STREAM.MSG.GET.ORDERS",
            r#"{"seq":7}"#,
            (404, Some(10037), "no message found"),
        ),
        (
            "$JS.API.STREAM.DELETE.NOPE",
            "",
            (404, Some(10059), "stream not found"),
        ),
        (
            "$JS.API.CONSUMER.INFO.ORDERS.C",
            "",
            (404, Some(10014), "consumer not found"),
        ),
        (
            "$JS.API.STREAM.SNAPSHOT.ORDERS",
            "",
            (
                501,
                None,
                "$JS.API.STREAM.SNAPSHOT.ORDERS is not implemented by natrium yet",
            ),
        ),
    ];
    for (subject, body, (code, err_code, description)) in cases {
        let response = request(&client, subject, body).await;
        assert_eq!(
            error_of(&response),
            (code, err_code, description.to_owned()),
            "{subject} {body}: {response}"
        );
    }
    let bad_json = request(&client, "$JS.API.STREAM.CREATE.J", "not json").await;
    let (code, err_code, description) = error_of(&bad_json);
    assert_eq!((code, err_code), (400, Some(10025)));
    assert!(description.starts_with("invalid JSON: "), "{description}");

    // A publish whose expectation fails is refused, and nothing is stored.
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Expected-Last-Msg-Id", "some-id");
    let reply = client
        .request_with_headers("orders.eu".to_owned(), headers, "x".into())
        .await
        .expect("ack");
    let ack: Value = serde_json::from_slice(&reply.payload).expect("JSON");
    assert_eq!(ack["error"]["err_code"], 10070, "{ack}");
    assert_eq!(ack["error"]["description"], "wrong last msg ID: ", "{ack}");
    let info = request(&client, "$JS.API.STREAM.INFO.ORDERS", "").await;
    assert_eq!(info["state"]["messages"], 0, "nothing stored: {info}");
    let account = request(&client, "$JS.API.INFO", "").await;
    assert_eq!(
        account["type"],
        "io.nats.jetstream.api.v1.account_info_response"
    );
    assert_eq!(account["streams"], 1);
    assert!(account["api"]["errors"].as_u64().expect("errors") >= 11);
}

/// `jetstream { max_file_store }` bounds what the account's file streams hold: the account
/// info reports it, a stream asking for more is refused, and a publish past it gets Go's
/// 10047 instead of being stored.
#[tokio::test]
async fn account_storage_limits_are_enforced() {
    let config = "jetstream { max_file_store: 2048 }\n";
    let server = ServerProcess::start_with_config(config, &[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let account = request(&client, "$JS.API.INFO", "").await;
    assert_eq!(account["limits"]["max_storage"], 2048, "{account}");
    let too_big = request(
        &client,
        "$JS.API.STREAM.CREATE.BIG",
        r#"{"name":"BIG","subjects":["big"],"max_bytes":4096}"#,
    )
    .await;
    assert_eq!(error_of(&too_big).1, Some(10047), "{too_big}");
    let created = request(
        &client,
        "$JS.API.STREAM.CREATE.LOGS",
        r#"{"name":"LOGS","subjects":["logs"]}"#,
    )
    .await;
    assert!(created.get("error").is_none(), "{created}");
    let payload = "x".repeat(300);
    let mut stored = 0;
    let refusal = loop {
        let reply = client
            .request("logs".to_owned(), payload.clone().into())
            .await
            .expect("ack");
        let ack: Value = serde_json::from_slice(&reply.payload).expect("JSON");
        if ack.get("error").is_some() {
            break ack;
        }
        stored += 1;
        assert!(stored < 20, "the limit never refused a publish");
    };
    assert_eq!(
        error_of(&refusal),
        (
            500,
            Some(10047),
            "insufficient storage resources available".to_owned()
        )
    );
    let info = request(&client, "$JS.API.STREAM.INFO.LOGS", "").await;
    assert_eq!(info["state"]["messages"], stored);
    assert!(info["state"]["bytes"].as_u64().expect("bytes") <= 2048);
}

/// Sends each request and checks Go's `(code, err_code, description)` in the answer.
async fn expect_errors(client: &async_nats::Client, cases: &[(&str, &str, (u64, u64, &str))]) {
    for (subject, body, (code, err_code, description)) in cases {
        let response = request(client, subject, body).await;
        assert_eq!(
            error_of(&response),
            (*code, Some(*err_code), (*description).to_owned()),
            "{subject} {body}: {response}"
        );
    }
}

/// Stream requests refused as nats-server 2.15.1 refuses them: Go's JSON decoding (types,
/// enums) before the name check, the name required in the body, Go's config checks and
/// texts, the message get/delete and purge request checks; fields Go does not know are
/// ignored (Go outside strict mode).
#[tokio::test]
async fn stream_requests_are_checked_as_go_checks_them() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let created = request(
        &client,
        "$JS.API.STREAM.CREATE.S",
        r#"{"name":"S","subjects":["s.>"],"no_such_field":1}"#,
    )
    .await;
    assert!(created.get("error").is_none(), "{created}");
    assert_eq!(created["config"].get("no_such_field"), None);
    for seq in 1..=3 {
        let ack = client
            .request(format!("s.{seq}"), "x".into())
            .await
            .expect("ack");
        assert!(!ack.payload.is_empty());
    }
    let mismatch = (400, 10056, "stream name in subject does not match request");
    let invalid_name = "stream name is required and can not contain '.', '*', '>', '\\', '/'";
    let cases = [
        ("$JS.API.STREAM.CREATE.E", "", mismatch),
        ("$JS.API.STREAM.CREATE.E", r#"{"subjects":["e"]}"#, mismatch),
        (
            "$JS.API.STREAM.CREATE.E",
            r#"{"name":"E","storage":"bogus"}"#,
            (400, 10025, r#"invalid JSON: can not unmarshal "\"bogus\"""#),
        ),
        (
            "$JS.API.STREAM.CREATE.E",
            r#"{"name":"E","max_msgs":"ten"}"#,
            (
                400,
                10025,
                "invalid JSON: json: cannot unmarshal string into Go struct field \
                 StreamConfigRequest.max_msgs of type int64",
            ),
        ),
        (
            "$JS.API.STREAM.CREATE.a*b",
            r#"{"name":"a*b"}"#,
            (500, 10052, invalid_name),
        ),
        (
            "$JS.API.STREAM.CREATE.E",
            r#"{"name":"E","max_age":-1}"#,
            (500, 10052, "max age can not be negative"),
        ),
        (
            "$JS.API.STREAM.CREATE.E",
            r#"{"name":"E","max_age":1000000000,"duplicate_window":5000000000}"#,
            (
                500,
                10052,
                "duplicates window can not be larger then max age",
            ),
        ),
        (
            "$JS.API.STREAM.CREATE.E",
            r#"{"name":"E","subjects":["a..b"]}"#,
            (500, 10052, "invalid subject"),
        ),
        (
            "$JS.API.STREAM.CREATE.E",
            r#"{"name":"E","subjects":["d","d"]}"#,
            (500, 10052, r#"subject "d" overlaps with "d""#),
        ),
        ("$JS.API.STREAM.MSG.GET.S", "", (400, 10003, "bad request")),
        (
            "$JS.API.STREAM.MSG.GET.S",
            "{}",
            (400, 10003, "bad request"),
        ),
        (
            "$JS.API.STREAM.MSG.GET.S",
            r#"{"seq":1,"last_by_subj":"s.1"}"#,
            (400, 10003, "bad request"),
        ),
        (
            "$JS.API.STREAM.MSG.DELETE.S",
            "{}",
            (400, 10003, "bad request"),
        ),
        (
            "$JS.API.STREAM.MSG.DELETE.S",
            r#"{"seq":99}"#,
            (500, 10057, "stream store EOF"),
        ),
        (
            "$JS.API.STREAM.PURGE.S",
            r#"{"seq":2,"keep":1}"#,
            (400, 10003, "bad request"),
        ),
    ];
    expect_errors(&client, &cases).await;
    let deleted = request(&client, "$JS.API.STREAM.MSG.DELETE.S", r#"{"seq":2}"#).await;
    assert_eq!(deleted["success"], true, "{deleted}");
    let again = [(
        "$JS.API.STREAM.MSG.DELETE.S",
        r#"{"seq":2}"#,
        (400, 10043, "sequence 2 not found"),
    )];
    expect_errors(&client, &again).await;
    // Go's response structs carry their paging and counts in error answers too.
    let purge = request(&client, "$JS.API.STREAM.PURGE.NOPE", "").await;
    assert_eq!(purge["purged"], 0, "{purge}");
    // Go reserves a stream's max_bytes in the account's totals.
    let limited = request(
        &client,
        "$JS.API.STREAM.CREATE.R",
        r#"{"name":"R","subjects":["r"],"storage":"memory","max_bytes":4096}"#,
    )
    .await;
    assert!(limited.get("error").is_none(), "{limited}");
    let account = request(&client, "$JS.API.INFO", "").await;
    assert_eq!(
        (&account["reserved_memory"], &account["reserved_storage"]),
        (&serde_json::json!(4096), &serde_json::json!(0)),
        "{account}"
    );
    // Outside a cluster Go names itself the leader of every stream.
    let found = request(&client, "$JS.API.STREAM.INFO.S", "").await;
    assert!(found["cluster"]["leader"].is_string(), "{found}");
    let info = request(&client, "$JS.API.STREAM.INFO.NOPE", "").await;
    assert_eq!(
        (info["total"].as_u64(), info["limit"].as_u64()),
        (Some(0), Some(0))
    );
    let names = request(&client, "$JS.API.CONSUMER.NAMES.NOPE", "{}").await;
    assert_eq!(names["consumers"], serde_json::json!([]), "{names}");
    // Past the end: the offset is cut to the total, and no names is null.
    let past = request(&client, "$JS.API.STREAM.NAMES", r#"{"offset":100}"#).await;
    assert_eq!(
        (past["offset"].as_u64(), &past["streams"]),
        (Some(2), &Value::Null)
    );
}

/// Consumer create requests refused as nats-server 2.15.1 refuses them, and a create without
/// a config or an ack policy made as Go makes it (Go's zero values: no acks, no ack_wait).
#[tokio::test]
async fn consumer_requests_are_checked_as_go_checks_them() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    for (name, retention) in [("F", "limits"), ("WQ", "workqueue")] {
        let body = format!(
            r#"{{"name":"{name}","subjects":["{}.>"],"retention":"{retention}"}}"#,
            name.to_lowercase()
        );
        let created = request(&client, &format!("$JS.API.STREAM.CREATE.{name}"), &body).await;
        assert!(created.get("error").is_none(), "{created}");
    }
    let cfg = |config: &str| format!(r#"{{"stream_name":"F","config":{config}}}"#);
    let durable_mismatch = (
        400,
        10017,
        "consumer name in subject does not match durable name in request",
    );
    let bodies = [
        cfg(r#"{"durable_name":"Y"}"#),
        cfg(r#"{"durable_name":"a.b"}"#),
        cfg(r#"{"durable_name":"S","deliver_policy":"by_start_sequence"}"#),
        cfg(r#"{"durable_name":"S","deliver_policy":"all","opt_start_seq":3}"#),
        cfg(r#"{"durable_name":"S","deliver_policy":"by_start_time"}"#),
        cfg(r#"{"durable_name":"S","ack_policy":"bogus"}"#),
        cfg(r#"{"durable_name":"S","deliver_subject":"a.*"}"#),
        r#"{"stream_name":"WQ","config":{"durable_name":"W","ack_policy":"none"}}"#.to_owned(),
        cfg(r#"{"name":"E","filter_subject":"f.a"}"#),
        r#"{"stream_name":"OTHER","config":{"durable_name":"X"}}"#.to_owned(),
        String::new(),
        cfg(r#"{"name":"a b"}"#),
        r#"{"stream_name":"F","action":"bogus","config":{"durable_name":"A"}}"#.to_owned(),
        cfg(r#"{"durable_name":"H","deliver_subject":"h","idle_heartbeat":50000000}"#),
        cfg(r#"{"durable_name":"H","ack_policy":"explicit","backoff":[-1]}"#),
        cfg(r#"{"durable_name":"H","ack_policy":"explicit","ack_wait":-1}"#),
        cfg(r#"{"durable_name":"H","filter_subject":"f..a"}"#),
    ];
    let expected = [
        ("$JS.API.CONSUMER.CREATE.F.X", durable_mismatch),
        ("$JS.API.CONSUMER.DURABLE.CREATE.F.a", durable_mismatch),
        (
            "$JS.API.CONSUMER.CREATE.F.S",
            (
                400,
                10094,
                "consumer delivery policy is deliver by start sequence, but optional start \
                 sequence is not set",
            ),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.S",
            (
                400,
                10094,
                "consumer delivery policy is deliver all, but optional start sequence is also \
                 set",
            ),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.S",
            (
                400,
                10094,
                "consumer delivery policy is deliver by start time, but optional start time is \
                 not set",
            ),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.S",
            (400, 10025, r#"invalid JSON: can not unmarshal "\"bogus\"""#),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.S",
            (400, 10079, "consumer deliver subject has wildcards"),
        ),
        (
            "$JS.API.CONSUMER.CREATE.WQ.W",
            (
                400,
                10084,
                "consumer in pull mode requires explicit ack policy on workqueue stream",
            ),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.E.f.other",
            (
                400,
                10131,
                "Consumer create request did not match filtered subject from create subject",
            ),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.X",
            (400, 10056, "stream name in subject does not match request"),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.X",
            (400, 10056, "stream name in subject does not match request"),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F",
            (
                500,
                10052,
                "consumer name can not contain '.', '*', '>', '\\', '/'",
            ),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.A",
            (
                400,
                10025,
                r#"invalid JSON: unknown consumer action: "bogus""#,
            ),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.H",
            (400, 10083, "consumer idle heartbeat needs to be >= 100ms"),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.H",
            (400, 10184, "consumer backoff needs to be positive"),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.H",
            (400, 10183, "consumer ack wait needs to be positive"),
        ),
        (
            "$JS.API.CONSUMER.CREATE.F.H",
            (500, 10052, "invalid subject"),
        ),
    ];
    let cases: Vec<(&str, &str, (u64, u64, &str))> = expected
        .iter()
        .zip(&bodies)
        .map(|((subject, error), body)| (*subject, body.as_str(), *error))
        .collect();
    expect_errors(&client, &cases).await;
    let defaults = request(
        &client,
        "$JS.API.CONSUMER.CREATE.F.X",
        r#"{"stream_name":"F"}"#,
    )
    .await;
    assert!(defaults.get("error").is_none(), "{defaults}");
    assert_eq!(defaults["config"]["ack_policy"], "none", "{defaults}");
    assert_eq!(defaults["config"].get("ack_wait"), None, "{defaults}");
    assert_eq!(defaults["config"]["inactive_threshold"], 5_000_000_000u64);
}

/// Publishes `body` to `subject` with a fresh inbox as the reply and returns the one answer.
async fn status_of(client: &async_nats::Client, subject: &str, body: &str) -> async_nats::Message {
    use futures::StreamExt as _;
    let inbox = client.new_inbox();
    let mut answers = client.subscribe(inbox.clone()).await.expect("subscribe");
    client
        .publish_with_reply(subject.to_owned(), inbox, body.to_owned().into())
        .await
        .expect("publish");
    tokio::time::timeout(std::time::Duration::from_secs(5), answers.next())
        .await
        .unwrap_or_else(|_| panic!("{subject} {body}: no answer"))
        .expect("answer")
}

fn status_line(message: &async_nats::Message) -> (u16, String) {
    (
        message.status.map_or(0, |status| status.as_u16()),
        message.description.clone().unwrap_or_default(),
    )
}

fn header<'a>(message: &'a async_nats::Message, name: &str) -> Option<&'a str> {
    message
        .headers
        .as_ref()
        .and_then(|headers| headers.get(name))
        .map(|value| value.as_str())
}

/// DIRECT.GET and pull requests end with Go's status lines: 408 Empty / Malformed / Bad
/// Request for a direct get it can not serve, a 503 naming the subject where Go has no
/// listener (a stream without allow_direct, a consumer that does not exist), 404 No
/// Messages at the end of a no_wait pull, 408 with the pending counts when a pull expires,
/// and 400 for a pull request that is not JSON.
#[tokio::test]
async fn direct_get_and_pull_end_with_go_status_lines() {
    let server = ServerProcess::start(&[]);
    let client = async_nats::connect(server.url()).await.expect("connect");
    for (name, direct) in [("D", true), ("N", false)] {
        let body = format!(
            r#"{{"name":"{name}","subjects":["{}.>"],"allow_direct":{direct}}}"#,
            name.to_lowercase()
        );
        let created = request(&client, &format!("$JS.API.STREAM.CREATE.{name}"), &body).await;
        assert!(created.get("error").is_none(), "{created}");
    }
    let ack = client.request("d.a", "one".into()).await.expect("ack");
    assert!(!ack.payload.is_empty());
    let direct = "$JS.API.DIRECT.GET.D";
    for (body, expected) in [
        ("", (408, "Empty Request")),
        ("{}", (408, "Empty Request")),
        ("{nope", (408, "Malformed Request")),
        (r#"{"seq":1,"last_by_subj":"d.a"}"#, (408, "Bad Request")),
    ] {
        let answer = status_of(&client, direct, body).await;
        assert_eq!(
            status_line(&answer),
            (expected.0, expected.1.to_owned()),
            "{body}"
        );
    }
    let found = status_of(&client, direct, r#"{"seq":1}"#).await;
    assert_eq!(found.payload.as_ref(), b"one");
    for subject in ["$JS.API.DIRECT.GET.N", "$JS.API.DIRECT.GET.NOPE"] {
        let answer = status_of(&client, subject, r#"{"seq":1}"#).await;
        assert_eq!(status_line(&answer).0, 503, "{subject}");
        assert_eq!(header(&answer, "Nats-Subject"), Some(subject));
    }

    let consumer = request(
        &client,
        "$JS.API.CONSUMER.CREATE.D.P",
        r#"{"stream_name":"D","config":{"durable_name":"P","ack_policy":"explicit"}}"#,
    )
    .await;
    assert!(consumer.get("error").is_none(), "{consumer}");
    let next = "$JS.API.CONSUMER.MSG.NEXT.D.P";
    let first = status_of(&client, next, r#"{"batch":1,"no_wait":true}"#).await;
    assert_eq!(first.payload.as_ref(), b"one");
    let drained = status_of(&client, next, r#"{"batch":5,"no_wait":true}"#).await;
    assert_eq!(status_line(&drained), (404, "No Messages".to_owned()));
    let expired = status_of(
        &client,
        next,
        r#"{"batch":3,"no_wait":true,"expires":200000000}"#,
    )
    .await;
    assert_eq!(status_line(&expired), (408, "Request Timeout".to_owned()));
    assert_eq!(header(&expired, "Nats-Pending-Messages"), Some("3"));
    assert_eq!(header(&expired, "Nats-Pending-Bytes"), Some("0"));
    let malformed = status_of(&client, next, "{nope").await;
    assert_eq!(
        status_line(&malformed),
        (
            400,
            "Bad Request - invalid character 'n' looking for beginning of object key string"
                .to_owned()
        )
    );
    // A message larger than what the request may take ends it with 409, and stays for the
    // next request.
    let ack = client.request("d.b", "two".into()).await.expect("ack");
    assert!(!ack.payload.is_empty());
    let small = status_of(
        &client,
        next,
        r#"{"batch":1,"max_bytes":10,"no_wait":true}"#,
    )
    .await;
    assert_eq!(
        status_line(&small),
        (409, "Message Size Exceeds MaxBytes".to_owned())
    );
    assert_eq!(header(&small, "Nats-Pending-Messages"), Some("1"));
    assert_eq!(header(&small, "Nats-Pending-Bytes"), Some("10"));
    let second = status_of(&client, next, r#"{"batch":1,"no_wait":true}"#).await;
    assert_eq!(second.payload.as_ref(), b"two");
    let unknown = "$JS.API.CONSUMER.MSG.NEXT.D.NOPE";
    let missing = status_of(&client, unknown, r#"{"batch":1}"#).await;
    assert_eq!(status_line(&missing).0, 503);
    assert_eq!(header(&missing, "Nats-Subject"), Some(unknown));
}
