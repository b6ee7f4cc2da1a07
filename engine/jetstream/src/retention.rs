//! Interest and work-queue retention: what consumers are done with leaves the stream.
//! - `workqueue`: a message goes as soon as the (one) consumer it matches acknowledges it.
//!   Consumers must acknowledge explicitly, start at the beginning, and not share subjects
//!   (Go's rules and error codes, checked at create by [`check_consumer`]).
//! - `interest`: a message goes once every consumer whose filters match it is done with it;
//!   with no consumer at all, nothing is kept. Everything below the lowest point every
//!   consumer is done to goes in one `compact`; a message above it goes when its last
//!   interested consumer acknowledges it.
//!
//! Applied by the API thread after consumers act (acks, deliveries, deletes), under the
//! store lock; the limits still apply on top, as in Go.

use natrium_store::StreamStore;

use crate::consumer::{AckPolicy, ConsumerConfig, StartAt};
use crate::errors::ApiError;
use crate::stream::Stream;

/// A stream's retention policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    Limits,
    Interest,
    WorkQueue,
}

impl Retention {
    pub fn of(stream: &Stream) -> Self {
        match stream.config.retention.as_str() {
            "interest" => Self::Interest,
            "workqueue" => Self::WorkQueue,
            _ => Self::Limits,
        }
    }
}

/// Publishes the consumers' advisories, then removes what they are done with, as the
/// stream's retention says.
pub fn apply(stream: &mut Stream) {
    for consumer in stream.consumers.values_mut() {
        for advisory in consumer.take_advisories() {
            crate::advisory::publish(&stream.broker, advisory);
        }
    }
    let acked: Vec<u64> = stream
        .consumers
        .values_mut()
        .flat_map(crate::consumer::Consumer::take_acked)
        .collect();
    let retention = Retention::of(stream);
    if retention == Retention::Limits {
        return;
    }
    let removed = {
        let mut store = stream.store.lock();
        let store = store.as_dyn_mut();
        match retention {
            Retention::WorkQueue => remove_each(store, &acked),
            Retention::Interest => remove_uninteresting(stream, store, &acked),
            Retention::Limits => Ok(0),
        }
    };
    match removed {
        Ok(0) => {}
        Ok(_) => stream.record_usage(),
        Err(error) => tracing::error!(stream = %stream.config.name, %error, "retention"),
    }
}

fn remove_each(store: &mut dyn StreamStore, seqs: &[u64]) -> natrium_store::Result<u64> {
    let mut removed = 0;
    for &seq in seqs {
        if store.remove(seq)? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Interest: compacts below every consumer's done point, then removes each acknowledged
/// message above it that no interested consumer still holds.
fn remove_uninteresting(
    stream: &Stream,
    store: &mut dyn StreamStore,
    acked: &[u64],
) -> natrium_store::Result<u64> {
    let state = store.state();
    let floor = stream
        .consumers
        .values()
        .map(crate::consumer::Consumer::done_below)
        .min()
        .unwrap_or(u64::MAX)
        .min(state.last_seq + 1);
    let mut removed = 0;
    if floor > state.first_seq && state.msgs > 0 {
        removed += store.compact(floor)?;
    }
    for &seq in acked.iter().filter(|&&seq| seq >= floor) {
        let Ok(message) = store.load(seq) else {
            continue;
        };
        let held = stream
            .consumers
            .values()
            .any(|consumer| consumer.wants(&message.subject) && !consumer.has_acked(seq));
        if !held && store.remove(seq)? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Go's rules for a new consumer on a work-queue stream: explicit acks, deliver all, and no
/// subject shared with another consumer.
pub fn check_consumer(stream: &Stream, config: &ConsumerConfig) -> Result<(), ApiError> {
    if Retention::of(stream) != Retention::WorkQueue {
        return Ok(());
    }
    // Go's consumer checks refuse a pull consumer without acks first, with their own error.
    if config.ack_policy == AckPolicy::None && config.push.is_none() {
        return Err(ApiError::consumer_pull_requires_ack());
    }
    if config.ack_policy != AckPolicy::Explicit {
        return Err(ApiError::workqueue_requires_explicit_ack());
    }
    if config.start != StartAt::All {
        return Err(ApiError::workqueue_requires_deliver_all());
    }
    let others = stream
        .consumers
        .values()
        .filter(|other| other.config.name != config.name);
    for other in others {
        if other.config.filters.is_empty() || config.filters.is_empty() {
            return Err(ApiError::workqueue_multiple_unfiltered());
        }
        let shared = other.config.filters.iter().any(|theirs| {
            config
                .filters
                .iter()
                .any(|ours| crate::service::filters_overlap(ours, theirs))
        });
        if shared {
            return Err(ApiError::workqueue_consumer_not_unique());
        }
    }
    Ok(())
}
