//! Command-line flags in Go's `flag` package syntax, as nats-server accepts them.
//!
//! Go flags take one or two dashes (`-p`, `--port`), a value after `=` or as the next argument
//! (`-p=4222`, `-p 4222`, `-p -1`), and boolean flags take no argument (`-js`, `-D=false`).
//! Long single-dash names (`-js`, `-sd`, `-DV`) rule out clap, hence this small parser.
//! Parsing stops at `--` or at the first argument that is not a flag.

use std::path::PathBuf;

/// Every flag the server understands, each `None`/`false` when not given.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Flags {
    pub host: Option<String>,
    /// `-1` asks for a random free port.
    pub port: Option<i32>,
    pub server_name: Option<String>,
    pub config: Option<PathBuf>,
    /// `-t`: check the configuration and exit.
    pub check_config: bool,
    pub jetstream: Option<bool>,
    pub store_dir: Option<PathBuf>,
    /// `-1` asks for a random free port.
    pub http_port: Option<i32>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    /// `--tls`: `Some(false)` turns TLS off whatever the configuration says.
    pub tls: Option<bool>,
    /// `--tlsverify`: TLS with client certificate verification.
    pub tls_verify: Option<bool>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_ca_cert: Option<PathBuf>,
    pub debug: Option<bool>,
    pub trace: Option<bool>,
    pub log_file: Option<PathBuf>,
    /// `-T`/`--logtime`: timestamps on log lines (default true).
    pub logtime: Option<bool>,
    pub pid_file: Option<PathBuf>,
    /// `--signal CMD[=PID]`.
    pub signal: Option<String>,
    /// `--ignore_unsupported=KEY[,KEY]`: inert configuration keys to run without (natrium's
    /// own flag; security-relevant keys are refused whatever it says).
    pub ignore_unsupported: Vec<String>,
    pub version: bool,
    pub help: bool,
}

/// A flag error, worded like Go's `flag` package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagError(pub String);

impl std::fmt::Display for FlagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a flag sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Host,
    Port,
    Name,
    Config,
    CheckConfig,
    JetStream,
    StoreDir,
    HttpPort,
    User,
    Password,
    Token,
    Tls,
    TlsVerify,
    TlsCert,
    TlsKey,
    TlsCaCert,
    Debug,
    Trace,
    DebugAndTrace,
    LogFile,
    LogTime,
    LogTimeUtc,
    PidFile,
    Signal,
    IgnoreUnsupported,
    Version,
    Help,
}

impl Target {
    fn takes_value(self) -> bool {
        !matches!(
            self,
            Self::CheckConfig
                | Self::Tls
                | Self::TlsVerify
                | Self::JetStream
                | Self::Debug
                | Self::Trace
                | Self::DebugAndTrace
                | Self::LogTime
                | Self::LogTimeUtc
                | Self::Version
                | Self::Help
        )
    }
}

/// Flag names and what they set; the aliases are nats-server's.
const FLAG_TABLE: &[(&str, Target)] = &[
    ("a", Target::Host),
    ("addr", Target::Host),
    ("net", Target::Host),
    ("p", Target::Port),
    ("port", Target::Port),
    ("n", Target::Name),
    ("name", Target::Name),
    ("server_name", Target::Name),
    ("c", Target::Config),
    ("config", Target::Config),
    ("t", Target::CheckConfig),
    ("js", Target::JetStream),
    ("jetstream", Target::JetStream),
    ("sd", Target::StoreDir),
    ("store_dir", Target::StoreDir),
    ("m", Target::HttpPort),
    ("http_port", Target::HttpPort),
    ("user", Target::User),
    ("pass", Target::Password),
    ("auth", Target::Token),
    ("tls", Target::Tls),
    ("tlsverify", Target::TlsVerify),
    ("tlscert", Target::TlsCert),
    ("tlskey", Target::TlsKey),
    ("tlscacert", Target::TlsCaCert),
    ("D", Target::Debug),
    ("debug", Target::Debug),
    ("V", Target::Trace),
    ("trace", Target::Trace),
    ("DV", Target::DebugAndTrace),
    ("l", Target::LogFile),
    ("log", Target::LogFile),
    ("T", Target::LogTime),
    ("logtime", Target::LogTime),
    ("logtime_utc", Target::LogTimeUtc),
    ("P", Target::PidFile),
    ("pid", Target::PidFile),
    ("sl", Target::Signal),
    ("signal", Target::Signal),
    ("ignore_unsupported", Target::IgnoreUnsupported),
    ("v", Target::Version),
    ("version", Target::Version),
    ("h", Target::Help),
    ("help", Target::Help),
];

