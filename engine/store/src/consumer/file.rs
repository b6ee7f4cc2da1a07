//! `FileConsumerStore`: consumer progress persisted as `consumers/<name>.state` through the
//! storage trait. Updates go to an in-memory [`MemConsumerStore`]; `flush` writes the whole
//! state with natrium-format's codec via `io::write_atomic` (temp file, fsync, rename, fsync
//! of the directory), so a crash leaves the previous or the new state, never a mix.
use std::path::{Path, PathBuf};

use natrium_format::consumer::{ConsumerLimits, ConsumerState};

use super::{ConsumerConfig, ConsumerStore, MemConsumerStore};
use crate::io::{self, StorageHandle};
use crate::{Error, Result};

/// Largest consumer-state file read back: 16 MiB entries of 24 bytes at most.
pub const STATE_FILE_BYTES_MAX: u64 = 512 * 1024 * 1024;

/// Consumer progress on storage.
#[derive(Debug)]
pub struct FileConsumerStore {
    storage: StorageHandle,
    path: PathBuf,
    memory: MemConsumerStore,
    dirty: bool,
    /// Why the stored state was unreadable at open (see [`ConsumerStore::damage`]).
    damage: Option<String>,
}

impl FileConsumerStore {
    /// Opens the state at `path` (usually `<stream dir>/consumers/<name>.state`), starting
    /// empty when the file does not exist.
    pub fn open(storage: StorageHandle, path: &Path, config: ConsumerConfig) -> Result<Self> {
        let mut memory = MemConsumerStore::new(config);
        let exists = storage
            .exists(path)
            .map_err(|source| io_error("stat", path, source))?;
        if exists {
            let bytes = io::read_all(&*storage, path, STATE_FILE_BYTES_MAX)
                .map_err(|source| io_error("read", path, source))?;
            let limits = ConsumerLimits {
                pending_max: u32::try_from(config.pending_max).unwrap_or(u32::MAX),
                ..ConsumerLimits::default()
            };
            let state =
                ConsumerState::decode(&bytes, &limits).map_err(|source| Error::Corrupt {
                    file: path.to_path_buf(),
                    offset: 0,
                    reason: source.to_string(),
                })?;
            memory.replace(state)?;
        } else if let Some(dir) = path.parent() {
            crate::io::create_dir_durable(storage.as_ref(), dir)
                .map_err(|source| io_error("create", dir, source))?;
        }
        Ok(Self {
            storage,
            path: path.to_path_buf(),
            memory,
            dirty: false,
            damage: None,
        })
    }

    /// [`FileConsumerStore::open_in`], except that a state file that does not decode does not
    /// fail the open: its bytes are copied to
    /// `<stream_dir>/quarantine/consumer.<name>.state.bad`, the consumer starts from an empty
    /// state, [`ConsumerStore::damage`] says why, and the next `flush` replaces the file.
    pub fn open_in_recovering(
        storage: StorageHandle,
        stream_dir: &Path,
        name: &str,
        config: ConsumerConfig,
    ) -> Result<Self> {
        let reason = match Self::open_in(storage.clone(), stream_dir, name, config) {
            Err(Error::Corrupt { reason, .. }) => reason,
            other => return other,
        };
        let path = stream_dir.join("consumers").join(format!("{name}.state"));
        let bytes = io::read_all(&*storage, &path, STATE_FILE_BYTES_MAX)
            .map_err(|source| io_error("read", &path, source))?;
        let quarantine = stream_dir.join(natrium_format::names::QUARANTINE_DIR);
        let copy = quarantine.join(format!("consumer.{name}.state.bad"));
        io::create_dir_durable(&*storage, &quarantine)
            .and_then(|()| io::write_atomic(&*storage, &copy, &bytes))
            .map_err(|source| io_error("quarantine", &copy, source))?;
        Ok(Self {
            storage,
            path,
            memory: MemConsumerStore::new(config),
            dirty: true,
            damage: Some(reason),
        })
    }

