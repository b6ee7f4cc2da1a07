//! What the monitoring endpoint shows of JetStream, in the Go server's shapes: `/jsz` (with
//! `accounts`, `streams`, `consumers`, `config`), the `jetstream` section of `/varz`, and the
//! JetStream part of `/healthz` (a stream whose store failed makes the server unhealthy).
//! Read under the registry lock, which the API thread holds only per request.

use std::sync::Arc;
use std::time::SystemTime;

use natrium_router::timefmt::rfc3339;
use natrium_store::filestore::SyncPolicy;
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::account::AccountUsage;
use crate::info::stream_state;
use crate::service::{GLOBAL_ACCOUNT, Registry};

/// What `/jsz` is asked to detail.
#[derive(Debug, Clone, Copy, Default)]
pub struct JszOptions {
    pub accounts: bool,
    pub streams: bool,
    pub consumers: bool,
    pub config: bool,
}

/// A handle for the monitoring endpoint (cheap to clone).
#[derive(Clone)]
pub struct JetStreamMonitor {
    pub(crate) state: Arc<Mutex<Registry>>,
}

impl std::fmt::Debug for JetStreamMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamMonitor").finish_non_exhaustive()
    }
}

impl JetStreamMonitor {
    /// `/jsz`.
    pub fn jsz(&self, server_id: &str, options: JszOptions) -> Value {
        let registry = self.state.lock();
        let mut jsz = stats(&registry);
        let totals = json!({
            "server_id": server_id,
            "now": rfc3339(SystemTime::now()),
            "config": config(&registry),
            "limits": { "default_max_consumers": -1 },
            "streams": registry.streams.len(),
            "consumers": registry.consumer_count(),
            "messages": registry.streams.values().map(|s| s.store.lock().as_dyn().state().msgs).sum::<u64>(),
            "bytes": registry.streams.values().map(|s| s.store.lock().as_dyn().state().bytes).sum::<u64>(),
            "total": 1,
        });
        merge_into(&mut jsz, totals);
        if options.accounts || options.streams || options.consumers {
            let mut account = stats(&registry);
            merge_into(
                &mut account,
                json!({ "name": GLOBAL_ACCOUNT, "id": GLOBAL_ACCOUNT }),
            );
            if options.streams || options.consumers {
                let streams: Vec<Value> = registry
                    .streams
                    .values()
                    .map(|stream| stream_detail(&registry, stream, options))
                    .collect();
                merge_into(&mut account, json!({ "stream_detail": streams }));
            }
            merge_into(&mut jsz, json!({ "account_details": [account] }));
        }
        jsz
    }

    /// The `jetstream` section of `/varz`.
    pub fn varz(&self) -> Value {
        let registry = self.state.lock();
        json!({
            "config": config(&registry),
            "stats": stats(&registry),
            "limits": { "default_max_consumers": -1 },
        })
    }

    /// The first stream whose store failed, as `/healthz` reports it.
    pub fn unhealthy(&self) -> Option<String> {
        let registry = self.state.lock();
        registry.streams.values().find_map(|stream| {
            stream.failure().map(|reason| {
                format!(
                    "JetStream stream '{GLOBAL_ACCOUNT} > {}' is not current: {reason}",
                    stream.config.name
                )
            })
        })
    }
}

fn merge_into(target: &mut Value, fields: Value) {
    if let (Some(target), Value::Object(fields)) = (target.as_object_mut(), fields) {
        target.extend(fields);
    }
}

/// Usage and API counters (Go's `JetStreamStats`).
fn stats(registry: &Registry) -> Value {
    let (memory, storage) = registry.usage();
    json!({
        "memory": memory,
        "storage": storage,
        "reserved_memory": 0,
        "reserved_storage": 0,
        "accounts": 1,
        "ha_assets": 0,
        "api": { "level": 0, "total": registry.api_total, "errors": registry.api_errors },
    })
}

/// The server's JetStream configuration (Go's `JetStreamConfig`).
fn config(registry: &Registry) -> Value {
    let options = &registry.options;
    let mut config = json!({
        "max_memory": AccountUsage::reported(options.max_memory),
        "max_storage": AccountUsage::reported(options.max_file),
        "store_dir": options.store_dir.join("jetstream").display().to_string(),
    });
    let sync = match options.sync {
        SyncPolicy::Always => json!({ "sync_always": true }),
        SyncPolicy::Interval { interval_ms } => {
            json!({ "sync_interval": interval_ms.saturating_mul(1_000_000) })
        }
    };
    merge_into(&mut config, sync);
    config
}

/// One stream of `account_details[].stream_detail`.
fn stream_detail(
    registry: &Registry,
    stream: &crate::stream::Stream,
    options: JszOptions,
) -> Value {
    let mut detail = json!({
        "name": stream.config.name,
        "created": rfc3339(stream.created),
        "state": stream_state(stream),
    });
    if options.config {
        merge_into(&mut detail, json!({ "config": stream.config }));
    }
    if options.consumers {
        let store = stream.store.lock();
        let consumers: Vec<Value> = stream
            .consumers
            .values()
            .map(|consumer| {
                let mut info = consumer.info(store.as_dyn(), &registry.broker);
                if !options.config
                    && let Some(fields) = info.as_object_mut()
                {
                    fields.remove("config");
                }
                info
            })
            .collect();
        merge_into(&mut detail, json!({ "consumer_detail": consumers }));
    }
    detail
}
