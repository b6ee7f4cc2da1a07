//! The behaviours every `StreamStore` shares, one function per behaviour, each taking a
//! [`Harness`]. Timestamps come from a manual clock: plain numbers of nanoseconds.
use natrium_store::{
    DELETED_LIST_MAX, DiscardPolicy, Error, MsgTtl, NewMsg, SimpleState, StoreConfig, StreamStore,
    stored_msg_bytes,
};

use super::Harness;

/// Stores `payload` under `subject` at `now_ns`; returns the sequence.
pub fn put(store: &mut dyn StreamStore, subject: &str, payload: &[u8], now_ns: u64) -> u64 {
    let (seq, ts_ns) = store
        .store(&NewMsg::new(subject, payload), now_ns)
        .expect("store");
    assert_eq!(ts_ns, now_ns);
    seq
}

/// Stores one message per subject in `subjects`, at times 1, 2, 3, ...
fn fill(store: &mut dyn StreamStore, subjects: &[&str]) {
    for (index, subject) in subjects.iter().enumerate() {
        put(
            store,
            subject,
            format!("m{index}").as_bytes(),
            index as u64 + 1,
        );
    }
}

fn seqs_of(store: &dyn StreamStore) -> Vec<u64> {
    let state = store.state();
    (state.first_seq..=state.last_seq)
        .filter(|&seq| store.load(seq).is_ok())
        .collect()
}

pub fn store_assigns_sequences_and_counts_bytes(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    let empty = store.state();
    assert_eq!((empty.msgs, empty.first_seq, empty.last_seq), (0, 1, 0));
    assert_eq!(put(&mut *store, "a.b", b"hello", 100), 1);
    let msg = NewMsg {
        headers: b"NATS/1.0\r\nk: v\r\n\r\n",
        ..NewMsg::new("c", b"xy")
    };
    assert_eq!(store.store(&msg, 200).expect("store"), (2, 200));
    let state = store.state();
    assert_eq!(state.msgs, 2);
    assert_eq!(
        state.bytes,
        stored_msg_bytes(3, 0, 5) + stored_msg_bytes(1, 18, 2)
    );
    assert_eq!((state.first_seq, state.first_ts_ns), (1, 100));
    assert_eq!((state.last_seq, state.last_ts_ns), (2, 200));
    assert_eq!(state.num_subjects, 2);
    let loaded = store.load(2).expect("load");
    assert_eq!(&*loaded.subject, "c");
    assert_eq!(loaded.headers, msg.headers);
    assert_eq!(loaded.payload, b"xy");
    assert_eq!(loaded.ts_ns, 200);
}

pub fn load_distinguishes_missing_from_past_the_end(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    fill(&mut *store, &["a", "b", "c"]);
    assert!(store.remove(2).expect("remove"));
    assert!(matches!(store.load(2), Err(Error::NotFound)));
    assert!(matches!(store.load(4), Err(Error::Eof)));
    assert!(matches!(store.load(0), Err(Error::NotFound)));
    assert_eq!(store.load(3).expect("load").payload, b"m2");
}

pub fn load_next_last_and_prev_follow_filters(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    fill(
        &mut *store,
        &["orders.eu", "orders.us", "pay.eu", "orders.eu", "pay.us"],
    );
    assert_eq!(store.load_next("orders.eu", 1).expect("next").seq, 1);
    assert_eq!(store.load_next("orders.eu", 2).expect("next").seq, 4);
    assert!(matches!(store.load_next("orders.eu", 5), Err(Error::Eof)));
    assert_eq!(store.load_next("*.us", 3).expect("next").seq, 5);
    assert_eq!(store.load_next("pay.>", 1).expect("next").seq, 3);
    assert_eq!(store.load_next(">", 2).expect("next").seq, 2);
    assert_eq!(
        store.load_next("", 6).err().map(|e| e.to_string()),
        Some("stream store EOF".into())
    );
    assert_eq!(store.load_last("orders.eu").expect("last").seq, 4);
    assert_eq!(store.load_last("*.eu").expect("last").seq, 4);
    assert_eq!(store.load_last(">").expect("last").seq, 5);
    assert!(matches!(store.load_last("nope"), Err(Error::NotFound)));
    assert!(store.remove(4).expect("remove"));
    assert_eq!(store.load_last("orders.eu").expect("last").seq, 1);
    assert_eq!(store.load_prev(4).expect("prev").seq, 3);
    assert_eq!(store.load_prev(100).expect("prev").seq, 5);
    assert!(store.remove(1).expect("remove"));
    assert!(matches!(store.load_prev(1), Err(Error::Eof)));
}

