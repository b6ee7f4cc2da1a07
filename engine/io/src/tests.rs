//! Unit tests of the three storage implementations.

use std::path::{Path, PathBuf};

use super::*;

fn exercise_round_trip(storage: &dyn Storage, dir: &Path) {
    storage.create_dir_all(dir).unwrap();
    let path = dir.join("a.blk");
    let file = storage.open(&path, OpenMode::Create).unwrap();
    assert_eq!(file.append(b"hello ").unwrap(), 0);
    assert_eq!(file.append(b"world").unwrap(), 6);
    file.write_at(b"W", 6).unwrap();
    file.sync().unwrap();
    let mut buf = [0u8; 11];
    file.read_exact_at(&mut buf, 0).unwrap();
    assert_eq!(&buf, b"hello World");
    let mut past = [0u8; 4];
    assert_eq!(file.read_at(&mut past, 11).unwrap(), 0);
    assert!(file.read_exact_at(&mut past, 9).is_err());
    file.truncate(5).unwrap();
    assert_eq!(file.len().unwrap(), 5);
    write_atomic(storage, &dir.join("stream.state"), b"state-1").unwrap();
    write_atomic(storage, &dir.join("stream.state"), b"state-2").unwrap();
    assert_eq!(
        read_all(storage, &dir.join("stream.state"), 64).unwrap(),
        b"state-2"
    );
    assert!(read_all(storage, &dir.join("stream.state"), 3).is_err());
    assert_eq!(
        storage.list_dir(dir).unwrap(),
        vec!["a.blk", "stream.state"]
    );
    storage.remove(&path).unwrap();
    assert!(!storage.exists(&path).unwrap());
    assert!(storage.open(&path, OpenMode::Existing).is_err());
}

fn exercise_lock(storage: &dyn Storage, dir: &Path) {
    storage.create_dir_all(dir).unwrap();
    let path = dir.join("LOCK");
    let first = storage.lock(&path).unwrap();
    let second = storage.lock(&path).unwrap_err();
    assert_eq!(second.kind(), std::io::ErrorKind::WouldBlock);
    drop(first);
    let _again = storage.lock(&path).unwrap();
}

#[test]
fn locks_are_exclusive_until_dropped() {
    let temp = tempfile::tempdir().unwrap();
    exercise_lock(&RealStorage::new(), temp.path());
    exercise_lock(&MemStorage::new(), Path::new("/l"));
}

#[test]
fn real_storage_round_trip() {
    let temp = tempfile::tempdir().unwrap();
    exercise_round_trip(&RealStorage::new(), &temp.path().join("s"));
}

#[test]
fn mem_storage_round_trip() {
    exercise_round_trip(&MemStorage::new(), Path::new("/s"));
}

#[test]
fn fault_storage_without_plan_behaves_like_memory() {
    let storage = FaultStorage::new(MemStorage::new(), FaultPlan::none());
    exercise_round_trip(&storage, Path::new("/s"));
    assert!(storage.ops_attempted() > 10);
    assert!(!storage.has_failed());
}

fn synced_file(mem: &MemStorage, path: &Path, data: &[u8]) -> FileHandle {
    create_dir_durable(mem, path.parent().unwrap()).unwrap();
    let file = mem.open(path, OpenMode::Create).unwrap();
    file.write_at(data, 0).unwrap();
    file.sync().unwrap();
    mem.sync_dir(path.parent().unwrap()).unwrap();
    file
}

#[test]
fn crash_drops_unsynced_bytes_and_keeps_synced_ones() {
    let mem = MemStorage::new();
    let path = PathBuf::from("/d/f");
    let file = synced_file(&mem, &path, b"durable");
    file.append(b"-volatile").unwrap();
    mem.crash(CrashMode::DropUnsynced);
    assert_eq!(mem.file_content(&path).unwrap(), b"durable");
    // The old handle writes into an orphan and cannot change the post-crash state.
    file.write_at(b"XXXX", 0).unwrap();
    assert_eq!(mem.file_content(&path).unwrap(), b"durable");
}

#[test]
fn crash_can_keep_a_torn_prefix_of_appended_bytes() {
    let mem = MemStorage::new();
    let path = PathBuf::from("/d/f");
    let file = synced_file(&mem, &path, b"durable");
    file.append(b"-volatile").unwrap();
    mem.crash(CrashMode::KeepUnsyncedPrefix { bytes: 4 });
    assert_eq!(mem.file_content(&path).unwrap(), b"durable-vol");
}

#[test]
fn crash_can_scramble_unsynced_pages() {
    let mem = MemStorage::new();
    let path = PathBuf::from("/d/f");
    let file = synced_file(&mem, &path, b"durable");
    let growth: Vec<u8> = (0..40_000u32).map(|i| (i % 251 + 1) as u8).collect();
    file.append(&growth).unwrap();
    mem.crash(CrashMode::ScrambleUnsyncedPages {
        seed: 7,
        page_bytes: 4096,
    });
    let after = mem.file_content(&path).unwrap();
    assert_eq!(after.len(), 7 + growth.len());
    assert_eq!(&after[..7], b"durable");
    // Whole file pages after the first (which also holds synced bytes).
    let pages: Vec<bool> = after[4096..]
        .chunks(4096)
        .map(|page| page.iter().all(|b| *b == 0))
        .collect();
    assert!(pages.iter().any(|zeroed| *zeroed), "{pages:?}");
    assert!(pages.iter().any(|zeroed| !*zeroed), "{pages:?}");
}

