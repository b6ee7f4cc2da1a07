//! The nats-server configuration file format: parser and typed server options.
//!
//! [`parse_document`] turns text into a tree of [`Map`]s (syntax of the Go server's
//! conf/lex.go and conf/parse.go); [`load`] and [`parse_str`] go on to a typed
//! [`ServerConfig`]. natrium fails closed: a key it does not know, or knows and does not
//! implement, is an error (see `unsupported`); only inert keys the operator names in
//! [`LoadOptions`] are ignored, each with a warning.
//! Errors carry the file, line and column. No input makes the parser panic; sizes, nesting,
//! includes and variable expansion are bounded by the `*_MAX` constants.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

mod authorization;
mod duration;
mod error;
mod field;
mod literal;
mod parser;
mod scanner;
mod server;
mod tls;
mod unsupported;
mod value;
mod websocket;

use std::path::Path;

pub use duration::parse_go_duration;
pub use error::{Error, Position, Result};
pub use parser::{
    ENV_DEPTH_MAX, Environment, FILE_BYTES_MAX, INCLUDE_DEPTH_MAX, INCLUDES_MAX, NESTING_DEPTH_MAX,
    ProcessEnvironment, VALUES_MAX, parse_document,
};
pub use server::{JetStreamConfig, JetStreamSync, ServerConfig};
pub use unsupported::{IGNORABLE_KEYS, LoadOptions};
pub use value::{Entry, Item, Map, Value};

/// A loaded configuration and the warnings it drew (each starting `file:line:column:`).
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    /// The typed options; `None` fields were not configured.
    pub config: ServerConfig,
    /// Deprecated or suspicious forms, keys ignored on request: worth logging, not fatal.
    pub warnings: Vec<String>,
}

/// Reads and parses the configuration file at `path`, resolving `$VARIABLES` against the
/// process environment.
pub fn load(path: &Path) -> Result<ConfigFile> {
    load_with_options(path, &LoadOptions::default())
}

/// As [`load`], ignoring the inert keys `options` names.
pub fn load_with_options(path: &Path, options: &LoadOptions) -> Result<ConfigFile> {
    let text = parser::read_file(path, None)?;
    parse_str_with_options(&text, path, &ProcessEnvironment, options)
}

/// Parses configuration text; `origin` names it in messages and anchors relative includes.
pub fn parse_str(text: &str, origin: &Path) -> Result<ConfigFile> {
    parse_str_with_env(text, origin, &ProcessEnvironment)
}

/// As [`parse_str`], with `$VARIABLES` that name no key looked up in `env`.
pub fn parse_str_with_env(text: &str, origin: &Path, env: &dyn Environment) -> Result<ConfigFile> {
    parse_str_with_options(text, origin, env, &LoadOptions::default())
}

/// As [`parse_str_with_env`], ignoring the inert keys `options` names.
pub fn parse_str_with_options(
    text: &str,
    origin: &Path,
    env: &dyn Environment,
    options: &LoadOptions,
) -> Result<ConfigFile> {
    let tree = parse_document(text, origin, env)?;
    let mut warnings = Vec::new();
    if tree.is_empty() {
        warnings.push(format!(
            "{}: config has no values or is empty",
            origin.display()
        ));
    }
    let config = server::from_tree(&tree, options, &mut warnings)?;
    Ok(ConfigFile { config, warnings })
}
