//! `js-fetch`: a durable pull consumer with explicit acks drains a pre-filled stream in
//! fetches of `--batch` messages, acknowledging each message with `+ACK` before the next
//! fetch. The latency is one fetch: from its request to its last message, acks included.

use std::time::Instant;

use anyhow::Result;
use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use async_nats::jetstream::{AckKind, Context};
use futures::StreamExt;

use super::JsPlan;
use super::measure::{Measured, Phase, before, within};
use super::publish::fill;
use super::setup::recreate_stream;
use crate::run::Settings;

/// The durable consumer's name; it goes with the stream, which every run recreates.
const DURABLE: &str = "natrium-bench-pull";
/// Largest `--batch` accepted (Go refuses pull requests above its max_request_batch).
pub const BATCH_MAX: usize = 10_000;

/// Creates and fills the stream, creates the durable consumer, then fetches and acks
/// `settings.msgs` messages as the measured phase.
pub async fn run(context: &Context, settings: &Settings, plan: &JsPlan) -> Result<Measured> {
    anyhow::ensure!(
        (1..=BATCH_MAX).contains(&plan.batch),
        "--batch must be between 1 and {BATCH_MAX}"
    );
    let stream = recreate_stream(context, plan, &settings.subject, settings.deadline).await?;
    fill(context, settings).await?;
    let config = pull::Config {
        durable_name: Some(DURABLE.into()),
        ack_policy: AckPolicy::Explicit,
        ..pull::Config::default()
    };
    let creating = stream.create_consumer(config);
    let consumer = within(settings.deadline, "creating the consumer", creating).await?;
    let mut phase = Phase::start(plan.server_pid, true);
    let outcome = drain(&consumer, settings, plan.batch, &mut phase).await;
    Ok(phase.finish(outcome))
}

/// Fetches until `settings.msgs` messages were received and acknowledged.
async fn drain(
    consumer: &PullConsumer,
    settings: &Settings,
    batch: usize,
    phase: &mut Phase,
) -> Result<()> {
    let deadline = settings.deadline;
    while phase.msgs() < settings.msgs {
        let started = Instant::now();
        let fetching = consumer.fetch().max_messages(batch).messages();
        let mut messages = within(deadline, "fetching", fetching).await?;
        while let Some(message) = before(deadline, "receiving a fetch", messages.next()).await? {
            let message = message.map_err(|error| anyhow::anyhow!("fetch: {error}"))?;
            within(deadline, "acking", message.ack_with(AckKind::Ack)).await?;
            phase.record(message.payload.len(), Instant::now());
        }
        phase.latency(started, Instant::now());
    }
    Ok(())
}