/// Parses `args` (without the program name).
pub fn parse<I, S>(args: I) -> Result<Flags, FlagError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut args = args.into_iter().map(Into::into);
    let mut flags = Flags::default();
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            return Err(FlagError(format!("unexpected argument: {arg}")));
        };
        if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
            return Err(FlagError(format!("bad flag syntax: {arg}")));
        }
        let (name, inline_value) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (body, None),
        };
        let Some(&(_, target)) = FLAG_TABLE.iter().find(|(known, _)| *known == name) else {
            return Err(FlagError(format!("flag provided but not defined: -{name}")));
        };
        let value = if target.takes_value() {
            match inline_value {
                Some(value) => value,
                None => args
                    .next()
                    .ok_or_else(|| FlagError(format!("flag needs an argument: -{name}")))?,
            }
        } else {
            inline_value.unwrap_or_else(|| "true".to_owned())
        };
        apply(&mut flags, target, name, value)?;
    }
    if let Some(extra) = args.next() {
        return Err(FlagError(format!("unexpected argument: {extra}")));
    }
    Ok(flags)
}

/// Stores one flag's value.
fn apply(flags: &mut Flags, target: Target, name: &str, value: String) -> Result<(), FlagError> {
    match target {
        Target::Host => flags.host = Some(value),
        Target::Port => flags.port = Some(parse_int(name, &value)?),
        Target::Name => flags.server_name = Some(value),
        Target::Config => flags.config = Some(PathBuf::from(value)),
        Target::CheckConfig => flags.check_config = parse_bool(name, &value)?,
        Target::JetStream => flags.jetstream = Some(parse_bool(name, &value)?),
        Target::StoreDir => flags.store_dir = Some(PathBuf::from(value)),
        Target::HttpPort => flags.http_port = Some(parse_int(name, &value)?),
        Target::User => flags.user = Some(value),
        Target::Password => flags.password = Some(value),
        Target::Token => flags.token = Some(value),
        Target::Tls => flags.tls = Some(parse_bool(name, &value)?),
        Target::TlsVerify => flags.tls_verify = Some(parse_bool(name, &value)?),
        Target::TlsCert => flags.tls_cert = Some(PathBuf::from(value)),
        Target::TlsKey => flags.tls_key = Some(PathBuf::from(value)),
        Target::TlsCaCert => flags.tls_ca_cert = Some(PathBuf::from(value)),
        Target::Debug => flags.debug = Some(parse_bool(name, &value)?),
        Target::Trace => flags.trace = Some(parse_bool(name, &value)?),
        Target::DebugAndTrace => {
            let on = parse_bool(name, &value)?;
            flags.debug = Some(on);
            flags.trace = Some(on);
        }
        Target::LogFile => flags.log_file = Some(PathBuf::from(value)),
        Target::LogTime => flags.logtime = Some(parse_bool(name, &value)?),
        // Accepted for nats-server compatibility: natrium always logs UTC.
        Target::LogTimeUtc => {
            parse_bool(name, &value)?;
        }
        Target::PidFile => flags.pid_file = Some(PathBuf::from(value)),
        Target::Signal => flags.signal = Some(value),
        Target::IgnoreUnsupported => flags.ignore_unsupported.extend(
            value
                .split(',')
                .map(str::trim)
                .filter(|key| !key.is_empty())
                .map(str::to_owned),
        ),
        Target::Version => flags.version = parse_bool(name, &value)?,
        Target::Help => flags.help = parse_bool(name, &value)?,
    }
    Ok(())
}

/// Go's `strconv.ParseBool` vocabulary.
fn parse_bool(name: &str, value: &str) -> Result<bool, FlagError> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(FlagError(format!(
            "invalid boolean value {value:?} for -{name}: parse error"
        ))),
    }
}

fn parse_int(name: &str, value: &str) -> Result<i32, FlagError> {
    value.parse().map_err(|_| {
        FlagError(format!(
            "invalid value {value:?} for flag -{name}: parse error"
        ))
    })
}

