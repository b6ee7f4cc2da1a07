//! Model-based testing of any `StreamStore`: a naive `BTreeMap` model of the documented
//! semantics, random operation sequences (with restarts), and a checker that compares every
//! state query after every step. A store's test file runs [`check_ops`] under proptest with
//! its own [`Harness`].
use std::collections::BTreeMap;

use natrium_store::{DiscardPolicy, Error, MsgTtl, NewMsg, SimpleState, StoreConfig, StreamStore};
use proptest::prelude::*;

use super::Harness;

/// Subjects the generated messages use.
pub const SUBJECTS: [&str; 4] = ["a", "b.x", "b.y", "c.x.z"];
/// Filters every query is checked with.
pub const FILTERS: [&str; 8] = ["", ">", "a", "b.*", "b.>", "*.x", "c.>", "zz"];

/// One step of a generated history. `pick` values are reduced to a sequence near the stream.
#[derive(Clone, Debug)]
pub enum Op {
    Store {
        subject: usize,
        payload_len: usize,
        ttl_ns: Option<u64>,
    },
    /// `store_raw` at `last_seq + gap` (gap 0 is a sequence mismatch).
    StoreRaw {
        subject: usize,
        payload_len: usize,
        gap: u64,
    },
    Skip,
    /// `skip_many` of `count`, from the right sequence or (when `wrong`) one too far.
    SkipMany {
        count: u64,
        wrong: bool,
    },
    UpdateConfig {
        config: StoreConfig,
    },
    Remove {
        pick: u64,
    },
    Erase {
        pick: u64,
    },
    Purge,
    PurgeEx {
        filter: usize,
        pick: u64,
        keep: u64,
    },
    Compact {
        pick: u64,
    },
    Truncate {
        pick: u64,
    },
    Tick {
        ns: u64,
    },
    Expire,
    Restart,
    /// [`Harness::crash_restart`].
    CrashRestart,
}

/// A random operation, weighted towards stores.
pub fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..SUBJECTS.len(), 0..24usize, prop::option::weighted(0.3, 1..300u64))
            .prop_map(|(subject, payload_len, ttl_ns)| Op::Store { subject, payload_len, ttl_ns }),
        1 => (0..SUBJECTS.len(), 0..24usize, 0..4u64)
            .prop_map(|(subject, payload_len, gap)| Op::StoreRaw { subject, payload_len, gap }),
        1 => Just(Op::Skip),
        1 => (0..4u64, prop::bool::weighted(0.2))
            .prop_map(|(count, wrong)| Op::SkipMany { count, wrong }),
        1 => config_strategy().prop_map(|config| Op::UpdateConfig { config }),
        2 => any::<u64>().prop_map(|pick| Op::Remove { pick }),
        1 => any::<u64>().prop_map(|pick| Op::Erase { pick }),
        1 => Just(Op::Purge),
        1 => (0..FILTERS.len(), any::<u64>(), 0..3u64)
            .prop_map(|(filter, pick, keep)| Op::PurgeEx { filter, pick, keep }),
        1 => any::<u64>().prop_map(|pick| Op::Compact { pick }),
        1 => any::<u64>().prop_map(|pick| Op::Truncate { pick }),
        3 => (0..120u64).prop_map(|ns| Op::Tick { ns }),
        2 => Just(Op::Expire),
        1 => Just(Op::Restart),
        1 => Just(Op::CrashRestart),
    ]
}

/// A random set of limits, including none.
pub fn config_strategy() -> impl Strategy<Value = StoreConfig> {
    let opt = |range: std::ops::Range<u64>| prop::option::weighted(0.3, range);
    (
        opt(1..8),
        opt(40..300),
        opt(50..400),
        opt(1..4),
        opt(5..30),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(max_msgs, max_bytes, max_age_ns, per_subject, max_size, new, new_per, ttl)| {
                StoreConfig {
                    max_msgs,
                    max_bytes,
                    max_age_ns,
                    max_msgs_per_subject: per_subject,
                    max_msg_size: max_size,
                    discard: if new {
                        DiscardPolicy::New
                    } else {
                        DiscardPolicy::Old
                    },
                    discard_new_per_subject: new_per,
                    allow_msg_ttl: ttl,
                }
            },
        )
}

