//! An account's storage limits and usage: `jetstream { max_memory_store, max_file_store }`
//! bound the bytes all of the account's memory and file streams may hold. Each stream reports
//! its bytes after every change (publish batch, purge, delete, expiry); the account keeps the
//! totals, so a publish is checked in O(1) without touching other streams' locks.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::Storage;
use crate::errors::ApiError;

/// Limits and totals of one account.
#[derive(Debug, Default)]
pub struct AccountUsage {
    pub max_memory: Option<u64>,
    pub max_file: Option<u64>,
    memory: AtomicU64,
    file: AtomicU64,
}

impl AccountUsage {
    pub fn new(max_memory: Option<u64>, max_file: Option<u64>) -> Self {
        Self {
            max_memory,
            max_file,
            ..Self::default()
        }
    }

    fn total(&self, storage: Storage) -> &AtomicU64 {
        match storage {
            Storage::Memory => &self.memory,
            Storage::File => &self.file,
        }
    }

    fn limit(&self, storage: Storage) -> Option<u64> {
        match storage {
            Storage::Memory => self.max_memory,
            Storage::File => self.max_file,
        }
    }

    /// Bytes held by the account's streams of each kind: (memory, file).
    pub fn totals(&self) -> (u64, u64) {
        (
            self.memory.load(Ordering::Relaxed),
            self.file.load(Ordering::Relaxed),
        )
    }

    /// Records that a stream of `storage` now holds `bytes`, having held `*previous`.
    pub fn record(&self, storage: Storage, previous: &AtomicU64, bytes: u64) {
        let before = previous.swap(bytes, Ordering::Relaxed);
        let total = self.total(storage);
        if bytes >= before {
            total.fetch_add(bytes - before, Ordering::Relaxed);
        } else {
            total.fetch_sub(before - bytes, Ordering::Relaxed);
        }
    }

    /// Refuses `adding` more bytes of `storage` past the account's limit (Go's
    /// JSMemoryResourcesExceededErr 10028 / JSStorageResourcesExceededErr 10047).
    pub fn check(&self, storage: Storage, adding: u64) -> Result<(), ApiError> {
        let Some(limit) = self.limit(storage) else {
            return Ok(());
        };
        let used = self.total(storage).load(Ordering::Relaxed);
        if used.saturating_add(adding) <= limit {
            return Ok(());
        }
        Err(match storage {
            Storage::Memory => ApiError::memory_resources_exceeded(),
            Storage::File => ApiError::storage_resources_exceeded(),
        })
    }

    /// A new stream may not ask for more than the account allows (`max_bytes` over the limit).
    pub fn check_stream(&self, storage: Storage, max_bytes: i64) -> Result<(), ApiError> {
        match (self.limit(storage), u64::try_from(max_bytes)) {
            (Some(limit), Ok(max_bytes)) if max_bytes > limit => self.check(storage, u64::MAX),
            _ => Ok(()),
        }
    }

    /// `limits` of the account info: -1 for unlimited, as Go.
    pub fn reported(limit: Option<u64>) -> i64 {
        limit.map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_follow_each_stream_and_limits_refuse() {
        let usage = AccountUsage::new(None, Some(1000));
        let (a, b) = (AtomicU64::new(0), AtomicU64::new(0));
        usage.record(Storage::File, &a, 600);
        usage.record(Storage::File, &b, 300);
        assert_eq!(usage.totals(), (0, 900));
        assert!(usage.check(Storage::File, 100).is_ok());
        let refused = usage.check(Storage::File, 101).unwrap_err();
        assert_eq!(refused.err_code, Some(10047));
        usage.record(Storage::File, &a, 100);
        assert_eq!(usage.totals(), (0, 400));
        assert!(
            usage.check(Storage::Memory, u64::MAX).is_ok(),
            "no memory limit"
        );
        assert!(usage.check_stream(Storage::File, 2000).is_err());
        assert!(usage.check_stream(Storage::File, -1).is_ok());
    }
}
