//! Criterion benches of the sublist: exact, wildcard and queue matches (trie walk with the
//! shared cache off, shared-cache hit, per-connection `LastMatch` hit) and an insert+remove
//! pair, each with 10 and 10 000 subscriptions.
//!
//! Run: `cargo bench -p natrium-benches --bench sublist -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use natrium_router::plugin::{DeliveryOutcome, Message, Sink};
use natrium_router::{ClientId, LastMatch, Sublist, Subscription};

const SIZES: [usize; 2] = [10, 10_000];

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

fn subscription(filter: String, queue: Option<String>) -> Arc<Subscription> {
    let subscription = Subscription::new(
        ClientId(1),
        Bytes::from_static(b"1"),
        Bytes::from(filter),
        queue.map(Bytes::from),
        Arc::new(NullSink),
    );
    Arc::new(subscription.expect("bench filters are valid"))
}

/// `count` literal subscriptions `orders.<i>.created`; the subject hits exactly one.
fn exact(count: usize) -> Vec<Arc<Subscription>> {
    (0..count)
        .map(|index| subscription(format!("orders.{index}.created"), None))
        .collect()
}

/// A mix of `*` and `>` filters over `count` subscriptions; the subject matches three.
fn wildcard(count: usize) -> Vec<Arc<Subscription>> {
    (0..count)
        .map(|index| match index % 3 {
            0 => subscription(format!("orders.{index}.*"), None),
            1 => subscription(format!("orders.*.{index}"), None),
            _ => subscription(format!("orders.{index}.>"), None),
        })
        .collect()
}

/// `count` queue subscriptions on `jobs.*` spread over 10 groups: every member matches.
fn queue(count: usize) -> Vec<Arc<Subscription>> {
    (0..count)
        .map(|index| subscription("jobs.*".to_owned(), Some(format!("group{}", index % 10))))
        .collect()
}

fn filled(cache_entries_max: usize, subscriptions: &[Arc<Subscription>]) -> Sublist {
    let sublist = Sublist::with_cache_entries_max(cache_entries_max);
    for one in subscriptions {
        sublist.insert(one.clone()).expect("insert");
    }
    sublist
}

/// Three ways to answer one match: walk the trie (shared cache off), hit the shared cache,
/// hit the per-connection `LastMatch`.
fn bench_matches(
    criterion: &mut Criterion,
    name: &str,
    build: fn(usize) -> Vec<Arc<Subscription>>,
    subject: &[u8],
) {
    let mut group = criterion.benchmark_group(name);
    for count in SIZES {
        let subscriptions = build(count);
        let uncached = filled(0, &subscriptions);
        assert!(
            !uncached.matches(subject).is_empty(),
            "{name}: the subject must match"
        );
        group.bench_with_input(
            BenchmarkId::new("uncached", count),
            &uncached,
            |b, sublist| b.iter(|| sublist.matches(black_box(subject))),
        );
        let cached = filled(
            natrium_router::sublist::CACHE_ENTRIES_MAX_DEFAULT,
            &subscriptions,
        );
        cached.matches(subject);
        group.bench_with_input(BenchmarkId::new("cached", count), &cached, |b, sublist| {
            b.iter(|| sublist.matches(black_box(subject)))
        });
        let mut last = LastMatch::new();
        group.bench_with_input(
            BenchmarkId::new("last_match", count),
            &cached,
            |b, sublist| b.iter(|| last.lookup(sublist, black_box(subject)).plain.len()),
        );
    }
    group.finish();
}

fn exact_match(criterion: &mut Criterion) {
    bench_matches(criterion, "exact_match", exact, b"orders.5.created");
}

fn wildcard_match(criterion: &mut Criterion) {
    bench_matches(criterion, "wildcard_match", wildcard, b"orders.5.created");
}

fn queue_match(criterion: &mut Criterion) {
    bench_matches(criterion, "queue_match", queue, b"jobs.resize");
}

/// One subscribe and one unsubscribe on a populated sublist whose cache holds a few entries
/// (the invalidation cost is part of the price).
fn insert_remove(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("insert_remove");
    for count in SIZES {
        let sublist = filled(
            natrium_router::sublist::CACHE_ENTRIES_MAX_DEFAULT,
            &wildcard(count),
        );
        for index in 0..64 {
            sublist.matches(format!("orders.{index}.created").as_bytes());
        }
        let literal = subscription("orders.7.shipped".to_owned(), None);
        group.bench_with_input(
            BenchmarkId::new("literal", count),
            &sublist,
            |b, sublist| {
                b.iter(|| {
                    sublist.insert(literal.clone()).expect("insert");
                    sublist.remove(&literal)
                })
            },
        );
        let wildcard = subscription("orders.*.shipped".to_owned(), Some("q".to_owned()));
        group.bench_with_input(
            BenchmarkId::new("wildcard", count),
            &sublist,
            |b, sublist| {
                b.iter(|| {
                    sublist.insert(wildcard.clone()).expect("insert");
                    sublist.remove(&wildcard)
                })
            },
        );
    }
    group.finish();
}

criterion_group!(
    benches,
    exact_match,
    wildcard_match,
    queue_match,
    insert_remove
);
criterion_main!(benches);