/// Number of proptest cases: `NATRIUM_PROPTEST_CASES` or `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("NATRIUM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Debug)]
struct ModelMsg {
    subject: String,
    ts_ns: u64,
    payload: Vec<u8>,
    expires_ns: Option<u64>,
}

impl ModelMsg {
    fn bytes(&self) -> u64 {
        natrium_store::stored_msg_bytes(self.subject.len(), 0, self.payload.len())
    }
}

/// The naive model: everything is a scan of a `BTreeMap`.
#[derive(Debug)]
struct Model {
    config: StoreConfig,
    msgs: BTreeMap<u64, ModelMsg>,
    last_seq: u64,
    last_ts_ns: u64,
}

impl Model {
    fn first_seq(&self) -> u64 {
        self.msgs
            .keys()
            .next()
            .copied()
            .unwrap_or(self.last_seq + 1)
    }

    fn bytes(&self) -> u64 {
        self.msgs.values().map(ModelMsg::bytes).sum()
    }

    fn subject_seqs(&self, subject: &str) -> Vec<u64> {
        self.msgs
            .iter()
            .filter(|(_, m)| m.subject == subject)
            .map(|(&s, _)| s)
            .collect()
    }

    fn matching(&self, filter: &str) -> impl Iterator<Item = (u64, &ModelMsg)> + '_ {
        let filter = filter.to_string();
        self.msgs
            .iter()
            .filter(move |(_, m)| natrium_store::subject::matches(&filter, &m.subject))
            .map(|(&s, m)| (s, m))
    }

    /// The documented admission rules, written out independently of `limits.rs`.
    fn refuse(&self, msg: &ModelMsg, ttl: bool) -> Option<&'static str> {
        let c = &self.config;
        if c.max_msg_size
            .is_some_and(|max| msg.payload.len() as u64 > max)
        {
            return Some("MsgTooLarge");
        }
        if ttl && !c.allow_msg_ttl {
            return Some("TtlDisabled");
        }
        if c.discard == DiscardPolicy::Old {
            return None;
        }
        let same = self.subject_seqs(&msg.subject);
        let full = c
            .max_msgs_per_subject
            .is_some_and(|max| same.len() as u64 >= max);
        if full && c.discard_new_per_subject {
            return Some("MaxMsgsPerSubject");
        }
        if c.max_msgs.is_some_and(|max| self.msgs.len() as u64 >= max) && !full {
            return Some("MaxMsgs");
        }
        let freed = if full {
            same.first().map_or(0, |s| self.msgs[s].bytes())
        } else {
            0
        };
        if c.max_bytes
            .is_some_and(|max| self.bytes() - freed + msg.bytes() > max)
        {
            return Some("MaxBytes");
        }
        None
    }

    fn store(&mut self, msg: ModelMsg, ttl: bool) -> Result<u64, &'static str> {
        self.store_at(self.last_seq + 1, msg, ttl)
    }

    fn store_at(&mut self, seq: u64, msg: ModelMsg, ttl: bool) -> Result<u64, &'static str> {
        if seq <= self.last_seq {
            return Err("SequenceMismatch");
        }
        if let Some(reason) = self.refuse(&msg, ttl) {
            return Err(reason);
        }
        let subject = msg.subject.clone();
        self.last_ts_ns = msg.ts_ns;
        self.last_seq = seq;
        self.msgs.insert(seq, msg);
        let c = self.config.clone();
        if let Some(max) = c.max_msgs_per_subject {
            while self.subject_seqs(&subject).len() as u64 > max {
                let first = self.subject_seqs(&subject)[0];
                self.msgs.remove(&first);
            }
        }
        // Discard-new refused at admission; only discard-old removes for the totals.
        while c.discard == DiscardPolicy::Old
            && c.max_msgs.is_some_and(|max| self.msgs.len() as u64 > max)
        {
            self.msgs.pop_first();
        }
        while c.discard == DiscardPolicy::Old && c.max_bytes.is_some_and(|max| self.bytes() > max) {
            self.msgs.pop_first();
        }
        Ok(seq)
    }

    /// `update_config`: every count and byte limit now, per subject first.
    fn update_config(&mut self, config: StoreConfig) {
        self.config = config.clone();
        if let Some(max) = config.max_msgs_per_subject {
            for subject in SUBJECTS {
                let seqs = self.subject_seqs(subject);
                let excess = seqs.len().saturating_sub(max as usize);
                for seq in &seqs[..excess] {
                    self.msgs.remove(seq);
                }
            }
        }
        // Discard-new keeps what it holds when a total limit is lowered (as Go does).
        if config.discard == DiscardPolicy::New {
            return;
        }
        while config
            .max_msgs
            .is_some_and(|max| self.msgs.len() as u64 > max)
        {
            self.msgs.pop_first();
        }
        while config.max_bytes.is_some_and(|max| self.bytes() > max) {
            self.msgs.pop_first();
        }
    }

    fn purge_ex(&mut self, filter: &str, up_to: u64, keep: u64) -> u64 {
        let matching: Vec<u64> = self.matching(filter).map(|(s, _)| s).collect();
        let target = if keep > 0 {
            matching.len().saturating_sub(keep as usize)
        } else {
            matching.len()
        };
        let gone: Vec<u64> = matching
            .into_iter()
            .filter(|&s| up_to == 0 || s < up_to)
            .take(target)
            .collect();
        for seq in &gone {
            self.msgs.remove(seq);
        }
        gone.len() as u64
    }

    fn compact(&mut self, seq: u64) -> u64 {
        let before = self.msgs.len();
        if seq > self.last_seq + 1 {
            self.msgs.clear();
            self.last_seq = seq - 1;
        } else {
            self.msgs.retain(|&s, _| s >= seq);
        }
        (before - self.msgs.len()) as u64
    }

    fn truncate(&mut self, seq: u64) {
        if seq >= self.last_seq {
            return;
        }
        self.msgs.retain(|&s, _| s <= seq);
        self.last_seq = seq;
        self.last_ts_ns = self.msgs.values().next_back().map_or(0, |m| m.ts_ns);
    }

    fn expire(&mut self, now_ns: u64) -> u64 {
        let before = self.msgs.len();
        self.msgs
            .retain(|_, m| m.expires_ns.is_none_or(|e| e > now_ns));
        if let Some(max_age) = self.config.max_age_ns {
            while self
                .msgs
                .values()
                .next()
                .is_some_and(|m| m.ts_ns + max_age <= now_ns)
            {
                self.msgs.pop_first();
            }
        }
        (before - self.msgs.len()) as u64
    }

    fn next_expiry_ns(&self) -> Option<u64> {
        let ttl = self.msgs.values().filter_map(|m| m.expires_ns).min();
        let age = self
            .config
            .max_age_ns
            .and_then(|a| Some(self.msgs.values().next()?.ts_ns + a));
        [ttl, age].into_iter().flatten().min()
    }

    fn filtered(&self, start: u64, filter: &str) -> SimpleState {
        let seqs: Vec<u64> = self
            .matching(filter)
            .map(|(s, _)| s)
            .filter(|&s| s >= start)
            .collect();
        match (seqs.first(), seqs.last()) {
            (Some(&first_seq), Some(&last_seq)) => SimpleState {
                msgs: seqs.len() as u64,
                first_seq,
                last_seq,
            },
            _ => SimpleState::default(),
        }
    }
}

