//! A consumer's files beside its stream: `consumers/<name>.json` (the configuration a restart
//! recreates it from, written atomically) and `consumers/<name>.state` (its progress, owned by
//! the store's consumer-state store).

use serde_json::json;

use crate::errors::ApiError;

use super::ConsumerConfig;

/// `<stream dir>/consumers/<name>.json`: the configuration a restart recreates it from.
fn config_path(stream_dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    stream_dir.join("consumers").join(format!("{name}.json"))
}

/// Writes the consumer's configuration next to its state (atomically).
pub fn save_config(config: &ConsumerConfig, stream_dir: &std::path::Path) -> Result<(), ApiError> {
    let body = json!({ "config": config.json });
    let storage = natrium_store::io::RealStorage::new();
    let path = config_path(stream_dir, &config.name);
    natrium_store::io::create_dir_durable(&storage, path.parent().unwrap_or(stream_dir))
        .and_then(|()| {
            natrium_store::io::write_atomic(&storage, &path, body.to_string().as_bytes())
        })
        .map_err(|error| ApiError::consumer_create(format!("saving the consumer: {error}")))
}

/// Removes a deleted consumer's files.
pub fn remove_files(stream_dir: &std::path::Path, name: &str) {
    for path in [
        config_path(stream_dir, name),
        stream_dir.join("consumers").join(format!("{name}.state")),
    ] {
        if let Err(error) = std::fs::remove_file(&path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::error!(path = %path.display(), %error, "removing a deleted consumer");
        }
    }
}

/// The configurations saved under `stream_dir`, by consumer name.
pub fn saved_configs(stream_dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(stream_dir.join("consumers")) else {
        return Vec::new();
    };
    let mut saved: Vec<(String, Vec<u8>)> = entries
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(".json")?
                .to_owned();
            match crate::service::read_saved_json(&path) {
                Ok(text) => Some((name, text)),
                Err(error) => {
                    // Left in place: nothing is deleted because it could not be read.
                    tracing::error!(path = %path.display(), %error, "consumer not loaded");
                    None
                }
            }
        })
        .collect();
    saved.sort();
    saved
}
