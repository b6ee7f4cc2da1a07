//! The subscriber hot path: large reads parsed in place, each `MSG` counted exactly once,
//! until the expected count arrives, the deadline passes, or the run is stopped.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Result, bail};

use crate::conn::{Conn, fill};
use crate::frame::Frame;
use crate::stats::ClientRun;

/// Subscribes on an open connection and confirms the server registered the interest (a
/// `PING`/`PONG` round trip after `SUB`), so publishers may start right after this returns.
pub fn prepare(
    conn: &mut Conn,
    subject: &str,
    queue: Option<&str>,
    deadline: Instant,
) -> Result<()> {
    let line = match queue {
        Some(queue) => format!("SUB {subject} {queue} 1\r\n"),
        None => format!("SUB {subject} 1\r\n"),
    };
    conn.stream.write_all(line.as_bytes())?;
    conn.flush(deadline)
}

/// Counts messages until `expected` arrived. Messages of one read share one timestamp: a
/// clock read per read, not per message.
pub fn count(conn: Conn, expected: u64, deadline: Instant, stop: &AtomicBool) -> ClientRun {
    let mut run = ClientRun::default();
    if let Err(error) = count_inner(conn, expected, deadline, stop, &mut run) {
        run.error = Some(format!("subscriber: {error:#}"));
    }
    run
}

/// The fallible body of [`count`]; stops with an error at the deadline or on `stop`.
fn count_inner(
    conn: Conn,
    expected: u64,
    deadline: Instant,
    stop: &AtomicBool,
    run: &mut ClientRun,
) -> Result<()> {
    let Conn {
        mut stream,
        mut inbound,
    } = conn;
    let mut now = Instant::now();
    while run.msgs < expected {
        while let Some(frame) = inbound.next_frame()? {
            match frame {
                Frame::Msg { payload, .. } => run.record(payload.len(), now),
                Frame::Ping => stream.write_all(b"PONG\r\n")?,
                Frame::Err(text) => bail!("server error: {text}"),
                Frame::Pong | Frame::Info(_) | Frame::Ok => {}
            }
            if run.msgs >= expected {
                return Ok(());
            }
        }
        fill(&mut stream, &mut inbound)?;
        now = Instant::now();
        if now >= deadline || stop.load(Ordering::Relaxed) {
            bail!(
                "received {} of {expected} messages before the end of the run",
                run.msgs
            );
        }
    }
    Ok(())
}
