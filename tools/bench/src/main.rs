//! natrium-bench: a NATS load generator like `nats bench`, for any NATS server (natrium or
//! the Go nats-server).
//!
//! Modes: `pub`, `sub`, `pubsub` (1:1), `fanout` (1:N), `multi` (N x M) and `reqrep`
//! (request/reply latency). The default client is a small raw-protocol client built for the
//! hot paths (pipelined `PUB` batches, in-place `MSG` parsing) so the bench is not the
//! bottleneck; `--client async-nats` (feature `async-nats-client`) runs the same pub/sub
//! modes over the async-nats crate for comparison. Every run is bounded by `--msgs` and
//! `--timeout-s` and stops by itself; the exit code is 2 when messages were lost.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

mod conn;
mod frame;
mod publish;
mod report;
mod reqrep;
mod run;
mod stats;
mod subscribe;

#[cfg(feature = "async-nats-client")]
mod via_async_nats;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::{Parser, ValueEnum};

use crate::conn::Endpoint;
use crate::report::Report;
use crate::run::Settings;

/// Exit code of a run that finished but lost messages or saw errors.
const EXIT_INCOMPLETE: u8 = 2;

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Publishers only (`--pubs`).
    Pub,
    /// Subscribers only (`--subs`), each expecting `--msgs` from an external publisher.
    Sub,
    /// One publisher, one subscriber.
    Pubsub,
    /// One publisher, `--subs` subscribers (default 4), each receiving every message.
    Fanout,
    /// `--pubs` publishers x `--subs` subscribers.
    Multi,
    /// `--clients` requesters x `--services` repliers in one queue group.
    Reqrep,
}

/// Which client library drives the connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Client {
    /// The built-in raw-protocol client (fastest).
    Raw,
    /// The async-nats crate (needs the `async-nats-client` feature; pub/sub modes only).
    AsyncNats,
}

/// natrium-bench: a NATS load generator.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// What to measure.
    #[arg(value_enum)]
    mode: Mode,
    /// Server URL: nats://[user:pass@]host[:port].
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    url: String,
    /// Messages published in total (split over publishers) or requests sent in total.
    #[arg(long, default_value_t = 100_000)]
    msgs: u64,
    /// Payload size in bytes.
    #[arg(long, default_value_t = 128)]
    size: usize,
    /// Publishers (pub, multi).
    #[arg(long)]
    pubs: Option<usize>,
    /// Subscribers (sub, fanout, multi).
    #[arg(long)]
    subs: Option<usize>,
    /// Requesters (reqrep).
    #[arg(long, default_value_t = 1)]
    clients: usize,
    /// Repliers in the queue group (reqrep).
    #[arg(long, default_value_t = 1)]
    services: usize,
    /// Subject to publish on.
    #[arg(long, default_value = "natrium.bench")]
    subject: String,
    /// Target bytes per publisher write.
    #[arg(long, default_value_t = 64 * 1024)]
    batch_bytes: usize,
    /// The whole run stops after this many seconds, reporting what was lost.
    #[arg(long, default_value_t = 60)]
    timeout_s: u64,
    /// Client implementation.
    #[arg(long, value_enum, default_value_t = Client::Raw)]
    client: Client,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Connection counts per mode: (publishers, subscribers).
fn shape(args: &Args) -> Result<(usize, usize)> {
    let pubs = args.pubs.unwrap_or(1);
    let subs = args.subs;
    let shape = match args.mode {
        Mode::Pub => (pubs, 0),
        Mode::Sub => (0, subs.unwrap_or(1)),
        Mode::Pubsub => (1, 1),
        Mode::Fanout => (1, subs.unwrap_or(4)),
        Mode::Multi => (pubs, subs.unwrap_or(1)),
        Mode::Reqrep => (args.clients, args.services),
    };
    if shape.0 + shape.1 == 0 || shape.0 > 10_000 || shape.1 > 10_000 {
        bail!("between 1 and 10000 connections per side are supported");
    }
    Ok(shape)
}

/// Parses the settings, runs the mode on the chosen client and finishes the report.
fn run(args: &Args) -> Result<Report> {
    let (pubs, subs) = shape(args)?;
    let settings = Settings {
        endpoint: Endpoint::parse(&args.url)?,
        subject: args.subject.clone(),
        msgs: args.msgs,
        payload_bytes: args.size,
        batch_bytes: args.batch_bytes,
        deadline: Instant::now() + Duration::from_secs(args.timeout_s),
    };
    let mut report = match (args.client, args.mode) {
        (Client::Raw, Mode::Reqrep) => run::request_reply(&settings, pubs, subs)?,
        (Client::Raw, _) => run::pub_sub(&settings, pubs, subs)?,
        (Client::AsyncNats, Mode::Reqrep) => bail!("reqrep runs on the raw client only"),
        #[cfg(feature = "async-nats-client")]
        (Client::AsyncNats, _) => via_async_nats::pub_sub(&settings, pubs, subs)?,
        #[cfg(not(feature = "async-nats-client"))]
        (Client::AsyncNats, _) => bail!("built without the async-nats-client feature"),
    };
    report.mode = format!("{:?}", args.mode).to_lowercase();
    report.pubs = pubs;
    report.subs = subs;
    report.finish();
    Ok(report)
}

/// Prints the report (text or JSON); exit 0 complete, 2 incomplete, 1 failed to run.
fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(report) => {
            if args.json {
                println!("{}", serde_json::to_string(&report).unwrap_or_default());
            } else {
                print!("{}", report.human());
            }
            if report.complete {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_INCOMPLETE)
            }
        }
        Err(error) => {
            eprintln!("natrium-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}
