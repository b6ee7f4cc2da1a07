//! The command line, declared with clap: one subcommand per verb, each with its own options and
//! help. A usage error exits 2 (clap's code), `--help` exits 0.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Printed after every help text: the exit codes scripts can rely on.
const EXIT_CODES: &str = "\
Exit codes:
  0  clean: the command succeeded and found no damage
  1  damage found (verify), or the command failed (unreadable directory, refused repair)
  2  usage error (unknown option, missing argument, malformed --key)
  3  wrong or missing key for an encrypted stream";

#[derive(Debug, Parser)]
#[command(
    name = "natrium-blk",
    version,
    about = "Inspect, verify, dump, recover and compact a natrium stream directory offline.",
    long_about = "Inspect, verify, dump, recover and compact a natrium stream directory offline. \
                  Reads with the same recovery code the store runs at open. A progress bar \
                  goes to stderr when it is a terminal; stdout carries only the report.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show blocks, sequences, subjects, sizes, deleted ranges and the checkpoint against the
    /// blocks; damage is shown, not fatal.
    #[command(after_help = EXIT_CODES)]
    Inspect(InspectArgs),
    /// Check every block and the checkpoint, listing every problem with its file and offset;
    /// exit 0 only if all of it checks out.
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
    /// Print stored messages, one per line (live ones unless --all).
    #[command(after_help = EXIT_CODES)]
    Dump(DumpArgs),
    /// Cut a torn tail (default) or salvage around damage; damaged bytes go to quarantine/,
    /// never deleted.
    #[command(after_help = EXIT_CODES)]
    Recover(RecoverArgs),
    /// Rewrite blocks without deleted messages (each block replaced atomically).
    #[command(after_help = EXIT_CODES)]
    Compact(StreamArgs),
    /// Rotate the key of an encrypted stream: every record is opened under --key and sealed
    /// again under --new-key, into a new directory (the source is left as it is).
    #[command(after_help = EXIT_CODES)]
    Rekey(RekeyArgs),
    /// Set one consumer's state aside (to quarantine/) so it starts over empty at the next
    /// open: for a damaged state file `verify` names, or to restart a consumer.
    #[command(after_help = EXIT_CODES)]
    ConsumerReset(ConsumerResetArgs),
}

/// The stream directory and its key: every verb takes both.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// The stream directory (holds stream.meta and blocks/).
    #[arg(value_name = "STREAM_DIR")]
    pub dir: PathBuf,
    /// Key of an encrypted stream, as hex or @FILE (a file holding hex or the raw key bytes);
    /// checked against the stream's key check, exit 3 when it does not match.
    #[arg(long, value_name = "HEX|@FILE", value_parser = parse_key)]
    pub key: Option<Key>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Print one JSON object (fields in docs/natrium-blk.md) instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Print one JSON object with `healthy` and the list of problems instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    #[command(flatten)]
    pub stream: StreamArgs,
    /// First sequence to print (inclusive).
    #[arg(long, value_name = "SEQ")]
    pub from: Option<u64>,
    /// Last sequence to print (inclusive).
    #[arg(long, value_name = "SEQ")]
    pub to: Option<u64>,
    /// Print only subjects matching this filter (NATS wildcards `*` and `>` allowed).
    #[arg(long, value_name = "FILTER")]
    pub subject: Option<String>,
    /// Print one JSON object per line instead of key=value text.
    #[arg(long)]
    pub json: bool,
    /// Include each message's headers (needs --key on an encrypted stream).
    #[arg(long)]
    pub headers: bool,
    /// Include each message's payload (needs --key on an encrypted stream).
    #[arg(long)]
    pub payload: bool,
    /// Also print deleted messages and tombstones, marked as such.
    #[arg(long)]
    pub all: bool,
    /// Read around damaged regions (read-only) instead of refusing mid-block damage.
    #[arg(long)]
    pub salvage: bool,
}

#[derive(Debug, Args)]
pub struct RecoverArgs {
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Write the repaired stream into this new directory instead of repairing in place.
    #[arg(long, value_name = "NEWDIR")]
    pub into: Option<PathBuf>,
    /// Keep every record that verifies and quarantine damaged regions anywhere (the default
    /// only cuts a torn tail of the last block and refuses other damage).
    #[arg(long)]
    pub salvage: bool,
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    #[command(flatten)]
    pub stream: StreamArgs,
    /// The new key, as hex or @FILE (like --key).
    #[arg(long, value_name = "HEX|@FILE", value_parser = parse_key)]
    pub new_key: Key,
    /// The new stream directory to write (created; must not hold blocks). Swap it in for the
    /// old one while no server has the stream open.
    #[arg(long, value_name = "NEWDIR")]
    pub into: PathBuf,
}

#[derive(Debug, Args)]
pub struct ConsumerResetArgs {
    #[command(flatten)]
    pub stream: StreamArgs,
    /// The consumer's name (its state is consumers/NAME.state).
    #[arg(value_name = "CONSUMER")]
    pub name: String,
}

/// Key bytes as given on the command line (before derivation with the stream name).
#[derive(Clone, PartialEq, Eq)]
pub struct Key(pub Vec<u8>);

// Key bytes never reach logs or panic messages.
impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({} bytes)", self.0.len())
    }
}

/// `--key` is hex, or `@file` holding hex or raw key bytes.
fn parse_key(text: &str) -> Result<Key, String> {
    if let Some(path) = text.strip_prefix('@') {
        let bytes =
            std::fs::read(path).map_err(|error| format!("reading key file {path}: {error}"))?;
        let trimmed = String::from_utf8_lossy(&bytes).trim().to_owned();
        return Ok(Key(decode_hex(&trimmed).unwrap_or(bytes)));
    }
    decode_hex(text)
        .map(Key)
        .ok_or_else(|| "must be hex (or @FILE)".to_owned())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(text: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("natrium-blk").chain(text.split_whitespace()))
    }

    #[test]
    fn declaration_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_dump_flags_and_hex_key() {
        let Command::Dump(args) = parse("dump /s --from 3 --to 9 --subject a.* --json --key 0aff")
            .unwrap()
            .command
        else {
            panic!("not dump");
        };
        assert_eq!((args.from, args.to), (Some(3), Some(9)));
        assert_eq!(args.subject.as_deref(), Some("a.*"));
        assert!(args.json && !args.all && !args.salvage);
        assert_eq!(args.stream.key, Some(Key(vec![0x0a, 0xff])));
        assert_eq!(args.stream.dir, PathBuf::from("/s"));
    }

    #[test]
    fn rejects_bad_input_as_usage_errors() {
        for bad in [
            "",
            "frobnicate /s",
            "dump",
            "dump /s --from x",
            "dump /s --nope",
            "dump /s /t",
            "verify /s --key zz",
            "verify /s --key abc",
            "recover /s --json",
        ] {
            let error = parse(bad).expect_err(bad);
            assert_eq!(error.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn key_file_holds_hex_or_raw_bytes() {
        let temp = tempfile::tempdir().unwrap();
        let hex = temp.path().join("hex");
        std::fs::write(&hex, "0aff\n").unwrap();
        let raw = temp.path().join("raw");
        std::fs::write(&raw, [0xde, 0xad]).unwrap();
        let at = |path: &std::path::Path| format!("@{}", path.display());
        assert_eq!(parse_key(&at(&hex)), Ok(Key(vec![0x0a, 0xff])));
        assert_eq!(parse_key(&at(&raw)), Ok(Key(vec![0xde, 0xad])));
        assert!(parse_key(&at(&temp.path().join("missing"))).is_err());
    }
}
