//! JetStream under SIGKILL: a file stream (default `sync: always`, so a PubAck means the message
//! was fsynced) and a durable pull consumer with explicit acks take traffic from real async-nats
//! clients — four publishers awaiting PubAcks, one consumer fetching and double-acking — when the
//! natrium process is SIGKILLed at a random moment. Each round restarts it on the same store
//! directory and checks:
//! - every message whose PubAck arrived is in the stream exactly once, at the sequence its
//!   PubAck gave; no id is stored twice and none was invented;
//! - a PubAck never gives a sequence an earlier PubAck gave (no sequence is reused);
//! - the durable consumer's ack floor never covers a message the test never acked, and its
//!   delivered sequence never runs past the stream's last sequence (the next publishes would
//!   then be skipped).
//!
//! After the last round a few more messages are published and the consumer is drained: every
//! message in the stream that the test never sent an ack for is delivered (none is skipped),
//! and the consumer ends with its ack floor at the stream's last sequence. A double-acked
//! message may come back after a kill: the consumer writes its progress once per tick
//! (`engine/jetstream/src/consumer/mod.rs`), so delivery is at least once; those redeliveries
//! are counted and printed, not refused.
//!
//! The seed is printed; set NATRIUM_JS_KILL_SEED to replay a run's kill points and choices
//! (the timing of the traffic still varies from run to run).
//!
//! It found a defect, now fixed: a consumer delivered messages still in the store writer's
//! buffer, saved that progress, and after the kill resumed past the stream's end, skipping
//! the new messages stored at the lost sequences. Consumers now deliver only what the group
//! commit made durable, and a saved progress past the stream's end is cut to it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::RangeInclusive;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use natrium_tests::ServerProcess;
use tokio::sync::watch;

const STREAM: &str = "CRASH";
const DURABLE: &str = "worker";
/// Kills per run.
const ROUNDS: u32 = 24;
/// Concurrent publishers per round, each on its own connection.
const PUBLISHERS: u32 = 4;
/// Publishes one publisher attempts in a round, at most (the kill ends a round long before).
const PUBLISHES_PER_ROUND_MAX: u32 = 100_000;
/// The kill lands this many milliseconds after the traffic started, drawn from the seed.
const KILL_DELAY_MS: RangeInclusive<u64> = 5..=200;
/// How far (in stream sequences) a paced publisher lets the consumer fall behind.
const PACE_WINDOW: u64 = 32;
/// Messages per pull request of the round's consumer, drawn from the seed.
const PULL_BATCH: RangeInclusive<u64> = 1..=64;
/// One delivery in this many is left unacknowledged, to be redelivered after `ACK_WAIT`.
const LEFT_UNACKED_ONE_IN: u64 = 8;
/// One delivery in this many (of the others) is acked after the rest of its batch.
const DEFERRED_ONE_IN: u64 = 8;
/// Shorter than most rounds (a restart resumes pending messages with a fresh `ack_wait`), so
/// that a message left pending, by the test or by a kill, comes back and the ack floor moves.
const ACK_WAIT: Duration = Duration::from_millis(100);
/// The round's tasks stop at the kill signal; this bounds the wait for them all the same.
const TASK_JOIN_TIMEOUT: Duration = Duration::from_secs(5);
/// Messages published (and acknowledged) after the last restart, before the drain.
const FINAL_PUBLISHES: u32 = 20;
/// How long the final drain may take to see every message it must see.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(15);
/// Messages per pull in the final drain: few enough to be double-acked one by one within
/// `ACK_WAIT`.
const DRAIN_BATCH: usize = 32;
/// Messages per fetch when reading the whole stream back.
const READ_BATCH: usize = 4096;
/// Upper bound on the whole test (house rule: no test over 60 s).
const TEST_TIME_MAX: Duration = Duration::from_secs(58);

/// xorshift64*: deterministic from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn within(&mut self, range: RangeInclusive<u64>) -> u64 {
        let (low, high) = range.into_inner();
        low + self.next() % (high - low + 1)
    }
}

