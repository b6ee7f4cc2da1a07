//! `MemConsumerStore`: consumer progress in memory, following the Go server's rules for
//! deliveries and acknowledgements (server/memstore.go `consumerMemStore`), so consumer info
//! reports the same ack floor. Go's forward scan for the next pending message is one ordered-map
//! lookup here; tests/consumer_state_model.rs checks the result against a model of Go's scan.
use natrium_format::consumer::{ConsumerState, Pending};

use super::{AckPolicy, ConsumerConfig, ConsumerStore};
use crate::{Error, Result};

/// Consumer progress held in memory.
#[derive(Clone, Debug, Default)]
pub struct MemConsumerStore {
    config: ConsumerConfig,
    state: ConsumerState,
}

impl MemConsumerStore {
    pub fn new(config: ConsumerConfig) -> Self {
        Self {
            config,
            state: ConsumerState::default(),
        }
    }

    pub fn config(&self) -> &ConsumerConfig {
        &self.config
    }

    /// An explicit acknowledgement. The floor moves only when the acknowledged message is the
    /// one right above it (by its original consumer sequence), then up to just below the next
    /// pending message: Go's rule, with its forward scan replaced by one ordered-map lookup.
    fn ack_explicit(&mut self, consumer_seq: u64, stream_seq: u64) -> Result<()> {
        let state = &mut self.state;
        state.redelivered.remove(&stream_seq);
        let Some(pending) = state.pending.remove(&stream_seq) else {
            return Err(Error::NotFound);
        };
        // A redelivered message is acknowledged under its original consumer sequence.
        let consumer_seq = if pending.consumer_seq > 0 {
            consumer_seq.min(pending.consumer_seq)
        } else {
            consumer_seq
        };
        if state.pending.is_empty() {
            state.ack_floor_consumer_seq = state.delivered_consumer_seq;
            state.ack_floor_stream_seq = state.delivered_stream_seq;
        } else if consumer_seq == state.ack_floor_consumer_seq + 1 {
            state.ack_floor_consumer_seq = consumer_seq;
            state.ack_floor_stream_seq = stream_seq;
            if state.delivered_consumer_seq > consumer_seq {
                let next = state
                    .pending
                    .range(stream_seq.saturating_add(1)..=state.delivered_stream_seq)
                    .next();
                if let Some((&next_stream_seq, next)) = next
                    && next.consumer_seq > 0
                {
                    state.ack_floor_consumer_seq = next.consumer_seq - 1;
                    state.ack_floor_stream_seq = next_stream_seq - 1;
                }
            }
        }
        Ok(())
    }
}

impl ConsumerStore for MemConsumerStore {
    fn update_delivered(
        &mut self,
        consumer_seq: u64,
        stream_seq: u64,
        delivery_count: u64,
        ts_ns: i64,
    ) -> Result<()> {
        let state = &mut self.state;
        if self.config.ack_policy == AckPolicy::None {
            if delivery_count != 1 {
                return Err(Error::NoAckPolicy);
            }
            state.delivered_consumer_seq = state.delivered_consumer_seq.max(consumer_seq);
            state.delivered_stream_seq = state.delivered_stream_seq.max(stream_seq);
            state.ack_floor_consumer_seq = state.delivered_consumer_seq;
            state.ack_floor_stream_seq = state.delivered_stream_seq;
            return Ok(());
        }
        // A replay of an old delivery (after a restart) changes nothing.
        if consumer_seq <= state.ack_floor_consumer_seq {
            return Ok(());
        }
        if stream_seq <= state.delivered_stream_seq {
            // A redelivery keeps the original consumer sequence; only the time moves.
            if let Some(pending) = state.pending.get_mut(&stream_seq) {
                pending.timestamp_ns = ts_ns;
            }
        } else {
            if state.pending.len() as u64 >= self.config.pending_max {
                return Err(Error::Limit {
                    what: "consumer pending",
                    max: self.config.pending_max,
                });
            }
            state.pending.insert(
                stream_seq,
                Pending {
                    consumer_seq,
                    timestamp_ns: ts_ns,
                },
            );
        }
        state.delivered_consumer_seq = state.delivered_consumer_seq.max(consumer_seq);
        state.delivered_stream_seq = state.delivered_stream_seq.max(stream_seq);
        if delivery_count > 1 {
            if self.config.max_deliver > 0 && delivery_count > self.config.max_deliver {
                state.pending.remove(&stream_seq);
            }
            let count = state.redelivered.entry(stream_seq).or_default();
            *count = (*count).max(delivery_count - 1);
        }
        Ok(())
    }

