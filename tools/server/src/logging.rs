//! Logging in the Go server's format: `[PID] 2026/11/22 04:26:45.123456 [INF] message`.
//!
//! A `tracing` layer formats events from natrium's own crates (targets `natrium*`; the HTTP
//! stack's internals stay quiet) and writes each line with one `write_all` to stderr or to the
//! log file. `-D` enables `[DBG]` and `-V` enables `[TRC]` independently, as in Go; both can be
//! changed at runtime (config reload), and the log file can be reopened (SIGUSR1, for log
//! rotation).
//!
//! Concurrency: one mutex around the output, held only for the write of one line.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

use crate::timefmt;

/// Where log lines go.
enum Output {
    Stderr,
    File { path: PathBuf, file: File },
}

/// The shared logger state: output and level switches.
pub struct Logger {
    output: Mutex<Output>,
    debug: AtomicBool,
    trace: AtomicBool,
    timestamps: AtomicBool,
    pid: u32,
}

impl Logger {
    /// A logger writing to `log_file`, or to stderr when `None`.
    pub fn new(log_file: Option<&Path>, debug: bool, trace: bool) -> std::io::Result<Arc<Self>> {
        let output = match log_file {
            Some(path) => Output::File {
                path: path.to_owned(),
                file: open_append(path)?,
            },
            None => Output::Stderr,
        };
        Ok(Arc::new(Self {
            output: Mutex::new(output),
            debug: AtomicBool::new(debug),
            trace: AtomicBool::new(trace),
            timestamps: AtomicBool::new(true),
            pid: std::process::id(),
        }))
    }

    /// Installs this logger as the global `tracing` subscriber.
    pub fn install(self: &Arc<Self>) -> anyhow::Result<()> {
        tracing_subscriber::registry()
            .with(GoFormatLayer {
                logger: Arc::clone(self),
            })
            .try_init()?;
        Ok(())
    }

    /// Switches `[DBG]` and `[TRC]` output.
    pub fn set_levels(&self, debug: bool, trace: bool) {
        self.debug.store(debug, Ordering::Relaxed);
        self.trace.store(trace, Ordering::Relaxed);
    }

    /// Reopens the log file (after a log rotation moved it away). Returns false when logging
    /// to stderr (nothing to reopen).
    pub fn reopen(&self) -> std::io::Result<bool> {
        let mut output = self.output.lock();
        match &mut *output {
            Output::File { path, file } => {
                *file = open_append(path)?;
                Ok(true)
            }
            Output::Stderr => Ok(false),
        }
    }

    fn level_enabled(&self, level: Level) -> bool {
        match level {
            Level::ERROR | Level::WARN | Level::INFO => true,
            Level::DEBUG => self.debug.load(Ordering::Relaxed),
            Level::TRACE => self.trace.load(Ordering::Relaxed),
        }
    }

    /// Formats one line: `[PID] date [LVL] message`, or `[PID] [LVL] message` without
    /// timestamps.
    pub fn format_line(&self, time: SystemTime, level: Level, message: &str) -> String {
        let tag = match level {
            Level::ERROR => "ERR",
            Level::WARN => "WRN",
            Level::INFO => "INF",
            Level::DEBUG => "DBG",
            Level::TRACE => "TRC",
        };
        if self.timestamps.load(Ordering::Relaxed) {
            let stamp = timefmt::log_timestamp(time);
            format!("[{}] {stamp} [{tag}] {message}\n", self.pid)
        } else {
            format!("[{}] [{tag}] {message}\n", self.pid)
        }
    }

    /// Switches timestamps on or off (`-T=false`, config `logtime: false`).
    pub fn set_timestamps(&self, on: bool) {
        self.timestamps.store(on, Ordering::Relaxed);
    }

    fn write_line(&self, line: &str) {
        let mut output = self.output.lock();
        // A failed log write has nowhere better to be reported; the line is dropped.
        let _ = match &mut *output {
            Output::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
            Output::File { file, .. } => file.write_all(line.as_bytes()),
        };
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// The `tracing` layer that writes through a [`Logger`].
struct GoFormatLayer {
    logger: Arc<Logger>,
}

/// True for events from natrium's crates (the binary's target is `natrium_server`).
fn is_ours(metadata: &Metadata<'_>) -> bool {
    metadata.target().starts_with("natrium")
}

impl<S: Subscriber> Layer<S> for GoFormatLayer {
    fn enabled(&self, metadata: &Metadata<'_>, _context: Context<'_, S>) -> bool {
        is_ours(metadata) && self.logger.level_enabled(*metadata.level())
    }

    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        let metadata = event.metadata();
        if !is_ours(metadata) || !self.logger.level_enabled(*metadata.level()) {
            return;
        }
        let mut visitor = MessageVisitor::default();
        event.record(&mut visitor);
        let line = self
            .logger
            .format_line(SystemTime::now(), *metadata.level(), &visitor.text);
        self.logger.write_line(&line);
    }
}

/// Collects the `message` field first and any other fields as ` key=value`.
#[derive(Default)]
struct MessageVisitor {
    text: String,
    fields: String,
}

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.text, "{value:?}");
            self.text.push_str(&std::mem::take(&mut self.fields));
        } else if self.text.is_empty() {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        } else {
            let _ = write!(self.text, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.text.push_str(value);
            self.text.push_str(&std::mem::take(&mut self.fields));
        } else {
            self.record_debug(field, &value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn line_format_matches_go() {
        let logger = Logger::new(None, false, false).expect("stderr logger");
        let time = UNIX_EPOCH + Duration::new(1_795_321_605, 123_456_000);
        let line = logger.format_line(time, Level::INFO, "Server is ready");
        let pid = std::process::id();
        assert_eq!(
            line,
            format!("[{pid}] 2026/11/22 04:26:45.123456 [INF] Server is ready\n")
        );
        assert!(
            logger
                .format_line(time, Level::WARN, "x")
                .contains(" [WRN] x")
        );
        assert!(
            logger
                .format_line(time, Level::TRACE, "x")
                .contains(" [TRC] x")
        );
    }

    #[test]
    fn levels_switch_independently() {
        let logger = Logger::new(None, false, true).expect("stderr logger");
        assert!(logger.level_enabled(Level::INFO));
        assert!(!logger.level_enabled(Level::DEBUG));
        assert!(logger.level_enabled(Level::TRACE));
        logger.set_levels(true, false);
        assert!(logger.level_enabled(Level::DEBUG));
        assert!(!logger.level_enabled(Level::TRACE));
    }

    #[test]
    fn file_output_and_reopen() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("natrium.log");
        let logger = Logger::new(Some(&path), false, false).expect("file logger");
        logger.write_line("one\n");
        let rotated = dir.path().join("natrium.log.1");
        std::fs::rename(&path, &rotated).expect("rotate");
        assert!(logger.reopen().expect("reopen"), "a file logger reopens");
        logger.write_line("two\n");
        assert_eq!(std::fs::read_to_string(&rotated).expect("rotated"), "one\n");
        assert_eq!(std::fs::read_to_string(&path).expect("new log"), "two\n");
    }
}