fn seed() -> u64 {
    std::env::var("NATRIUM_JS_KILL_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |elapsed| elapsed.as_nanos() as u64)
                | 1
        })
}

/// What one publisher sent in a round.
#[derive(Default)]
struct Published {
    ids: Vec<String>,
    /// (id, stream sequence) of every publish whose PubAck arrived before the kill.
    acked: Vec<(String, u64)>,
    /// Publishes that failed (the kill cut the connection before its signal reached the task).
    errors: u32,
}

/// What the consumer did in a round (stream sequences).
#[derive(Default)]
struct Consumed {
    delivered: Vec<u64>,
    /// (stream sequence, id) of each ack sent, whether or not its reply came back.
    ack_sent: Vec<(u64, String)>,
    /// Acks whose reply (the double ack) came back.
    confirmed: Vec<u64>,
}

/// What the test knows, over every round.
#[derive(Default)]
struct Ledger {
    /// Stream sequence → id, for every PubAck received.
    acked: BTreeMap<u64, String>,
    /// Every id ever published, stored or not.
    published: HashSet<String>,
    /// (stream sequence, id) of each message the consumer sent an ack for (the ack may have been
    /// lost to a kill). The id too: a sequence whose message was lost, unacknowledged, is
    /// given to the next message after the restart.
    ack_sent: HashSet<(u64, String)>,
    /// Stream sequences whose double ack was answered.
    confirmed: BTreeSet<u64>,
    /// The stream's last sequence at the latest restart: every later PubAck is above it.
    last_seq_at_restart: u64,
    /// The consumer's (delivered, ack floor) stream sequences at the latest restart.
    progress_at_restart: (u64, u64),
    deliveries: u64,
    /// Deliveries of a message whose ack had been confirmed in an earlier round.
    redelivered_after_confirmed: u64,
    publish_errors: u32,
}

impl Ledger {
    fn record_ack(&mut self, id: String, seq: u64, context: &str) {
        if let Some(earlier) = self.acked.get(&seq) {
            panic!("{context}: sequence {seq} acknowledged for {id}, but already for {earlier}");
        }
        assert!(
            seq > self.last_seq_at_restart,
            "{context}: {id} acknowledged at {seq}, not above the stream's last sequence {} \
             after the restart",
            self.last_seq_at_restart
        );
        self.acked.insert(seq, id);
    }

    fn record_round(&mut self, published: Vec<Published>, consumed: Consumed, context: &str) {
        for publisher in published {
            self.published.extend(publisher.ids);
            self.publish_errors += publisher.errors;
            for (id, seq) in publisher.acked {
                self.record_ack(id, seq, context);
            }
        }
        self.deliveries += consumed.delivered.len() as u64;
        self.redelivered_after_confirmed += consumed
            .delivered
            .iter()
            .filter(|seq| self.confirmed.contains(seq))
            .count() as u64;
        self.ack_sent.extend(consumed.ack_sent);
        self.confirmed.extend(consumed.confirmed);
    }
}

/// A client that gives up after one failed reconnect: after a kill the next server listens on
/// another port, and the round's clients are dropped anyway.
async fn connect(server: &ServerProcess) -> jetstream::Context {
    let client = async_nats::ConnectOptions::new()
        .max_reconnects(1)
        .connect(server.url())
        .await
        .expect("connect");
    jetstream::new(client)
}

async fn create_stream_and_consumer(server: &ServerProcess) {
    let js = connect(server).await;
    let stream = js
        .create_stream(stream::Config {
            name: STREAM.to_owned(),
            subjects: vec!["crash.>".to_owned()],
            storage: stream::StorageType::File,
            ..stream::Config::default()
        })
        .await
        .expect("stream");
    stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(DURABLE.to_owned()),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: ACK_WAIT,
            ..consumer::pull::Config::default()
        })
        .await
        .expect("durable consumer");
}

