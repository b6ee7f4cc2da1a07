//! Retention limits as a state machine both stores drive: admission of a new message
//! (discard-new, message size, TTL permission) and the removals that discard-old requires
//! after a store (per subject, then `max_msgs`, then `max_bytes`). A store exposes itself as a
//! [`LimitTarget`]; every step removes one message, so enforcement is incremental (the work is
//! proportional to what is removed, never to the stream's size).
use crate::types::{DiscardPolicy, MsgTtl, NewMsg, StoreConfig};
use crate::{Error, Result};

/// What the limits need to see of, and do to, a store.
pub trait LimitTarget {
    /// Messages stored.
    fn msgs(&self) -> u64;
    /// Accounted bytes stored.
    fn bytes(&self) -> u64;
    /// Messages stored under `subject`.
    fn subject_msgs(&self, subject: &str) -> u64;
    /// Accounted bytes of the oldest message of `subject`, if any.
    fn subject_first_bytes(&self, subject: &str) -> Option<u64>;
    /// Removes the oldest message; false when empty.
    fn remove_first(&mut self) -> Result<bool>;
    /// Removes the oldest message of `subject`; false when it has none.
    fn remove_first_of_subject(&mut self, subject: &str) -> Result<bool>;
    /// Subjects holding more than `max` messages.
    fn subjects_over(&self, max: u64) -> Vec<String>;
}

/// Checks whether `msg` may be stored under `config` (before it is).
///
/// Discard-new accepts a message that brings the bytes exactly to `max_bytes` (Go refuses it:
/// its check is `bytes + size >= max_bytes`), so both discard policies hold the same maximum.
pub fn admit(config: &StoreConfig, target: &impl LimitTarget, msg: &NewMsg<'_>) -> Result<()> {
    let size = (msg.headers.len() as u64).saturating_add(msg.payload.len() as u64);
    if let Some(max) = config.max_msg_size
        && size > max
    {
        return Err(Error::MsgTooLarge { size, max });
    }
    if matches!(msg.ttl, MsgTtl::After { .. }) && !config.allow_msg_ttl {
        return Err(Error::TtlDisabled);
    }
    if config.discard != DiscardPolicy::New {
        return Ok(());
    }
    // At the per-subject limit a store replaces the subject's oldest message, so the totals
    // do not grow (Go's "asl").
    let at_subject_limit = config
        .max_msgs_per_subject
        .is_some_and(|max| target.subject_msgs(msg.subject) >= max);
    if at_subject_limit && config.discard_new_per_subject {
        return Err(Error::MaxMsgsPerSubject);
    }
    if let Some(max) = config.max_msgs
        && target.msgs() >= max
        && !at_subject_limit
    {
        return Err(Error::MaxMsgs);
    }
    if let Some(max) = config.max_bytes {
        let freed = if at_subject_limit {
            target.subject_first_bytes(msg.subject).unwrap_or(0)
        } else {
            0
        };
        let after = target
            .bytes()
            .saturating_sub(freed)
            .saturating_add(msg.stored_bytes());
        if after > max {
            return Err(Error::MaxBytes);
        }
    }
    Ok(())
}

/// Applies discard-old removals after a message was stored under `subject`; returns how many
/// messages went. Under discard-new only the per-subject replacement applies.
pub fn enforce_after_store(
    config: &StoreConfig,
    target: &mut impl LimitTarget,
    subject: &str,
) -> Result<u64> {
    let mut removed = 0;
    if let Some(max) = config.max_msgs_per_subject {
        while target.subject_msgs(subject) > max && target.remove_first_of_subject(subject)? {
            removed += 1;
        }
    }
    removed += enforce_totals(config, target)?;
    Ok(removed)
}

/// Applies every count and byte limit (after a config change); returns how many went.
pub fn enforce_all(config: &StoreConfig, target: &mut impl LimitTarget) -> Result<u64> {
    let mut removed = 0;
    if let Some(max) = config.max_msgs_per_subject {
        for subject in target.subjects_over(max) {
            while target.subject_msgs(&subject) > max && target.remove_first_of_subject(&subject)? {
                removed += 1;
            }
        }
    }
    removed += enforce_totals(config, target)?;
    Ok(removed)
}

