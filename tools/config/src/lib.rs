//! The nats-server configuration file format: parser and typed server options.