/// Publishes `r<round>-p<publisher>-<n>` one after another, each awaiting its PubAck, until the
/// kill signal. With `pace`, the highest stream sequence the consumer has been delivered, it
/// publishes only while the consumer is at most [`PACE_WINDOW`] behind its last PubAck.
async fn publish_until_stopped(
    js: jetstream::Context,
    id_prefix: String,
    mut pace: Option<watch::Receiver<u64>>,
    mut stopped: watch::Receiver<bool>,
) -> Published {
    let subject = format!("crash.{id_prefix}");
    let mut published = Published::default();
    for n in 0..PUBLISHES_PER_ROUND_MAX {
        let last_acked = published.acked.last().map(|&(_, seq)| seq);
        if let (Some(position), Some(last_acked)) = (pace.as_mut(), last_acked) {
            let caught_up = tokio::select! {
                _ = stopped.wait_for(|&stop| stop) => break,
                caught_up = position.wait_for(|&seq| seq + PACE_WINDOW >= last_acked) => caught_up,
            };
            if caught_up.is_err() {
                break; // The consumer task ended: the kill came.
            }
        }
        let id = format!("{id_prefix}-{n}");
        published.ids.push(id.clone());
        let sent = tokio::select! {
            _ = stopped.wait_for(|&stop| stop) => break,
            sent = js.publish(subject.clone(), id.clone().into()) => sent,
        };
        let answer = match sent {
            Ok(ack) => tokio::select! {
                _ = stopped.wait_for(|&stop| stop) => break,
                answer = ack => answer,
            },
            Err(_) => {
                published.errors += 1;
                break;
            }
        };
        // An error here is the kill cutting the connection; the PubAck did not arrive.
        let Ok(ack) = answer else {
            published.errors += 1;
            break;
        };
        assert_eq!(ack.stream, STREAM);
        assert!(!ack.duplicate, "{id} reported as a duplicate");
        published.acked.push((id, ack.sequence));
    }
    published
}

/// Fetches batches from the durable consumer until the kill signal. Of the deliveries, one in
/// [`LEFT_UNACKED_ONE_IN`] is never acked (it comes back after `ack_wait`), one in
/// [`DEFERRED_ONE_IN`] of the others is double-acked after the rest of its batch (acks out of
/// order), and the rest are acked at once, half with a double ack, half with a plain one (cheap,
/// so that the consumer keeps up with the publishers and reads messages just stored).
async fn consume_until_stopped(
    worker: consumer::PullConsumer,
    mut rng: Rng,
    position: watch::Sender<u64>,
    mut stopped: watch::Receiver<bool>,
) -> Consumed {
    let mut consumed = Consumed::default();
    // Each pull waits at most its `expires`, so the loop turns until the kill signal.
    'pulls: for _ in 0..PUBLISHES_PER_ROUND_MAX {
        let size = rng.within(PULL_BATCH) as usize;
        let pull = worker
            .batch()
            .max_messages(size)
            .expires(Duration::from_millis(300))
            .messages();
        let batch = tokio::select! {
            _ = stopped.wait_for(|&stop| stop) => break,
            batch = pull => batch,
        };
        let Ok(mut batch) = batch else { break };
        let mut deferred = Vec::new();
        loop {
            let next = tokio::select! {
                _ = stopped.wait_for(|&stop| stop) => break 'pulls,
                next = batch.next() => next,
            };
            let Some(Ok(message)) = next else { break };
            let seq = stream_sequence(&message);
            consumed.delivered.push(seq);
            position.send_modify(|highest| *highest = (*highest).max(seq));
            let choice = rng.next();
            if choice.is_multiple_of(LEFT_UNACKED_ONE_IN) {
                continue;
            }
            let choice = choice / LEFT_UNACKED_ONE_IN;
            if choice.is_multiple_of(DEFERRED_ONE_IN) {
                deferred.push(message);
            } else if !acknowledge(message, choice & 2 == 0, &mut consumed, &mut stopped).await {
                break 'pulls;
            }
        }
        for message in deferred {
            if !acknowledge(message, true, &mut consumed, &mut stopped).await {
                break 'pulls;
            }
        }
    }
    consumed
}