pub fn remove_and_erase_leave_gaps(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    fill(&mut *store, &["a", "b", "a", "b", "a"]);
    assert!(store.remove(2).expect("remove"));
    assert!(!store.remove(2).expect("remove twice"));
    assert!(store.erase(4).expect("erase"));
    assert!(!store.erase(40).expect("erase absent"));
    let state = store.state_with_deleted();
    assert_eq!((state.msgs, state.first_seq, state.last_seq), (3, 1, 5));
    assert_eq!(state.num_deleted, 2);
    assert_eq!(state.deleted, vec![2, 4]);
    assert_eq!(state.num_subjects, 1);
    assert!(store.remove(1).expect("remove first"));
    let state = store.state_with_deleted();
    assert_eq!(
        (state.first_seq, state.first_ts_ns, state.num_deleted),
        (3, 3, 1)
    );
    assert_eq!(state.deleted, vec![4]);
    // Removing the last message keeps last_seq.
    assert!(store.remove(5).expect("remove last"));
    assert!(store.remove(3).expect("remove remaining"));
    let state = store.state();
    assert_eq!(
        (state.msgs, state.bytes, state.first_seq, state.last_seq),
        (0, 0, 6, 5)
    );
    assert_eq!(
        (state.first_ts_ns, state.last_ts_ns, state.num_deleted),
        (0, 5, 0)
    );
}

pub fn purge_empties_and_sequences_continue(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    fill(&mut *store, &["a", "b", "c"]);
    assert_eq!(store.purge().expect("purge"), 3);
    let state = store.state();
    assert_eq!(
        (state.msgs, state.bytes, state.first_seq, state.last_seq),
        (0, 0, 4, 3)
    );
    assert_eq!(state.num_subjects, 0);
    assert_eq!(put(&mut *store, "a", b"x", 10), 4);
    assert_eq!(store.state().first_seq, 4);
}

pub fn purge_ex_honours_filter_keep_and_sequence(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    fill(&mut *store, &["a", "b", "a", "a", "b", "a"]);
    // Keep the last two "a": 1 and 3 go.
    assert_eq!(store.purge_ex("a", 0, 2).expect("purge keep"), 2);
    assert_eq!(seqs_of(&*store), vec![2, 4, 5, 6]);
    // Only below 5: seq 2 of "b".
    assert_eq!(store.purge_ex("b", 5, 0).expect("purge up to"), 1);
    assert_eq!(seqs_of(&*store), vec![4, 5, 6]);
    assert_eq!(store.purge_ex("zzz", 0, 0).expect("nothing"), 0);
    assert_eq!(store.purge_ex(">", 0, 5).expect("keep more than exist"), 0);
    assert_eq!(store.purge_ex(">", 6, 0).expect("all below 6"), 2);
    assert_eq!(seqs_of(&*store), vec![6]);
    assert_eq!(store.purge_ex("", 0, 0).expect("all"), 1);
    assert_eq!(store.state().first_seq, 7);
}

pub fn compact_drops_below_and_can_jump_ahead(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    fill(&mut *store, &["a", "b", "c", "d"]);
    assert_eq!(store.compact(3).expect("compact"), 2);
    let state = store.state();
    assert_eq!((state.msgs, state.first_seq, state.last_seq), (2, 3, 4));
    assert_eq!(store.compact(1).expect("compact below first"), 0);
    assert_eq!(store.compact(10).expect("compact past end"), 2);
    let state = store.state();
    assert_eq!((state.msgs, state.first_seq, state.last_seq), (0, 10, 9));
    assert_eq!(put(&mut *store, "e", b"x", 50), 10);
}

