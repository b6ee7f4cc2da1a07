//! Property test: the trie sublist agrees with the naive matcher (`subject::filter_matches`
//! over every live subscription) under random inserts, removals and matches, with the shared
//! cache on (small, so it sweeps; and default-sized) and off, and through a per-connection
//! `LastMatch`. After every insert or removal every recently matched subject is matched
//! again, so a stale cache entry would be caught.
//!
//! Cases: 64 by default; set NATRIUM_PROPTEST_CASES for more.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bytes::Bytes;
use natrium_router::plugin::{DeliveryOutcome, Message, Sink};
use natrium_router::subject::filter_matches;
use natrium_router::{ClientId, LastMatch, MatchResult, Sublist, Subscription};
use proptest::prelude::*;
use proptest::sample::select;

struct NullSink;

impl Sink for NullSink {
    fn deliver(
        &self,
        _: &Subscription,
        _: &Message<'_>,
        _: &mut natrium_router::PublishBatch,
    ) -> DeliveryOutcome {
        DeliveryOutcome::Delivered
    }
}

#[derive(Debug, Clone)]
enum Op {
    Insert {
        filter: String,
        queue: Option<&'static str>,
    },
    Remove {
        pick: usize,
    },
    Match {
        subject: String,
    },
}

fn filter() -> impl Strategy<Value = String> {
    let token = prop_oneof![4 => select(&["a", "b", "c"][..]), 1 => Just("*")];
    (prop::collection::vec(token, 0..4), any::<bool>()).prop_map(|(mut tokens, full)| {
        if full || tokens.is_empty() {
            tokens.push(">");
        }
        tokens.join(".")
    })
}

/// Subjects as a publisher may send them: the Go server routes `*` and `>` tokens in a
/// publish literally, so they are included. Empty tokens are not (both the Go server and the
/// trie match nothing there, unlike the naive matcher; a unit test covers it).
fn subject() -> impl Strategy<Value = String> {
    let token = prop_oneof![8 => select(&["a", "b", "c"][..]), 1 => Just("*"), 1 => Just(">")];
    prop::collection::vec(token, 1..5).prop_map(|tokens| tokens.join("."))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (filter(), prop::option::of(select(&["q1", "q2"][..])))
            .prop_map(|(filter, queue)| Op::Insert { filter, queue }),
        2 => any::<usize>().prop_map(|pick| Op::Remove { pick }),
        3 => subject().prop_map(|subject| Op::Match { subject }),
    ]
}

/// A match as comparable sets: plain sids, and members by queue name.
type Shape = (BTreeSet<Bytes>, BTreeMap<Bytes, BTreeSet<Bytes>>);

fn shape(result: &MatchResult) -> Shape {
    let plain: BTreeSet<Bytes> = result.plain.iter().map(|s| s.sid.clone()).collect();
    assert_eq!(
        plain.len(),
        result.plain.len(),
        "a plain subscription appears twice"
    );
    let mut queues = BTreeMap::new();
    for group in &result.queues {
        assert!(!group.members.is_empty(), "empty queue group in a result");
        let members: BTreeSet<Bytes> = group.members.iter().map(|s| s.sid.clone()).collect();
        assert_eq!(
            members.len(),
            group.members.len(),
            "a queue member appears twice"
        );
        assert!(
            queues.insert(group.name.clone(), members).is_none(),
            "group listed twice"
        );
    }
    (plain, queues)
}

fn expected(live: &[Arc<Subscription>], subject: &[u8]) -> Shape {
    let mut plain = BTreeSet::new();
    let mut queues: BTreeMap<Bytes, BTreeSet<Bytes>> = BTreeMap::new();
    for subscription in live.iter().filter(|s| filter_matches(&s.subject, subject)) {
        match &subscription.queue {
            None => plain.insert(subscription.sid.clone()),
            Some(name) => queues
                .entry(name.clone())
                .or_default()
                .insert(subscription.sid.clone()),
        };
    }
    (plain, queues)
}

struct Harness {
    /// Cache on (tiny: sweeps often), default cache, cache off.
    sublists: [Sublist; 3],
    last_matches: [LastMatch; 3],
    live: Vec<Arc<Subscription>>,
    recent_subjects: Vec<Vec<u8>>,
    next_sid: u64,
}

impl Harness {
    const RECENT_SUBJECTS_MAX: usize = 16;

    fn new() -> Self {
        Self {
            sublists: [
                Sublist::with_cache_entries_max(4),
                Sublist::new(),
                Sublist::with_cache_entries_max(0),
            ],
            last_matches: Default::default(),
            live: Vec::new(),
            recent_subjects: Vec::new(),
            next_sid: 0,
        }
    }

    fn check(&mut self, subject: &[u8]) {
        let want = expected(&self.live, subject);
        for (sublist, last) in self.sublists.iter().zip(self.last_matches.iter_mut()) {
            // Twice: cold (or whatever the cache holds), then warm.
            assert_eq!(
                shape(&sublist.matches(subject)),
                want,
                "{:?}",
                String::from_utf8_lossy(subject)
            );
            assert_eq!(shape(&sublist.matches(subject)), want, "warm");
            assert_eq!(
                shape(&last.get_or_match(sublist, subject)),
                want,
                "last match"
            );
            assert_eq!(sublist.count(), self.live.len());
        }
    }

    fn recheck_recent(&mut self) {
        for subject in self.recent_subjects.clone() {
            self.check(&subject);
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Insert { filter, queue } => {
                self.next_sid += 1;
                let subscription = Subscription::new(
                    ClientId(1),
                    Bytes::from(self.next_sid.to_string()),
                    Bytes::from(filter),
                    queue.map(|name| Bytes::from_static(name.as_bytes())),
                    Arc::new(NullSink),
                );
                let subscription = Arc::new(subscription.expect("generated filters are valid"));
                for sublist in &self.sublists {
                    sublist.insert(subscription.clone()).expect("insert");
                }
                self.live.push(subscription);
                self.recheck_recent();
            }
            Op::Remove { pick } => {
                if self.live.is_empty() {
                    return;
                }
                let gone = self.live.swap_remove(pick % self.live.len());
                for sublist in &self.sublists {
                    assert!(sublist.remove(&gone), "live subscription removed");
                    assert!(!sublist.remove(&gone), "second removal finds nothing");
                }
                self.recheck_recent();
            }
            Op::Match { subject } => {
                let subject = subject.into_bytes();
                self.check(&subject);
                if !self.recent_subjects.contains(&subject) {
                    if self.recent_subjects.len() == Self::RECENT_SUBJECTS_MAX {
                        self.recent_subjects.remove(0);
                    }
                    self.recent_subjects.push(subject);
                }
            }
        }
    }

    fn drain(&mut self) {
        let all: BTreeSet<Bytes> = self.live.iter().map(|s| s.sid.clone()).collect();
        for sublist in &self.sublists {
            let listed: BTreeSet<Bytes> = sublist
                .subscriptions()
                .iter()
                .map(|s| s.sid.clone())
                .collect();
            assert_eq!(listed, all);
            assert_eq!(sublist.remove_batch(&self.live), self.live.len());
            assert_eq!(sublist.count(), 0);
            assert_eq!(sublist.stats().num_subscriptions, 0);
        }
        self.live.clear();
        self.recheck_recent();
    }
}

fn cases() -> u32 {
    std::env::var("NATRIUM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn trie_agrees_with_naive_matcher(ops in prop::collection::vec(op(), 1..80)) {
        let mut harness = Harness::new();
        for op in ops {
            harness.apply(op);
        }
        harness.drain();
    }
}
