//! `kv-put` and `kv-get`: one client puts (each put awaits its PubAck) or gets (a direct get
//! of the key's last value) over `--keys` distinct keys in turn, one operation at a time;
//! the latency is one operation.

use std::time::Instant;

use anyhow::{Result, bail};
use async_nats::jetstream::{Context, kv};
use bytes::Bytes;

use super::JsPlan;
use super::measure::{Measured, Phase, within};
use super::setup::recreate_bucket;
use crate::run::Settings;

/// Largest `--keys` accepted (the key names are kept in memory).
pub const KEYS_MAX: usize = 1_000_000;

/// The key names, `k.0` to `k.<keys - 1>`.
fn key_names(keys: usize) -> Result<Vec<String>> {
    if keys == 0 || keys > KEYS_MAX {
        bail!("--keys must be between 1 and {KEYS_MAX}");
    }
    Ok((0..keys).map(|index| format!("k.{index}")).collect())
}

/// The key the `index`th operation uses.
fn key_at(keys: &[String], index: u64) -> &str {
    // The remainder is below `keys.len()`, a `usize`, so the conversion is lossless.
    let slot = (index % keys.len() as u64) as usize;
    keys.get(slot)
        .expect("key_names made at least one key and the slot is below their count")
}

/// Creates the bucket, then puts `settings.msgs` values as the measured phase.
pub async fn put(context: &Context, settings: &Settings, plan: &JsPlan) -> Result<Measured> {
    let keys = key_names(plan.keys)?;
    let store = recreate_bucket(context, plan, settings.deadline).await?;
    let value = Bytes::from(vec![b'v'; settings.payload_bytes]);
    let mut phase = Phase::start(plan.server_pid, true);
    let outcome = put_all(&store, &keys, &value, settings, &mut phase).await;
    Ok(phase.finish(outcome))
}

/// Puts `settings.msgs` values over `keys` in turn, one at a time.
async fn put_all(
    store: &kv::Store,
    keys: &[String],
    value: &Bytes,
    settings: &Settings,
    phase: &mut Phase,
) -> Result<()> {
    for index in 0..settings.msgs {
        let started = Instant::now();
        let putting = store.put(key_at(keys, index), value.clone());
        within(settings.deadline, "putting", putting).await?;
        let now = Instant::now();
        phase.latency(started, now);
        phase.record(value.len(), now);
    }
    Ok(())
}

/// Creates the bucket and puts every key once (untimed), then gets `settings.msgs` values
/// as the measured phase. A missing or wrong-sized value stops the run.
pub async fn get(context: &Context, settings: &Settings, plan: &JsPlan) -> Result<Measured> {
    let keys = key_names(plan.keys)?;
    let store = recreate_bucket(context, plan, settings.deadline).await?;
    let value = Bytes::from(vec![b'v'; settings.payload_bytes]);
    let mut untimed = Phase::start(None, false);
    let filling = Settings {
        msgs: keys.len() as u64,
        ..settings.clone()
    };
    put_all(&store, &keys, &value, &filling, &mut untimed).await?;
    let mut phase = Phase::start(plan.server_pid, true);
    let outcome = get_all(&store, &keys, value.len(), settings, &mut phase).await;
    Ok(phase.finish(outcome))
}

async fn get_all(
    store: &kv::Store,
    keys: &[String],
    value_bytes: usize,
    settings: &Settings,
    phase: &mut Phase,
) -> Result<()> {
    for index in 0..settings.msgs {
        let key = key_at(keys, index);
        let started = Instant::now();
        let got = within(settings.deadline, "getting", store.get(key)).await?;
        let now = Instant::now();
        match got {
            Some(value) if value.len() == value_bytes => phase.record(value.len(), now),
            Some(value) => bail!("key {key}: {} bytes, put {value_bytes}", value.len()),
            None => bail!("key {key}: no value"),
        }
        phase.latency(started, now);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cycle_in_turn() {
        let keys = key_names(3).expect("3 keys are allowed");
        let used: Vec<&str> = (0..7).map(|index| key_at(&keys, index)).collect();
        assert_eq!(used, ["k.0", "k.1", "k.2", "k.0", "k.1", "k.2", "k.0"]);
        assert!(key_names(0).is_err());
        assert!(key_names(KEYS_MAX + 1).is_err());
    }
}