/// `max_msgs` then `max_bytes`, oldest first. Only under discard-old: a discard-new stream
/// refuses at admission and, as in Go, keeps what it holds when a limit is lowered.
fn enforce_totals(config: &StoreConfig, target: &mut impl LimitTarget) -> Result<u64> {
    let mut removed = 0;
    if config.discard != DiscardPolicy::Old {
        return Ok(removed);
    }
    if let Some(max) = config.max_msgs {
        while target.msgs() > max && target.remove_first()? {
            removed += 1;
        }
    }
    if let Some(max) = config.max_bytes {
        while target.bytes() > max && target.remove_first()? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Messages with `ts_ns <= cutoff` are past the max age at `now_ns`.
pub fn age_cutoff_ns(config: &StoreConfig, now_ns: u64) -> Option<u64> {
    config
        .max_age_ns
        .and_then(|max_age_ns| now_ns.checked_sub(max_age_ns))
}

/// Absolute expiry of a message stored at `ts_ns` with `ttl`.
pub fn ttl_expiry_ns(ttl: MsgTtl, ts_ns: u64) -> Option<u64> {
    match ttl {
        MsgTtl::Stream => None,
        MsgTtl::After { ttl_ns } => Some(ts_ns.saturating_add(ttl_ns)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A store reduced to what the limits see: seq -> (subject, bytes).
    #[derive(Default)]
    struct Fake {
        msgs: BTreeMap<u64, (String, u64)>,
    }

    impl LimitTarget for Fake {
        fn msgs(&self) -> u64 {
            self.msgs.len() as u64
        }
        fn bytes(&self) -> u64 {
            self.msgs.values().map(|(_, b)| b).sum()
        }
        fn subject_msgs(&self, subject: &str) -> u64 {
            self.msgs.values().filter(|(s, _)| s == subject).count() as u64
        }
        fn subject_first_bytes(&self, subject: &str) -> Option<u64> {
            self.msgs
                .values()
                .find(|(s, _)| s == subject)
                .map(|(_, b)| *b)
        }
        fn remove_first(&mut self) -> Result<bool> {
            Ok(self.msgs.pop_first().is_some())
        }
        fn remove_first_of_subject(&mut self, subject: &str) -> Result<bool> {
            let seq = self
                .msgs
                .iter()
                .find(|(_, (s, _))| s == subject)
                .map(|(q, _)| *q);
            Ok(seq.and_then(|seq| self.msgs.remove(&seq)).is_some())
        }
        fn subjects_over(&self, max: u64) -> Vec<String> {
            let mut subjects: Vec<String> = self.msgs.values().map(|(s, _)| s.clone()).collect();
            subjects.dedup();
            subjects
                .into_iter()
                .filter(|s| self.subject_msgs(s) > max)
                .collect()
        }
    }

    fn fake(subjects: &[&str]) -> Fake {
        let mut fake = Fake::default();
        for (index, subject) in subjects.iter().enumerate() {
            fake.msgs
                .insert(index as u64 + 1, (subject.to_string(), 20));
        }
        fake
    }

    #[test]
    fn discard_new_refuses_at_the_message_limit_unless_replacing_within_a_subject() {
        let config = StoreConfig {
            max_msgs: Some(2),
            max_msgs_per_subject: Some(1),
            discard: DiscardPolicy::New,
            ..StoreConfig::default()
        };
        let target = fake(&["a", "b"]);
        assert!(matches!(
            admit(&config, &target, &NewMsg::new("c", b"")),
            Err(Error::MaxMsgs)
        ));
        assert!(admit(&config, &target, &NewMsg::new("a", b"")).is_ok());
        let per_subject = StoreConfig {
            discard_new_per_subject: true,
            ..config
        };
        assert!(matches!(
            admit(&per_subject, &target, &NewMsg::new("a", b"")),
            Err(Error::MaxMsgsPerSubject)
        ));
    }

    #[test]
    fn discard_new_refuses_past_max_bytes_and_oversized_messages() {
        let config = StoreConfig {
            max_bytes: Some(40 + crate::stored_msg_bytes(1, 0, 3)),
            max_msg_size: Some(10),
            discard: DiscardPolicy::New,
            ..StoreConfig::default()
        };
        let target = fake(&["a", "b"]);
        // 40 stored plus the new message: fits exactly.
        assert!(admit(&config, &target, &NewMsg::new("c", b"xyz")).is_ok());
        assert!(matches!(
            admit(&config, &target, &NewMsg::new("c", b"xyzw")),
            Err(Error::MaxBytes)
        ));
        assert!(matches!(
            admit(&config, &target, &NewMsg::new("c", &[0; 11])),
            Err(Error::MsgTooLarge { size: 11, max: 10 })
        ));
    }

    #[test]
    fn discard_old_removes_per_subject_then_totals() {
        let config = StoreConfig {
            max_msgs: Some(3),
            max_msgs_per_subject: Some(2),
            ..StoreConfig::default()
        };
        let mut target = fake(&["a", "b", "a", "a", "c"]);
        let removed = enforce_after_store(&config, &mut target, "a").expect("enforces");
        // "a" had 3 (seq 1, 3, 4): seq 1 goes; then 4 messages > 3: seq 2 goes.
        assert_eq!(removed, 2);
        assert_eq!(
            target.msgs.keys().copied().collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
    }

    #[test]
    fn ttl_needs_permission_and_age_cutoff_saturates() {
        let config = StoreConfig::default();
        let msg = NewMsg {
            ttl: MsgTtl::After { ttl_ns: 5 },
            ..NewMsg::new("a", b"")
        };
        assert!(matches!(
            admit(&config, &fake(&[]), &msg),
            Err(Error::TtlDisabled)
        ));
        let aged = StoreConfig {
            max_age_ns: Some(100),
            ..StoreConfig::default()
        };
        assert_eq!(age_cutoff_ns(&aged, 50), None);
        assert_eq!(age_cutoff_ns(&aged, 150), Some(50));
        assert_eq!(ttl_expiry_ns(msg.ttl, 10), Some(15));
    }
}
