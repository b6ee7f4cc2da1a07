//! Concurrency: while matcher threads keep refilling the shared cache, each writer thread
//! checks that its own insert is visible to its very next match and its own removal likewise
//! (a result computed before a change must never be cached after it), through the sublist and
//! through a `LastMatch`. At the end, with every thread joined, every subject's match equals
//! the naive matcher over what is left.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use bytes::Bytes;
use natrium_router::plugin::{DeliveryOutcome, Message, Sink};
use natrium_router::subject::filter_matches;
use natrium_router::{ClientId, LastMatch, Sublist, Subscription};

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

const SUBJECTS: [&str; 6] = ["a.b", "a.c", "b.b", "a.b.c", "c", "b.c.d"];
const FILTERS: [&str; 8] = ["a.b", "a.*", "*.b", ">", "a.>", "*.*.*", "c", "b.*.d"];
const WRITERS: usize = 3;
const MATCHERS: usize = 2;
const ROUNDS_PER_WRITER: usize = 800;
/// A safety net only: matchers normally stop when the writers are done.
const MATCHER_ROUNDS_MAX: usize = 20_000_000;

/// Stops the matchers when dropped, also when a writer's assertion unwinds the scope (else
/// the scope would wait for the matchers forever).
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn subscription(writer: usize, round: usize, filter: &str) -> Arc<Subscription> {
    let queue = round.is_multiple_of(3).then(|| Bytes::from_static(b"q"));
    let subscription = Subscription::new(
        ClientId(writer as u64),
        Bytes::from(format!("{writer}-{round}")),
        Bytes::copy_from_slice(filter.as_bytes()),
        queue,
        Arc::new(NullSink),
    );
    Arc::new(subscription.expect("valid"))
}

fn contains(result: &natrium_router::MatchResult, wanted: &Arc<Subscription>) -> bool {
    result
        .plain
        .iter()
        .chain(result.queues.iter().flat_map(|group| group.members.iter()))
        .any(|found| Arc::ptr_eq(found, wanted))
}

fn writer(sublist: &Sublist, index: usize) -> Vec<Arc<Subscription>> {
    let mut last = LastMatch::new();
    let mut kept = Vec::new();
    for round in 0..ROUNDS_PER_WRITER {
        let filter = FILTERS[(round + index) % FILTERS.len()];
        let mine = subscription(index, round, filter);
        let subjects: Vec<&str> = SUBJECTS
            .iter()
            .copied()
            .filter(|s| filter_matches(filter.as_bytes(), s.as_bytes()))
            .collect();
        // Warm both caches on the subjects first, so the insert has entries to invalidate.
        for subject in &subjects {
            sublist.matches(subject.as_bytes());
            last.lookup(sublist, subject.as_bytes());
        }
        sublist.insert(mine.clone()).expect("insert");
        for subject in &subjects {
            assert!(
                contains(&sublist.matches(subject.as_bytes()), &mine),
                "insert seen"
            );
            assert!(
                contains(last.lookup(sublist, subject.as_bytes()), &mine),
                "LastMatch"
            );
        }
        if round.is_multiple_of(5) {
            kept.push(mine);
            continue;
        }
        assert!(sublist.remove(&mine));
        for subject in &subjects {
            assert!(
                !contains(&sublist.matches(subject.as_bytes()), &mine),
                "removal seen"
            );
            assert!(
                !contains(last.lookup(sublist, subject.as_bytes()), &mine),
                "LastMatch"
            );
        }
    }
    kept
}

fn check_against_model(sublist: &Sublist, live: &[Arc<Subscription>]) {
    for subject in SUBJECTS {
        let result = sublist.matches(subject.as_bytes());
        let got: BTreeSet<Bytes> = result
            .plain
            .iter()
            .chain(result.queues.iter().flat_map(|group| group.members.iter()))
            .map(|s| s.sid.clone())
            .collect();
        let want: BTreeSet<Bytes> = live
            .iter()
            .filter(|s| filter_matches(&s.subject, subject.as_bytes()))
            .map(|s| s.sid.clone())
            .collect();
        assert_eq!(got, want, "{subject}");
    }
}

#[test]
fn own_changes_are_visible_at_once_while_others_match() {
    // A small cache also exercises sweeping under contention.
    for sublist in [Sublist::new(), Sublist::with_cache_entries_max(4)] {
        let stop = AtomicBool::new(false);
        let live: Vec<Arc<Subscription>> = thread::scope(|scope| {
            for _ in 0..MATCHERS {
                scope.spawn(|| {
                    let mut last = LastMatch::new();
                    let mut turn = 0usize;
                    while !stop.load(Ordering::Relaxed) && turn < MATCHER_ROUNDS_MAX {
                        let subject = SUBJECTS[turn % SUBJECTS.len()].as_bytes();
                        sublist.matches(subject);
                        last.lookup(&sublist, subject);
                        turn += 1;
                    }
                });
            }
            let _stop_matchers = StopOnDrop(&stop);
            let writers: Vec<_> = (0..WRITERS)
                .map(|index| {
                    let sublist = &sublist;
                    scope.spawn(move || writer(sublist, index + 1))
                })
                .collect();
            writers
                .into_iter()
                .flat_map(|w| w.join().expect("writer"))
                .collect()
        });
        assert_eq!(sublist.count(), live.len());
        check_against_model(&sublist, &live);
    }
}
