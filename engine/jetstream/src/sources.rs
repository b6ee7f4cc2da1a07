//! Stream `sources`: a stream copies in the messages of other streams of this server (with a
//! filter or subject transforms), as nats-server's sources do; its own publishes and the
//! copies share one sequence.
//!
//! The API thread drives it: when an origin stream stored messages (its writer's notice) and
//! on every tick, [`pump`] reads each source's next messages from the origin's store, up to
//! the origin's durable point (a copy never outlives its original in a crash), and queues
//! them to the target's writer like publishes, with the header
//! `Nats-Stream-Source: <origin> <origin seq> <filter> <dest> <original subject>`.
//! A full ingest queue stops the burst; the rest waits for the next turn (nothing is skipped).
//!
//! Progress is the header itself: when a stream opens, its last messages are read backwards
//! (at most [`RECOVERY_SCAN_MAX`]) for each source's last copied sequence, so a restart or a
//! crash neither loses nor repeats a copy. Until then a source starts at `opt_start_seq`, at
//! `opt_start_time`, or at the origin's first message. A purged target keeps its positions
//! while running; after a purge and a restart its sources start over (as Go 2.10's do).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, UNIX_EPOCH};

use natrium_router::transform::SubjectTransform;
use natrium_store::{StoredMsg, StreamStore};
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::config::SourceConfig;
use crate::service::Registry;
use crate::stream::Store;

/// The header a copied message carries.
pub const SOURCE_HEADER: &str = "Nats-Stream-Source";
/// Messages read backwards when a stream opens, looking for its sources' positions.
pub const RECOVERY_SCAN_MAX: u64 = 1_000_000;
/// Messages one source copies per turn (the API thread comes back at once for more).
const PUMP_BURST_MAX: usize = 1024;

/// A source and where it is.
#[derive(Debug)]
pub(crate) struct Source {
    pub(crate) config: SourceConfig,
    /// A mirror: copies keep the origin's sequences, time stamps and headers.
    pub(crate) mirror: bool,
    /// The next origin sequence to look at; `None` until the start is known (a start time
    /// needs the origin's store).
    next_seq: Option<u64>,
    filters: Vec<String>,
    transforms: Vec<SubjectTransform>,
    last_copied: Option<Instant>,
    /// The origin's last sequence at the last look (for `lag`).
    origin_last_seq: u64,
}

impl Source {
    fn new(config: SourceConfig, recovered: Option<u64>, mirror: bool) -> Self {
        let transforms = config
            .subject_transforms
            .iter()
            .filter_map(|transform| transform.transform().ok().flatten())
            .collect();
        let mut filters: Vec<String> = config
            .subject_transforms
            .iter()
            .map(|transform| transform.src.clone())
            .collect();
        if filters.is_empty() {
            filters.push(config.filter_subject.clone());
        }
        for filter in &mut filters {
            if filter.is_empty() {
                ">".clone_into(filter);
            }
        }
        let next_seq = match recovered {
            Some(seq) => Some(seq + 1),
            None if config.opt_start_seq > 0 => Some(config.opt_start_seq),
            None if config.opt_start_time.is_some() => None,
            None => Some(1),
        };
        Self {
            config,
            mirror,
            next_seq,
            filters,
            transforms,
            last_copied: None,
            origin_last_seq: 0,
        }
    }

