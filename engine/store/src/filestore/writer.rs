//! The flush loop and group commit: the only code that writes record bytes to block files.
//!
//! `FileStore` encodes each record and hands the bytes to [`Writer::append`], which copies them
//! into a pending buffer (chunks per file, contiguous appends coalesced) and returns a *ticket*:
//! the running total of bytes ever appended. A background thread takes the whole pending buffer
//! when it holds `flush_bytes` bytes, when `flush_interval_ms` passed since the oldest pending
//! byte, or when someone waits; it writes the chunks with positional writes and, when a waiter
//! needs durability (or the sync interval elapsed), fsyncs every file it wrote since the last
//! fsync. A waiter of ticket `t` is released once `synced >= t`: one fsync covers every append
//! queued before the thread took the buffer (group commit).
//!
//! # Concurrency model
//! One `parking_lot::Mutex<State>` guards the pending buffer and the counters; two condvars
//! signal "work for the thread" and "progress for waiters". The thread never holds the lock
//! during disk I/O: it swaps the pending chunks into `inflight` (still readable by
//! [`Writer::read_pending`]) and writes them unlocked. A write or fsync failure is sticky: every
//! later append and wait fails, because the file's tail is no longer known to be intact.

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Condvar, Mutex};

use crate::io::FileHandle;

/// When appended data is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPolicy {
    /// Every append is acknowledged only after an fsync covering it (group-committed).
    Always,
    /// Data is written within `flush_interval_ms` and fsynced every `interval_ms`.
    Interval {
        /// Time between fsyncs of written data (Go nats-server's `sync_interval`, 2 minutes).
        interval_ms: u64,
    },
}

impl Default for SyncPolicy {
    fn default() -> Self {
        // Go nats-server's default `sync_interval`.
        Self::Interval {
            interval_ms: 120_000,
        }
    }
}

/// Tuning of the flush loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    pub sync: SyncPolicy,
    /// Pending bytes that trigger a write without waiting for the interval.
    pub flush_bytes: usize,
    /// Longest time a pending byte waits before it is written (the process-crash loss window).
    pub flush_interval_ms: u64,
    /// Appends block (back-pressure) while this many bytes are pending.
    pub pending_bytes_max: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            sync: SyncPolicy::default(),
            flush_bytes: 16 * 1024,
            flush_interval_ms: 5,
            pending_bytes_max: 64 * 1024 * 1024,
        }
    }
}

#[derive(Debug)]
struct Chunk {
    /// Names the file independently of the handle (a sealed block may be reopened).
    file_id: u64,
    file: FileHandle,
    offset: u64,
    bytes: Vec<u8>,
}

impl Chunk {
    fn end(&self) -> u64 {
        self.offset.saturating_add(self.bytes.len() as u64)
    }
}

#[derive(Debug)]
struct State {
    pending: Vec<Chunk>,
    pending_bytes: usize,
    oldest_pending: Option<Instant>,
    inflight: Arc<Vec<Chunk>>,
    appended: u64,
    written: u64,
    synced: u64,
    sync_wanted: u64,
    write_wanted: u64,
    shutdown: bool,
    failed: Option<(io::ErrorKind, String)>,
}

#[derive(Debug)]
struct Shared {
    config: WriterConfig,
    /// `appended - written`, readable without the lock: lets a read skip the buffer lookup
    /// when everything is already in the files (it only reaches 0 after the writes returned).
    unwritten: AtomicU64,
    state: Mutex<State>,
    work: Condvar,
    progress: Condvar,
}

/// Handle to the flush thread; dropping it flushes, fsyncs and joins.
#[derive(Debug)]
pub struct Writer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

fn failure(failed: &(io::ErrorKind, String)) -> io::Error {
    io::Error::new(
        failed.0,
        format!("earlier block write failed: {}", failed.1),
    )
}

