//! `consumer-reset`: sets one consumer's state file aside so the consumer starts over empty
//! (its messages may be delivered again; none is skipped). For a state file that does not
//! decode (`verify` names it) under `Strict`, which refuses it, or to restart a consumer on
//! purpose. The bytes go to `quarantine/`, never deleted; the stream lock is taken
//! exclusively, so no running store has the stream open.

use std::path::Path;

use anyhow::{Context, Result, bail};
use natrium_format::names;
use natrium_recovery::fsutil::{create_dir, read_file, write_atomic};
use natrium_recovery::{RealStorage, Storage};

use crate::cli::ConsumerResetArgs;
use crate::lock::{Access, lock};

/// Copies beyond this many of one consumer in quarantine/ are refused (each reset adds one).
const QUARANTINE_COPIES_MAX: u32 = 1000;

pub fn consumer_reset(args: &ConsumerResetArgs) -> Result<bool> {
    let dir = &args.stream.dir;
    let _lock = lock(dir, Access::Rewrite)?;
    let storage = RealStorage;
    let consumers = dir.join(names::CONSUMERS_DIR);
    let file_name = format!("{}.state", args.name);
    // Only a name listed in consumers/ is accepted: no path can be smuggled in.
    let listed = storage
        .list_dir(&consumers)
        .with_context(|| format!("cannot list {}", consumers.display()))?;
    if !listed.contains(&file_name) {
        bail!(
            "no state for consumer {:?} in {}",
            args.name,
            consumers.display()
        );
    }
    let path = consumers.join(&file_name);
    let bytes = read_file(&storage, &path)?;
    let quarantine = dir.join(names::QUARANTINE_DIR);
    create_dir(&storage, &quarantine)?;
    let copy = free_copy_path(&storage, &quarantine, &args.name)?;
    write_atomic(&storage, &copy, &bytes)?;
    storage
        .remove(&path)
        .and_then(|()| storage.sync_dir(&consumers))
        .with_context(|| format!("cannot remove {}", path.display()))?;
    println!(
        "consumer {:?}: state moved to {}; it starts over empty at the next open (messages \
         may be delivered again)",
        args.name,
        copy.display()
    );
    Ok(true)
}

/// `quarantine/consumer.<name>.state.bad`, or `.bad.N` when earlier resets left copies.
fn free_copy_path(
    storage: &RealStorage,
    quarantine: &Path,
    name: &str,
) -> Result<std::path::PathBuf> {
    let base = format!("consumer.{name}.state.bad");
    for attempt in 0..QUARANTINE_COPIES_MAX {
        let candidate = if attempt == 0 {
            quarantine.join(&base)
        } else {
            quarantine.join(format!("{base}.{attempt}"))
        };
        if !storage.exists(&candidate)? {
            return Ok(candidate);
        }
    }
    bail!(
        "{} already holds {QUARANTINE_COPIES_MAX} copies of consumer {name:?}",
        quarantine.display()
    )
}
