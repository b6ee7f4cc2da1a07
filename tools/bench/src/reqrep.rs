//! Request/reply: services in one queue group answer each request with its own payload;
//! requesters send one request at a time and record the round-trip latency of each.
//!
//! Requesters use a private inbox `<prefix>.<seq>` per request so a late reply to an
//! earlier, timed-out request is never taken for the current one.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::conn::{Conn, fill};
use crate::frame::Frame;
use crate::stats::{ClientRun, Latencies};

/// How long one request waits for its reply before it counts as lost.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// A service flushes its replies once this many bytes are pending, even mid-read.
const REPLY_BATCH_BYTES_MAX: usize = 1024 * 1024;

/// Answers requests until `stop` is set; returns how many it answered.
pub fn serve(conn: Conn, stop: &AtomicBool) -> ClientRun {
    let mut run = ClientRun::default();
    if let Err(error) = serve_inner(conn, stop, &mut run) {
        run.error = Some(format!("service: {error:#}"));
    }
    run
}

/// The fallible body of [`serve`]: replies to one read's requests go out in one write.
fn serve_inner(conn: Conn, stop: &AtomicBool, run: &mut ClientRun) -> Result<()> {
    let Conn {
        mut stream,
        mut inbound,
    } = conn;
    let mut replies = Vec::with_capacity(64 * 1024);
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        while let Some(frame) = inbound.next_frame()? {
            match frame {
                Frame::Msg {
                    reply: Some(reply),
                    payload,
                    ..
                } => {
                    append_pub(&mut replies, reply, payload);
                    run.record(payload.len(), now);
                }
                Frame::Ping => replies.extend_from_slice(b"PONG\r\n"),
                Frame::Err(text) => bail!("server error: {text}"),
                Frame::Msg { reply: None, .. } | Frame::Pong | Frame::Info(_) | Frame::Ok => {}
            }
            if replies.len() >= REPLY_BATCH_BYTES_MAX {
                stream.write_all(&replies)?;
                replies.clear();
            }
        }
        if !replies.is_empty() {
            stream.write_all(&replies)?;
            replies.clear();
        }
        fill(&mut stream, &mut inbound)?;
    }
    Ok(())
}

/// Appends `PUB subject [reply] len\r\n` + payload + `\r\n`.
fn append_pub(out: &mut Vec<u8>, subject: &[u8], payload: &[u8]) {
    out.extend_from_slice(b"PUB ");
    out.extend_from_slice(subject);
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
}

/// What one requester does.
#[derive(Clone, Debug)]
pub struct RequestPlan {
    pub subject: String,
    pub payload_bytes: usize,
    pub requests: u64,
    /// Unique per requester; replies arrive on `<inbox>.<seq>`.
    pub inbox: String,
    pub deadline: Instant,
}

/// A requester's outcome: completed requests, their latencies, and how many timed out.
pub struct Requested {
    pub run: ClientRun,
    pub latencies: Latencies,
    pub timeouts: u64,
}

/// Sends `plan.requests` requests one after another, each waiting for its reply.
pub fn request(conn: Conn, plan: &RequestPlan) -> Requested {
    let mut outcome = Requested {
        run: ClientRun::default(),
        latencies: Latencies::new(),
        timeouts: 0,
    };
    if let Err(error) = request_inner(conn, plan, &mut outcome) {
        outcome.run.error = Some(format!("requester: {error:#}"));
    }
    outcome
}

/// The fallible body of [`request`]: one request in flight, timed from write to reply.
fn request_inner(mut conn: Conn, plan: &RequestPlan, outcome: &mut Requested) -> Result<()> {
    let payload = vec![b'r'; plan.payload_bytes];
    let mut frame = Vec::with_capacity(plan.payload_bytes + 128);
    for seq in 0..plan.requests {
        let reply = format!("{}.{seq}", plan.inbox);
        frame.clear();
        frame.extend_from_slice(format!("PUB {} ", plan.subject).as_bytes());
        append_pub_tail(&mut frame, &reply, &payload);
        let sent = Instant::now();
        conn.stream.write_all(&frame)?;
        let request_deadline = (sent + REQUEST_TIMEOUT).min(plan.deadline);
        if await_reply(&mut conn, reply.as_bytes(), request_deadline)? {
            let received = Instant::now();
            let nanos = received.duration_since(sent).as_nanos();
            outcome
                .latencies
                .record_ns(u64::try_from(nanos).unwrap_or(u64::MAX));
            outcome.run.record(plan.payload_bytes, received);
        } else {
            outcome.timeouts += 1;
        }
        if Instant::now() >= plan.deadline {
            bail!("run deadline passed after {} requests", seq + 1);
        }
    }
    Ok(())
}

/// Completes `PUB subject ` with `reply len\r\n` + payload + `\r\n`.
fn append_pub_tail(out: &mut Vec<u8>, reply: &str, payload: &[u8]) {
    out.extend_from_slice(reply.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
}

/// Reads until a `MSG` on `reply` arrives (`true`) or `deadline` passes (`false`).
fn await_reply(conn: &mut Conn, reply: &[u8], deadline: Instant) -> Result<bool> {
    loop {
        while let Some(frame) = conn.inbound.next_frame()? {
            match frame {
                Frame::Msg { subject, .. } if subject == reply => return Ok(true),
                Frame::Ping => conn.stream.write_all(b"PONG\r\n")?,
                Frame::Err(text) => bail!("server error: {text}"),
                Frame::Msg { .. } | Frame::Pong | Frame::Info(_) | Frame::Ok => {}
            }
        }
        if !fill(&mut conn.stream, &mut conn.inbound)? && Instant::now() >= deadline {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_and_requests_are_well_formed_pub_frames() {
        let mut out = Vec::new();
        append_pub(&mut out, b"_INBOX.a.7", b"hey");
        assert_eq!(out, b"PUB _INBOX.a.7 3\r\nhey\r\n");
        let mut request = b"PUB svc ".to_vec();
        append_pub_tail(&mut request, "_INBOX.b.0", b"");
        assert_eq!(request, b"PUB svc _INBOX.b.0 0\r\n\r\n");
    }
}
