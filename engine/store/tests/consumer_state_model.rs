//! Model-based property test of the consumer-state stores: random deliveries, redeliveries and
//! acknowledgements against a model that follows the Go server's algorithm step by step (the
//! ack floor advanced by a forward scan), the whole state compared after every step; the file
//! store is flushed, crashed and reopened at random points and must come back with the
//! flushed state. Cases: 64, or `NATRIUM_PROPTEST_CASES`.
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use natrium_store::Error;
use natrium_store::consumer::{
    AckPolicy, ConsumerConfig, ConsumerState, ConsumerStore, FileConsumerStore, MemConsumerStore,
    Pending,
};
use natrium_store::io::{CrashMode, MemStorage, StorageHandle};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    /// Deliver the next stream message, `gap` sequences after the last delivered one.
    Deliver { gap: u64, ts: i64 },
    /// Redeliver the `pick`-th pending message.
    Redeliver { pick: usize, ts: i64 },
    /// Acknowledge the `pick`-th pending message (as delivered last).
    Ack { pick: usize },
    /// Acknowledge a stream sequence that is not pending.
    AckUnknown { stream_seq: u64 },
    /// Flush, crash the storage, reopen.
    CrashRestart { flush: bool },
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3u64, 0..1_000i64).prop_map(|(gap, ts)| Op::Deliver { gap, ts }),
        2 => (any::<usize>(), 0..1_000i64).prop_map(|(pick, ts)| Op::Redeliver { pick, ts }),
        4 => any::<usize>().prop_map(|pick| Op::Ack { pick }),
        1 => (0..50u64).prop_map(|stream_seq| Op::AckUnknown { stream_seq }),
        1 => any::<bool>().prop_map(|flush| Op::CrashRestart { flush }),
    ]
}

/// Go's consumer-state rules, written out naively.
struct Model {
    policy: AckPolicy,
    state: ConsumerState,
}

impl Model {
    fn deliver(&mut self, dseq: u64, sseq: u64, dc: u64, ts: i64) {
        let s = &mut self.state;
        if dseq <= s.ack_floor_consumer_seq {
            return;
        }
        if sseq <= s.delivered_stream_seq {
            if let Some(p) = s.pending.get_mut(&sseq) {
                p.timestamp_ns = ts;
            }
        } else {
            s.pending.insert(
                sseq,
                Pending {
                    consumer_seq: dseq,
                    timestamp_ns: ts,
                },
            );
        }
        s.delivered_consumer_seq = s.delivered_consumer_seq.max(dseq);
        s.delivered_stream_seq = s.delivered_stream_seq.max(sseq);
        if dc > 1 {
            let count = s.redelivered.entry(sseq).or_default();
            *count = (*count).max(dc - 1);
        }
    }

    fn ack(&mut self, mut dseq: u64, sseq: u64) -> bool {
        let s = &mut self.state;
        if !s.pending.contains_key(&sseq) {
            s.redelivered.remove(&sseq);
            return false;
        }
        if self.policy == AckPolicy::All {
            let low = s.ack_floor_stream_seq;
            s.ack_floor_consumer_seq = dseq;
            s.ack_floor_stream_seq = sseq;
            for seq in (low + 1)..=sseq {
                s.pending.remove(&seq);
                s.redelivered.remove(&seq);
            }
            return true;
        }
        let original = s.pending.remove(&sseq).map_or(0, |p| p.consumer_seq);
        if dseq > original && original > 0 {
            dseq = original;
        }
        if s.pending.is_empty() {
            s.ack_floor_consumer_seq = s.delivered_consumer_seq;
            s.ack_floor_stream_seq = s.delivered_stream_seq;
        } else if dseq == s.ack_floor_consumer_seq + 1 {
            s.ack_floor_consumer_seq = dseq;
            s.ack_floor_stream_seq = sseq;
            let scan_to = if s.delivered_consumer_seq > dseq {
                s.delivered_stream_seq
            } else {
                0
            };
            for ss in (sseq + 1)..=scan_to {
                if let Some(p) = s.pending.get(&ss) {
                    s.ack_floor_consumer_seq = p.consumer_seq - 1;
                    s.ack_floor_stream_seq = ss - 1;
                    break;
                }
            }
        }
        s.redelivered.remove(&sseq);
        true
    }
}

