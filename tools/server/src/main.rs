//! natrium: the server binary. Parses flags, loads the configuration, installs the logger and
//! runs the server; or answers `--help`, `--version`, `-t` and `--signal` and exits.
//!
//! Exit codes: 0 on a clean exit, 1 when the server cannot start or a signal cannot be sent,
//! 2 for bad flags (as Go's `flag` package).

mod flags;
mod listener;
mod logging;
mod monitor;
mod server;
mod settings;
mod signals;
mod timefmt;
mod tls;
mod websocket;

use std::process::ExitCode;

use natrium_nats::NatsOptions;

/// Worker threads of the runtime; the tokio default (one per core) fits a broker.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn main() -> ExitCode {
    let flags = match flags::parse(std::env::args().skip(1)) {
        Ok(flags) => flags,
        Err(error) => {
            eprintln!("natrium: {error}\nRun 'natrium --help' for the list of options.");
            return ExitCode::from(2);
        }
    };
    if flags.help {
        println!("{}", flags::USAGE);
        return ExitCode::SUCCESS;
    }
    if flags.version {
        println!(
            "natrium: v{} (nats-server v{})",
            env!("CARGO_PKG_VERSION"),
            NatsOptions::default().version
        );
        return ExitCode::SUCCESS;
    }
    if let Some(expression) = &flags.signal {
        return match signals::send(expression, flags.pid_file.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("natrium: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    start(flags)
}

/// Loads the settings and runs the server to its end. Errors before the logger exists go to
/// stderr; later ones are logged (`[ERR]`), like the Go server's fatal log line.
fn start(flags: flags::Flags) -> ExitCode {
    let (settings, config_warnings) = match settings::load(&flags) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("natrium: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    if flags.check_config {
        let path = settings
            .config_file
            .as_deref()
            .unwrap_or(std::path::Path::new("(none)"));
        eprintln!("natrium: configuration file {} is valid", path.display());
        return ExitCode::SUCCESS;
    }
    let logger =
        match logging::Logger::new(settings.log_file.as_deref(), settings.debug, settings.trace) {
            Ok(logger) => logger,
            Err(error) => {
                eprintln!("natrium: could not open the log file: {error}");
                return ExitCode::FAILURE;
            }
        };
    logger.set_timestamps(settings.logtime);
    if let Err(error) = logger.install() {
        eprintln!("natrium: could not install the logger: {error:#}");
        return ExitCode::FAILURE;
    }
    let boot = server::Boot {
        settings,
        flags,
        logger,
        config_warnings,
    };
    let result = runtime()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(server::run(boot)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}
