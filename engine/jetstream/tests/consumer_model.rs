//! A pull consumer against a model, with injected time: random publishes, pulls, acks, naks,
//! terms and clock advances; after every step each delivery (its stream sequence, delivery
//! count, consumer sequence and pending count, read from the ack subject) and the consumer's
//! info (ack floor, delivered, pending counts) must be what the model says: first deliveries
//! in stream order, a redelivery only after `ack_wait` or a nak, never after an ack or term,
//! at most `max_deliver` times; with `backoff`, after that delivery's wait. Cases: 64, or
//! `NATRIUM_PROPTEST_CASES`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use natrium_jetstream::consumer::{Consumer, ConsumerConfig};
use natrium_router::{
    Broker, ClientId, DeliveryOutcome, Message, PublishBatch, Sink, Subscription,
};
use natrium_store::{MemStore, NewMsg, StoreConfig, StreamStore};
use parking_lot::Mutex;
use proptest::prelude::*;

const ACK_WAIT_MS: u64 = 100;
const MAX_DELIVER: u64 = 3;
const INBOX: &str = "inbox";

/// One delivery as the ack subject tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Delivery {
    seq: u64,
    deliveries: u64,
    consumer_seq: u64,
    pending: u64,
}

/// Records deliveries to the inbox (status messages have no reply and are skipped).
#[derive(Default)]
struct Recorder(Mutex<Vec<Delivery>>);

impl Sink for Recorder {
    fn deliver(
        &self,
        _: &Subscription,
        message: &Message<'_>,
        _: &mut PublishBatch,
    ) -> DeliveryOutcome {
        let reply = String::from_utf8_lossy(message.reply);
        let tokens: Vec<&str> = reply.split('.').collect();
        if let [_, _, _, _, deliveries, seq, consumer_seq, _, pending] = tokens.as_slice() {
            let number = |text: &str| text.parse::<u64>().expect("ack subject number");
            self.0.lock().push(Delivery {
                seq: number(seq),
                deliveries: number(deliveries),
                consumer_seq: number(consumer_seq),
                pending: number(pending),
            });
        }
        DeliveryOutcome::Delivered
    }
}

#[derive(Debug, Clone)]
enum Step {
    Publish(u8),
    Pull(u8),
    Ack(usize),
    Nak(usize),
    Term(usize),
    Advance(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1u8..5).prop_map(Step::Publish),
        (1u8..6).prop_map(Step::Pull),
        any::<usize>().prop_map(Step::Ack),
        any::<usize>().prop_map(Step::Nak),
        any::<usize>().prop_map(Step::Term),
        (0u64..250).prop_map(Step::Advance),
    ]
}

/// The model: what is pending (deliveries, deadline in ms, consumer seq), what comes next.
#[derive(Debug, Default)]
struct Model {
    stored: u64,
    next_seq: u64,
    consumer_seq: u64,
    pending: BTreeMap<u64, (u64, u64, u64)>,
    last_delivered: u64,
    /// The wait before the n-th redelivery, in ms (`backoff`; the last repeats).
    waits: Vec<u64>,
}

impl Model {
    fn wait(&self, deliveries: u64) -> u64 {
        let index = usize::try_from(deliveries - 1).expect("small");
        *self.waits.get(index).or(self.waits.last()).expect("a wait")
    }

    /// The deliveries a pull of `batch` makes at `now_ms`.
    fn pull(&mut self, batch: u64, now_ms: u64) -> Vec<Delivery> {
        let mut out = Vec::new();
        while (out.len() as u64) < batch {
            let due = self
                .pending
                .iter()
                .find(|(_, (_, deadline, _))| *deadline <= now_ms)
                .map(|(&seq, &entry)| (seq, entry));
            if let Some((seq, (deliveries, _, consumer_seq))) = due {
                if deliveries >= MAX_DELIVER {
                    self.pending.remove(&seq);
                    continue;
                }
                let deadline = now_ms + self.wait(deliveries + 1);
                self.pending
                    .insert(seq, (deliveries + 1, deadline, consumer_seq));
                out.push(Delivery {
                    seq,
                    deliveries: deliveries + 1,
                    consumer_seq,
                    pending: self.stored + 1 - self.next_seq,
                });
                continue;
            }
            if self.next_seq > self.stored {
                break;
            }
            let seq = self.next_seq;
            self.next_seq += 1;
            self.consumer_seq += 1;
            self.last_delivered = seq;
            let deadline = now_ms + self.wait(1);
            self.pending.insert(seq, (1, deadline, self.consumer_seq));
            out.push(Delivery {
                seq,
                deliveries: 1,
                consumer_seq: self.consumer_seq,
                pending: self.stored + 1 - self.next_seq,
            });
        }
        out
    }

