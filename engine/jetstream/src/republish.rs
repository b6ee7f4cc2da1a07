//! Stream `republish` (nats-server's ADR-28): every stored message whose subject matches the
//! source is published again, at most once, to the transformed subject, with the headers
//! Nats-Stream, Nats-Subject, Nats-Sequence, Nats-Time-Stamp and Nats-Last-Sequence (the
//! subject's previous sequence, 0 when none) before the message's own headers, and with
//! `headers_only` Nats-Msg-Size instead of the payload.
//!
//! The stream's writer publishes after the batch is durable, beside the PubAcks, so a
//! republished message is one a crash cannot take back. Nats-Time-Stamp is the time of the
//! batch's append (within the same millisecond as the stored time stamp, not equal to it).

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use natrium_router::transform::SubjectTransform;
use natrium_router::{Broker, Message, PublishBatch};
use natrium_store::StreamStore;
use parking_lot::RwLock;

use crate::config::StreamConfig;
use crate::stream::JETSTREAM_CLIENT;

/// A stream's republish rule, shared by the API thread (which replaces it on update) and
/// the writer.
pub(crate) type SharedRepublish = Arc<RwLock<Option<Arc<Republisher>>>>;

/// A checked republish rule.
#[derive(Debug)]
pub(crate) struct Republisher {
    stream: String,
    transform: SubjectTransform,
    headers_only: bool,
}

/// One stored message to republish.
pub(crate) struct Stored<'a> {
    pub subject: &'a str,
    pub headers: &'a [u8],
    pub payload: &'a [u8],
    pub seq: u64,
    /// The subject's last sequence before this message (0: none).
    pub last_on_subject: u64,
    pub ts_ns: u64,
}

impl Republisher {
    /// The rule `config` asks for (its transform was checked when the config was read).
    pub(crate) fn of(config: &StreamConfig) -> Option<Arc<Self>> {
        let republish = config.republish.as_ref()?;
        let transform = republish.transform().ok()?;
        Some(Arc::new(Self {
            stream: config.name.clone(),
            transform,
            headers_only: republish.headers_only,
        }))
    }

    /// The last sequence stored on `subject` (from the subject index), taken before a
    /// message on it is appended.
    pub(crate) fn last_on_subject(store: &dyn StreamStore, subject: &str) -> u64 {
        store.filtered_state(0, subject).last_seq
    }

    /// Publishes `stored` to its transformed subject, if it matches the source.
    pub(crate) fn publish(&self, broker: &Broker, batch: &mut PublishBatch, stored: &Stored<'_>) {
        let Some(subject) = self.transform.apply(stored.subject) else {
            return;
        };
        let time =
            natrium_router::timefmt::rfc3339(UNIX_EPOCH + Duration::from_nanos(stored.ts_ns));
        let mut headers = format!(
            "NATS/1.0\r\nNats-Stream: {}\r\nNats-Subject: {}\r\nNats-Sequence: {}\r\n\
             Nats-Time-Stamp: {time}\r\nNats-Last-Sequence: {}\r\n",
            self.stream, stored.subject, stored.seq, stored.last_on_subject
        )
        .into_bytes();
        // The message's own headers follow, without their status line and final blank line.
        let own = String::from_utf8_lossy(stored.headers);
        for line in own.split("\r\n").skip(1).filter(|line| !line.is_empty()) {
            headers.extend_from_slice(line.as_bytes());
            headers.extend_from_slice(b"\r\n");
        }
        if self.headers_only {
            headers.extend_from_slice(
                format!("Nats-Msg-Size: {}\r\n", stored.payload.len()).as_bytes(),
            );
        }
        headers.extend_from_slice(b"\r\n");
        let message = Message {
            payload_shared: None,
            subject: subject.as_bytes(),
            reply: b"",
            headers: Some(&headers),
            payload: if self.headers_only {
                b""
            } else {
                stored.payload
            },
        };
        broker.publish(batch, JETSTREAM_CLIENT, true, &message);
    }
}
