//! Unit tests of the trie, the shared cache and [`LastMatch`].

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::client::ClientId;
use crate::plugin::{DeliveryOutcome, Message, Sink};

struct NullSink;

impl Sink for NullSink {
    fn deliver(
        &self,
        _: &Subscription,
        _: &Message<'_>,
        _: &mut crate::PublishBatch,
    ) -> DeliveryOutcome {
        DeliveryOutcome::Delivered
    }
}

fn subscription(sid: &str, filter: &str, queue: Option<&str>) -> Arc<Subscription> {
    let subscription = Subscription::new(
        ClientId(1),
        Bytes::copy_from_slice(sid.as_bytes()),
        Bytes::copy_from_slice(filter.as_bytes()),
        queue.map(|name| Bytes::copy_from_slice(name.as_bytes())),
        Arc::new(NullSink),
    );
    Arc::new(subscription.expect("valid test subscription"))
}

fn plain_sids(result: &MatchResult) -> BTreeSet<String> {
    result
        .plain
        .iter()
        .map(|s| String::from_utf8_lossy(&s.sid).into_owned())
        .collect()
}

fn queue_sids(result: &MatchResult) -> BTreeSet<(String, String)> {
    let mut all = BTreeSet::new();
    for group in &result.queues {
        for member in &group.members {
            let name = String::from_utf8_lossy(&group.name).into_owned();
            all.insert((name, String::from_utf8_lossy(&member.sid).into_owned()));
        }
    }
    all
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[test]
fn literal_and_wildcards() {
    let sublist = Sublist::new();
    for (sid, filter) in [
        ("1", "foo.bar"),
        ("2", "foo.*"),
        ("3", "foo.>"),
        ("4", ">"),
        ("5", "*.bar"),
    ] {
        sublist
            .insert(subscription(sid, filter, None))
            .expect("insert");
    }
    assert_eq!(
        plain_sids(&sublist.matches(b"foo.bar")),
        set(&["1", "2", "3", "4", "5"])
    );
    assert_eq!(
        plain_sids(&sublist.matches(b"foo.baz")),
        set(&["2", "3", "4"])
    );
    assert_eq!(
        plain_sids(&sublist.matches(b"foo.bar.baz")),
        set(&["3", "4"])
    );
    assert_eq!(plain_sids(&sublist.matches(b"foo")), set(&["4"]));
    assert_eq!(plain_sids(&sublist.matches(b"x.bar")), set(&["4", "5"]));
    assert!(
        sublist.matches(b"foo..bar").is_empty(),
        "empty token matches nothing"
    );
    assert!(sublist.matches(b"").is_empty());
    assert_eq!(sublist.count(), 5);
}

#[test]
fn wildcard_bytes_inside_tokens_are_literal() {
    let sublist = Sublist::new();
    sublist
        .insert(subscription("1", "a*.b>", None))
        .expect("insert");
    assert_eq!(plain_sids(&sublist.matches(b"a*.b>")), set(&["1"]));
    assert!(sublist.matches(b"ax.bx").is_empty());
}

#[test]
fn queue_groups_merge_across_nodes() {
    let sublist = Sublist::new();
    sublist
        .insert(subscription("1", "orders.new", Some("workers")))
        .expect("insert");
    sublist
        .insert(subscription("2", "orders.*", Some("workers")))
        .expect("insert");
    sublist
        .insert(subscription("3", "orders.>", Some("audit")))
        .expect("insert");
    sublist
        .insert(subscription("4", "orders.new", None))
        .expect("insert");
    let result = sublist.matches(b"orders.new");
    assert_eq!(plain_sids(&result), set(&["4"]));
    assert_eq!(result.queues.len(), 2, "one entry per group name");
    let expected: BTreeSet<(String, String)> = [("audit", "3"), ("workers", "1"), ("workers", "2")]
        .iter()
        .map(|(name, sid)| ((*name).to_owned(), (*sid).to_owned()))
        .collect();
    assert_eq!(queue_sids(&result), expected);
    assert_eq!(result.fanout(), 3);
    assert_eq!(result.subscription_count(), 4);
}

#[test]
fn duplicate_insert_keeps_one_and_missing_remove_is_false() {
    let sublist = Sublist::new();
    let one = subscription("1", "a.b", None);
    sublist.insert(one.clone()).expect("insert");
    sublist.insert(one.clone()).expect("insert again");
    assert_eq!(sublist.count(), 1);
    assert_eq!(sublist.matches(b"a.b").plain.len(), 1);
    assert!(sublist.remove(&one));
    assert!(!sublist.remove(&one));
    assert!(!sublist.remove(&subscription("2", "a.b", None)));
    assert_eq!(sublist.count(), 0);
}

#[test]
fn invalid_filters_and_queues_are_refused_at_insert() {
    let sublist = Sublist::new();
    let mut bad = subscription("1", "a", None);
    Arc::get_mut(&mut bad).expect("unique").subject = Bytes::from_static(b"a.>.b");
    assert_eq!(sublist.insert(bad), Err(Error::InvalidSubject));
    let mut bad = subscription("1", "a", Some("q"));
    Arc::get_mut(&mut bad).expect("unique").queue = Some(Bytes::from_static(b"q 1"));
    assert_eq!(sublist.insert(bad), Err(Error::InvalidQueue));
    assert_eq!(sublist.count(), 0);
}

#[test]
fn removal_prunes_every_empty_branch() {
    let sublist = Sublist::new();
    let filters = ["a.b.c.d", "a.b.*", "a.>", "a.b.c.d.e", "*.*.*", "x"];
    let subscriptions: Vec<_> = filters
        .iter()
        .enumerate()
        .flat_map(|(index, filter)| {
            let sid = index.to_string();
            [
                subscription(&sid, filter, None),
                subscription(&sid, filter, Some("q")),
            ]
        })
        .collect();
    for one in &subscriptions {
        sublist.insert(one.clone()).expect("insert");
    }
    assert_eq!(sublist.trie.read().depth(), 5);
    // Remove the deepest first, then check the depth shrinks as branches empty.
    for one in subscriptions.iter().rev() {
        assert!(sublist.remove(one));
    }
    let trie = sublist.trie.read();
    assert_eq!(trie.nodes(), 0, "no node survives its last subscription");
    assert_eq!(trie.depth(), 0);
    drop(trie);
    // Partial removal keeps shared prefixes.
    let deep = subscription("deep", "a.b.c", None);
    let shallow = subscription("shallow", "a", None);
    sublist.insert(deep.clone()).expect("insert");
    sublist.insert(shallow.clone()).expect("insert");
    assert!(sublist.remove(&deep));
    assert_eq!(sublist.trie.read().nodes(), 1, "only `a` is left");
    assert_eq!(plain_sids(&sublist.matches(b"a")), set(&["shallow"]));
}

#[test]
fn cache_hit_returns_the_same_result() {
    let sublist = Sublist::new();
    sublist
        .insert(subscription("1", "a.*", None))
        .expect("insert");
    let first = sublist.matches(b"a.b");
    let second = sublist.matches(b"a.b");
    assert!(Arc::ptr_eq(&first, &second), "second lookup is a cache hit");
    let stats = sublist.stats();
    assert_eq!(stats.num_matches, 2);
    assert!((stats.cache_hit_rate - 0.5).abs() < 1e-9);
    assert_eq!(stats.num_cache, 1);
}

#[test]
fn cache_is_invalidated_by_insert_and_remove() {
    let sublist = Sublist::new();
    let literal = subscription("1", "a.b", None);
    sublist.insert(literal.clone()).expect("insert");
    assert_eq!(plain_sids(&sublist.matches(b"a.b")), set(&["1"]));
    assert!(sublist.matches(b"a.c").is_empty());
    // A wildcard insert must reach both cached subjects.
    let wildcard = subscription("2", "a.*", None);
    sublist.insert(wildcard.clone()).expect("insert");
    assert_eq!(plain_sids(&sublist.matches(b"a.b")), set(&["1", "2"]));
    assert_eq!(plain_sids(&sublist.matches(b"a.c")), set(&["2"]));
    // A literal insert reaches its own subject and leaves the other cached.
    let queue = subscription("3", "a.c", Some("q"));
    sublist.insert(queue.clone()).expect("insert");
    assert_eq!(queue_sids(&sublist.matches(b"a.c")).len(), 1);
    assert!(sublist.remove(&wildcard));
    assert_eq!(plain_sids(&sublist.matches(b"a.b")), set(&["1"]));
    assert!(sublist.matches(b"a.c").plain.is_empty());
    assert!(sublist.remove(&queue));
    assert!(sublist.remove(&literal));
    assert!(sublist.matches(b"a.b").is_empty());
    assert!(sublist.matches(b"a.c").is_empty());
}

#[test]
fn cache_stays_within_its_bound() {
    let sublist = Sublist::with_cache_entries_max(8);
    sublist
        .insert(subscription("1", ">", None))
        .expect("insert");
    for index in 0..100 {
        let subject = format!("s.{index}");
        assert_eq!(sublist.matches(subject.as_bytes()).plain.len(), 1);
        assert!(sublist.stats().num_cache <= 8);
    }
    assert_eq!(sublist.cache_entries_max(), 8);
    let disabled = Sublist::with_cache_entries_max(0);
    disabled
        .insert(subscription("1", ">", None))
        .expect("insert");
    assert_eq!(disabled.matches(b"a").plain.len(), 1);
    assert_eq!(disabled.stats().num_cache, 0);
}

#[test]
fn stats_follow_inserts_removes_and_fanout() {
    let sublist = Sublist::new();
    let subscriptions: Vec<_> = (0..4)
        .map(|index| subscription(&index.to_string(), "f.>", None))
        .collect();
    for one in &subscriptions {
        sublist.insert(one.clone()).expect("insert");
    }
    sublist
        .insert(subscription("q", "f.x", Some("g")))
        .expect("insert");
    assert!(sublist.remove(&subscriptions[0]));
    sublist.matches(b"f.x");
    sublist.matches(b"f.y");
    let stats = sublist.stats();
    assert_eq!(stats.num_subscriptions, 4);
    assert_eq!(stats.num_inserts, 5);
    assert_eq!(stats.num_removes, 1);
    assert_eq!(stats.max_fanout, 4, "3 plain + 1 group on f.x");
    assert!((stats.avg_fanout - 3.5).abs() < 1e-9);
    let json = serde_json::to_value(stats).expect("stats serialize");
    let names: BTreeSet<&str> = json
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let expected = [
        "avg_fanout",
        "cache_hit_rate",
        "max_fanout",
        "num_cache",
        "num_inserts",
        "num_matches",
        "num_removes",
        "num_subscriptions",
    ];
    assert_eq!(
        names,
        expected.into_iter().collect(),
        "Go's SublistStats JSON names"
    );
    assert_eq!(json["num_subscriptions"], 4);
}

#[test]
fn last_match_hits_until_the_sublist_changes() {
    let sublist = Sublist::new();
    let mut last = LastMatch::new();
    sublist
        .insert(subscription("1", "a.b", None))
        .expect("insert");
    let first = last.get_or_match(&sublist, b"a.b");
    let second = last.get_or_match(&sublist, b"a.b");
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(
        sublist.stats().num_matches,
        1,
        "the hit never reached the sublist"
    );
    let added = subscription("2", "a.>", None);
    sublist.insert(added.clone()).expect("insert");
    assert_eq!(
        plain_sids(&last.get_or_match(&sublist, b"a.b")),
        set(&["1", "2"])
    );
    assert!(sublist.remove(&added));
    assert_eq!(plain_sids(last.lookup(&sublist, b"a.b")), set(&["1"]));
    // Another subject replaces the entry.
    assert!(last.get_or_match(&sublist, b"a.c").is_empty());
    assert_eq!(
        plain_sids(&last.get_or_match(&sublist, b"a.b")),
        set(&["1"])
    );
}

#[test]
fn last_match_does_not_remember_long_subjects() {
    let sublist = Sublist::with_cache_entries_max(0);
    sublist
        .insert(subscription("1", ">", None))
        .expect("insert");
    let mut last = LastMatch::new();
    let long = vec![b'x'; LastMatch::SUBJECT_BYTES_MAX + 1];
    assert_eq!(last.get_or_match(&sublist, &long).plain.len(), 1);
    assert_eq!(last.get_or_match(&sublist, &long).plain.len(), 1);
    assert_eq!(
        sublist.stats().num_matches,
        2,
        "both lookups went to the sublist"
    );
}

#[test]
fn remove_batch_removes_and_clears() {
    let sublist = Sublist::new();
    let many: Vec<_> = (0..20)
        .map(|i| subscription(&i.to_string(), &format!("b.{i}"), None))
        .collect();
    for one in &many {
        sublist.insert(one.clone()).expect("insert");
    }
    let keep = subscription("keep", "b.*", None);
    sublist.insert(keep).expect("insert");
    assert_eq!(sublist.matches(b"b.3").plain.len(), 2);
    assert_eq!(sublist.remove_batch(&many), 20);
    assert_eq!(sublist.remove_batch(&many), 0);
    assert_eq!(plain_sids(&sublist.matches(b"b.3")), set(&["keep"]));
    assert_eq!(sublist.subscriptions().len(), 1);
}

#[test]
fn very_long_subjects_use_no_deep_recursion() {
    let sublist = Sublist::new();
    let tokens_total = 20_000;
    let filter = vec!["*"; tokens_total].join(".");
    let subject = vec!["t"; tokens_total].join(".");
    let deep = subscription("deep", &filter, None);
    sublist.insert(deep.clone()).expect("insert");
    sublist
        .insert(subscription("all", ">", None))
        .expect("insert");
    assert_eq!(
        plain_sids(&sublist.matches(subject.as_bytes())),
        set(&["all", "deep"])
    );
    assert!(sublist.remove(&deep));
    assert_eq!(sublist.trie.read().depth(), 1);
}
