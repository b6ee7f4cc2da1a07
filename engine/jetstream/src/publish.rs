//! The JetStream publish headers natrium honours, checked before a message is stored (in the
//! stream's writer, under its store lock, so checks and appends are ordered):
//! `Nats-Expected-Stream`, `Nats-Expected-Last-Sequence`,
//! `Nats-Expected-Last-Subject-Sequence` (optimistic concurrency, as KV create/update use) and
//! `Nats-Rollup` (`sub`/`all`: the new message replaces the subject's or the stream's earlier
//! ones, as KV purge uses) and `Nats-TTL` (a per-message time to live, on a stream with
//! `allow_msg_ttl`). `Nats-Msg-Id` and `Nats-Expected-Last-Msg-Id` are the writer's, with
//! its deduplication window (module `dedup`).

use natrium_store::StreamStore;
use natrium_store::types::MsgTtl;

use crate::errors::ApiError;

/// What the stream's configuration allows a publish to ask for.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublishRules {
    pub allow_rollup: bool,
    pub allow_msg_ttl: bool,
    /// `duplicate_window` in ns: how long a `Nats-Msg-Id` is remembered.
    pub duplicate_window_ns: u64,
    /// `no_ack`: stored without a PubAck.
    pub no_ack: bool,
    /// `sealed`: nothing more is stored.
    pub sealed: bool,
}

/// What a checked publish asks for beyond being stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub rollup: Rollup,
    pub ttl: MsgTtl,
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

/// Checks `headers` against the store; the roll-up to apply after storing and the TTL.
pub fn check(
    store: &dyn StreamStore,
    stream: &str,
    rules: PublishRules,
    subject: &str,
    headers: &[u8],
) -> Result<Checked, ApiError> {
    if rules.sealed {
        return Err(ApiError::stream_sealed());
    }
    if headers.is_empty() {
        return Ok(Checked {
            rollup: Rollup::None,
            ttl: MsgTtl::Stream,
        });
    }
    let text = String::from_utf8_lossy(headers);
    let ttl = match header(&text, "Nats-TTL") {
        None => MsgTtl::Stream,
        Some(_) if !rules.allow_msg_ttl => return Err(ApiError::message_ttl_disabled()),
        Some(value) => MsgTtl::After {
            ttl_ns: parse_ttl(value)?,
        },
    };
    let rollup = check_sequences_and_rollup(store, stream, rules, subject, &text)?;
    Ok(Checked { rollup, ttl })
}

/// `Nats-TTL` as Go reads it: a Go duration of at least one second (`30s`, `1h30m`) or a
/// whole number of seconds. `never` (exempt from max_age) is not served yet.
fn parse_ttl(value: &str) -> Result<u64, ApiError> {
    const SECOND_NS: u64 = 1_000_000_000;
    if value.eq_ignore_ascii_case("never") {
        return Err(ApiError::not_implemented("Nats-TTL: never"));
    }
    let ns = match value.parse::<u64>() {
        Ok(seconds) => seconds.checked_mul(SECOND_NS),
        Err(_) => natrium_router::timefmt::parse_go_duration(value)
            .and_then(|duration| u64::try_from(duration.as_nanos()).ok())
            .filter(|&ns| ns >= SECOND_NS)
            // Go keeps whole seconds.
            .map(|ns| ns / SECOND_NS * SECOND_NS),
    };
    ns.filter(|&ns| ns > 0)
        .ok_or_else(ApiError::message_ttl_invalid)
}

/// The expected-stream and expected-sequence checks, and the roll-up asked for.
fn check_sequences_and_rollup(
    store: &dyn StreamStore,
    stream: &str,
    rules: PublishRules,
    subject: &str,
    text: &str,
) -> Result<Rollup, ApiError> {
    if let Some(expected) = header(text, "Nats-Expected-Stream")
        && expected != stream
    {
        return Err(ApiError::expected_stream_mismatch());
    }
    if let Some(expected) = header(text, "Nats-Expected-Last-Sequence") {
        let last = store.state().last_seq;
        if parse_seq(expected)? != last {
            return Err(ApiError::wrong_last_sequence(last));
        }
    }
    if let Some(expected) = header(text, "Nats-Expected-Last-Subject-Sequence") {
        let last = store.load_last(subject).map_or(0, |message| message.seq);
        if parse_seq(expected)? != last {
            return Err(ApiError::wrong_last_sequence(last));
        }
    }
    match header(text, "Nats-Rollup") {
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
    fn ttl_is_read_as_go_reads_it() {
        assert_eq!(parse_ttl("30").ok(), Some(30_000_000_000));
        assert_eq!(parse_ttl("1m30s").ok(), Some(90_000_000_000));
        assert_eq!(parse_ttl("1.5s").ok(), Some(1_000_000_000));
        for bad in ["0", "500ms", "-1s", "soon", ""] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_are_found_case_insensitively() {
        let block = "NATS/1.0\r\nKV-Operation: DEL\r\nnats-rollup: sub\r\n\r\n";
        assert_eq!(header(block, "Nats-Rollup"), Some("sub"));
        assert_eq!(header(block, "KV-Operation"), Some("DEL"));
        assert_eq!(header(block, "Nats-Msg-Id"), None);
    }
}