pub fn truncate_drops_above_and_resets_last(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    fill(&mut *store, &["a", "b", "c", "d", "e"]);
    assert!(store.remove(3).expect("remove"));
    store.truncate(3).expect("truncate");
    let state = store.state();
    assert_eq!(
        (
            state.msgs,
            state.first_seq,
            state.last_seq,
            state.last_ts_ns
        ),
        (2, 1, 3, 2)
    );
    assert_eq!(state.num_deleted, 1);
    store.truncate(10).expect("truncate past end is a no-op");
    assert_eq!(store.state().last_seq, 3);
    assert_eq!(put(&mut *store, "f", b"x", 60), 4);
    store.truncate(0).expect("truncate all");
    let state = store.state();
    assert_eq!(
        (
            state.msgs,
            state.first_seq,
            state.last_seq,
            state.last_ts_ns
        ),
        (0, 1, 0, 0)
    );
}

pub fn skips_and_raw_stores_consume_sequences(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    assert_eq!(store.skip(5).expect("skip"), 1);
    let state = store.state();
    assert_eq!(
        (
            state.msgs,
            state.first_seq,
            state.last_seq,
            state.last_ts_ns
        ),
        (0, 2, 1, 5)
    );
    store.skip_many(2, 3, 6).expect("skip many");
    assert!(matches!(
        store.skip_many(9, 1, 7),
        Err(Error::SequenceMismatch { .. })
    ));
    assert_eq!(put(&mut *store, "a", b"x", 8), 5);
    store
        .store_raw(&NewMsg::new("b", b"y"), 9, 1_000)
        .expect("raw");
    assert!(matches!(
        store.store_raw(&NewMsg::new("b", b"y"), 9, 1_001),
        Err(Error::SequenceMismatch {
            expected: 10,
            got: 9
        })
    ));
    let state = store.state_with_deleted();
    assert_eq!(
        (
            state.msgs,
            state.first_seq,
            state.last_seq,
            state.last_ts_ns
        ),
        (2, 5, 9, 1_000)
    );
    assert_eq!(state.deleted, vec![6, 7, 8]);
    assert_eq!(store.load(9).expect("load").ts_ns, 1_000);
}

pub fn max_msgs_discards_old_or_refuses_new(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig {
        max_msgs: Some(3),
        ..StoreConfig::default()
    });
    fill(&mut *store, &["a", "b", "c", "d", "e"]);
    assert_eq!(seqs_of(&*store), vec![3, 4, 5]);
    let config = StoreConfig {
        max_msgs: Some(3),
        discard: DiscardPolicy::New,
        ..Default::default()
    };
    let mut store = h.open(config);
    fill(&mut *store, &["a", "b", "c"]);
    assert!(matches!(
        store.store(&NewMsg::new("d", b""), 9),
        Err(Error::MaxMsgs)
    ));
    assert_eq!(store.state().last_seq, 3);
    assert!(store.remove(1).expect("remove"));
    assert_eq!(put(&mut *store, "d", b"", 10), 4);
}

pub fn max_bytes_discards_old_or_refuses_new(h: &mut dyn Harness) {
    let one = stored_msg_bytes(1, 0, 4);
    let mut store = h.open(StoreConfig {
        max_bytes: Some(one * 2),
        ..StoreConfig::default()
    });
    for subject in ["a", "b", "c"] {
        put(&mut *store, subject, b"1234", 1);
    }
    assert_eq!(store.state().bytes, one * 2);
    assert_eq!(seqs_of(&*store), vec![2, 3]);
    let config = StoreConfig {
        max_bytes: Some(one * 2),
        discard: DiscardPolicy::New,
        ..Default::default()
    };
    let mut store = h.open(config);
    put(&mut *store, "a", b"1234", 1);
    put(&mut *store, "b", b"1234", 2);
    assert!(matches!(
        store.store(&NewMsg::new("c", b"1"), 3),
        Err(Error::MaxBytes)
    ));
    assert_eq!(store.state().msgs, 2);
}

