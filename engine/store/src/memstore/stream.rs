//! The `StreamStore` implementation of `MemStore`: writes, removals and expiry here; reads
//! delegate to `query.rs`.
use std::collections::BTreeMap;

use super::MemStore;
use super::slots::Slot;
use crate::limits::{self, LimitTarget};
use crate::store::StreamStore;
use crate::subjects::SUBJECT_LEN_MAX;
use crate::ttl::TtlWheel;
use crate::types::{NewMsg, SimpleState, StoreConfig, StoredMsg, StreamState};
use crate::{Error, Result, subject};

/// Returned when the sequence space is exhausted (`last_seq == u64::MAX`).
const SEQ_LIMIT: Error = Error::Limit {
    what: "stream sequence",
    max: u64::MAX,
};

impl MemStore {
    /// `last_seq + 1`, saturating (a store at `u64::MAX` refuses further sequences).
    fn next_seq(&self) -> u64 {
        self.last_seq.saturating_add(1)
    }

    /// `last_seq + 1`, or an error when the sequence space is exhausted.
    fn checked_next_seq(&self) -> Result<u64> {
        self.last_seq.checked_add(1).ok_or(SEQ_LIMIT)
    }

    /// Validates and admits `msg`, then stores it at `seq` / `ts_ns` and enforces limits.
    fn append(&mut self, msg: &NewMsg<'_>, seq: u64, ts_ns: u64) -> Result<()> {
        self.check_open()?;
        if msg.subject.len() > SUBJECT_LEN_MAX || !subject::is_valid_subject(msg.subject) {
            return Err(Error::InvalidSubject {
                subject: msg.subject.to_string(),
            });
        }
        let headers_len = u32::try_from(msg.headers.len()).map_err(|_| Error::Limit {
            what: "headers bytes",
            max: u32::MAX.into(),
        })?;
        limits::admit(&self.config, self, msg)?;
        let mut data = Vec::with_capacity(msg.headers.len() + msg.payload.len());
        data.extend_from_slice(msg.headers);
        data.extend_from_slice(msg.payload);
        let expires_ns = limits::ttl_expiry_ns(msg.ttl, ts_ns);
        self.insert(
            seq,
            ts_ns,
            msg.subject,
            data.into_boxed_slice(),
            headers_len,
            expires_ns,
        )?;
        let config = self.config.clone();
        limits::enforce_after_store(&config, self, msg.subject)?;
        Ok(())
    }

    fn to_stored(&self, seq: u64, slot: &Slot) -> StoredMsg {
        let (headers, payload) = slot.data.split_at(slot.headers_len as usize);
        StoredMsg {
            seq,
            ts_ns: slot.ts_ns,
            subject: self.subjects.subject(slot.subject).clone(),
            headers: headers.to_vec(),
            payload: payload.to_vec(),
            expires_ns: self.expiries.get(&seq).copied(),
        }
    }

    pub(super) fn load_at(&self, seq: u64) -> Option<StoredMsg> {
        self.slots.get(seq).map(|slot| self.to_stored(seq, slot))
    }

    /// Removes the matching candidates of `purge_ex`, oldest first.
    fn purge_matching(&mut self, filter: &str, up_to_seq: u64, keep: u64) -> u64 {
        let matching = self.filtered_state(0, filter).msgs;
        let target = if keep > 0 {
            matching.saturating_sub(keep)
        } else {
            matching
        };
        let end = if up_to_seq > 0 { up_to_seq } else { u64::MAX };
        let candidates: Vec<u64> = self
            .slots
            .range(0)
            .take_while(|&(seq, _)| seq < end)
            .filter(|(_, slot)| subject::matches(filter, self.subjects.subject(slot.subject)))
            .map(|(seq, _)| seq)
            .take(usize::try_from(target).expect("a count of stored messages fits a usize"))
            .collect();
        candidates
            .into_iter()
            .filter(|&seq| self.remove_msg(seq, false))
            .count() as u64
    }
}

impl StreamStore for MemStore {
    fn store(&mut self, msg: &NewMsg<'_>, now_ns: u64) -> Result<(u64, u64)> {
        let seq = self.checked_next_seq()?;
        self.append(msg, seq, now_ns)?;
        Ok((seq, now_ns))
    }

    fn store_raw(&mut self, msg: &NewMsg<'_>, seq: u64, ts_ns: u64) -> Result<()> {
        if seq <= self.last_seq {
            return Err(Error::SequenceMismatch {
                expected: self.next_seq(),
                got: seq,
            });
        }
        self.append(msg, seq, ts_ns)
    }

    fn skip(&mut self, now_ns: u64) -> Result<u64> {
        self.check_open()?;
        self.last_seq = self.checked_next_seq()?;
        self.last_ts_ns = now_ns;
        Ok(self.last_seq)
    }

    fn skip_many(&mut self, seq: u64, count: u64, now_ns: u64) -> Result<()> {
        self.check_open()?;
        if seq != self.next_seq() {
            return Err(Error::SequenceMismatch {
                expected: self.next_seq(),
                got: seq,
            });
        }
        if count > 0 {
            self.last_seq = seq.checked_add(count - 1).ok_or(SEQ_LIMIT)?;
            self.last_ts_ns = now_ns;
        }
        Ok(())
    }

    fn load(&self, seq: u64) -> Result<StoredMsg> {
        match self.load_at(seq) {
            Some(msg) => Ok(msg),
            None if seq > self.last_seq => Err(Error::Eof),
            None => Err(Error::NotFound),
        }
    }

    fn load_next(&self, filter: &str, start_seq: u64) -> Result<StoredMsg> {
        self.next_matching(filter, start_seq)
            .and_then(|seq| self.load_at(seq))
            .ok_or(Error::Eof)
    }

