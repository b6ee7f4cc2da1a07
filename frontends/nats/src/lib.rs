//! The NATS client protocol front-end: parser, connection tasks, INFO/CONNECT, delivery sinks.