pub fn per_subject_limit_replaces_or_refuses(h: &mut dyn Harness) {
    let config = StoreConfig {
        max_msgs_per_subject: Some(2),
        ..StoreConfig::default()
    };
    let mut store = h.open(config.clone());
    fill(&mut *store, &["a", "b", "a", "a", "b", "a"]);
    assert_eq!(seqs_of(&*store), vec![2, 4, 5, 6]);
    assert_eq!(
        store.subjects_state("a").get("a"),
        Some(&SimpleState {
            msgs: 2,
            first_seq: 4,
            last_seq: 6
        })
    );
    // Discard-new at max_msgs still accepts a replacement within a full subject.
    let replace = StoreConfig {
        max_msgs: Some(2),
        discard: DiscardPolicy::New,
        ..config.clone()
    };
    let mut store = h.open(replace);
    fill(&mut *store, &["a", "a"]);
    assert_eq!(put(&mut *store, "a", b"", 3), 3);
    assert!(matches!(
        store.store(&NewMsg::new("b", b""), 4),
        Err(Error::MaxMsgs)
    ));
    let refuse = StoreConfig {
        discard: DiscardPolicy::New,
        discard_new_per_subject: true,
        ..config
    };
    let mut store = h.open(refuse);
    fill(&mut *store, &["a", "a"]);
    assert!(matches!(
        store.store(&NewMsg::new("a", b""), 3),
        Err(Error::MaxMsgsPerSubject)
    ));
    assert_eq!(put(&mut *store, "b", b"", 4), 3);
}

pub fn oversized_and_invalid_messages_are_refused(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig {
        max_msg_size: Some(4),
        ..StoreConfig::default()
    });
    let big = NewMsg {
        headers: b"hh",
        ..NewMsg::new("a", b"ppp")
    };
    assert!(matches!(
        store.store(&big, 1),
        Err(Error::MsgTooLarge { size: 5, max: 4 })
    ));
    for subject in ["", "a.*", "a.>", "a..b", "a b"] {
        let refused = store.store(&NewMsg::new(subject, b""), 1);
        assert!(
            matches!(refused, Err(Error::InvalidSubject { .. })),
            "{subject:?} accepted"
        );
    }
    let ttl = NewMsg {
        ttl: MsgTtl::After { ttl_ns: 5 },
        ..NewMsg::new("a", b"")
    };
    assert!(matches!(store.store(&ttl, 1), Err(Error::TtlDisabled)));
    assert_eq!(store.state().last_seq, 0);
}

pub fn max_age_expires_from_the_front(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig {
        max_age_ns: Some(100),
        ..StoreConfig::default()
    });
    assert_eq!(store.next_expiry_ns(), None);
    put(&mut *store, "a", b"", 10);
    put(&mut *store, "b", b"", 20);
    put(&mut *store, "c", b"", 50);
    assert_eq!(store.next_expiry_ns(), Some(110));
    assert_eq!(store.expire(109).expect("expire"), 0);
    assert_eq!(store.expire(120).expect("expire"), 2);
    assert_eq!(seqs_of(&*store), vec![3]);
    assert_eq!(store.next_expiry_ns(), Some(150));
    assert_eq!(store.expire(1_000).expect("expire"), 1);
    let state = store.state();
    assert_eq!((state.msgs, state.first_seq, state.last_seq), (0, 4, 3));
}

pub fn message_ttl_expires_individually(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig {
        allow_msg_ttl: true,
        ..StoreConfig::default()
    });
    let with_ttl = |ttl_ns| NewMsg {
        ttl: MsgTtl::After { ttl_ns },
        ..NewMsg::new("t", b"payload")
    };
    store.store(&with_ttl(500), 100).expect("store");
    put(&mut *store, "forever", b"", 110);
    store.store(&with_ttl(50), 120).expect("store");
    assert_eq!(store.load(3).expect("load").expires_ns, Some(170));
    assert_eq!(store.next_expiry_ns(), Some(170));
    assert_eq!(store.expire(169).expect("expire"), 0);
    assert_eq!(store.expire(170).expect("expire"), 1);
    assert_eq!(seqs_of(&*store), vec![1, 2]);
    // A removed message's TTL no longer fires.
    assert!(store.remove(1).expect("remove"));
    assert_eq!(store.expire(10_000).expect("expire"), 0);
    assert_eq!(seqs_of(&*store), vec![2]);
    assert_eq!(store.next_expiry_ns(), None);
}