    /// The next sequence to copy, resolving a start time against the origin.
    fn next_seq(&mut self, origin: &dyn StreamStore) -> u64 {
        *self.next_seq.get_or_insert_with(|| {
            let start = self
                .config
                .opt_start_time
                .as_deref()
                .and_then(natrium_router::timefmt::parse_rfc3339)
                .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |since| {
                    u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
                });
            origin.seq_from_time(start)
        })
    }

    /// The subject a copy of `subject` is stored under.
    fn subject_for(&self, subject: &str) -> String {
        self.transforms
            .iter()
            .find_map(|transform| transform.apply(subject))
            .unwrap_or_else(|| subject.to_owned())
    }

    /// The headers of the copy: the original's, then [`SOURCE_HEADER`].
    fn headers_for(&self, message: &StoredMsg) -> Vec<u8> {
        let filter = self.filters.join(",");
        let dest = self
            .config
            .subject_transforms
            .iter()
            .map(|transform| transform.dest.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let dest = if dest.is_empty() { ">" } else { dest.as_str() };
        let mut headers = if message.headers.is_empty() {
            b"NATS/1.0\r\n".to_vec()
        } else {
            let own = message
                .headers
                .strip_suffix(b"\r\n\r\n")
                .unwrap_or(&message.headers);
            let mut own = own.to_vec();
            own.extend_from_slice(b"\r\n");
            own
        };
        headers.extend_from_slice(
            format!(
                "{SOURCE_HEADER}: {} {} {filter} {dest} {}\r\n\r\n",
                self.config.name, message.seq, message.subject
            )
            .as_bytes(),
        );
        headers
    }

    /// `sources[]` of the stream info, as Go reports it.
    pub(crate) fn info(&self) -> Value {
        let copied_to = self.next_seq.map_or(0, |next| next.saturating_sub(1));
        let mut info = json!({
            "name": self.config.name,
            "lag": self.origin_last_seq.saturating_sub(copied_to),
            "active": self.last_copied.map_or(-1, |at| {
                i64::try_from(at.elapsed().as_nanos()).unwrap_or(i64::MAX)
            }),
        });
        if let Some(fields) = info.as_object_mut() {
            if !self.config.filter_subject.is_empty() {
                fields.insert("filter_subject".into(), json!(self.config.filter_subject));
            }
            if !self.config.subject_transforms.is_empty() {
                fields.insert(
                    "subject_transforms".into(),
                    json!(self.config.subject_transforms),
                );
            }
        }
        info
    }
}

/// The sources of a stream opening on `store`, each at its recovered position; a mirror
/// resumes after the store's last sequence (which is the origin's).
pub(crate) fn open(
    configs: &[SourceConfig],
    mirror: Option<&SourceConfig>,
    store: &dyn StreamStore,
) -> Vec<Source> {
    if let Some(mirror) = mirror {
        let last = store.state().last_seq;
        return vec![Source::new(
            mirror.clone(),
            (last > 0).then_some(last),
            true,
        )];
    }
    let positions = recover_positions(store, configs);
    configs
        .iter()
        .map(|config| Source::new(config.clone(), positions.get(&config.name).copied(), false))
        .collect()
}

/// Sources after a configuration update: kept sources keep their position.
pub(crate) fn reconfigure(old: Vec<Source>, configs: &[SourceConfig]) -> Vec<Source> {
    if old.iter().any(|source| source.mirror) {
        // A mirror's configuration can not change.
        return old;
    }
    let mut positions: HashMap<String, Option<u64>> = old
        .into_iter()
        .map(|source| (source.config.name.clone(), source.next_seq))
        .collect();
    configs
        .iter()
        .map(|config| {
            let mut source = Source::new(config.clone(), None, false);
            if let Some(next) = positions.remove(&config.name).flatten() {
                source.next_seq = Some(next);
            }
            source
        })
        .collect()
}

/// The last origin sequence copied per source, from the newest copies in `store`.
fn recover_positions(store: &dyn StreamStore, configs: &[SourceConfig]) -> HashMap<String, u64> {
    let mut found = HashMap::new();
    if configs.is_empty() {
        return found;
    }
    let state = store.state();
    let lowest = state
        .first_seq
        .max(state.last_seq.saturating_sub(RECOVERY_SCAN_MAX - 1));
    let mut seq = state.last_seq;
    while seq >= lowest.max(1) && found.len() < configs.len() {
        if let Ok(message) = store.load(seq)
            && let Some((origin, origin_seq)) = source_of(&message.headers)
            && configs.iter().any(|config| config.name == origin)
        {
            found.entry(origin).or_insert(origin_seq);
        }
        seq -= 1;
    }
    found
}

