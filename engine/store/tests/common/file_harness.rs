//! The FileStore harness shared by the suite, the model test and the power-cut model test:
//! a FileStore on the in-memory storage, opened fresh for each store, restarted either by a
//! clean close or by a power cut that drops every byte not yet fsynced (and keeps or drops
//! each un-fsynced directory operation, by a seed that changes with every cut).

use std::path::Path;
use std::sync::Arc;

use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::{CrashMode, MemStorage};
use natrium_store::{StoreConfig, StreamStore};

use super::Harness;

/// How a [`FileHarness`] restarts a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// `close()`, then reopen: everything written is there.
    Close,
    /// A power cut (un-fsynced bytes dropped) before the store is dropped, then reopen. Only
    /// sound against the model when the store syncs every operation (`sync: always`).
    PowerCut,
}

/// Opens FileStores with `options` on a fresh in-memory storage.
pub struct FileHarness {
    storage: MemStorage,
    options: FileStoreOptions,
    restart: Restart,
    /// Seeds the survival of un-fsynced directory operations at each power cut.
    crashes: u64,
}

/// What a history exercised, read off the block files it left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    /// A block beyond the first was created (the store rotated).
    pub rotated: bool,
    /// Block 1 is gone while a later block exists (front blocks were pruned).
    pub pruned: bool,
}

impl FileHarness {
    /// Rotation and pruning as the block files now show them. Block indexes only grow at the
    /// front, so a pruned block 1 stays missing for the rest of the history.
    pub fn coverage(&self) -> Coverage {
        let indexes: Vec<u32> = self
            .storage
            .file_paths()
            .iter()
            .filter(|path| path.extension().is_some_and(|ext| ext == "blk"))
            .filter_map(|path| path.file_stem()?.to_str()?.parse().ok())
            .collect();
        let highest = indexes.iter().copied().max().unwrap_or(0);
        Coverage {
            rotated: highest >= 2,
            pruned: highest >= 2 && !indexes.contains(&1),
        }
    }

    pub fn new(options: FileStoreOptions, restart: Restart) -> Self {
        Self {
            storage: MemStorage::new(),
            options,
            restart,
            crashes: 0,
        }
    }

    fn open_at(&mut self, config: StoreConfig) -> Box<dyn StreamStore> {
        let store = FileStore::open(
            Arc::new(self.storage.clone()),
            Path::new("/s"),
            self.options.clone(),
            config,
        )
        .expect("open file store");
        Box::new(store)
    }
}

impl Harness for FileHarness {
    fn open(&mut self, config: StoreConfig) -> Box<dyn StreamStore> {
        self.storage = MemStorage::new();
        self.open_at(config)
    }

    fn restart(&mut self, mut store: Box<dyn StreamStore>) -> Box<dyn StreamStore> {
        let config = store.config().clone();
        match self.restart {
            Restart::Close => store.close().expect("close"),
            // The crash happens first: the dropped store's flush thread cannot save more.
            // Un-fsynced directory operations may or may not have reached the disk.
            Restart::PowerCut => {
                self.crashes += 1;
                let seed = self.crashes.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                // Every other cut also tears each un-fsynced change at 64-byte sectors,
                // in-place overwrites included.
                let mode = if self.crashes.is_multiple_of(2) {
                    CrashMode::TearUnsyncedSectors {
                        seed: seed | 1,
                        sector_bytes: 64,
                    }
                } else {
                    CrashMode::DropUnsynced
                };
                self.storage.crash_seeded(mode, seed);
            }
        }
        drop(store);
        self.open_at(config)
    }
}