pub fn filtered_and_subject_state_agree_with_contents(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    fill(
        &mut *store,
        &["o.eu", "o.us", "p.eu", "o.eu", "p.us", "o.us"],
    );
    let all = SimpleState {
        msgs: 6,
        first_seq: 1,
        last_seq: 6,
    };
    assert_eq!(store.filtered_state(0, ">"), all);
    assert_eq!(
        store.filtered_state(1, "o.*"),
        SimpleState {
            msgs: 4,
            first_seq: 1,
            last_seq: 6
        }
    );
    assert_eq!(
        store.filtered_state(3, "o.*"),
        SimpleState {
            msgs: 2,
            first_seq: 4,
            last_seq: 6
        }
    );
    assert_eq!(
        store.filtered_state(2, "*.eu"),
        SimpleState {
            msgs: 2,
            first_seq: 3,
            last_seq: 4
        }
    );
    assert_eq!(store.filtered_state(1, "x"), SimpleState::default());
    let totals = store.subjects_totals("o.*");
    assert_eq!(
        totals.into_iter().collect::<Vec<_>>(),
        vec![("o.eu".into(), 2), ("o.us".into(), 2)]
    );
    let states = store.subjects_state(">");
    assert_eq!(states.len(), 4);
    assert_eq!(
        states.get("p.us"),
        Some(&SimpleState {
            msgs: 1,
            first_seq: 5,
            last_seq: 5
        })
    );
    assert!(store.remove(1).expect("remove"));
    assert_eq!(
        store.subjects_state("o.eu").get("o.eu"),
        Some(&SimpleState {
            msgs: 1,
            first_seq: 4,
            last_seq: 4
        })
    );
}

pub fn num_pending_counts_matches_from_a_sequence(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    fill(&mut *store, &["a", "b", "a", "c", "a", "b"]);
    assert_eq!(store.num_pending(1, ">", false), 6);
    assert_eq!(store.num_pending(2, "a", false), 2);
    assert_eq!(store.num_pending(4, "*", false), 3);
    assert_eq!(store.num_pending(1, ">", true), 3);
    assert_eq!(store.num_pending(5, ">", true), 2);
    assert_eq!(store.num_pending(7, ">", false), 0);
}

pub fn seq_from_time_finds_the_first_at_or_after(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    for (subject, ts) in [("a", 100), ("b", 200), ("c", 300)] {
        put(&mut *store, subject, b"", ts);
    }
    assert_eq!(store.seq_from_time(0), 1);
    assert_eq!(store.seq_from_time(150), 2);
    assert_eq!(store.seq_from_time(200), 2);
    assert_eq!(store.seq_from_time(301), 4);
}

pub fn update_config_enforces_new_limits(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    fill(&mut *store, &["a", "a", "a", "b", "b", "c"]);
    let per_subject = StoreConfig {
        max_msgs_per_subject: Some(1),
        ..StoreConfig::default()
    };
    store.update_config(per_subject.clone()).expect("update");
    assert_eq!(seqs_of(&*store), vec![3, 5, 6]);
    store
        .update_config(StoreConfig {
            max_msgs: Some(1),
            ..per_subject
        })
        .expect("update");
    assert_eq!(seqs_of(&*store), vec![6]);
    assert_eq!(store.config().max_msgs, Some(1));
}

pub fn restart_preserves_messages_and_state(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig {
        allow_msg_ttl: true,
        ..StoreConfig::default()
    });
    fill(&mut *store, &["a", "b", "a", "c"]);
    let ttl = NewMsg {
        ttl: MsgTtl::After { ttl_ns: 1_000 },
        ..NewMsg::new("t", b"x")
    };
    store.store(&ttl, 5).expect("store");
    assert!(store.remove(2).expect("remove"));
    store.skip(6).expect("skip");
    let before = store.state_with_deleted();
    let subjects = store.subjects_state(">");
    let mut store = h.restart(store);
    assert_eq!(store.state_with_deleted(), before);
    assert_eq!(store.subjects_state(">"), subjects);
    assert_eq!(store.load(3).expect("load").payload, b"m2");
    assert_eq!(store.next_expiry_ns(), Some(1_005));
    assert_eq!(store.expire(1_005).expect("expire"), 1);
    assert_eq!(put(&mut *store, "d", b"", 7), 7);
}