/// The origin stream and sequence a copy's [`SOURCE_HEADER`] names.
fn source_of(headers: &[u8]) -> Option<(String, u64)> {
    let text = std::str::from_utf8(headers).ok()?;
    let value = text.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case(SOURCE_HEADER)
            .then(|| value.trim())
    })?;
    let mut fields = value.split_whitespace();
    let origin = fields.next()?.to_owned();
    let seq = fields.next()?.parse().ok()?;
    Some((origin, seq))
}

/// An origin's store and durable point.
type Origin = (Arc<Mutex<Store>>, Arc<AtomicU64>);

/// Copies what the sources of every stream (or only those of `origin`) have not copied yet;
/// true when a burst limit stopped it with more to copy.
pub(crate) fn pump(registry: &mut Registry, origin: Option<&str>) -> bool {
    // Called on every writer notice: without sources it must cost no allocation.
    if registry
        .streams
        .values()
        .all(|stream| stream.sources.is_empty())
    {
        return false;
    }
    let origins: HashMap<String, Origin> = registry
        .streams
        .values()
        .map(|stream| {
            let durable = Arc::clone(&stream.visible);
            (
                stream.config.name.clone(),
                (Arc::clone(&stream.store), durable),
            )
        })
        .collect();
    let mut more = false;
    for target in registry.streams.values_mut() {
        let mut sources = std::mem::take(&mut target.sources);
        for source in &mut sources {
            if origin.is_some_and(|name| name != source.config.name) {
                continue;
            }
            if let Some(origin) = origins.get(&source.config.name) {
                more |= copy_burst(source, origin, target);
            }
        }
        target.sources = sources;
    }
    more
}

/// Copies up to [`PUMP_BURST_MAX`] messages of one source; true when it stopped at the limit.
fn copy_burst(
    source: &mut Source,
    (store, durable): &Origin,
    target: &crate::stream::Stream,
) -> bool {
    let store = store.lock();
    let store = store.as_dyn();
    let filters = source.filters.clone();
    let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
    let durable = durable.load(Ordering::Acquire);
    source.origin_last_seq = durable;
    for _ in 0..PUMP_BURST_MAX {
        let next = source.next_seq(store);
        let Ok(message) = store.load_next_any(&filters, next) else {
            return false;
        };
        if message.seq > durable {
            return false;
        }
        let seq = message.seq;
        let queued = if source.mirror {
            let at = Some((seq, message.ts_ns));
            target.enqueue_copy(
                (
                    message.subject.to_string(),
                    message.headers,
                    message.payload,
                ),
                at,
            )
        } else {
            let subject = source.subject_for(&message.subject);
            let headers = source.headers_for(&message);
            target.enqueue_copy((subject, headers, message.payload), None)
        };
        if !queued {
            // The target's queue is full: the next turn tries again from here.
            return false;
        }
        source.next_seq = Some(seq + 1);
        source.last_copied = Some(Instant::now());
    }
    true
}

/// Origins some stream copies from (their writers must tell the API thread when they store).
pub(crate) fn origins(registry: &Registry) -> Vec<String> {
    registry
        .streams
        .values()
        .flat_map(|stream| {
            let mirror = stream.config.mirror.iter();
            mirror
                .chain(&stream.config.sources)
                .map(|source| source.name.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_header_names_origin_and_sequence() {
        let headers = b"NATS/1.0\r\nApp: x\r\nNats-Stream-Source: ORDERS 42 > > orders.eu\r\n\r\n";
        assert_eq!(source_of(headers), Some(("ORDERS".to_owned(), 42)));
        assert_eq!(source_of(b"NATS/1.0\r\nApp: x\r\n\r\n"), None);
        assert_eq!(
            source_of(b"NATS/1.0\r\nNats-Stream-Source: ORDERS x\r\n\r\n"),
            None
        );
    }
}
