//! The stream key: checked against `stream.meta`'s key check and turned into the cipher that
//! reads record bodies. Key problems are [`KeyError`]s, which exit 3.

use anyhow::Result;
use natrium_format::{CipherKind, RecordCipher, StreamKey, StreamMeta};

use crate::cli::Key;

/// Marks an error caused by the key, so it gets its own exit code.
#[derive(Debug)]
pub struct KeyError(pub String);

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

/// The stream's cipher for reading bodies: `None` for an unencrypted stream. An encrypted
/// stream with no key is `Ok(None)` only when `required` is false. A key that does not match
/// the stream's key check is always an error.
pub fn cipher_for(
    meta: &StreamMeta,
    key: Option<&Key>,
    required: bool,
) -> Result<Option<RecordCipher>> {
    if meta.cipher == CipherKind::None {
        return Ok(None);
    }
    let Some(key) = key else {
        if required {
            return Err(KeyError(format!(
                "stream {:?} is encrypted ({:?}): pass --key to read message bodies",
                meta.name, meta.cipher
            ))
            .into());
        }
        return Ok(None);
    };
    let key = StreamKey::derive(&key.0, meta.name.as_bytes());
    meta.check_key(Some(&key)).map_err(|_| {
        KeyError(format!(
            "wrong key: the --key given does not match the key of stream {:?}",
            meta.name
        ))
    })?;
    Ok(RecordCipher::new(meta.cipher, &key))
}
