//! A small argv parser: `natrium-blk <command> <dir> [options]`. Hand-written because the tool
//! has five commands and a dozen flags; every flag is validated, unknown ones are errors.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};

pub const USAGE: &str = "\
usage: natrium-blk <command> <stream-dir> [options]

commands:
  inspect <dir>                 blocks, sequences, subjects, sizes, deleted, checkpoint vs blocks
  verify <dir>                  exit 0 only if every block and the checkpoint check out
  dump <dir> [--from SEQ] [--to SEQ] [--subject FILTER] [--json] [--headers] [--payload]
           [--all] [--salvage]  print stored messages (live ones; --all adds deleted messages and
                                tombstones; --salvage reads around damaged regions)
  recover <dir> [--into NEWDIR] [--salvage]
                                cut a torn tail (default) or salvage around damage; damaged bytes
                                go to quarantine/, never deleted
  compact <dir>                 rewrite blocks without deleted messages (atomic per block)

options for every command:
  --key <hex|@file>             key of an encrypted stream (needed to read bodies)
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Inspect,
    Verify,
    Dump,
    Recover,
    Compact,
}

#[derive(Debug, Default)]
pub struct Args {
    pub command: Option<Command>,
    pub dir: PathBuf,
    pub key: Option<Vec<u8>>,
    pub from: Option<u64>,
    pub to: Option<u64>,
    pub subject: Option<String>,
    pub json: bool,
    pub headers: bool,
    pub payload: bool,
    pub all: bool,
    pub into: Option<PathBuf>,
    pub salvage: bool,
}

pub fn parse(argv: &[String]) -> Result<Args> {
    let mut args = Args::default();
    let mut iter = argv.iter();
    args.command = Some(match iter.next().map(String::as_str) {
        Some("inspect") => Command::Inspect,
        Some("verify") => Command::Verify,
        Some("dump") => Command::Dump,
        Some("recover") => Command::Recover,
        Some("compact") => Command::Compact,
        Some(other) => bail!("unknown command {other:?}"),
        None => bail!("missing command"),
    });
    let mut dir = None;
    while let Some(arg) = iter.next() {
        let mut value = |flag: &str| {
            iter.next()
                .cloned()
                .ok_or_else(|| anyhow!("{flag} needs a value"))
        };
        match arg.as_str() {
            "--key" => args.key = Some(parse_key(&value("--key")?)?),
            "--from" => args.from = Some(value("--from")?.parse().context("--from")?),
            "--to" => args.to = Some(value("--to")?.parse().context("--to")?),
            "--subject" => args.subject = Some(value("--subject")?),
            "--into" => args.into = Some(PathBuf::from(value("--into")?)),
            "--json" => args.json = true,
            "--headers" => args.headers = true,
            "--payload" => args.payload = true,
            "--all" => args.all = true,
            "--salvage" => args.salvage = true,
            flag if flag.starts_with("--") => bail!("unknown option {flag}"),
            path if dir.is_none() => dir = Some(PathBuf::from(path)),
            extra => bail!("unexpected argument {extra:?}"),
        }
    }
    args.dir = dir.ok_or_else(|| anyhow!("missing stream directory"))?;
    Ok(args)
}

/// `--key` is hex, or `@file` holding hex or raw key bytes.
fn parse_key(text: &str) -> Result<Vec<u8>> {
    if let Some(path) = text.strip_prefix('@') {
        let bytes = std::fs::read(path).with_context(|| format!("reading key file {path}"))?;
        let trimmed = String::from_utf8_lossy(&bytes).trim().to_owned();
        return Ok(decode_hex(&trimmed).unwrap_or(bytes));
    }
    decode_hex(text).ok_or_else(|| anyhow!("--key must be hex (or @file)"))
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

    fn argv(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_dump_flags_and_hex_key() {
        let args = parse(&argv(
            "dump /s --from 3 --to 9 --subject a.* --json --key 0aff",
        ))
        .unwrap();
        assert_eq!(args.command, Some(Command::Dump));
        assert_eq!((args.from, args.to), (Some(3), Some(9)));
        assert_eq!(args.subject.as_deref(), Some("a.*"));
        assert!(args.json);
        assert_eq!(args.key, Some(vec![0x0a, 0xff]));
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "",
            "frobnicate /s",
            "dump",
            "dump /s --from x",
            "dump /s --nope",
            "dump /s /t",
        ] {
            assert!(parse(&argv(bad)).is_err(), "{bad}");
        }
        assert!(parse(&argv("verify /s --key zz")).is_err());
    }
}