pub fn closed_store_refuses_writes(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    put(&mut *store, "a", b"", 1);
    store.close().expect("close");
    assert!(matches!(
        store.store(&NewMsg::new("a", b""), 2),
        Err(Error::Closed)
    ));
    assert!(matches!(store.remove(1), Err(Error::Closed)));
    assert!(matches!(store.purge(), Err(Error::Closed)));
}

pub fn end_of_sequence_space_is_an_error(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    store
        .store_raw(&NewMsg::new("a", b"x"), u64::MAX, 1)
        .expect("raw at the last sequence");
    assert!(store.store(&NewMsg::new("a", b"y"), 2).is_err());
    assert!(store.skip(3).is_err());
    let state = store.state_with_deleted();
    assert_eq!(
        (state.first_seq, state.last_seq, state.msgs),
        (u64::MAX, u64::MAX, 1)
    );
    assert!(state.deleted.is_empty());
}

pub fn huge_gaps_are_counted_and_listed_within_bounds(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    put(&mut *store, "a", b"x", 1);
    store.skip_many(2, 1 << 40, 2).expect("skip a huge range");
    assert_eq!(put(&mut *store, "a", b"y", 3), (1 << 40) + 2);
    let state = store.state_with_deleted();
    assert_eq!(state.num_deleted, 1 << 40);
    assert_eq!(state.deleted.len(), DELETED_LIST_MAX);
    assert_eq!(state.deleted.first(), Some(&2));
    let store = h.restart(store);
    assert_eq!(store.state().num_deleted, 1 << 40);
}

pub fn consumer_store_refuses_bad_names_and_tracks_acks(h: &mut dyn Harness) {
    use natrium_store::consumer::ConsumerConfig;
    let mut store = h.open(StoreConfig::default());
    for bad in ["", "a.b", "../up", "a/b", "x y"] {
        let refused = store.consumer_store(bad, ConsumerConfig::default());
        assert!(
            matches!(refused, Err(Error::InvalidArgument { .. })),
            "{bad:?} accepted"
        );
    }
    let mut consumer = store
        .consumer_store("orders", ConsumerConfig::default())
        .expect("open");
    consumer.update_delivered(1, 1, 1, 10).expect("deliver");
    consumer.update_delivered(2, 2, 1, 20).expect("deliver");
    consumer.update_acks(1, 1).expect("ack");
    let state = consumer.state();
    assert_eq!(
        (state.ack_floor_consumer_seq, state.delivered_consumer_seq),
        (1, 2)
    );
    assert_eq!(state.pending.len(), 1);
}

pub fn lowered_limits_under_discard_new_keep_messages_and_refuse(h: &mut dyn Harness) {
    let config = StoreConfig {
        discard: DiscardPolicy::New,
        ..StoreConfig::default()
    };
    let mut store = h.open(config.clone());
    fill(&mut *store, &["a", "b", "c"]);
    store
        .update_config(StoreConfig {
            max_msgs: Some(1),
            ..config
        })
        .expect("update");
    // As in Go: nothing is removed, new messages are refused until the stream shrinks.
    assert_eq!(seqs_of(&*store), vec![1, 2, 3]);
    assert!(matches!(
        store.store(&NewMsg::new("d", b""), 9),
        Err(Error::MaxMsgs)
    ));
}

pub fn several_filters_load_and_count_their_union(h: &mut dyn Harness) {
    let mut store = h.open(StoreConfig::default());
    fill(&mut *store, &["o.eu", "o.us", "p.eu", "o.eu", "p.us", "q"]);
    assert_eq!(store.load_next_any(&["p.*", "q"], 1).expect("next").seq, 3);
    assert_eq!(store.load_next_any(&["q", "o.us"], 3).expect("next").seq, 6);
    assert!(matches!(store.load_next_any(&["x"], 1), Err(Error::Eof)));
    assert!(matches!(store.load_next_any(&[], 1), Err(Error::Eof)));
    // "*.eu" and "o.*" overlap on o.eu: its two messages count once.
    assert_eq!(store.num_pending_any(1, &["*.eu", "o.*"], false), 4);
    assert_eq!(store.num_pending_any(4, &["*.eu", "o.*"], false), 1);
    assert_eq!(store.num_pending_any(1, &["*.eu", "o.*"], true), 3);
    assert_eq!(store.num_pending_any(1, &[">", "q"], false), 6);
}
