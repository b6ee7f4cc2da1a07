//! Process control: `--signal CMD[=PID]` (send a signal to a running server) and the PID file.
//!
//! The commands are nats-server's: `ldm` (SIGUSR2, lame-duck mode), `stop` (SIGKILL), `quit`
//! (SIGINT), `term` (SIGTERM), `reopen` (SIGUSR1, reopen the log file), `reload` (SIGHUP).
//! The target is a PID, the path of a PID file, the `-P` PID file, or else the single running
//! process named `natrium`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The longest PID file we read: a PID is a handful of digits.
const PID_FILE_BYTES_MAX: u64 = 64;

/// Maps a nats-server signal command to the signal it sends.
pub fn command_signal(command: &str) -> anyhow::Result<Signal> {
    Ok(match command {
        "ldm" => Signal::SIGUSR2,
        "stop" => Signal::SIGKILL,
        "quit" => Signal::SIGINT,
        "term" => Signal::SIGTERM,
        "reopen" => Signal::SIGUSR1,
        "reload" => Signal::SIGHUP,
        _ => bail!("unknown signal {command:?}"),
    })
}

/// Runs `--signal EXPR`: `EXPR` is `CMD` or `CMD=PID` / `CMD=PIDFILE`.
pub fn send(expression: &str, pid_file: Option<&Path>) -> anyhow::Result<()> {
    let (command, target) = match expression.split_once('=') {
        Some((command, target)) => (command, Some(target)),
        None => (expression, None),
    };
    let signal = command_signal(command)?;
    let pid = match (target, pid_file) {
        (Some(target), _) => resolve_target(target)?,
        (None, Some(pid_file)) => read_pid_file(pid_file)?,
        (None, None) => find_single_server()?,
    };
    kill(Pid::from_raw(pid), signal).with_context(|| format!("signal {command:?} {pid}"))?;
    Ok(())
}

/// A PID, or the path of a PID file.
fn resolve_target(target: &str) -> anyhow::Result<i32> {
    match target.parse::<i32>() {
        Ok(pid) if pid > 0 => Ok(pid),
        Ok(_) => bail!("invalid pid: {target}"),
        Err(_) => read_pid_file(Path::new(target)),
    }
}

/// Reads a PID file as written by [`PidFile::create`].
pub fn read_pid_file(path: &Path) -> anyhow::Result<i32> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("could not read pid file {}", path.display()))?
        .len();
    if size > PID_FILE_BYTES_MAX {
        bail!("pid file {} is too large ({size} bytes)", path.display());
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read pid file {}", path.display()))?;
    match text.trim().parse::<i32>() {
        Ok(pid) if pid > 0 => Ok(pid),
        _ => bail!("invalid pid in {}: {:?}", path.display(), text.trim()),
    }
}

/// The one other process named `natrium`, as nats-server finds its peer with `pgrep`.
fn find_single_server() -> anyhow::Result<i32> {
    let own = std::process::id();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc")
        .context("reading /proc")?
        .flatten()
    {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim() == "natrium" {
            found.push(pid);
        }
    }
    match found.as_slice() {
        [] => bail!("no natrium processes running"),
        [pid] => Ok(i32::try_from(*pid)?),
        many => {
            let list: Vec<String> = many.iter().map(u32::to_string).collect();
            bail!("multiple natrium processes running:\n{}", list.join("\n"))
        }
    }
}

/// The `-P` PID file: written at start, removed when dropped.
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes this process's PID to `path` (no newline, as nats-server does).
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        std::fs::write(path, std::process::id().to_string())
            .with_context(|| format!("could not write pid file {}", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // The file may already be gone (removed by an operator); nothing to do then.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_map_like_go() {
        assert_eq!(command_signal("ldm").expect("ldm"), Signal::SIGUSR2);
        assert_eq!(command_signal("stop").expect("stop"), Signal::SIGKILL);
        assert_eq!(command_signal("quit").expect("quit"), Signal::SIGINT);
        assert_eq!(command_signal("term").expect("term"), Signal::SIGTERM);
        assert_eq!(command_signal("reopen").expect("reopen"), Signal::SIGUSR1);
        assert_eq!(command_signal("reload").expect("reload"), Signal::SIGHUP);
        assert!(command_signal("bogus").is_err());
    }

    #[test]
    fn pid_file_round_trip_and_removal() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("natrium.pid");
        {
            let _pid_file = PidFile::create(&path).expect("create");
            let pid = read_pid_file(&path).expect("read");
            assert_eq!(u32::try_from(pid).expect("positive"), std::process::id());
            assert_eq!(
                resolve_target(path.to_str().expect("utf8")).expect("by path"),
                pid
            );
        }
        assert!(!path.exists(), "removed on drop");
        assert_eq!(resolve_target("42").expect("numeric"), 42);
        assert!(resolve_target("0").is_err());
    }

    #[test]
    fn bad_pid_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bad.pid");
        std::fs::write(&path, "not a pid").expect("write");
        assert!(read_pid_file(&path).is_err());
        std::fs::write(&path, "1".repeat(100)).expect("write");
        assert!(read_pid_file(&path).is_err());
        assert!(read_pid_file(&dir.path().join("missing.pid")).is_err());
    }
}