#[test]
fn crash_keeps_nothing_unsynced_after_an_overwrite() {
    let mem = MemStorage::new();
    let path = PathBuf::from("/d/f");
    let file = synced_file(&mem, &path, b"durable");
    file.write_at(b"D", 0).unwrap();
    file.append(b"+more").unwrap();
    mem.crash(CrashMode::KeepUnsyncedPrefix { bytes: 100 });
    assert_eq!(mem.file_content(&path).unwrap(), b"durable");
}

#[test]
fn directory_entries_need_a_directory_fsync() {
    let mem = MemStorage::new();
    let dir = Path::new("/d");
    synced_file(&mem, &dir.join("kept"), b"k");
    let lost = mem.open(&dir.join("lost"), OpenMode::Create).unwrap();
    lost.write_at(b"fsynced but never linked durably", 0)
        .unwrap();
    lost.sync().unwrap();
    mem.rename(&dir.join("kept"), &dir.join("renamed")).unwrap();
    mem.crash(CrashMode::DropUnsynced);
    assert_eq!(mem.list_dir(dir).unwrap(), vec!["kept"]);
    assert_eq!(mem.file_content(&dir.join("kept")).unwrap(), b"k");
}

#[test]
fn atomic_write_survives_crash_as_old_or_new() {
    let mem = MemStorage::new();
    let dir = Path::new("/d");
    create_dir_durable(&mem, dir).unwrap();
    let path = dir.join("stream.state");
    write_atomic(&mem, &path, b"old").unwrap();
    // Crash at every mutating step of the second write: the file is always old or new.
    for op in 0..8 {
        let faulty = FaultStorage::new(mem.clone(), FaultPlan::crash_at(op, true));
        let done = write_atomic(&faulty, &path, b"new-content").is_ok();
        mem.crash(CrashMode::DropUnsynced);
        let content = mem.file_content(&path).unwrap();
        if done {
            assert_eq!(content, b"new-content", "op {op}");
            write_atomic(&mem, &path, b"old").unwrap();
        } else {
            assert_eq!(content, b"old", "op {op}");
        }
    }
}

#[test]
fn fault_plan_fails_at_the_chosen_op_and_stays_failed() {
    let mem = MemStorage::new();
    let storage = FaultStorage::new(mem.clone(), FaultPlan::crash_at(2, false));
    storage.create_dir_all(Path::new("/d")).unwrap(); // op 0
    let file = storage.open(Path::new("/d/f"), OpenMode::Create).unwrap(); // op 1
    assert!(file.write_at(b"abcd", 0).is_err()); // op 2 fails
    assert!(storage.has_failed());
    assert!(file.sync().is_err());
    assert!(storage.sync_dir(Path::new("/d")).is_err());
    assert_eq!(mem.file_content(Path::new("/d/f")).unwrap(), b"");
    let mut buf = [0u8; 1];
    assert_eq!(file.read_at(&mut buf, 0).unwrap(), 0, "reads still work");
}

#[test]
fn torn_write_lands_only_a_prefix() {
    let mem = MemStorage::new();
    let storage = FaultStorage::new(mem.clone(), FaultPlan::crash_at(2, true));
    storage.create_dir_all(Path::new("/d")).unwrap();
    let file = storage.open(Path::new("/d/f"), OpenMode::Create).unwrap();
    assert!(file.write_at(b"abcdefgh", 0).is_err());
    assert_eq!(mem.file_content(Path::new("/d/f")).unwrap(), b"abcd");
}

#[test]
fn transient_fault_fails_only_once() {
    let plan = FaultPlan {
        fail_at_op: Some(1),
        torn_write: false,
        sticky: false,
    };
    let storage = FaultStorage::new(MemStorage::new(), plan);
    storage.create_dir_all(Path::new("/d")).unwrap();
    assert!(storage.open(Path::new("/d/f"), OpenMode::Create).is_err());
    let file = storage.open(Path::new("/d/f"), OpenMode::Create).unwrap();
    file.write_at(b"ok", 0).unwrap();
    assert_eq!(file.len().unwrap(), 2);
}

#[test]
fn directories_need_their_parent_fsynced() {
    let mem = MemStorage::new();
    mem.create_dir_all(Path::new("/a/b")).unwrap();
    let file = mem.open(Path::new("/a/b/f"), OpenMode::Create).unwrap();
    file.write_at(b"x", 0).unwrap();
    file.sync().unwrap();
    mem.sync_dir(Path::new("/a/b")).unwrap();
    // `/a/b` is fsynced, but neither `/a` nor `/` ever was: the file goes with its directory.
    mem.crash(CrashMode::DropUnsynced);
    assert!(!mem.exists(Path::new("/a")).unwrap());
    assert!(mem.file_content(Path::new("/a/b/f")).is_none());
    create_dir_durable(&mem, Path::new("/a/b")).unwrap();
    let file = mem.open(Path::new("/a/b/f"), OpenMode::Create).unwrap();
    file.write_at(b"x", 0).unwrap();
    file.sync().unwrap();
    mem.sync_dir(Path::new("/a/b")).unwrap();
    mem.crash(CrashMode::DropUnsynced);
    assert_eq!(mem.file_content(Path::new("/a/b/f")).unwrap(), b"x");
}

#[test]
fn unsynced_directory_operations_may_or_may_not_survive() {
    let mut outcomes = std::collections::BTreeSet::new();
    for seed in 0..32u64 {
        let mem = MemStorage::new();
        let dir = Path::new("/d");
        synced_file(&mem, &dir.join("old"), b"o");
        let new = mem.open(&dir.join("new"), OpenMode::Create).unwrap();
        new.sync().unwrap();
        mem.remove(&dir.join("old")).unwrap();
        mem.crash_seeded(CrashMode::DropUnsynced, seed);
        outcomes.insert(mem.list_dir(dir).unwrap());
    }
    // Each of the two operations survived in some runs and not in others.
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
}
