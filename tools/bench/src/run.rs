//! Orchestration of one bench run over the raw client: opens every connection up front
//! (subscribers confirmed registered before any publisher starts), runs one thread per
//! connection, and joins them into a [`Report`].
//!
//! Every run is bounded: publishers send a fixed count, subscribers stop at the expected
//! count, and everything stops at the run's deadline, reporting what was lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::conn::{Conn, Endpoint};
use crate::publish::{PublishPlan, publish};
use crate::report::Report;
use crate::reqrep::{RequestPlan, request, serve};
use crate::stats::{ClientRun, Latencies, Side};
use crate::subscribe;

/// The parameters shared by every mode.
#[derive(Clone, Debug)]
pub struct Settings {
    pub endpoint: Endpoint,
    pub subject: String,
    pub msgs: u64,
    pub payload_bytes: usize,
    pub batch_bytes: usize,
    pub deadline: Instant,
    /// The CA of the server's certificate, for `tls://` and `wss://` (async-nats only).
    pub tls_ca: Option<std::path::PathBuf>,
}

/// `count` split over `parts` as evenly as possible (earlier parts take the remainder).
pub fn split(count: u64, parts: usize, index: usize) -> u64 {
    let parts = parts.max(1) as u64;
    count / parts + u64::from((index as u64) < count % parts)
}

/// Publishers and subscribers on one subject: `pub` (no subscribers), `sub` (no
/// publishers: an external publisher sends `msgs`), `pubsub`, `fanout`, `multi`.
pub fn pub_sub(settings: &Settings, pubs: usize, subs: usize) -> Result<Report> {
    let mut report = Report::new(settings);
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_on_exit = StopOnDrop(Arc::clone(&stop));
    let subscribers = start_subscribers(settings, subs, &stop)?;
    let mut publishers = Vec::with_capacity(pubs);
    for index in 0..pubs {
        let conn = Conn::open(&settings.endpoint, &format!("natrium-bench-pub-{index}"))
            .context("opening a publisher connection")?;
        publishers.push((conn, split(settings.msgs, pubs, index)));
    }
    let publishers: Vec<JoinHandle<ClientRun>> = publishers
        .into_iter()
        .map(|(conn, msgs)| {
            let plan = PublishPlan {
                subject: settings.subject.clone(),
                payload_bytes: settings.payload_bytes,
                msgs,
                batch_bytes: settings.batch_bytes,
                deadline: settings.deadline,
            };
            thread::spawn(move || publish(conn, &plan))
        })
        .collect();
    let publisher_runs = join_all(publishers);
    if publisher_runs.iter().any(|run| run.error.is_some()) {
        stop.store(true, Ordering::Relaxed);
    }
    let subscriber_runs = join_all(subscribers);
    report.expected = settings.msgs * subs as u64;
    report.received = subscriber_runs.iter().map(|run| run.msgs).sum();
    report.set_sides(&publisher_runs, &subscriber_runs);
    Ok(report)
}

/// Opens and registers `subs` subscribers, then starts their counting threads.
fn start_subscribers(
    settings: &Settings,
    subs: usize,
    stop: &Arc<AtomicBool>,
) -> Result<Vec<JoinHandle<ClientRun>>> {
    let mut conns = Vec::with_capacity(subs);
    for index in 0..subs {
        let mut conn = Conn::open(&settings.endpoint, &format!("natrium-bench-sub-{index}"))
            .context("opening a subscriber connection")?;
        subscribe::prepare(&mut conn, &settings.subject, None, settings.deadline)?;
        conns.push(conn);
    }
    let expected = settings.msgs;
    let deadline = settings.deadline;
    Ok(conns
        .into_iter()
        .map(|conn| {
            let stop = Arc::clone(stop);
            thread::spawn(move || subscribe::count(conn, expected, deadline, &stop))
        })
        .collect())
}

/// `clients` requesters against `services` repliers in one queue group.
pub fn request_reply(settings: &Settings, clients: usize, services: usize) -> Result<Report> {
    let mut report = Report::new(settings);
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_on_exit = StopOnDrop(Arc::clone(&stop));
    let mut service_threads = Vec::with_capacity(services);
    for index in 0..services {
        let mut conn = Conn::open(&settings.endpoint, &format!("natrium-bench-svc-{index}"))
            .context("opening a service connection")?;
        let queue = Some("natrium-bench-services");
        subscribe::prepare(&mut conn, &settings.subject, queue, settings.deadline)?;
        let stop = Arc::clone(&stop);
        service_threads.push(thread::spawn(move || serve(conn, &stop)));
    }
    let mut requesters = Vec::with_capacity(clients);
    for index in 0..clients {
        let mut conn = Conn::open(&settings.endpoint, &format!("natrium-bench-req-{index}"))
            .context("opening a requester connection")?;
        let inbox = format!("_INBOX.natrium-bench.{}.{index}", std::process::id());
        subscribe::prepare(&mut conn, &format!("{inbox}.*"), None, settings.deadline)?;
        let plan = RequestPlan {
            subject: settings.subject.clone(),
            payload_bytes: settings.payload_bytes,
            requests: split(settings.msgs, clients, index),
            inbox,
            deadline: settings.deadline,
        };
        requesters.push((conn, plan));
    }
    let requesters: Vec<_> = requesters
        .into_iter()
        .map(|(conn, plan)| thread::spawn(move || request(conn, &plan)))
        .collect();
    let mut latencies = Latencies::new();
    let mut request_runs = Vec::with_capacity(clients);
    for handle in requesters {
        let outcome = handle.join().unwrap_or_else(|_| crate::reqrep::Requested {
            run: panicked(),
            latencies: Latencies::new(),
            timeouts: 0,
        });
        latencies.merge(&outcome.latencies);
        report.timeouts += outcome.timeouts;
        request_runs.push(outcome.run);
    }
    stop.store(true, Ordering::Relaxed);
    let service_runs = join_all(service_threads);
    report.expected = settings.msgs;
    report.received = request_runs.iter().map(|run| run.msgs).sum();
    report.requests = Some(Side::of(&request_runs.iter().collect::<Vec<_>>()));
    report.latency_us = Some(latencies.summary());
    report.collect_errors(request_runs.iter().chain(&service_runs));
    Ok(report)
}

/// Sets the stop flag when a run returns early with an error, so no worker outlives it.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Joins worker threads; a panicked worker becomes a run with an error.
fn join_all(handles: Vec<JoinHandle<ClientRun>>) -> Vec<ClientRun> {
    handles
        .into_iter()
        .map(|handle| handle.join().unwrap_or_else(|_| panicked()))
        .collect()
}

/// The run recorded for a worker thread that panicked.
fn panicked() -> ClientRun {
    ClientRun {
        error: Some("worker thread panicked".into()),
        ..ClientRun::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_the_count_exactly() {
        for (count, parts) in [(10u64, 3usize), (7, 7), (3, 5), (0, 2), (1_000_001, 4)] {
            let total: u64 = (0..parts).map(|index| split(count, parts, index)).sum();
            assert_eq!(total, count);
            let largest = split(count, parts, 0);
            let smallest = split(count, parts, parts - 1);
            assert!(largest - smallest <= 1);
        }
    }
}