fn stream_sequence(message: &jetstream::Message) -> u64 {
    message.info().expect("ack subject").stream_sequence
}

/// Acks `message` (a double ack when `double`), recording it; false when the kill signal came
/// first.
async fn acknowledge(
    message: jetstream::Message,
    double: bool,
    consumed: &mut Consumed,
    stopped: &mut watch::Receiver<bool>,
) -> bool {
    let seq = stream_sequence(&message);
    let id = String::from_utf8_lossy(&message.payload).into_owned();
    // Recorded before it is sent: from now on the server may have taken it.
    consumed.ack_sent.push((seq, id));
    if !double {
        // A plain ack is only queued in the client; it may be lost to the kill.
        return message.ack().await.is_ok();
    }
    let answered = tokio::select! {
        _ = stopped.wait_for(|&stop| stop) => return false,
        answered = message.double_ack() => answered,
    };
    if answered.is_ok() {
        consumed.confirmed.push(seq);
    }
    true
}

/// One round, drawn from the seed.
struct Plan {
    round: u32,
    /// From the start of the traffic to the kill.
    delay: Duration,
    /// Publishers wait for the consumer (it then reads messages just stored); otherwise they
    /// run free (more concurrent publishes per fsync).
    paced: bool,
    consumer_seed: u64,
}

/// Runs the publishers and the consumer, SIGKILLs the server `plan.delay` after they started,
/// and returns what they saw.
async fn traffic_until_kill(server: &mut ServerProcess, plan: &Plan) -> (Vec<Published>, Consumed) {
    let (stop, stopped) = watch::channel(false);
    let (position, pace) = watch::channel(0);
    let mut publishers = Vec::new();
    for publisher in 0..PUBLISHERS {
        let js = connect(server).await;
        let id_prefix = format!("r{}-p{publisher}", plan.round);
        let pace = plan.paced.then(|| pace.clone());
        let task = publish_until_stopped(js, id_prefix, pace, stopped.clone());
        publishers.push(tokio::spawn(task));
    }
    drop(pace);
    let js = connect(server).await;
    let worker: consumer::PullConsumer = js
        .get_stream(STREAM)
        .await
        .expect("stream")
        .get_consumer(DURABLE)
        .await
        .expect("durable consumer");
    let rng = Rng(plan.consumer_seed);
    let consumer = tokio::spawn(consume_until_stopped(worker, rng, position, stopped));
    // The kill point is a random moment in the traffic, not an event to wait for.
    tokio::time::sleep(plan.delay).await;
    // SIGKILL, then reaped; the store's files stay as the kill left them.
    server.kill();
    // `send_replace`: the tasks may all have ended already (dropping their receivers).
    stop.send_replace(true);
    let mut published = Vec::new();
    for task in publishers {
        let done = tokio::time::timeout(TASK_JOIN_TIMEOUT, task).await;
        published.push(done.expect("publisher stopped").expect("publisher task"));
    }
    let done = tokio::time::timeout(TASK_JOIN_TIMEOUT, consumer).await;
    (
        published,
        done.expect("consumer stopped").expect("consumer task"),
    )
}

/// Reads every message of the stream (sequence → id) through an ephemeral consumer.
async fn read_stream(stream: &stream::Stream, last_seq: u64) -> BTreeMap<u64, String> {
    let reader: consumer::PullConsumer = stream
        .create_consumer(consumer::pull::Config {
            ack_policy: consumer::AckPolicy::None,
            inactive_threshold: Duration::from_secs(10),
            ..consumer::pull::Config::default()
        })
        .await
        .expect("reader");
    let mut contents = BTreeMap::new();
    // Each pass reads at least one message or ends the loop.
    for _ in 0..=last_seq {
        let mut batch = reader
            .fetch()
            .max_messages(READ_BATCH)
            .messages()
            .await
            .expect("fetch");
        let mut read = 0;
        while let Some(message) = batch.next().await {
            let message = message.expect("message");
            let seq = message.info().expect("ack subject").stream_sequence;
            let id = String::from_utf8(message.payload.to_vec()).expect("utf-8 id");
            assert!(contents.insert(seq, id).is_none(), "reader got {seq} twice");
            read += 1;
        }
        let done = contents
            .last_key_value()
            .is_some_and(|(&seq, _)| seq >= last_seq);
        if read == 0 || done {
            break;
        }
    }
    let name = reader.cached_info().name.clone();
    stream.delete_consumer(&name).await.expect("delete reader");
    contents
}

