//! natrium-bench: a NATS load generator like `nats bench`, for any NATS server (natrium or
//! the Go nats-server).
//!
//! Core modes: `pub`, `sub`, `pubsub` (1:1), `fanout` (1:N), `multi` (N x M) and `reqrep`
//! (request/reply latency). The default client is a small raw-protocol client built for the
//! hot paths (pipelined `PUB` batches, in-place `MSG` parsing) so the bench is not the
//! bottleneck; `--client async-nats` (feature `async-nats-client`) runs the same pub/sub
//! modes over the async-nats crate for comparison.
//!
//! JetStream modes, always over async-nats (module `jetstream`): `js-pub` (PubAcks awaited,
//! `--window` outstanding), `js-fetch` (durable pull consumer, `--batch`, `+ACK` each),
//! `js-ordered` (ordered push consumer), `kv-put` and `kv-get`.
//!
//! Every run is bounded by `--msgs` and `--timeout-s` and stops by itself; the exit code is
//! 2 when messages were lost.

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
mod jetstream;
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
    /// JetStream publish to a fresh stream, `--window` PubAcks outstanding (1: sync).
    JsPub,
    /// Durable pull consumer over a pre-filled stream: fetch `--batch`, `+ACK` each message.
    JsFetch,
    /// Ordered push consumer reading a pre-filled stream.
    JsOrdered,
    /// KV puts over `--keys` keys, one at a time.
    KvPut,
    /// KV gets over `--keys` pre-filled keys, one at a time.
    KvGet,
}

impl Mode {
    /// True for the modes of the `jetstream` module (async-nats only).
    fn is_jetstream(self) -> bool {
        matches!(
            self,
            Self::JsPub | Self::JsFetch | Self::JsOrdered | Self::KvPut | Self::KvGet
        )
    }
}

/// Where JetStream modes store messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum StorageArg {
    Memory,
    File,
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
    /// Client implementation. `tls://`, `ws://` and `wss://` URLs need `--client async-nats`.
    #[arg(long, value_enum, default_value_t = Client::Raw)]
    client: Client,
    /// PEM file of the CA that signed the server's certificate (`tls://`, `wss://`).
    #[arg(long)]
    tls_ca: Option<std::path::PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    jetstream: JetStreamArgs,
}

/// Options of the JetStream modes.
#[derive(Debug, clap::Args)]
struct JetStreamArgs {
    /// Stream (or bucket) storage.
    #[arg(long, value_enum, default_value_t = StorageArg::File)]
    storage: StorageArg,
    /// PubAcks outstanding at once in js-pub (1: publish, wait for the PubAck, repeat).
    #[arg(long, default_value_t = 1)]
    window: usize,
    /// Messages per pull request in js-fetch.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Distinct keys for kv-put and kv-get.
    #[arg(long, default_value_t = 1000)]
    keys: usize,
    /// Stream name (deleted and created again by every run).
    #[arg(long, default_value = "BENCH")]
    stream: String,
    /// KV bucket name (deleted and created again by every run).
    #[arg(long, default_value = "natrium_bench")]
    bucket: String,
    /// The server's process id: report its CPU time over the measured phase.
    #[arg(long)]
    server_pid: Option<u32>,
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
        Mode::JsPub | Mode::KvPut | Mode::KvGet => (1, 0),
        Mode::JsFetch | Mode::JsOrdered => (0, 1),
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
        tls_ca: args.tls_ca.clone(),
    };
    if settings.endpoint.scheme != "nats" && args.client == Client::Raw && !args.mode.is_jetstream()
    {
        bail!(
            "{}:// URLs need --client async-nats",
            settings.endpoint.scheme
        );
    }
    let mut report = match (args.client, args.mode) {
        (_, mode) if mode.is_jetstream() => run_jetstream(&settings, args)?,
        (Client::Raw, Mode::Reqrep) => run::request_reply(&settings, pubs, subs)?,
        (Client::Raw, _) => run::pub_sub(&settings, pubs, subs)?,
        (Client::AsyncNats, Mode::Reqrep) => bail!("reqrep runs on the raw client only"),
        #[cfg(feature = "async-nats-client")]
        (Client::AsyncNats, _) => via_async_nats::pub_sub(&settings, pubs, subs)?,
        #[cfg(not(feature = "async-nats-client"))]
        (Client::AsyncNats, _) => bail!("built without the async-nats-client feature"),
    };
    report.mode = args
        .mode
        .to_possible_value()
        .map_or_else(String::new, |value| value.get_name().to_string());
    report.pubs = pubs;
    report.subs = subs;
    report.finish();
    Ok(report)
}

/// Runs a JetStream mode (over async-nats whatever `--client` says).
#[cfg(feature = "async-nats-client")]
fn run_jetstream(settings: &Settings, args: &Args) -> Result<Report> {
    use crate::jetstream::{JsMode, JsPlan, Storage};
    let mode = match args.mode {
        Mode::JsPub => JsMode::Publish,
        Mode::JsFetch => JsMode::Fetch,
        Mode::JsOrdered => JsMode::Ordered,
        Mode::KvPut => JsMode::KvPut,
        Mode::KvGet => JsMode::KvGet,
        other => bail!("{other:?} is not a JetStream mode"),
    };
    let options = &args.jetstream;
    let plan = JsPlan {
        mode,
        storage: match options.storage {
            StorageArg::Memory => Storage::Memory,
            StorageArg::File => Storage::File,
        },
        window: options.window,
        batch: options.batch,
        keys: options.keys,
        stream: options.stream.clone(),
        bucket: options.bucket.clone(),
        server_pid: options.server_pid,
    };
    jetstream::run(settings, &plan)
}

#[cfg(not(feature = "async-nats-client"))]
fn run_jetstream(_settings: &Settings, _args: &Args) -> Result<Report> {
    bail!("the JetStream modes need the async-nats-client feature")
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
