//! The pub/sub modes over the async-nats crate (`--client async-nats`), kept to measure the
//! raw client against a well-kept library on the same server (see docs/benchmarks.md).

use std::time::Instant;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use futures::StreamExt;
use tokio::task::JoinHandle;

use crate::report::Report;
use crate::run::{Settings, split};
use crate::stats::ClientRun;

/// async-nats drops messages for a subscription whose channel is full; a deep channel keeps
/// a momentarily slow counting task from losing messages.
const SUBSCRIPTION_CAPACITY: usize = 1 << 20;

/// Runs `pubs` publishers and `subs` subscribers on one subject, like the raw client does.
pub fn pub_sub(settings: &Settings, pubs: usize, subs: usize) -> Result<Report> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(pub_sub_async(settings, pubs, subs))
}

async fn pub_sub_async(settings: &Settings, pubs: usize, subs: usize) -> Result<Report> {
    let mut report = Report::new(settings);
    report.client = "async-nats".into();
    let mut subscribers: Vec<JoinHandle<ClientRun>> = Vec::with_capacity(subs);
    for _ in 0..subs {
        let client = connect(settings).await?;
        let subscriber = client.subscribe(settings.subject.clone()).await?;
        client.flush().await?;
        let (expected, deadline) = (settings.msgs, settings.deadline);
        subscribers.push(tokio::spawn(count(client, subscriber, expected, deadline)));
    }
    let mut clients = Vec::with_capacity(pubs);
    for _ in 0..pubs {
        clients.push(connect(settings).await?);
    }
    let payload = Bytes::from(vec![b'a'; settings.payload_bytes]);
    let publishers: Vec<JoinHandle<ClientRun>> = clients
        .into_iter()
        .enumerate()
        .map(|(index, client)| {
            let msgs = split(settings.msgs, pubs, index);
            let job = publish(client, settings.subject.clone(), payload.clone(), msgs);
            tokio::spawn(job)
        })
        .collect();
    let publisher_runs = join_all(publishers).await;
    let subscriber_runs = join_all(subscribers).await;
    report.expected = settings.msgs * subs as u64;
    report.received = subscriber_runs.iter().map(|run| run.msgs).sum();
    report.set_sides(&publisher_runs, &subscriber_runs);
    Ok(report)
}

/// Connects with the credentials of `--url`.
pub async fn connect(settings: &Settings) -> Result<async_nats::Client> {
    let endpoint = &settings.endpoint;
    let options = match (&endpoint.user, &endpoint.pass) {
        (Some(user), Some(pass)) => {
            async_nats::ConnectOptions::with_user_and_password(user.clone(), pass.clone())
        }
        _ => async_nats::ConnectOptions::new(),
    };
    let mut options = options.subscription_capacity(SUBSCRIPTION_CAPACITY);
    if let Some(ca) = &settings.tls_ca {
        options = options.add_root_certificates(ca.clone());
    }
    if endpoint.scheme == "tls" {
        options = options.require_tls(true);
    }
    let url = format!("{}://{}", endpoint.scheme, endpoint.address);
    let client = options
        .connect(url)
        .await
        .with_context(|| format!("async-nats connect to {}", endpoint.scheme))?;
    Ok(client)
}

/// Publishes `msgs` messages, then flushes; the span runs to the end of the flush.
async fn publish(
    client: async_nats::Client,
    subject: String,
    payload: Bytes,
    msgs: u64,
) -> ClientRun {
    let mut run = ClientRun::default();
    let started = Instant::now();
    let outcome: Result<()> = async {
        for _ in 0..msgs {
            client.publish(subject.clone(), payload.clone()).await?;
        }
        client.flush().await?;
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            run.msgs = msgs;
            run.payload_bytes = msgs * payload.len() as u64;
            run.first = Some(started);
            run.last = Some(Instant::now());
        }
        Err(error) => run.error = Some(format!("async-nats publisher: {error:#}")),
    }
    run
}

/// Counts messages until `expected` arrived or `deadline` passed.
async fn count(
    _client: async_nats::Client,
    mut subscriber: async_nats::Subscriber,
    expected: u64,
    deadline: Instant,
) -> ClientRun {
    let mut run = ClientRun::default();
    let outcome: Result<()> = async {
        while run.msgs < expected {
            let next = tokio::time::timeout_at(deadline.into(), subscriber.next()).await;
            match next {
                Ok(Some(message)) => run.record(message.payload.len(), Instant::now()),
                Ok(None) => bail!("subscription closed"),
                Err(_) => bail!("received {} of {expected} before the deadline", run.msgs),
            }
        }
        Ok(())
    }
    .await;
    if let Err(error) = outcome {
        run.error = Some(format!("async-nats subscriber: {error:#}"));
    }
    run
}

/// Awaits tasks; a failed task becomes a run with an error.
async fn join_all(handles: Vec<JoinHandle<ClientRun>>) -> Vec<ClientRun> {
    let mut runs = Vec::with_capacity(handles.len());
    for handle in handles {
        runs.push(handle.await.unwrap_or_else(|error| ClientRun {
            error: Some(format!("task failed: {error}")),
            ..ClientRun::default()
        }));
    }
    runs
}
