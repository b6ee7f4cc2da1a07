//! The JetStream and KV modes over the async-nats crate: publish with PubAcks (`js-pub`,
//! one or a window of acknowledgements outstanding), a durable pull consumer that fetches
//! and acknowledges (`js-fetch`), an ordered push consumer (`js-ordered`), and KV puts and
//! gets (`kv-put`, `kv-get`).
//!
//! Each mode creates its own stream or bucket through the JetStream API, deleting it first so
//! a rerun starts clean, fills it when it reads, and only then starts its measured phase
//! (see [`measure::Phase`]): rates, latencies and the server's CPU (`--server-pid`) cover
//! that phase alone. Every wait is bounded by the run's deadline.

mod fetch;
mod kv;
mod measure;
mod ordered;
mod publish;
mod setup;

use anyhow::{Context as _, Result};
use async_nats::jetstream;

use crate::report::Report;
use crate::run::Settings;
use crate::via_async_nats::connect;

use self::measure::Measured;

/// Which JetStream scenario to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsMode {
    Publish,
    Fetch,
    Ordered,
    KvPut,
    KvGet,
}

/// Where a stream or bucket keeps its messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    Memory,
    File,
}

/// The JetStream-specific parameters of a run.
#[derive(Clone, Debug)]
pub struct JsPlan {
    pub mode: JsMode,
    pub storage: Storage,
    /// PubAcks outstanding at once (1: publish, wait for the PubAck, repeat).
    pub window: usize,
    /// Messages asked for per pull request.
    pub batch: usize,
    /// Distinct KV keys the puts and gets cycle over.
    pub keys: usize,
    pub stream: String,
    pub bucket: String,
    /// The server's process id, to read its CPU time around the measured phase.
    pub server_pid: Option<u32>,
}

/// Runs one JetStream mode on its own tokio runtime.
pub fn run(settings: &Settings, plan: &JsPlan) -> Result<Report> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(run_async(settings, plan))
}

async fn run_async(settings: &Settings, plan: &JsPlan) -> Result<Report> {
    let mut report = Report::new(settings);
    report.client = "async-nats".into();
    let client = connect(settings).await?;
    // The context's own limit on outstanding PubAcks must not be the one measured.
    let context = jetstream::ContextBuilder::new()
        .max_ack_inflight(plan.window.max(publish::FILL_WINDOW) * 2)
        .build(client);
    let measured = match plan.mode {
        JsMode::Publish => publish::run(&context, settings, plan).await?,
        JsMode::Fetch => fetch::run(&context, settings, plan).await?,
        JsMode::Ordered => ordered::run(&context, settings, plan).await?,
        JsMode::KvPut => kv::put(&context, settings, plan).await?,
        JsMode::KvGet => kv::get(&context, settings, plan).await?,
    };
    fill_report(&mut report, settings, plan.mode, measured);
    Ok(report)
}

/// Puts a measured phase into the report: publishers for publishes and puts, subscribers
/// for consumers, requests for gets.
fn fill_report(report: &mut Report, settings: &Settings, mode: JsMode, measured: Measured) {
    let runs = [measured.run];
    report.expected = settings.msgs;
    report.received = runs[0].msgs;
    match mode {
        JsMode::Publish | JsMode::KvPut => report.set_sides(&runs, &[]),
        JsMode::Fetch | JsMode::Ordered => report.set_sides(&[], &runs),
        JsMode::KvGet => {
            report.requests = Some(crate::stats::Side::of(&[&runs[0]]));
            report.collect_errors(runs.iter());
        }
    }
    report.latency_us = measured.latencies.map(|latencies| latencies.summary());
    report.server_cpu_phase_s = measured.server_cpu_s;
}
