//! `js-ordered`: an ordered push consumer (async-nats `OrderedConfig`: ephemeral, no acks,
//! flow control and heartbeats) reads a pre-filled stream from its first message. Only the
//! rate is measured: a push consumer has no per-message round trip to time.

use std::time::Instant;

use anyhow::{Result, bail};
use async_nats::jetstream::Context;
use async_nats::jetstream::consumer::push;
use futures::StreamExt;

use super::JsPlan;
use super::measure::{Measured, Phase, before, within};
use super::publish::fill;
use super::setup::recreate_stream;
use crate::run::Settings;

/// Creates and fills the stream; the measured phase creates the consumer and receives
/// `settings.msgs` messages.
pub async fn run(context: &Context, settings: &Settings, plan: &JsPlan) -> Result<Measured> {
    let stream = recreate_stream(context, plan, &settings.subject, settings.deadline).await?;
    fill(context, settings).await?;
    let config = push::OrderedConfig {
        deliver_subject: context.client().new_inbox(),
        ..push::OrderedConfig::default()
    };
    let mut phase = Phase::start(plan.server_pid, false);
    let outcome = async {
        let creating = stream.create_consumer(config);
        let consumer = within(settings.deadline, "creating the consumer", creating).await?;
        let subscribing = consumer.messages();
        let mut messages = within(settings.deadline, "subscribing", subscribing).await?;
        while phase.msgs() < settings.msgs {
            let next = before(settings.deadline, "receiving", messages.next()).await?;
            match next {
                Some(Ok(message)) => phase.record(message.payload.len(), Instant::now()),
                Some(Err(error)) => bail!("ordered consumer: {error}"),
                None => bail!("the ordered consumer ended"),
            }
        }
        Ok(())
    }
    .await;
    Ok(phase.finish(outcome))
}