    fn update_acks(&mut self, consumer_seq: u64, stream_seq: u64) -> Result<()> {
        match self.config.ack_policy {
            AckPolicy::None => Err(Error::NoAckPolicy),
            AckPolicy::All => {
                if !self.state.pending.contains_key(&stream_seq) {
                    self.state.redelivered.remove(&stream_seq);
                    return Err(Error::NotFound);
                }
                // Everything at or below `stream_seq` is acknowledged at once.
                match stream_seq.checked_add(1) {
                    Some(above) => {
                        self.state.pending = self.state.pending.split_off(&above);
                        self.state.redelivered = self.state.redelivered.split_off(&above);
                    }
                    None => {
                        self.state.pending.clear();
                        self.state.redelivered.clear();
                    }
                }
                self.state.ack_floor_consumer_seq =
                    self.state.ack_floor_consumer_seq.max(consumer_seq);
                self.state.ack_floor_stream_seq = self.state.ack_floor_stream_seq.max(stream_seq);
                // As in Go, the floor is the acknowledged message itself, not the oldest
                // pending one: later pending messages may sit above a gap.
                Ok(())
            }
            AckPolicy::Explicit => self.ack_explicit(consumer_seq, stream_seq),
        }
    }

    fn set_starting(&mut self, stream_seq: u64) -> Result<()> {
        let start = stream_seq.saturating_sub(1);
        self.state.delivered_stream_seq = start;
        self.state.ack_floor_stream_seq = start;
        Ok(())
    }

    fn replace(&mut self, state: ConsumerState) -> Result<()> {
        if state.pending.len() as u64 > self.config.pending_max {
            return Err(Error::Limit {
                what: "consumer pending",
                max: self.config.pending_max,
            });
        }
        self.state = state;
        Ok(())
    }

    fn state(&self) -> ConsumerState {
        self.state.clone()
    }

    fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.state
            .encode(&mut out)
            .map_err(|source| Error::Decode {
                what: "consumer state",
                reason: source.to_string(),
            })?;
        Ok(out)
    }

    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explicit() -> MemConsumerStore {
        MemConsumerStore::new(ConsumerConfig::default())
    }

    #[test]
    fn explicit_acks_raise_the_floor_to_the_oldest_pending() {
        let mut store = explicit();
        for seq in 1..=4 {
            store
                .update_delivered(seq, seq + 10, 1, seq as i64 * 100)
                .expect("deliver");
        }
        let state = store.state();
        assert_eq!(
            (state.delivered_consumer_seq, state.delivered_stream_seq),
            (4, 14)
        );
        assert_eq!(state.pending.len(), 4);
        store.update_acks(2, 12).expect("ack 2");
        assert_eq!(store.state().ack_floor_consumer_seq, 0);
        store.update_acks(1, 11).expect("ack 1");
        let state = store.state();
        assert_eq!(
            (state.ack_floor_consumer_seq, state.ack_floor_stream_seq),
            (2, 12)
        );
        assert!(matches!(store.update_acks(1, 11), Err(Error::NotFound)));
        store.update_acks(4, 14).expect("ack 4");
        store.update_acks(3, 13).expect("ack 3");
        let state = store.state();
        assert_eq!(
            (state.ack_floor_consumer_seq, state.ack_floor_stream_seq),
            (4, 14)
        );
        assert!(state.pending.is_empty());
    }

    #[test]
    fn redeliveries_count_and_keep_the_original_consumer_sequence() {
        let mut store = MemConsumerStore::new(ConsumerConfig {
            max_deliver: 3,
            ..Default::default()
        });
        store.update_delivered(1, 5, 1, 10).expect("deliver");
        store.update_delivered(2, 5, 2, 20).expect("redeliver");
        let state = store.state();
        assert_eq!(
            state.pending.get(&5),
            Some(&Pending {
                consumer_seq: 1,
                timestamp_ns: 20
            })
        );
        assert_eq!(state.redelivered.get(&5), Some(&1));
        store.update_delivered(3, 5, 3, 30).expect("redeliver");
        store
            .update_delivered(4, 5, 4, 40)
            .expect("past max_deliver");
        let state = store.state();
        assert!(state.pending.is_empty());
        assert_eq!(state.redelivered.get(&5), Some(&3));
    }

    #[test]
    fn ack_all_acknowledges_everything_below() {
        let mut store = MemConsumerStore::new(ConsumerConfig {
            ack_policy: AckPolicy::All,
            ..Default::default()
        });
        for seq in 1..=5 {
            store.update_delivered(seq, seq, 1, 0).expect("deliver");
        }
        store.update_acks(3, 3).expect("ack all to 3");
        let state = store.state();
        assert_eq!(
            state.pending.keys().copied().collect::<Vec<_>>(),
            vec![4, 5]
        );
        assert_eq!(
            (state.ack_floor_consumer_seq, state.ack_floor_stream_seq),
            (3, 3)
        );
    }

    #[test]
    fn ack_none_moves_the_floor_with_delivery_and_refuses_acks() {
        let mut store = MemConsumerStore::new(ConsumerConfig {
            ack_policy: AckPolicy::None,
            ..Default::default()
        });
        store.update_delivered(1, 7, 1, 0).expect("deliver");
        let state = store.state();
        assert_eq!(
            (state.ack_floor_consumer_seq, state.ack_floor_stream_seq),
            (1, 7)
        );
        assert!(state.pending.is_empty());
        assert!(matches!(store.update_acks(1, 7), Err(Error::NoAckPolicy)));
        assert!(matches!(
            store.update_delivered(2, 7, 2, 0),
            Err(Error::NoAckPolicy)
        ));
    }

    #[test]
    fn pending_is_bounded() {
        let mut store = MemConsumerStore::new(ConsumerConfig {
            pending_max: 2,
            ..Default::default()
        });
        store.update_delivered(1, 1, 1, 0).expect("deliver");
        store.update_delivered(2, 2, 1, 0).expect("deliver");
        assert!(matches!(
            store.update_delivered(3, 3, 1, 0),
            Err(Error::Limit { max: 2, .. })
        ));
        store.update_acks(1, 1).expect("ack");
        store.update_delivered(3, 3, 1, 0).expect("room again");
    }

    #[test]
    fn stale_replays_below_the_floor_are_ignored() {
        let mut store = explicit();
        store.update_delivered(1, 1, 1, 0).expect("deliver");
        store.update_acks(1, 1).expect("ack");
        store.update_delivered(1, 1, 1, 5).expect("replay");
        assert!(store.state().pending.is_empty());
    }

    #[test]
    fn the_last_stream_sequence_acks_without_overflow() {
        for ack_policy in [AckPolicy::All, AckPolicy::Explicit] {
            let config = ConsumerConfig {
                ack_policy,
                ..ConsumerConfig::default()
            };
            let mut store = MemConsumerStore::new(config);
            store
                .update_delivered(1, u64::MAX - 1, 1, 0)
                .expect("deliver");
            store.update_delivered(2, u64::MAX, 1, 0).expect("deliver");
            store
                .update_acks(2, u64::MAX)
                .expect("ack the last sequence");
            assert!(
                !store.state().pending.contains_key(&u64::MAX),
                "{ack_policy:?}"
            );
        }
    }
}