    fn nth_pending(&self, index: usize) -> Option<u64> {
        let len = self.pending.len();
        (len > 0).then(|| *self.pending.keys().nth(index % len).expect("in range"))
    }

    fn ack_floor(&self) -> u64 {
        self.pending
            .keys()
            .next()
            .map_or(self.last_delivered, |first| first - 1)
    }
}

fn cases() -> u32 {
    std::env::var("NATRIUM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// Runs `steps` on a consumer with `ack_wait` [`ACK_WAIT_MS`], or with `backoff` (ms).
fn run(steps: &[Step], backoff: &[u64]) {
    let broker = Broker::new();
    let recorder = Arc::new(Recorder::default());
    let subscription = Subscription::new(
        ClientId(7),
        Bytes::from_static(b"1"),
        Bytes::from_static(INBOX.as_bytes()),
        None,
        Arc::clone(&recorder) as Arc<dyn Sink>,
    )
    .expect("subscription");
    broker.subscribe(Arc::new(subscription)).expect("subscribe");
    let mut store = MemStore::new(StoreConfig::default());
    let backoff_ns: Vec<u64> = backoff.iter().map(|ms| ms * 1_000_000).collect();
    let config = format!(
        r#"{{"config":{{"durable_name":"c","ack_policy":"explicit","ack_wait":{},"max_deliver":{MAX_DELIVER},"backoff":{backoff_ns:?}}}}}"#,
        ACK_WAIT_MS * 1_000_000
    );
    let config = ConsumerConfig::from_request(config.as_bytes(), None).expect("config");
    let mut consumer = Consumer::new("S", config, &store);
    let mut model = Model {
        next_seq: 1,
        waits: if backoff.is_empty() {
            vec![ACK_WAIT_MS]
        } else {
            backoff.to_vec()
        },
        ..Model::default()
    };
    let start = Instant::now();
    let mut now_ms = 0;
    for (index, step) in steps.iter().enumerate() {
        let now = start + Duration::from_millis(now_ms);
        let before = recorder.0.lock().len();
        let mut expected = Vec::new();
        match *step {
            Step::Publish(count) => {
                for _ in 0..count {
                    store.store(&NewMsg::new("s", b"x"), 1).expect("store");
                    model.stored += 1;
                }
            }
            Step::Pull(batch) => {
                let body = format!(r#"{{"batch":{batch},"no_wait":true}}"#);
                consumer.pull(
                    Bytes::from_static(INBOX.as_bytes()),
                    body.as_bytes(),
                    (&store, &broker),
                    now,
                );
                expected = model.pull(u64::from(batch), now_ms);
            }
            Step::Ack(which) | Step::Nak(which) | Step::Term(which) => {
                if let Some(seq) = model.nth_pending(which) {
                    let body: &[u8] = match step {
                        Step::Ack(_) => b"+ACK",
                        Step::Nak(_) => b"-NAK",
                        _ => b"+TERM",
                    };
                    consumer.ack(seq, body, now);
                    if matches!(step, Step::Nak(_)) {
                        if let Some(entry) = model.pending.get_mut(&seq) {
                            entry.1 = now_ms;
                        }
                    } else {
                        model.pending.remove(&seq);
                    }
                }
            }
            Step::Advance(ms) => now_ms += ms,
        }
        let got: Vec<Delivery> = recorder.0.lock()[before..].to_vec();
        assert_eq!(got, expected, "step {index} {step:?}");
        let info = consumer.info(&store, &broker);
        let context = format!("after step {index} {step:?}: {info}");
        assert_eq!(
            info["num_ack_pending"],
            model.pending.len() as u64,
            "{context}"
        );
        assert_eq!(
            info["ack_floor"]["stream_seq"],
            model.ack_floor(),
            "{context}"
        );
        assert_eq!(
            info["delivered"]["stream_seq"], model.last_delivered,
            "{context}"
        );
        assert_eq!(
            info["delivered"]["consumer_seq"], model.consumer_seq,
            "{context}"
        );
        assert_eq!(
            info["num_pending"],
            model.stored + 1 - model.next_seq,
            "{context}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_pull_consumer_follows_the_model(steps in proptest::collection::vec(step(), 1..80)) {
        run(&steps, &[]);
    }

    #[test]
    fn a_consumer_with_backoff_follows_the_model(steps in proptest::collection::vec(step(), 1..80)) {
        run(&steps, &[40, 130]);
    }
}
