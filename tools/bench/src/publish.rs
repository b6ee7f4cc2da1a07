//! The publisher hot path: one pre-formatted `PUB` frame repeated into a large batch and
//! written with one `write_all` per batch, so the bench spends its time in the kernel copy,
//! not in formatting.
//!
//! A publisher only writes; a helper thread drains what the server sends back on the same
//! socket (its `PING`s, `-ERR`s and the final `PONG`) so the server's output never fills up.
//! Only the publisher thread writes to the socket, so frames never interleave.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use anyhow::{Result, bail};

use crate::conn::{Conn, fill};
use crate::frame::{Frame, FrameBuffer};
use crate::stats::ClientRun;

/// Largest batch assembled for one write, whatever `--batch-bytes` asks for.
pub const BATCH_BYTES_MAX: usize = 16 * 1024 * 1024;

/// What one publisher sends.
#[derive(Clone, Debug)]
pub struct PublishPlan {
    pub subject: String,
    pub payload_bytes: usize,
    pub msgs: u64,
    /// Target size of one write; at least one whole frame is written per batch.
    pub batch_bytes: usize,
    pub deadline: Instant,
}

/// Events the drain thread reports to the publisher.
#[derive(Default)]
struct Drained {
    pings: AtomicU64,
    /// Set by the publisher when it is done; the drain thread exits at its next idle poll.
    stop: AtomicBool,
    error: Mutex<Option<String>>,
}

/// Publishes `plan.msgs` messages on an open connection and waits for the server to
/// acknowledge them all (a final `PING`/`PONG`). The time span runs from the first write
/// to that `PONG`.
pub fn publish(conn: Conn, plan: &PublishPlan) -> ClientRun {
    let mut run = ClientRun::default();
    if let Err(error) = publish_inner(conn, plan, &mut run) {
        run.error = Some(format!("publisher: {error:#}"));
    }
    run
}

/// The fallible body of [`publish`]: starts the drain thread, sends, and always joins the
/// drain thread; a send error is explained by the server's `-ERR` when one arrived.
fn publish_inner(conn: Conn, plan: &PublishPlan, run: &mut ClientRun) -> Result<()> {
    let Conn {
        mut stream,
        inbound,
    } = conn;
    let drained = Arc::new(Drained::default());
    let (pong_sender, pong_receiver) = mpsc::channel();
    let drain_stream = stream.try_clone()?;
    let drain_state = Arc::clone(&drained);
    let drainer = thread::spawn(move || drain(drain_stream, inbound, &drain_state, &pong_sender));
    let sent = send_all(&mut stream, plan, &drained, &pong_receiver);
    // The drain thread reads what is still pending (an -ERR explaining a broken pipe), then
    // stops at its next idle poll.
    drained.stop.store(true, Ordering::Relaxed);
    let _ = drainer.join();
    let _ = stream.shutdown(Shutdown::Both);
    let (started, finished) = match (sent, drained_error(&drained)) {
        (Ok(span), _) => span,
        (Err(error), Some(server)) => bail!("{server} ({error:#})"),
        (Err(error), None) => return Err(error),
    };
    run.msgs = plan.msgs;
    run.payload_bytes = plan.msgs * plan.payload_bytes as u64;
    run.first = Some(started);
    run.last = Some(finished);
    Ok(())
}

/// Writes every batch, answering server `PING`s between batches, then flushes with a
/// `PING` and waits for its `PONG`. Returns when the first and last message moved.
fn send_all(
    stream: &mut TcpStream,
    plan: &PublishPlan,
    drained: &Drained,
    pongs: &Receiver<()>,
) -> Result<(Instant, Instant)> {
    let frame = pub_frame(&plan.subject, plan.payload_bytes);
    let batch = frame.repeat(frames_per_batch(frame.len(), plan.batch_bytes));
    let frames_per_batch = (batch.len() / frame.len()) as u64;
    let mut remaining = plan.msgs;
    let mut pongs_sent = 0u64;
    let started = Instant::now();
    while remaining > 0 {
        let frames = remaining.min(frames_per_batch);
        let bytes = frames as usize * frame.len();
        stream.write_all(batch.get(..bytes).unwrap_or(&batch))?;
        remaining -= frames;
        answer_pings(stream, drained, &mut pongs_sent)?;
        if let Some(text) = drained_error(drained) {
            bail!("{text}");
        }
        if Instant::now() >= plan.deadline {
            bail!("timed out with {remaining} messages unsent");
        }
    }
    stream.write_all(b"PING\r\n")?;
    await_pong(pongs, plan.deadline)?;
    Ok((started, Instant::now()))
}