/// The `--help` text.
pub const USAGE: &str = "\
Usage: natrium [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222, -1 for a random port)
    -n, --name
        --server_name <server_name>  Server name (default: auto)
    -P, --pid <file>                 File to store PID
    -m, --http_port <port>           Use port for http monitoring
    -c, --config <file>              Configuration file
    -t                               Test configuration and exit
        --ignore_unsupported <keys>  Run without these inert configuration blocks natrium does
                                     not implement yet (comma-separated, e.g. cluster,gateway);
                                     security-relevant keys (accounts, ocsp, ...) are always
                                     refused
    -sl,--signal <signal>[=<pid>]    Send signal to natrium process (ldm, stop, quit, term, reopen, reload)
                                     <pid> can be either a PID (e.g. 1) or the path to a PID file

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true; always UTC)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -DV                              Debug and trace

JetStream Options:
    -js, --jetstream                 Enable JetStream functionality (default: true)
    -sd, --store_dir <dir>           Set the storage directory (default: ./data; streams in
                                     <dir>/jetstream/<account>/streams, as nats-server)

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
";

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Flags {
        parse(args.iter().copied()).expect("valid flags")
    }

    #[test]
    fn all_value_spellings() {
        for args in [
            &["-p", "4333"][..],
            &["-p=4333"],
            &["--port", "4333"],
            &["--port=4333"],
        ] {
            assert_eq!(parsed(args).port, Some(4333), "{args:?}");
        }
        assert_eq!(parsed(&["-p", "-1"]).port, Some(-1));
    }

    #[test]
    fn single_dash_long_flags() {
        let flags = parsed(&["-js", "-sd", "/tmp/js", "-DV", "-m", "8222"]);
        assert_eq!(flags.jetstream, Some(true));
        assert_eq!(flags.store_dir, Some(PathBuf::from("/tmp/js")));
        assert_eq!((flags.debug, flags.trace), (Some(true), Some(true)));
        assert_eq!(flags.http_port, Some(8222));
        assert_eq!(parsed(&["--jetstream=false"]).jetstream, Some(false));
    }

    #[test]
    fn aliases() {
        let flags = parsed(&[
            "--net",
            "127.0.0.1",
            "--server_name",
            "x",
            "--signal",
            "ldm=12",
        ]);
        assert_eq!(flags.host.as_deref(), Some("127.0.0.1"));
        assert_eq!(flags.server_name.as_deref(), Some("x"));
        assert_eq!(flags.signal.as_deref(), Some("ldm=12"));
        let flags = parsed(&[
            "--user", "u", "--pass", "p", "--auth", "t", "-P", "f", "-l", "g",
        ]);
        assert_eq!(flags.user.as_deref(), Some("u"));
        assert_eq!(flags.password.as_deref(), Some("p"));
        assert_eq!(flags.token.as_deref(), Some("t"));
        assert_eq!(flags.pid_file, Some(PathBuf::from("f")));
        assert_eq!(flags.log_file, Some(PathBuf::from("g")));
        assert_eq!(parsed(&["-T=false", "--logtime_utc"]).logtime, Some(false));
    }

    #[test]
    fn errors() {
        let error = parse(["--bogus"]).expect_err("unknown flag");
        assert_eq!(error.0, "flag provided but not defined: -bogus");
        assert!(
            parse(["-p"])
                .expect_err("missing value")
                .0
                .contains("needs an argument")
        );
        assert!(
            parse(["-p", "x"])
                .expect_err("bad int")
                .0
                .contains("invalid value")
        );
        assert!(parse(["-js=maybe"]).is_err());
        assert!(parse(["stray"]).is_err());
        assert!(parse(["---p", "1"]).is_err());
    }

    #[test]
    fn tls_flags() {
        let flags = parsed(&[
            "--tlsverify",
            "--tlscert",
            "s.pem",
            "-tlskey=s.key",
            "--tlscacert",
            "ca.pem",
        ]);
        assert_eq!(flags.tls_verify, Some(true));
        assert_eq!(flags.tls_cert, Some(PathBuf::from("s.pem")));
        assert_eq!(flags.tls_key, Some(PathBuf::from("s.key")));
        assert_eq!(flags.tls_ca_cert, Some(PathBuf::from("ca.pem")));
        assert_eq!(parsed(&["--tls=false"]).tls, Some(false));
    }

    #[test]
    fn double_dash_ends_flags() {
        assert!(parse(["-D", "--"]).is_ok());
        assert!(
            parse(["--", "stray"]).is_err(),
            "positional arguments are not accepted"
        );
    }
}