fn error_name(error: &Error) -> &'static str {
    match error {
        Error::MsgTooLarge { .. } => "MsgTooLarge",
        Error::TtlDisabled => "TtlDisabled",
        Error::MaxMsgs => "MaxMsgs",
        Error::MaxBytes => "MaxBytes",
        Error::MaxMsgsPerSubject => "MaxMsgsPerSubject",
        Error::SequenceMismatch { .. } => "SequenceMismatch",
        _ => "other",
    }
}

/// A sequence from `pick`: mostly within `[first - 1, last + 2]`.
fn near(model: &Model, pick: u64) -> u64 {
    let low = model.first_seq().saturating_sub(1);
    low + pick % (model.last_seq + 3 - low)
}

/// Applies `ops` to a store from `harness` and to the model, comparing after every step.
pub fn check_ops(harness: &mut dyn Harness, config: StoreConfig, ops: &[Op]) {
    let mut store = harness.open(config.clone());
    let mut model = Model {
        config,
        msgs: BTreeMap::new(),
        last_seq: 0,
        last_ts_ns: 0,
    };
    let mut now_ns = 1_000u64;
    for (step, op) in ops.iter().enumerate() {
        store = apply(harness, store, &mut model, op, &mut now_ns, step);
        compare(&*store, &model, now_ns, step, op);
    }
}