    fn load_last(&self, filter: &str) -> Result<StoredMsg> {
        self.last_matching(filter)
            .and_then(|seq| self.load_at(seq))
            .ok_or(Error::NotFound)
    }

    fn load_prev(&self, start_seq: u64) -> Result<StoredMsg> {
        self.slots
            .last_at_or_before(start_seq)
            .map(|(seq, slot)| self.to_stored(seq, slot))
            .ok_or(Error::Eof)
    }

    fn remove(&mut self, seq: u64) -> Result<bool> {
        self.check_open()?;
        Ok(self.remove_msg(seq, false))
    }

    fn erase(&mut self, seq: u64) -> Result<bool> {
        self.check_open()?;
        Ok(self.remove_msg(seq, true))
    }

    fn purge(&mut self) -> Result<u64> {
        self.check_open()?;
        Ok(self.clear())
    }

    fn purge_ex(&mut self, filter: &str, up_to_seq: u64, keep: u64) -> Result<u64> {
        self.check_open()?;
        if subject::is_match_all(filter) && up_to_seq == 0 && keep == 0 {
            return Ok(self.clear());
        }
        Ok(self.purge_matching(filter, up_to_seq, keep))
    }

    fn compact(&mut self, seq: u64) -> Result<u64> {
        self.check_open()?;
        if seq > self.next_seq() {
            let removed = self.clear();
            self.last_seq = seq.saturating_sub(1);
            return Ok(removed);
        }
        let mut removed = 0;
        while let Some((first, _)) = self.slots.first().filter(|&(first, _)| first < seq) {
            self.remove_msg(first, false);
            removed += 1;
        }
        Ok(removed)
    }

    fn truncate(&mut self, seq: u64) -> Result<()> {
        self.check_open()?;
        if seq >= self.last_seq {
            return Ok(());
        }
        while let Some((last, _)) = self.slots.last().filter(|&(last, _)| last > seq) {
            self.remove_msg(last, false);
        }
        self.last_seq = seq;
        self.last_ts_ns = self.slots.last().map_or(0, |(_, slot)| slot.ts_ns);
        Ok(())
    }

    fn expire(&mut self, now_ns: u64) -> Result<u64> {
        self.check_open()?;
        let mut removed = 0;
        let due: Vec<(u64, u64)> = self
            .ttl
            .as_mut()
            .map_or_else(Vec::new, |ttl| ttl.expired(now_ns).collect());
        for (seq, _) in due {
            // The wheel already dropped the entry; forget the expiry so removal skips it.
            self.expiries.remove(&seq);
            removed += u64::from(self.remove_msg(seq, false));
        }
        if let Some(cutoff) = limits::age_cutoff_ns(&self.config, now_ns) {
            while let Some((seq, _)) = self.slots.first().filter(|(_, s)| s.ts_ns <= cutoff) {
                self.remove_msg(seq, false);
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn next_expiry_ns(&self) -> Option<u64> {
        let age = self.config.max_age_ns.and_then(|max_age_ns| {
            let (_, first) = self.slots.first()?;
            Some(first.ts_ns.saturating_add(max_age_ns))
        });
        match (age, self.ttl.as_ref().and_then(TtlWheel::next_expiry_ns)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn state(&self) -> StreamState {
        self.counters()
    }

    fn state_with_deleted(&self) -> StreamState {
        let mut state = self.counters();
        state.deleted = self.deleted();
        state
    }

    fn filtered_state(&self, start_seq: u64, filter: &str) -> SimpleState {
        self.filtered(start_seq, filter)
    }

    fn subjects_state(&self, filter: &str) -> BTreeMap<String, SimpleState> {
        self.subjects
            .matching(filter)
            .map(|(s, info)| (s.to_string(), info.into()))
            .collect()
    }

    fn subjects_totals(&self, filter: &str) -> BTreeMap<String, u64> {
        self.subjects
            .matching(filter)
            .map(|(s, info)| (s.to_string(), info.msgs))
            .collect()
    }

    fn num_pending(&self, start_seq: u64, filter: &str, last_per_subject: bool) -> u64 {
        if last_per_subject {
            return self
                .subjects
                .matching(filter)
                .filter(|(_, i)| i.last_seq >= start_seq)
                .count() as u64;
        }
        self.filtered(start_seq, filter).msgs
    }

    fn seq_from_time(&self, ts_ns: u64) -> u64 {
        self.slots
            .range(0)
            .find(|(_, slot)| slot.ts_ns >= ts_ns)
            .map_or(self.next_seq(), |(seq, _)| seq)
    }

    fn config(&self) -> &StoreConfig {
        &self.config
    }

    fn update_config(&mut self, config: StoreConfig) -> Result<()> {
        self.check_open()?;
        self.config = config.clone();
        limits::enforce_all(&config, self)?;
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.check_open()
    }

    fn close(&mut self) -> Result<()> {
        self.closed = true;
        Ok(())
    }
}

impl MemStore {
    /// `StreamState` without `deleted`.
    fn counters(&self) -> StreamState {
        let msgs = LimitTarget::msgs(self);
        let first_seq = self.first_seq();
        let num_deleted = if msgs > 0 {
            (self.last_seq - first_seq + 1) - msgs
        } else {
            0
        };
        StreamState {
            msgs,
            bytes: self.bytes,
            first_seq,
            first_ts_ns: self.slots.first().map_or(0, |(_, slot)| slot.ts_ns),
            last_seq: self.last_seq,
            last_ts_ns: self.last_ts_ns,
            num_subjects: self.subjects.len() as u64,
            num_deleted,
            deleted: Vec::new(),
            lost: None,
        }
    }
}
