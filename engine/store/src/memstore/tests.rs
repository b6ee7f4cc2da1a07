//! Unit tests of `MemStore` internals: sequence-space edges, far links, bounded memory.
use super::*;
use crate::store::StreamStore;
use crate::types::{DELETED_LIST_MAX, NewMsg};

#[test]
fn the_end_of_the_sequence_space_is_an_error_not_a_panic() {
    let mut store = MemStore::new(StoreConfig::default());
    store
        .store_raw(&NewMsg::new("a", b"x"), u64::MAX, 1)
        .expect("raw at the end");
    assert!(matches!(
        store.store(&NewMsg::new("a", b"y"), 2),
        Err(crate::Error::Limit { .. })
    ));
    assert!(store.skip(3).is_err());
    let state = store.state_with_deleted();
    assert_eq!(
        (state.first_seq, state.last_seq, state.msgs),
        (u64::MAX, u64::MAX, 1)
    );
    assert!(state.deleted.is_empty());
}

#[test]
fn a_huge_gap_is_counted_exactly_and_listed_up_to_the_bound() {
    let mut store = MemStore::new(StoreConfig::default());
    store.store(&NewMsg::new("a", b"x"), 1).expect("store");
    store.skip_many(2, 1 << 40, 2).expect("skip");
    store.store(&NewMsg::new("a", b"y"), 3).expect("store");
    let state = store.state_with_deleted();
    assert_eq!(state.num_deleted, 1 << 40);
    assert_eq!(state.deleted.len(), DELETED_LIST_MAX);
    assert_eq!(state.deleted.first(), Some(&2));
}

#[test]
fn a_ttl_expiring_at_the_epoch_is_kept_and_fires() {
    let config = StoreConfig {
        allow_msg_ttl: true,
        ..StoreConfig::default()
    };
    let mut store = MemStore::new(config);
    let msg = NewMsg {
        ttl: crate::MsgTtl::After { ttl_ns: 0 },
        ..NewMsg::new("a", b"")
    };
    store.store(&msg, 0).expect("store");
    assert_eq!(store.load(1).expect("load").expires_ns, Some(0));
    assert_eq!(store.next_expiry_ns(), Some(0));
    assert_eq!(store.expire(0).expect("expire"), 1);
    assert_eq!(store.state().msgs, 0);
}

/// Sequences of `subject`'s messages, ascending.
fn seqs_of(store: &MemStore, subject: &str) -> Vec<u64> {
    let mut seqs = Vec::new();
    let mut start = 0;
    while let Ok(msg) = store.load_next(subject, start) {
        seqs.push(msg.seq);
        start = msg.seq + 1;
    }
    seqs
}

#[test]
fn links_across_gaps_beyond_a_u32_are_followed_and_mended() {
    let mut store = MemStore::new(StoreConfig::default());
    let far = 1u64 << 33;
    store.store(&NewMsg::new("a", b"1"), 1).expect("store");
    store.skip_many(2, far, 1).expect("skip");
    let second = far + 2;
    store.store(&NewMsg::new("a", b"2"), 2).expect("store");
    store.store(&NewMsg::new("b", b"x"), 2).expect("store");
    store.skip_many(second + 2, far, 2).expect("skip");
    let third = second + 2 + far;
    store.store(&NewMsg::new("a", b"3"), 3).expect("store");
    assert_eq!(
        store.links.len(),
        4,
        "two far links, each seen from both ends"
    );
    assert_eq!(seqs_of(&store, "a"), vec![1, second, third]);
    // From a start inside the subject, the count walks back along the (far) links.
    let state = store.filtered_state(2, "a");
    assert_eq!(
        (state.msgs, state.first_seq, state.last_seq),
        (2, second, third)
    );

    // Removing the middle joins 1 and `third` with a link of two far gaps.
    assert!(store.remove(second).expect("remove"));
    assert_eq!(store.links.len(), 2);
    assert_eq!(store.filtered_state(2, "a").msgs, 1);
    assert_eq!(store.filtered_state(0, "a").msgs, 2);
    store.store(&NewMsg::new("a", b"4"), 4).expect("store");
    assert!(store.remove(1).expect("remove"));
    let info = store.subjects.get("a").expect("a");
    assert_eq!(
        (info.msgs, info.first_seq, info.last_seq),
        (2, third, third + 1)
    );
    assert_eq!(store.links.len(), 0, "only near links are left");
    store.truncate(third).expect("truncate");
    assert_eq!(seqs_of(&store, "a"), vec![third]);
    assert_eq!(store.load_prev(third - 1).expect("prev").seq, second + 1);
    store.purge().expect("purge");
    assert_eq!((store.slots.heap_bytes(), store.links.len()), (0, 0));
}

#[test]
fn unique_subjects_under_max_age_keep_the_index_and_slots_bounded() {
    let config = StoreConfig {
        max_age_ns: Some(100),
        ..StoreConfig::default()
    };
    let mut store = MemStore::new(config);
    // Every subject ever seen would take tens of megabytes. The live window takes its 100
    // subjects' entries (with hash-map slack) and at most two chunks of slots: the newest and
    // the oldest, whose front is dead.
    let index_bytes_max = 100 * 400;
    let slots_bytes_max = 2 * slots::CHUNK_SLOTS_MAX * size_of::<Option<Slot>>() + 1024;
    for now_ns in 0..200_000u64 {
        let subject = format!("events.{now_ns}");
        store
            .store(&NewMsg::new(&subject, b"x"), now_ns)
            .expect("store");
        store.expire(now_ns).expect("expire");
        assert!(
            store.subjects.len() <= 100,
            "only unexpired subjects are indexed"
        );
        let index_bytes = store.subjects.heap_bytes();
        assert!(
            index_bytes <= index_bytes_max,
            "{index_bytes} bytes at {now_ns}"
        );
        let slots_bytes = store.slots.heap_bytes();
        assert!(
            slots_bytes <= slots_bytes_max,
            "{slots_bytes} bytes at {now_ns}"
        );
    }
    assert_eq!(store.state().num_subjects, 100);
}

#[test]
fn a_per_subject_history_keeps_links_and_the_index_exact() {
    let config = StoreConfig {
        max_msgs_per_subject: Some(3),
        ..StoreConfig::default()
    };
    let mut store = MemStore::with_chunk_shape(config, 4, 1);
    for seq in 1..=500u64 {
        let subject = format!("kv.{}", seq % 7);
        store
            .store(&NewMsg::new(&subject, b"v"), seq)
            .expect("store");
        if seq % 11 == 0 {
            let next = store.state().last_seq + 1;
            store.skip_many(next, 3, seq).expect("skip");
        }
    }
    store.slots.check();
    assert_eq!(store.state().msgs, 21);
    for key in 0..7 {
        let subject = format!("kv.{key}");
        let seqs = seqs_of(&store, &subject);
        let info = store.subjects.get(&subject).expect("live");
        assert_eq!(seqs.len(), 3);
        assert_eq!((info.first_seq, info.last_seq), (seqs[0], seqs[2]));
        assert_eq!(store.filtered_state(seqs[1], &subject).msgs, 2);
    }
}
