//! JetStream advisories on `$JS.EVENT.ADVISORY.>`, with the Go server's subjects and JSON
//! types: the API audit (`API`), streams and consumers created, updated and deleted, a
//! message that reached `max_deliver` (`CONSUMER.MAX_DELIVERIES`) and one terminated by
//! `+TERM` (`CONSUMER.MSG_TERMINATED`). Built and published only when someone subscribes to
//! the subject, so an unwatched server pays one sublist lookup per event.

use std::time::SystemTime;

use natrium_router::timefmt::rfc3339;
use natrium_router::{Broker, PublishBatch};
use serde_json::{Value, json};

use crate::stream::publish_reply;

const PREFIX: &str = "$JS.EVENT.ADVISORY";

/// An advisory waiting to be published: its subject and JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Advisory {
    pub subject: String,
    pub body: Value,
}

/// True when someone listens on `subject`.
fn watched(broker: &Broker, subject: &str) -> bool {
    !broker.sublist().matches(subject.as_bytes()).is_empty()
}

/// Publishes `advisory` if anyone listens, with Go's `id` and `timestamp` added.
pub fn publish(broker: &Broker, advisory: Advisory) {
    if !watched(broker, &advisory.subject) {
        return;
    }
    let mut body = advisory.body;
    if let Some(fields) = body.as_object_mut() {
        fields.insert("id".to_owned(), json!(crate::consumer::random_id(22)));
        fields.insert("timestamp".to_owned(), json!(rfc3339(SystemTime::now())));
    }
    publish_reply(
        broker,
        &mut PublishBatch::unbatched(),
        advisory.subject.as_bytes(),
        &body,
    );
}

/// The API audit of one request and its response (`$JS.EVENT.ADVISORY.API`).
pub fn api_audit(broker: &Broker, subject: &str, request: &[u8], response: &str) {
    let audit_subject = format!("{PREFIX}.API");
    if !watched(broker, &audit_subject) {
        return;
    }
    publish(
        broker,
        Advisory {
            subject: audit_subject,
            body: json!({
                "type": "io.nats.jetstream.advisory.v1.api_audit",
                "server": "",
                "client": { "acc": crate::service::GLOBAL_ACCOUNT },
                "subject": subject,
                "request": String::from_utf8_lossy(request),
                "response": response,
            }),
        },
    );
}

/// After a successful API call: the stream or consumer action it was, if any.
pub fn after_api(verb: &str, name: &str, response: &Value) -> Option<Advisory> {
    let (kind, action) = match verb {
        "STREAM.CREATE" => ("STREAM.CREATED", "create"),
        "STREAM.UPDATE" => ("STREAM.UPDATED", "modify"),
        "STREAM.DELETE" => ("STREAM.DELETED", "delete"),
        "CONSUMER.CREATE" | "CONSUMER.DURABLE.CREATE" => ("CONSUMER.CREATED", "create"),
        "CONSUMER.DELETE" => ("CONSUMER.DELETED", "delete"),
        _ => return None,
    };
    let stream = name.split('.').next().unwrap_or(name);
    if kind.starts_with("STREAM") {
        return Some(Advisory {
            subject: format!("{PREFIX}.{kind}.{stream}"),
            body: json!({
                "type": "io.nats.jetstream.advisory.v1.stream_action",
                "stream": stream,
                "action": action,
            }),
        });
    }
    let consumer = response
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| name.split('.').nth(1).map(str::to_owned))?;
    Some(consumer_action(stream, &consumer, action))
}

/// A consumer created or deleted (also when deleted for inactivity).
pub fn consumer_action(stream: &str, consumer: &str, action: &str) -> Advisory {
    let kind = if action == "create" {
        "CREATED"
    } else {
        "DELETED"
    };
    Advisory {
        subject: format!("{PREFIX}.CONSUMER.{kind}.{stream}.{consumer}"),
        body: json!({
            "type": "io.nats.jetstream.advisory.v1.consumer_action",
            "stream": stream,
            "consumer": consumer,
            "action": action,
        }),
    }
}

/// A consumer paused or resumed (`CONSUMER.PAUSE`).
pub fn consumer_pause(stream: &str, consumer: &str, paused: bool, until: &Value) -> Advisory {
    Advisory {
        subject: format!("{PREFIX}.CONSUMER.PAUSE.{stream}.{consumer}"),
        body: json!({
            "type": "io.nats.jetstream.advisory.v1.consumer_pause",
            "stream": stream,
            "consumer": consumer,
            "paused": paused,
            "pause_until": until,
        }),
    }
}

/// A message delivered `deliveries` times, as often as `max_deliver` allows.
pub fn max_deliveries(stream: &str, consumer: &str, stream_seq: u64, deliveries: u64) -> Advisory {
    Advisory {
        subject: format!("{PREFIX}.CONSUMER.MAX_DELIVERIES.{stream}.{consumer}"),
        body: json!({
            "type": "io.nats.jetstream.advisory.v1.max_deliver",
            "stream": stream,
            "consumer": consumer,
            "stream_seq": stream_seq,
            "deliveries": deliveries,
        }),
    }
}

/// A message terminated with `+TERM` (and its reason, if given).
pub fn terminated(
    (stream, consumer): (&str, &str),
    (stream_seq, consumer_seq): (u64, u64),
    deliveries: u64,
    reason: &str,
) -> Advisory {
    Advisory {
        subject: format!("{PREFIX}.CONSUMER.MSG_TERMINATED.{stream}.{consumer}"),
        body: json!({
            "type": "io.nats.jetstream.advisory.v1.terminated",
            "stream": stream,
            "consumer": consumer,
            "consumer_seq": consumer_seq,
            "stream_seq": stream_seq,
            "deliveries": deliveries,
            "reason": reason,
        }),
    }
}