    /// Opens the state of consumer `name` of the stream stored in `stream_dir`:
    /// `<stream_dir>/consumers/<name>.state`. Refuses names that are not safe file names.
    pub fn open_in(
        storage: StorageHandle,
        stream_dir: &Path,
        name: &str,
        config: ConsumerConfig,
    ) -> Result<Self> {
        if !super::is_valid_name(name) {
            return Err(Error::InvalidArgument {
                reason: "consumer name",
            });
        }
        let path = stream_dir.join("consumers").join(format!("{name}.state"));
        Self::open(storage, &path, config)
    }

    /// Where the state lives.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn io_error(op: &'static str, path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

impl ConsumerStore for FileConsumerStore {
    fn update_delivered(
        &mut self,
        consumer_seq: u64,
        stream_seq: u64,
        delivery_count: u64,
        ts_ns: i64,
    ) -> Result<()> {
        self.memory
            .update_delivered(consumer_seq, stream_seq, delivery_count, ts_ns)?;
        self.dirty = true;
        Ok(())
    }

    fn update_acks(&mut self, consumer_seq: u64, stream_seq: u64) -> Result<()> {
        self.memory.update_acks(consumer_seq, stream_seq)?;
        self.dirty = true;
        Ok(())
    }

    fn set_starting(&mut self, stream_seq: u64) -> Result<()> {
        self.memory.set_starting(stream_seq)?;
        self.dirty = true;
        Ok(())
    }

    fn replace(&mut self, state: ConsumerState) -> Result<()> {
        self.memory.replace(state)?;
        self.dirty = true;
        Ok(())
    }

    fn state(&self) -> ConsumerState {
        self.memory.state()
    }

    fn encode(&self) -> Result<Vec<u8>> {
        self.memory.encode()
    }

    fn damage(&self) -> Option<&str> {
        self.damage.as_deref()
    }

    fn flush(&mut self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let bytes = self.memory.encode()?;
        io::write_atomic(&*self.storage, &self.path, &bytes)
            .map_err(|source| io_error("write", &self.path, source))?;
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::io::MemStorage;

    #[test]
    fn flushed_state_survives_a_crash_and_unflushed_updates_do_not() {
        let storage = MemStorage::new();
        let handle: StorageHandle = Arc::new(storage.clone());
        let path = Path::new("/stream/consumers/durable.state");
        let mut store =
            FileConsumerStore::open(handle.clone(), path, ConsumerConfig::default()).expect("open");
        store.update_delivered(1, 10, 1, 100).expect("deliver");
        store.update_delivered(2, 11, 1, 200).expect("deliver");
        store.update_acks(1, 10).expect("ack");
        store.flush().expect("flush");
        let flushed = store.state();
        store.update_acks(2, 11).expect("ack after the flush");
        drop(store);
        storage.crash(crate::io::CrashMode::DropUnsynced);
        let reopened =
            FileConsumerStore::open(handle, path, ConsumerConfig::default()).expect("reopen");
        assert_eq!(reopened.state(), flushed);
        assert_eq!(reopened.state().pending.len(), 1);
    }

    #[test]
    fn open_in_places_the_file_under_consumers_and_checks_the_name() {
        let handle: StorageHandle = Arc::new(MemStorage::new());
        let config = ConsumerConfig::default();
        let store = FileConsumerStore::open_in(handle.clone(), Path::new("/s"), "orders", config)
            .expect("open");
        assert_eq!(store.path(), Path::new("/s/consumers/orders.state"));
        for bad in ["", "a.b", "../x", "a/b", "a b", "*", ">"] {
            let refused = FileConsumerStore::open_in(handle.clone(), Path::new("/s"), bad, config);
            assert!(
                matches!(refused, Err(Error::InvalidArgument { .. })),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn a_damaged_file_is_reported_as_corrupt() {
        let storage = MemStorage::new();
        let handle: StorageHandle = Arc::new(storage);
        let path = Path::new("/s/consumers/c.state");
        let mut store =
            FileConsumerStore::open(handle.clone(), path, ConsumerConfig::default()).expect("open");
        store.update_delivered(1, 1, 1, 1).expect("deliver");
        store.flush().expect("flush");
        let file = handle
            .open(path, crate::io::OpenMode::Existing)
            .expect("open file");
        file.write_at(&[0xff], 20).expect("damage");
        let reopened = FileConsumerStore::open(handle, path, ConsumerConfig::default());
        assert!(matches!(reopened, Err(Error::Corrupt { .. })));
    }
}