fn apply(
    harness: &mut dyn Harness,
    mut store: Box<dyn StreamStore>,
    model: &mut Model,
    op: &Op,
    now_ns: &mut u64,
    step: usize,
) -> Box<dyn StreamStore> {
    match *op {
        Op::Tick { ns } => *now_ns += ns,
        Op::Restart | Op::CrashRestart => {
            store = match op {
                Op::Restart => harness.restart(store),
                _ => harness.crash_restart(store),
            };
            // Nothing acknowledged is lost by a clean restart or a power cut under
            // `sync: always`: a report of lost data here is a false alarm.
            let lost = store.state().lost;
            assert!(lost.is_none(), "step {step}: restart reported {lost:?}");
        }
        Op::Store { .. }
        | Op::StoreRaw { .. }
        | Op::Skip
        | Op::SkipMany { .. }
        | Op::UpdateConfig { .. } => apply_write(&mut *store, model, op, *now_ns, step),
        _ => apply_removal(&mut *store, model, op, *now_ns, step),
    }
    store
}

/// Operations that add messages or sequences, or change the limits.
fn apply_write(store: &mut dyn StreamStore, model: &mut Model, op: &Op, now_ns: u64, step: usize) {
    let ctx = format!("step {step}: {op:?}");
    match *op {
        Op::Store {
            subject,
            payload_len,
            ttl_ns,
        } => check_store(
            store,
            model,
            SUBJECTS[subject],
            payload_len,
            ttl_ns,
            now_ns,
            &ctx,
        ),
        Op::StoreRaw {
            subject,
            payload_len,
            gap,
        } => {
            let subject = SUBJECTS[subject];
            let payload = vec![step as u8; payload_len];
            let seq = model.last_seq + gap;
            let got = store
                .store_raw(&NewMsg::new(subject, &payload), seq, now_ns)
                .map(|()| seq)
                .map_err(|e| error_name(&e));
            let msg = ModelMsg {
                subject: subject.into(),
                ts_ns: now_ns,
                payload,
                expires_ns: None,
            };
            assert_eq!(got, model.store_at(seq, msg, false), "{ctx}");
        }
        Op::SkipMany { count, wrong } => {
            let seq = model.last_seq + 1 + u64::from(wrong);
            let got = store
                .skip_many(seq, count, now_ns)
                .map_err(|e| error_name(&e));
            if wrong {
                assert_eq!(got, Err("SequenceMismatch"), "{ctx}");
            } else {
                assert_eq!(got, Ok(()), "{ctx}");
                if count > 0 {
                    model.last_seq += count;
                    model.last_ts_ns = now_ns;
                }
            }
        }
        Op::UpdateConfig { ref config } => {
            store.update_config(config.clone()).expect("update_config");
            model.update_config(config.clone());
        }
        Op::Skip => {
            let seq = store.skip(now_ns).expect("skip");
            model.last_seq += 1;
            model.last_ts_ns = now_ns;
            assert_eq!(seq, model.last_seq, "{ctx}");
        }
        _ => unreachable!("not a write: {op:?}"),
    }
}

/// `store` of a generated message, compared with the model's verdict.
fn check_store(
    store: &mut dyn StreamStore,
    model: &mut Model,
    subject: &str,
    payload_len: usize,
    ttl_ns: Option<u64>,
    now_ns: u64,
    ctx: &str,
) {
    let payload: Vec<u8> = (0..payload_len)
        .map(|i| (i as u8).wrapping_add(now_ns as u8))
        .collect();
    let ttl = ttl_ns.map_or(MsgTtl::Stream, |ttl_ns| MsgTtl::After { ttl_ns });
    let got = store
        .store(
            &NewMsg {
                ttl,
                ..NewMsg::new(subject, &payload)
            },
            now_ns,
        )
        .map(|(seq, _)| seq)
        .map_err(|e| error_name(&e));
    let msg = ModelMsg {
        subject: subject.into(),
        ts_ns: now_ns,
        payload,
        expires_ns: ttl_ns.map(|t| now_ns + t),
    };
    assert_eq!(got, model.store(msg, ttl_ns.is_some()), "{ctx}");
}

