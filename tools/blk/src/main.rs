//! natrium-blk: inspect, verify, dump, recover and compact a stream directory offline. It reads
//! only through natrium-recovery (scanner, repair) and natrium-format (codecs).
//!
//! Exit codes (also in `--help`): 0 clean, 1 damage found or the command failed, 2 usage
//! error, 3 wrong or missing key.

mod cli;
mod consumer_reset;
mod dump;
mod inspect;
mod jetstream;
mod key;
mod lock;
mod progress;
mod report;
mod rewrite;
mod verify;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use key::KeyError;

fn main() -> ExitCode {
    // clap prints help and version to stdout with exit 0, usage errors to stderr with exit 2.
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Inspect(args) => match jetstream::streams_in(&args.stream.dir) {
            Ok(Some(streams)) => jetstream::inspect(&streams, args),
            Ok(None) => inspect::inspect(args),
            Err(error) => Err(error),
        },
        Command::Verify(args) => match jetstream::streams_in(&args.stream.dir) {
            Ok(Some(streams)) => jetstream::verify(&streams, args),
            Ok(None) => verify::verify(args),
            Err(error) => Err(error),
        },
        Command::Dump(args) => dump::dump(args),
        Command::Recover(args) => rewrite::recover(args),
        Command::Compact(args) => rewrite::compact(args),
        Command::Rekey(args) => rewrite::rekey(args),
        Command::ConsumerReset(args) => consumer_reset::consumer_reset(args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) if error.downcast_ref::<KeyError>().is_some() => {
            eprintln!("error: {error}");
            ExitCode::from(3)
        }
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::from(1)
        }
    }
}

/// The error and its causes, skipping a cause whose text the message already contains.
fn describe(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !message.contains(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
    }
    message
}