impl Writer {
    /// Starts the flush thread.
    pub fn start(config: WriterConfig) -> io::Result<Self> {
        let state = State {
            pending: Vec::new(),
            pending_bytes: 0,
            oldest_pending: None,
            inflight: Arc::new(Vec::new()),
            appended: 0,
            written: 0,
            synced: 0,
            sync_wanted: 0,
            write_wanted: 0,
            shutdown: false,
            failed: None,
        };
        let shared = Arc::new(Shared {
            config,
            unwritten: AtomicU64::new(0),
            state: Mutex::new(state),
            work: Condvar::new(),
            progress: Condvar::new(),
        });
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("natrium-store-flush".into())
            .spawn(move || flush_loop(&for_thread))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// The policy this writer runs.
    pub fn config(&self) -> WriterConfig {
        self.shared.config
    }

    /// Queues `bytes` to be written at `offset` of `file` (named `file_id`, the same id for
    /// every handle of one file); returns the ticket to wait on.
    pub fn append(
        &self,
        file: &FileHandle,
        file_id: u64,
        offset: u64,
        bytes: &[u8],
    ) -> io::Result<u64> {
        let config = self.shared.config;
        let mut state = self.shared.state.lock();
        // Back-pressure: bounded pending memory. The thread always drains, so this ends.
        while state.pending_bytes.saturating_add(bytes.len()) > config.pending_bytes_max
            && state.pending_bytes > 0
            && state.failed.is_none()
        {
            state.write_wanted = state.appended;
            self.shared.work.notify_one();
            self.shared.progress.wait(&mut state);
        }
        if let Some(failed) = &state.failed {
            return Err(failure(failed));
        }
        let contiguous = state
            .pending
            .last_mut()
            .filter(|last| last.file_id == file_id && last.end() == offset);
        match contiguous {
            Some(last) => last.bytes.extend_from_slice(bytes),
            None => state.pending.push(Chunk {
                file_id,
                file: Arc::clone(file),
                offset,
                bytes: bytes.to_vec(),
            }),
        }
        let before = state.pending_bytes;
        state.pending_bytes = state.pending_bytes.saturating_add(bytes.len());
        state.appended = state.appended.saturating_add(bytes.len() as u64);
        self.shared.unwritten.store(
            state.appended.saturating_sub(state.written),
            Ordering::Release,
        );
        if before == 0 {
            state.oldest_pending = Some(Instant::now());
        }
        // Wake the thread once, when the buffer crosses the threshold (a wake per append
        // would cost a futex call each while the thread is busy writing).
        if before < config.flush_bytes && state.pending_bytes >= config.flush_bytes {
            self.shared.work.notify_one();
        }
        Ok(state.appended)
    }

    /// The ticket of everything appended so far.
    pub fn appended(&self) -> u64 {
        self.shared.state.lock().appended
    }

    /// Waits until every byte up to `ticket` is written to its file (not necessarily fsynced).
    pub fn wait_written(&self, ticket: u64) -> io::Result<()> {
        self.wait(ticket, false)
    }

    /// Waits until every byte up to `ticket` is fsynced.
    pub fn wait_synced(&self, ticket: u64) -> io::Result<()> {
        self.wait(ticket, true)
    }

    fn wait(&self, ticket: u64, durable: bool) -> io::Result<()> {
        let mut state = self.shared.state.lock();
        loop {
            if let Some(failed) = &state.failed {
                return Err(failure(failed));
            }
            let reached = if durable { state.synced } else { state.written };
            if reached >= ticket {
                return Ok(());
            }
            if durable {
                state.sync_wanted = state.sync_wanted.max(ticket);
            } else {
                state.write_wanted = state.write_wanted.max(ticket);
            }
            self.shared.work.notify_one();
            self.shared.progress.wait(&mut state);
        }
    }

    /// The bytes at `offset..offset + len` of `file` if they are still pending or being
    /// written (newest copy first); `None` when they are not (read them from the file).
    pub fn read_pending(&self, file_id: u64, offset: u64, len: usize) -> Option<Vec<u8>> {
        if self.shared.unwritten.load(Ordering::Acquire) == 0 {
            return None;
        }
        let end = offset.saturating_add(len as u64);
        let state = self.shared.state.lock();
        let chunks = state
            .pending
            .iter()
            .rev()
            .chain(state.inflight.iter().rev());
        for chunk in chunks {
            if chunk.file_id != file_id || chunk.offset > offset || chunk.end() < end {
                continue;
            }
            let start = usize::try_from(offset.saturating_sub(chunk.offset)).unwrap_or(0);
            if let Some(source) = chunk.bytes.get(start..start.saturating_add(len)) {
                return Some(source.to_vec());
            }
        }
        None
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        {
            let mut state = self.shared.state.lock();
            state.shutdown = true;
            self.shared.work.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            // A panic in the flush thread already lost its data; nothing more to do here.
            let _ = thread.join();
        }
    }
}

/// What the thread decided to do in one round.
struct Round {
    chunks: Arc<Vec<Chunk>>,
    target: u64,
    sync: bool,
}

fn flush_loop(shared: &Shared) {
    let mut dirty: Vec<(u64, FileHandle)> = Vec::new();
    let mut last_sync = Instant::now();
    loop {
        let Some(round) = next_round(shared, &dirty, last_sync) else {
            return;
        };
        let result = write_round(&round, &mut dirty);
        let result = result.and_then(|()| {
            if round.sync {
                sync_files(&mut dirty)?;
                last_sync = Instant::now();
            }
            Ok(())
        });
        // The round's chunks hold file handles: release them before waking waiters, so a
        // caller that waited for its bytes never sees a sealed block's handle still open.
        let (target, sync) = (round.target, round.sync);
        drop(round);
        let mut state = shared.state.lock();
        state.inflight = Arc::new(Vec::new());
        match result {
            Ok(()) => {
                state.written = target;
                shared.unwritten.store(
                    state.appended.saturating_sub(state.written),
                    Ordering::Release,
                );
                if sync {
                    state.synced = target;
                }
            }
            Err(error) => {
                state.failed = Some((error.kind(), error.to_string()));
            }
        }
        shared.progress.notify_all();
        if state.failed.is_some() {
            drop(state);
            park_until_shutdown(shared);
            return;
        }
    }
}

/// Waits for work; `None` when shutting down with nothing left to write or fsync.
fn next_round(shared: &Shared, dirty: &[(u64, FileHandle)], last_sync: Instant) -> Option<Round> {
    let config = shared.config;
    let flush_interval = Duration::from_millis(config.flush_interval_ms);
    let sync_interval = match config.sync {
        SyncPolicy::Always => Duration::ZERO,
        SyncPolicy::Interval { interval_ms } => Duration::from_millis(interval_ms),
    };
    let mut state = shared.state.lock();
    loop {
        let now = Instant::now();
        let age = state
            .oldest_pending
            .map(|oldest| now.saturating_duration_since(oldest));
        let sync_due =
            !dirty.is_empty() && now.saturating_duration_since(last_sync) >= sync_interval;
        let want_sync = state.sync_wanted > state.synced
            || config.sync == SyncPolicy::Always && state.appended > state.synced
            || sync_due
            || state.shutdown && state.appended > state.synced;
        let want_write = state.pending_bytes >= config.flush_bytes
            || state.write_wanted > state.written
            || age.is_some_and(|age| age >= flush_interval);
        if want_sync || want_write || (state.shutdown && state.pending_bytes > 0) {
            let chunks = std::mem::take(&mut state.pending);
            let chunks = Arc::new(chunks);
            state.inflight = Arc::clone(&chunks);
            state.pending_bytes = 0;
            state.oldest_pending = None;
            let sync = want_sync || state.shutdown;
            return Some(Round {
                chunks,
                target: state.appended,
                sync,
            });
        }
        if state.shutdown {
            return None;
        }
        let mut timeout = if dirty.is_empty() || sync_interval.is_zero() {
            Duration::from_secs(3600)
        } else {
            sync_interval.saturating_sub(now.saturating_duration_since(last_sync))
        };
        if let Some(age) = age {
            timeout = timeout.min(flush_interval.saturating_sub(age));
        }
        shared
            .work
            .wait_for(&mut state, timeout.max(Duration::from_micros(100)));
    }
}

fn write_round(round: &Round, dirty: &mut Vec<(u64, FileHandle)>) -> io::Result<()> {
    for chunk in round.chunks.iter() {
        // Before the first byte goes to another file (the next block after a rotation, or an
        // erase in a sealed one), fsync the files already written: the disk then never holds
        // a later block's records without every earlier record, whatever order the page cache
        // is written back in, so a crash only ever loses a suffix.
        if dirty.iter().any(|(id, _)| *id != chunk.file_id) {
            sync_files(dirty)?;
        }
        chunk.file.write_at(&chunk.bytes, chunk.offset)?;
        if !dirty.iter().any(|(id, _)| *id == chunk.file_id) {
            dirty.push((chunk.file_id, Arc::clone(&chunk.file)));
        }
    }
    Ok(())
}

fn sync_files(dirty: &mut Vec<(u64, FileHandle)>) -> io::Result<()> {
    for (_, file) in dirty.iter() {
        file.sync()?;
    }
    dirty.clear();
    Ok(())
}

fn park_until_shutdown(shared: &Shared) {
    let mut state = shared.state.lock();
    while !state.shutdown {
        shared.work.wait(&mut state);
    }
}
