//! natrium-blk: inspect, verify, dump, recover and compact a stream directory offline. It reads
//! only through natrium-recovery (scanner, repair) and natrium-format (codecs).
//!
//! Exit codes: 0 success, 1 damage or verification failure, 2 usage error, 3 wrong or missing
//! key.

mod args;
mod commands;

use std::process::ExitCode;

use args::{Command, USAGE};

/// Marks an error caused by the key, so it gets its own exit code.
#[derive(Debug)]
pub struct KeyError(pub String);

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if matches!(
        argv.first().map(String::as_str),
        Some("-h" | "--help" | "help")
    ) {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match args::parse(&argv) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("error: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match args.command {
        Some(Command::Inspect) => commands::inspect(&args),
        Some(Command::Verify) => commands::verify(&args),
        Some(Command::Dump) => commands::dump(&args),
        Some(Command::Recover) => commands::recover(&args),
        Some(Command::Compact) => commands::compact(&args),
        None => Ok(false),
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
