//! Streams and buckets for a run, created through the JetStream API after deleting any left
//! by an earlier run, so every run starts from an empty stream.

use std::time::Instant;

use anyhow::{Result, anyhow};
use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::context::DeleteStreamErrorKind;
use async_nats::jetstream::{self, Context, kv, stream};

use super::measure::within;
use super::{JsPlan, Storage};

/// KV buckets keep one value per key, as a cache or configuration store does.
const KV_HISTORY: i64 = 1;

/// Deletes the stream `name` if it exists; a stream that is not there is not an error.
async fn delete_stream(context: &Context, name: &str, deadline: Instant) -> Result<()> {
    let deleted = super::measure::before(deadline, "deleting", context.delete_stream(name)).await?;
    match deleted {
        Ok(_) => Ok(()),
        Err(error) => match error.kind() {
            DeleteStreamErrorKind::JetStream(cause)
                if cause.error_code() == ErrorCode::STREAM_NOT_FOUND =>
            {
                Ok(())
            }
            _ => Err(anyhow!("deleting stream {name}: {error}")),
        },
    }
}

/// A fresh stream `plan.stream` on `subject` in `plan.storage`.
pub async fn recreate_stream(
    context: &Context,
    plan: &JsPlan,
    subject: &str,
    deadline: Instant,
) -> Result<stream::Stream> {
    delete_stream(context, &plan.stream, deadline).await?;
    let config = stream::Config {
        name: plan.stream.clone(),
        subjects: vec![subject.to_string()],
        storage: plan.storage.stream_storage(),
        ..stream::Config::default()
    };
    within(
        deadline,
        "creating the stream",
        context.create_stream(config),
    )
    .await
}

/// A fresh KV bucket `plan.bucket` in `plan.storage`, one value per key.
///
/// The bucket's stream is created with the configuration async-nats's `create_key_value`
/// would send (`KV_<bucket>` on `$KV.<bucket>.>`, rollups, no deletes, direct gets, discard
/// new), then bound with `get_key_value`: `create_key_value` first asks for the account's
/// info, and async-nats 0.51 can not parse the Go 2.9 server's answer to that.
pub async fn recreate_bucket(
    context: &Context,
    plan: &JsPlan,
    deadline: Instant,
) -> Result<kv::Store> {
    let stream_name = format!("KV_{}", plan.bucket);
    delete_stream(context, &stream_name, deadline).await?;
    let config = stream::Config {
        name: stream_name,
        subjects: vec![format!("$KV.{}.>", plan.bucket)],
        max_messages_per_subject: KV_HISTORY,
        storage: plan.storage.stream_storage(),
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        num_replicas: 1,
        ..stream::Config::default()
    };
    within(
        deadline,
        "creating the bucket",
        context.create_stream(config),
    )
    .await?;
    let binding = context.get_key_value(plan.bucket.clone());
    within(deadline, "binding the bucket", binding).await
}

impl Storage {
    /// The stream storage for a bench storage choice.
    pub fn stream_storage(self) -> jetstream::stream::StorageType {
        match self {
            Self::Memory => jetstream::stream::StorageType::Memory,
            Self::File => jetstream::stream::StorageType::File,
        }
    }
}