/// Every acknowledged id at its sequence, no id twice, nothing invented.
fn verify_contents(contents: &BTreeMap<u64, String>, ledger: &Ledger, context: &str) {
    for (seq, id) in &ledger.acked {
        match contents.get(seq) {
            Some(found) if found == id => {}
            Some(found) => panic!("{context}: {id} acknowledged at {seq}, the stream has {found}"),
            None => panic!("{context}: {id} acknowledged at {seq} is lost"),
        }
    }
    let mut stored_at: HashMap<&str, u64> = HashMap::new();
    for (&seq, id) in contents {
        assert!(
            ledger.published.contains(id),
            "{context}: {id:?} at {seq} was never published"
        );
        if let Some(first) = stored_at.insert(id, seq) {
            panic!("{context}: {id} stored twice, at {first} and {seq}");
        }
    }
}

/// Checks the stream and the durable consumer after a restart; returns the stream's contents,
/// its last sequence and the consumer's info.
async fn check_after_restart(
    server: &ServerProcess,
    ledger: &Ledger,
    context: &str,
) -> (BTreeMap<u64, String>, u64, consumer::Info) {
    let js = connect(server).await;
    let mut stream = js.get_stream(STREAM).await.expect("stream after restart");
    let last_seq = stream
        .info()
        .await
        .expect("stream info")
        .state
        .last_sequence;
    let contents = read_stream(&stream, last_seq).await;
    verify_contents(&contents, ledger, context);
    let mut worker: consumer::PullConsumer = stream
        .get_consumer(DURABLE)
        .await
        .expect("durable consumer");
    let info = worker.info().await.expect("consumer info").clone();
    let floor = info.ack_floor.stream_sequence;
    let delivered = info.delivered.stream_sequence;
    if let Some((seq, id)) = contents
        .range(..=floor)
        .find(|&(&seq, id)| !ledger.ack_sent.contains(&(seq, id.clone())))
    {
        panic!("{context}: the consumer's ack floor {floor} covers {id} at {seq}, never acked");
    }
    assert!(
        delivered <= last_seq,
        "{context}: the consumer delivered up to {delivered}, past the stream's last sequence \
         {last_seq}: the messages published next at {}..={delivered} would be skipped",
        last_seq + 1
    );
    (contents, last_seq, info)
}

/// Publishes a few acknowledged messages, then drains the consumer: every message the test
/// never acked is delivered, and the consumer ends fully acknowledged.
async fn publish_and_drain(server: &ServerProcess, ledger: &mut Ledger, context: &str) -> usize {
    let js = connect(server).await;
    for n in 0..FINAL_PUBLISHES {
        let id = format!("final-{n}");
        ledger.published.insert(id.clone());
        let ack = js.publish("crash.final", id.clone().into()).await;
        let ack = ack.expect("publish").await.expect("PubAck");
        ledger.record_ack(id, ack.sequence, context);
    }
    let (contents, last_seq, _) = check_after_restart(server, ledger, context).await;
    let required: BTreeSet<u64> = contents
        .into_iter()
        .filter(|(seq, id)| !ledger.ack_sent.contains(&(*seq, id.clone())))
        .map(|(seq, _)| seq)
        .collect();
    let stream = js.get_stream(STREAM).await.expect("stream");
    let mut worker: consumer::PullConsumer = stream.get_consumer(DURABLE).await.expect("worker");
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    let mut drained = BTreeSet::new();
    loop {
        let info = worker.info().await.expect("consumer info").clone();
        let idle = info.num_pending == 0 && info.num_ack_pending == 0;
        if idle && required.is_subset(&drained) {
            assert_eq!(
                info.ack_floor.stream_sequence, last_seq,
                "{context}: drained, yet the ack floor is not the last sequence"
            );
            break;
        }
        let missing: Vec<_> = required.difference(&drained).collect();
        assert!(
            Instant::now() < deadline,
            "{context}: never delivered though never acked: {missing:?}; consumer: \
             delivered {:?}, ack floor {:?}, {} pending",
            info.delivered,
            info.ack_floor,
            info.num_ack_pending
        );
        let mut batch = worker
            .batch()
            .max_messages(DRAIN_BATCH)
            .expires(Duration::from_millis(500))
            .messages()
            .await
            .expect("pull");
        while let Some(message) = batch.next().await {
            let message = message.expect("message");
            drained.insert(message.info().expect("ack subject").stream_sequence);
            message.double_ack().await.expect("double ack");
        }
    }
    required.len()
}