fn nth_pending(state: &ConsumerState, pick: usize) -> Option<u64> {
    let len = state.pending.len();
    (len > 0).then(|| *state.pending.keys().nth(pick % len).expect("in range"))
}

const PATH: &str = "/stream/consumers/durable.state";

fn run(policy: AckPolicy, ops: &[Op]) {
    let config = ConsumerConfig {
        ack_policy: policy,
        ..ConsumerConfig::default()
    };
    let storage = MemStorage::new();
    let handle: StorageHandle = Arc::new(storage.clone());
    let mut file = FileConsumerStore::open(handle.clone(), Path::new(PATH), config).expect("open");
    let mut memory = MemConsumerStore::new(config);
    let mut model = Model {
        policy,
        state: ConsumerState::default(),
    };
    let mut flushed = ConsumerState::default();
    let mut redeliveries: BTreeMap<u64, u64> = BTreeMap::new();
    for (step, op) in ops.iter().enumerate() {
        let ctx = format!("step {step}: {op:?}");
        match *op {
            Op::Deliver { gap, ts } => {
                let dseq = model.state.delivered_consumer_seq + 1;
                let sseq = model.state.delivered_stream_seq + 1 + gap;
                model.deliver(dseq, sseq, 1, ts);
                memory.update_delivered(dseq, sseq, 1, ts).expect("deliver");
                file.update_delivered(dseq, sseq, 1, ts).expect("deliver");
            }
            Op::Redeliver { pick, ts } => {
                let Some(sseq) = nth_pending(&model.state, pick) else {
                    continue;
                };
                let dc = redeliveries.entry(sseq).or_insert(1);
                *dc += 1;
                let dseq = model.state.delivered_consumer_seq + 1;
                model.deliver(dseq, sseq, *dc, ts);
                memory
                    .update_delivered(dseq, sseq, *dc, ts)
                    .expect("redeliver");
                file.update_delivered(dseq, sseq, *dc, ts)
                    .expect("redeliver");
            }
            Op::Ack { pick } => {
                let Some(sseq) = nth_pending(&model.state, pick) else {
                    continue;
                };
                let dseq = model.state.delivered_consumer_seq;
                assert!(model.ack(dseq, sseq), "{ctx}");
                memory.update_acks(dseq, sseq).expect("ack");
                file.update_acks(dseq, sseq).expect("ack");
            }
            Op::AckUnknown { stream_seq } => {
                if model.state.pending.contains_key(&stream_seq) {
                    continue;
                }
                assert!(!model.ack(1, stream_seq));
                assert!(
                    matches!(memory.update_acks(1, stream_seq), Err(Error::NotFound)),
                    "{ctx}"
                );
                assert!(
                    matches!(file.update_acks(1, stream_seq), Err(Error::NotFound)),
                    "{ctx}"
                );
            }
            Op::CrashRestart { flush } => {
                file = crash_restart(file, &storage, flush, &mut flushed, config, &ctx);
                // The file store now continues from its flushed state; so do the others.
                file.replace(model.state.clone()).expect("replace");
            }
        }
        assert_eq!(memory.state(), model.state, "memory {ctx}");
        assert_eq!(file.state(), model.state, "file {ctx}");
    }
}

/// Flushes (when `flush`), crashes the storage and reopens: the state must be the last
/// flushed one.
fn crash_restart(
    file: FileConsumerStore,
    storage: &MemStorage,
    flush: bool,
    flushed: &mut ConsumerState,
    config: ConsumerConfig,
    ctx: &str,
) -> FileConsumerStore {
    let mut file = file;
    if flush {
        file.flush().expect("flush");
        *flushed = file.state();
    }
    drop(file);
    storage.crash(CrashMode::DropUnsynced);
    let handle: StorageHandle = Arc::new(storage.clone());
    let file = FileConsumerStore::open(handle, Path::new(PATH), config).expect("reopen");
    assert_eq!(&file.state(), flushed, "reopened state {ctx}");
    file
}

fn cases() -> u32 {
    std::env::var("NATRIUM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn explicit_acks_agree_with_the_go_model(ops in prop::collection::vec(op_strategy(), 1..80)) {
        run(AckPolicy::Explicit, &ops);
    }

    #[test]
    fn ack_all_agrees_with_the_go_model(ops in prop::collection::vec(op_strategy(), 1..80)) {
        run(AckPolicy::All, &ops);
    }
}
