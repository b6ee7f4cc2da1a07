//! `js-pub`: publishes to a stream and awaits each PubAck, keeping up to `--window`
//! acknowledgements outstanding (1: publish, wait, repeat). The same publisher fills the
//! streams the consumer modes read, outside their measured phase.

use std::time::Instant;

use anyhow::{Result, bail};
use async_nats::jetstream::Context;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;

use super::JsPlan;
use super::measure::{Measured, Phase, before, within};
use super::setup::recreate_stream;
use crate::run::Settings;

/// PubAcks outstanding while filling a stream for a consumer mode.
pub const FILL_WINDOW: usize = 256;
/// Largest `--window` accepted: every outstanding PubAck holds a subscription slot.
pub const WINDOW_MAX: usize = 65_536;

/// Creates the stream, then publishes `settings.msgs` messages as the measured phase; the
/// latency of a message runs from its publish to its PubAck.
pub async fn run(context: &Context, settings: &Settings, plan: &JsPlan) -> Result<Measured> {
    recreate_stream(context, plan, &settings.subject, settings.deadline).await?;
    let payload = Bytes::from(vec![b'a'; settings.payload_bytes]);
    let mut phase = Phase::start(plan.server_pid, true);
    let target = Target {
        subject: &settings.subject,
        payload,
        msgs: settings.msgs,
        window: plan.window,
        deadline: settings.deadline,
    };
    let outcome = publish_acked(context, &target, &mut phase).await;
    Ok(phase.finish(outcome))
}

/// Fills the stream on `subject` with `msgs` messages of `payload_bytes`, untimed.
pub async fn fill(context: &Context, settings: &Settings) -> Result<()> {
    let mut untimed = Phase::start(None, false);
    let target = Target {
        subject: &settings.subject,
        payload: Bytes::from(vec![b'a'; settings.payload_bytes]),
        msgs: settings.msgs,
        window: FILL_WINDOW,
        deadline: settings.deadline,
    };
    publish_acked(context, &target, &mut untimed).await
}

/// What one publisher sends.
struct Target<'a> {
    subject: &'a str,
    payload: Bytes,
    msgs: u64,
    window: usize,
    deadline: Instant,
}

/// Publishes with at most `target.window` PubAcks outstanding; each PubAck is a message
/// moved. A negative PubAck (an error from the stream) stops the run.
async fn publish_acked(context: &Context, target: &Target<'_>, phase: &mut Phase) -> Result<()> {
    if target.window == 0 || target.window > WINDOW_MAX {
        bail!("--window must be between 1 and {WINDOW_MAX}");
    }
    let mut outstanding = FuturesUnordered::new();
    let mut sent = 0u64;
    while sent < target.msgs || !outstanding.is_empty() {
        if sent < target.msgs && outstanding.len() < target.window {
            let started = Instant::now();
            let publishing = context.publish(target.subject.to_string(), target.payload.clone());
            let ack = within(target.deadline, "publishing", publishing).await?;
            outstanding.push(async move { (started, ack.await) });
            sent += 1;
            continue;
        }
        let acked = before(target.deadline, "awaiting a PubAck", outstanding.next()).await?;
        let Some((started, ack)) = acked else {
            bail!("PubAcks outstanding went missing");
        };
        if let Err(error) = ack {
            bail!("PubAck {} of {}: {error}", phase.msgs() + 1, target.msgs);
        }
        let now = Instant::now();
        phase.latency(started, now);
        phase.record(target.payload.len(), now);
    }
    Ok(())
}