async fn run(seed: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let store = store.to_str().expect("utf-8 temp path");
    let mut rng = Rng(seed);
    let mut ledger = Ledger::default();
    let mut server = ServerProcess::start(&["-sd", store]);
    create_stream_and_consumer(&server).await;
    for round in 1..=ROUNDS {
        let context = format!("seed {seed} round {round}");
        let plan = Plan {
            round,
            delay: Duration::from_millis(rng.within(KILL_DELAY_MS)),
            paced: rng.next().is_multiple_of(2),
            consumer_seed: rng.next() | 1,
        };
        let (published, consumed) = traffic_until_kill(&mut server, &plan).await;
        let acked: usize = published
            .iter()
            .map(|publisher| publisher.acked.len())
            .sum();
        let deliveries = consumed.delivered.len();
        let confirmed_max = consumed.confirmed.iter().max().copied();
        ledger.record_round(published, consumed, &context);
        server = ServerProcess::start(&["-sd", store]);
        let (_, last_seq, info) = check_after_restart(&server, &ledger, &context).await;
        let progress = (
            info.delivered.stream_sequence,
            info.ack_floor.stream_sequence,
        );
        let (delivered_before, floor_before) = ledger.progress_at_restart;
        assert!(
            progress.0 >= delivered_before && progress.1 >= floor_before,
            "{context}: the consumer's progress went back: delivered {delivered_before} and ack \
             floor {floor_before} at the previous restart, now {} and {}",
            progress.0,
            progress.1
        );
        ledger.progress_at_restart = progress;
        ledger.last_seq_at_restart = last_seq;
        println!(
            "round {round}: {} killed after {:?}: {acked} PubAcks, {deliveries} deliveries, \
             highest ack confirmed {confirmed_max:?}; restarted: last_seq {last_seq}, consumer \
             delivered {} ack floor {} ({} pending)",
            if plan.paced { "paced," } else { "free," },
            plan.delay,
            info.delivered.stream_sequence,
            info.ack_floor.stream_sequence,
            info.num_ack_pending
        );
    }
    let context = format!("seed {seed} final");
    let required = publish_and_drain(&server, &mut ledger, &context).await;
    println!(
        "{ROUNDS} kills: {} PubAcks, {} deliveries, {} acks confirmed, {} redeliveries of a \
         confirmed ack after a kill, {required} never-acked messages drained, {} publish errors",
        ledger.acked.len(),
        ledger.deliveries,
        ledger.confirmed.len(),
        ledger.redelivered_after_confirmed,
        ledger.publish_errors
    );
    assert!(
        ledger.acked.len() > ROUNDS as usize && ledger.deliveries > 0,
        "too little traffic to test anything"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_message_and_skips_none() {
    // Built (when stale) before the clock starts: a rebuild is not part of the test's time.
    natrium_tests::natrium_binary();
    let seed = seed();
    println!("NATRIUM_JS_KILL_SEED={seed}");
    tokio::time::timeout(TEST_TIME_MAX, run(seed))
        .await
        .unwrap_or_else(|_| panic!("seed {seed}: the test ran over {TEST_TIME_MAX:?}"));
}