/// Operations that remove messages.
fn apply_removal(
    store: &mut dyn StreamStore,
    model: &mut Model,
    op: &Op,
    now_ns: u64,
    step: usize,
) {
    let ctx = format!("step {step}: {op:?}");
    match *op {
        Op::Remove { pick } | Op::Erase { pick } => {
            let seq = near(model, pick);
            let got = if matches!(op, Op::Remove { .. }) {
                store.remove(seq)
            } else {
                store.erase(seq)
            };
            assert_eq!(
                got.expect("remove"),
                model.msgs.remove(&seq).is_some(),
                "{ctx} seq {seq}"
            );
        }
        Op::Purge => {
            let expected = model.msgs.len() as u64;
            model.msgs.clear();
            assert_eq!(store.purge().expect("purge"), expected, "{ctx}");
        }
        Op::PurgeEx { filter, pick, keep } => {
            let up_to = if pick % 3 == 0 { 0 } else { near(model, pick) };
            let filter = FILTERS[filter];
            let got = store.purge_ex(filter, up_to, keep).expect("purge_ex");
            assert_eq!(
                got,
                model.purge_ex(filter, up_to, keep),
                "{ctx} up_to {up_to}"
            );
        }
        Op::Compact { pick } => {
            let seq = near(model, pick).max(1);
            assert_eq!(
                store.compact(seq).expect("compact"),
                model.compact(seq),
                "{ctx} seq {seq}"
            );
        }
        Op::Truncate { pick } => {
            let seq = near(model, pick);
            store.truncate(seq).expect("truncate");
            model.truncate(seq);
        }
        Op::Expire => {
            assert_eq!(
                store.expire(now_ns).expect("expire"),
                model.expire(now_ns),
                "{ctx}"
            );
        }
        _ => unreachable!("not a removal: {op:?}"),
    }
}

/// Compares every query of `store` with the model.
fn compare(store: &dyn StreamStore, model: &Model, now_ns: u64, step: usize, op: &Op) {
    let ctx = format!("after step {step}: {op:?}");
    let state = store.state_with_deleted();
    let first_seq = model.first_seq();
    let msgs = model.msgs.len() as u64;
    assert_eq!(state.msgs, msgs, "msgs {ctx}");
    assert_eq!(state.bytes, model.bytes(), "bytes {ctx}");
    assert_eq!(
        (state.first_seq, state.last_seq),
        (first_seq, model.last_seq),
        "seqs {ctx}"
    );
    let first_ts = model.msgs.values().next().map_or(0, |m| m.ts_ns);
    assert_eq!(
        (state.first_ts_ns, state.last_ts_ns),
        (first_ts, model.last_ts_ns),
        "ts {ctx}"
    );
    let deleted: Vec<u64> = if msgs == 0 {
        Vec::new()
    } else {
        (first_seq..=model.last_seq)
            .filter(|s| !model.msgs.contains_key(s))
            .collect()
    };
    assert_eq!(state.num_deleted, deleted.len() as u64, "num_deleted {ctx}");
    assert_eq!(state.deleted, deleted, "deleted {ctx}");
    assert_eq!(
        store.state().num_deleted,
        state.num_deleted,
        "state() {ctx}"
    );
    for seq in first_seq.saturating_sub(1)..=model.last_seq + 1 {
        match (store.load(seq), model.msgs.get(&seq)) {
            (Ok(got), Some(want)) => {
                assert_eq!(
                    (&*got.subject, got.ts_ns),
                    (want.subject.as_str(), want.ts_ns),
                    "{ctx}"
                );
                assert_eq!(got.payload, want.payload, "payload {seq} {ctx}");
                assert_eq!(got.expires_ns, want.expires_ns, "expires {seq} {ctx}");
            }
            (Err(Error::Eof), None) => assert!(seq > model.last_seq, "eof at {seq} {ctx}"),
            (Err(Error::NotFound), None) => assert!(seq <= model.last_seq, "nf at {seq} {ctx}"),
            (got, want) => panic!("load {seq}: {got:?} vs {want:?} {ctx}"),
        }
    }
    compare_filters(store, model, &ctx);
    let expiry = store.next_expiry_ns();
    match (expiry, model.next_expiry_ns()) {
        (None, None) => {}
        // The wheel may wake early after removals, never late.
        (Some(got), Some(want)) => assert!(got <= want, "expiry {got} > {want} {ctx}"),
        (Some(got), None) => assert!(got >= 1, "spurious expiry {ctx}"),
        (None, Some(want)) => panic!("missing expiry {want} {ctx}"),
    }
    for ts in [0, now_ns / 2, first_ts, model.last_ts_ns, now_ns + 1] {
        let want = model
            .msgs
            .iter()
            .find(|(_, m)| m.ts_ns >= ts)
            .map_or(model.last_seq + 1, |(&s, _)| s);
        assert_eq!(store.seq_from_time(ts), want, "seq_from_time({ts}) {ctx}");
    }
}

