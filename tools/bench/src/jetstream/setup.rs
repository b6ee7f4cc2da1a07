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
pub async fn recreate_bucket(
    context: &Context,
    plan: &JsPlan,
    deadline: Instant,
) -> Result<kv::Store> {
    delete_stream(context, &format!("KV_{}", plan.bucket), deadline).await?;
    let config = kv::Config {
        bucket: plan.bucket.clone(),
        history: KV_HISTORY,
        storage: plan.storage.stream_storage(),
        ..kv::Config::default()
    };
    within(
        deadline,
        "creating the bucket",
        context.create_key_value(config),
    )
    .await
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
