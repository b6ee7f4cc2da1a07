//! The JetStream publish headers natrium honours, checked before a message is stored (in the
//! stream's writer, under its store lock, so checks and appends are ordered):
//! `Nats-Expected-Stream`, `Nats-Expected-Last-Sequence`,
//! `Nats-Expected-Last-Subject-Sequence` (optimistic concurrency, as KV create/update use) and
//! `Nats-Rollup` (`sub`/`all`: the new message replaces the subject's or the stream's earlier
//! ones, as KV purge uses). Headers whose meaning is not implemented yet
//! (`Nats-Msg-Id` deduplication, `Nats-Expected-Last-Msg-Id`, `Nats-TTL`) refuse the message
//! instead of storing it without what the publisher asked for.

use natrium_store::StreamStore;

use crate::errors::ApiError;

/// What the stream's configuration allows a publish to ask for.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublishRules {
    pub allow_rollup: bool,
}

/// A roll-up the message asked for, applied once it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollup {
    None,
    /// Remove the subject's earlier messages.
    Subject,
    /// Remove every earlier message.
    All,
}

/// Checks `headers` against the store; the roll-up to apply after storing.
pub fn check(
    store: &dyn StreamStore,
    stream: &str,
    rules: PublishRules,
    subject: &str,
    headers: &[u8],
) -> Result<Rollup, ApiError> {
    if headers.is_empty() {
        return Ok(Rollup::None);
    }
    let text = String::from_utf8_lossy(headers);
    for refused in ["Nats-Msg-Id", "Nats-Expected-Last-Msg-Id", "Nats-TTL"] {
        if header(&text, refused).is_some() {
            return Err(ApiError::not_implemented(&format!("the {refused} header")));
        }
    }
    if let Some(expected) = header(&text, "Nats-Expected-Stream")
        && expected != stream
    {
        return Err(ApiError::expected_stream_mismatch());
    }
    if let Some(expected) = header(&text, "Nats-Expected-Last-Sequence") {
        let last = store.state().last_seq;
        if parse_seq(expected)? != last {
            return Err(ApiError::wrong_last_sequence(last));
        }
    }
    if let Some(expected) = header(&text, "Nats-Expected-Last-Subject-Sequence") {
        let last = store.load_last(subject).map_or(0, |message| message.seq);
        if parse_seq(expected)? != last {
            return Err(ApiError::wrong_last_sequence(last));
        }
    }
    match header(&text, "Nats-Rollup") {
        None => Ok(Rollup::None),
        Some(_) if !rules.allow_rollup => Err(ApiError::rollup_failed("rollup not permitted")),
        Some(value) if value.eq_ignore_ascii_case("sub") => Ok(Rollup::Subject),
        Some(value) if value.eq_ignore_ascii_case("all") => Ok(Rollup::All),
        Some(value) => Err(ApiError::rollup_failed(format!(
            "rollup value invalid: {value:?}"
        ))),
    }
}

/// Removes what the roll-up replaces: earlier messages than `seq`, on `subject` or all.
pub fn apply_rollup(
    store: &mut dyn StreamStore,
    rollup: Rollup,
    subject: &str,
    seq: u64,
) -> natrium_store::Result<()> {
    match rollup {
        Rollup::None => Ok(()),
        Rollup::Subject => store.purge_ex(subject, seq, 0).map(drop),
        Rollup::All => store.purge_ex(">", seq, 0).map(drop),
    }
}

/// The value of header `name` (case-insensitive, first occurrence) in a NATS header block.
pub fn header<'a>(block: &'a str, name: &str) -> Option<&'a str> {
    block
        .split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
}

fn parse_seq(text: &str) -> Result<u64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::invalid_config(format!("invalid sequence {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_case_insensitively() {
        let block = "NATS/1.0\r\nKV-Operation: DEL\r\nnats-rollup: sub\r\n\r\n";
        assert_eq!(header(block, "Nats-Rollup"), Some("sub"));
        assert_eq!(header(block, "KV-Operation"), Some("DEL"));
        assert_eq!(header(block, "Nats-Msg-Id"), None);
    }
}