/// `PUB subject len\r\n` + payload + `\r\n`; the payload is a fixed printable pattern.
pub fn pub_frame(subject: &str, payload_bytes: usize) -> Vec<u8> {
    let mut frame = format!("PUB {subject} {payload_bytes}\r\n").into_bytes();
    frame.extend((0..payload_bytes).map(|at| b'a' + (at % 26) as u8));
    frame.extend_from_slice(b"\r\n");
    frame
}

/// How many whole frames fit in one write of about `batch_bytes` (at least one).
fn frames_per_batch(frame_bytes: usize, batch_bytes: usize) -> usize {
    (batch_bytes.min(BATCH_BYTES_MAX) / frame_bytes.max(1)).max(1)
}

/// Answers the server's keep-alive `PING`s seen by the drain thread since the last call.
fn answer_pings(stream: &mut TcpStream, drained: &Drained, pongs_sent: &mut u64) -> Result<()> {
    let pings = drained.pings.load(Ordering::Relaxed);
    while *pongs_sent < pings {
        stream.write_all(b"PONG\r\n")?;
        *pongs_sent += 1;
    }
    Ok(())
}

/// The server's `-ERR` (or the read error) seen by the drain thread, if any.
fn drained_error(drained: &Drained) -> Option<String> {
    drained.error.lock().ok().and_then(|error| error.clone())
}

/// Waits for the final flush's `PONG` until `deadline`.
fn await_pong(receiver: &Receiver<()>, deadline: Instant) -> Result<()> {
    let wait = deadline.saturating_duration_since(Instant::now());
    match receiver.recv_timeout(wait) {
        Ok(()) => Ok(()),
        Err(RecvTimeoutError::Timeout) => bail!("timed out waiting for the final PONG"),
        Err(RecvTimeoutError::Disconnected) => bail!("connection closed before the final PONG"),
    }
}

/// Reads everything the server sends to a publisher until the socket is shut down.
fn drain(mut stream: TcpStream, mut inbound: FrameBuffer, drained: &Drained, pongs: &Sender<()>) {
    let outcome = (|| -> Result<()> {
        loop {
            while let Some(frame) = inbound.next_frame()? {
                match frame {
                    Frame::Ping => {
                        drained.pings.fetch_add(1, Ordering::Relaxed);
                    }
                    Frame::Pong => {
                        let _ = pongs.send(());
                    }
                    Frame::Err(text) => bail!("server error: {text}"),
                    Frame::Msg { .. } | Frame::Info(_) | Frame::Ok => {}
                }
            }
            if !fill(&mut stream, &mut inbound)? && drained.stop.load(Ordering::Relaxed) {
                return Ok(());
            }
        }
    })();
    if let (Err(error), Ok(mut slot)) = (outcome, drained.error.lock()) {
        slot.get_or_insert(format!("{error:#}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pub_frame_announces_its_payload_length() {
        let frame = pub_frame("bench.x", 5);
        assert_eq!(frame, b"PUB bench.x 5\r\nabcde\r\n");
        assert_eq!(pub_frame("s", 0), b"PUB s 0\r\n\r\n");
    }

    #[test]
    fn batches_hold_whole_frames_and_at_least_one() {
        assert_eq!(frames_per_batch(100, 1000), 10);
        assert_eq!(frames_per_batch(100, 1050), 10);
        assert_eq!(frames_per_batch(20_000, 1000), 1);
        assert_eq!(frames_per_batch(1, usize::MAX), BATCH_BYTES_MAX);
    }
}