fn compare_filters(store: &dyn StreamStore, model: &Model, ctx: &str) {
    let starts = [
        0,
        model.first_seq(),
        model.first_seq() + 1,
        model.last_seq.saturating_sub(1),
        model.last_seq + 1,
    ];
    compare_filter_pairs(store, model, &starts, ctx);
    for filter in FILTERS {
        for start in starts {
            let want = model.filtered(start, filter);
            assert_eq!(
                store.filtered_state(start, filter),
                want,
                "filtered({start}, {filter:?}) {ctx}"
            );
            assert_eq!(
                store.num_pending(start, filter, false),
                want.msgs,
                "pending {ctx}"
            );
            let next = store.load_next(filter, start).map(|m| m.seq).ok();
            let want_next = (want.msgs > 0).then_some(want.first_seq);
            assert_eq!(next, want_next, "load_next({filter:?}, {start}) {ctx}");
            let mut lasts: BTreeMap<&str, u64> = BTreeMap::new();
            for (seq, m) in model.matching(filter) {
                lasts.insert(&m.subject, seq);
            }
            let want_lps = lasts.values().filter(|&&s| s >= start).count() as u64;
            assert_eq!(
                store.num_pending(start, filter, true),
                want_lps,
                "pending lps {ctx}"
            );
            let prev = store.load_prev(start).map(|m| m.seq).ok();
            let want_prev = model.msgs.range(..=start).next_back().map(|(&s, _)| s);
            assert_eq!(prev, want_prev, "load_prev({start}) {ctx}");
        }
        let last = store.load_last(filter).map(|m| m.seq).ok();
        assert_eq!(
            last,
            model.matching(filter).map(|(s, _)| s).last(),
            "load_last {filter:?} {ctx}"
        );
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        let mut states: BTreeMap<String, SimpleState> = BTreeMap::new();
        for (seq, m) in model.matching(filter) {
            *totals.entry(m.subject.clone()).or_default() += 1;
            let entry = states.entry(m.subject.clone()).or_insert(SimpleState {
                msgs: 0,
                first_seq: seq,
                last_seq: seq,
            });
            entry.msgs += 1;
            entry.last_seq = seq;
        }
        assert_eq!(
            store.subjects_totals(filter),
            totals,
            "totals {filter:?} {ctx}"
        );
        assert_eq!(
            store.subjects_state(filter),
            states,
            "subjects_state {filter:?} {ctx}"
        );
    }
    assert_eq!(
        store.state().num_subjects,
        store.subjects_totals(">").len() as u64,
        "{ctx}"
    );
}

/// Filter pairs, some overlapping, for the several-filter queries.
const FILTER_PAIRS: [[&str; 2]; 4] = [[">", "a"], ["b.*", "*.x"], ["a", "c.>"], ["zz", "b.>"]];

fn compare_filter_pairs(store: &dyn StreamStore, model: &Model, starts: &[u64], ctx: &str) {
    for filters in FILTER_PAIRS {
        let matches_any = |subject: &str| {
            filters
                .iter()
                .any(|f| natrium_store::subject::matches(f, subject))
        };
        for &start in starts {
            let seqs: Vec<u64> = model
                .msgs
                .range(start..)
                .filter(|(_, m)| matches_any(&m.subject))
                .map(|(&s, _)| s)
                .collect();
            let next = store.load_next_any(&filters, start).map(|m| m.seq).ok();
            assert_eq!(
                next,
                seqs.first().copied(),
                "load_next_any({filters:?}, {start}) {ctx}"
            );
            let pending = store.num_pending_any(start, &filters, false);
            assert_eq!(
                pending,
                seqs.len() as u64,
                "num_pending_any({filters:?}) {ctx}"
            );
        }
    }
}
