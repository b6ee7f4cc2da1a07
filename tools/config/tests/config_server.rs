//! A realistic configuration file converted to typed `ServerConfig` and `AuthConfig`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use natrium_auth::{Authenticator, Credentials, ResponsePermission};
use natrium_config::{
    ConfigFile, JetStreamSync, LoadOptions, parse_str_with_env, parse_str_with_options,
};

const NKEY: &str = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

fn parse(text: &str) -> ConfigFile {
    let env: HashMap<String, String> = [("SYS_PASS".to_owned(), "from-env".to_owned())].into();
    // The cluster block is inert and natrium does not implement it: the operator opts in to
    // ignoring it, as `--ignore_unsupported=cluster` does.
    let options = LoadOptions {
        ignore_unsupported: vec!["cluster".to_owned()],
    };
    match parse_str_with_options(text, Path::new("/etc/nats/server.conf"), &env, &options) {
        Ok(file) => file,
        Err(error) => panic!("{error}"),
    }
}

const FULL: &str = r#"
# natrium / nats-server configuration
server_name: "natrium-1"
listen: 0.0.0.0:4333
http: "127.0.0.1:8222"

max_payload: 2MB
max_pending: 64MB
max_control_line: 8KB
max_connections: 1000
max_subscriptions: 500
ping_interval: "30s"
ping_max: 3
write_deadline: "5s"
lame_duck_duration: "1m"
lame_duck_grace_period: "5s"

debug: false
trace: no
logtime: on
log_file: "/var/log/nats.log"
pid_file: /var/run/nats.pid

jetstream {
  store_dir: "/data/js"
  max_memory_store: 1GB
  max_file_store: "10G"
  sync_interval: "2m"
}

SVC_PERMS = {
  publish: { allow: ["svc.>"], deny: "svc.admin" }
  subscribe: ["_INBOX.>", "svc.requests queue.workers"]
  allow_responses: { max: 3, expires: "10s" }
}

authorization {
  timeout: 2.5
  default_permissions: { publish: "public.>", subscribe: { deny: ["secret.>"] } }
  users: [
    { user: admin, password: "$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG",
      permissions: { publish: ">", subscribe: ">" } }
    { user: service, password: plain, permissions: $SVC_PERMS }
    { user: sys, password: $SYS_PASS }
    { user: guest }
    { nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4, permissions: { allow_responses: true } }
  ]
}
no_auth_user: guest

cluster { name: c1, listen: 0.0.0.0:6222 }
"#;

#[test]
fn full_configuration() {
    let file = parse(FULL);
    let config = &file.config;
    assert_eq!(config.server_name.as_deref(), Some("natrium-1"));
    assert_eq!(config.host.as_deref(), Some("0.0.0.0"));
    assert_eq!(config.port, Some(4333));
    assert_eq!(config.http_host.as_deref(), Some("127.0.0.1"));
    assert_eq!(config.http_port, Some(8222));
    assert_eq!(config.max_payload, Some(2 * 1024 * 1024));
    assert_eq!(config.max_pending, Some(64 * 1024 * 1024));
    assert_eq!(config.max_control_line, Some(8 * 1024));
    assert_eq!(config.max_connections, Some(1000));
    assert_eq!(config.max_subscriptions, Some(500));
    assert_eq!(config.ping_interval, Some(Duration::from_secs(30)));
    assert_eq!(config.ping_max, Some(3));
    assert_eq!(config.write_deadline, Some(Duration::from_secs(5)));
    assert_eq!(config.lame_duck_duration, Some(Duration::from_secs(60)));
    assert_eq!(config.lame_duck_grace_period, Some(Duration::from_secs(5)));
    assert_eq!(
        (config.debug, config.trace, config.logtime),
        (Some(false), Some(false), Some(true))
    );
    assert_eq!(config.log_file, Some(PathBuf::from("/var/log/nats.log")));
    assert_eq!(config.pid_file, Some(PathBuf::from("/var/run/nats.pid")));

    let jetstream = config.jetstream.as_ref().unwrap();
    assert!(jetstream.enabled);
    assert_eq!(jetstream.store_dir, Some(PathBuf::from("/data/js")));
    assert_eq!(jetstream.max_memory_store, Some(1 << 30));
    assert_eq!(jetstream.max_file_store, Some(10 << 30));
    assert_eq!(
        jetstream.sync,
        Some(JetStreamSync::Interval(Duration::from_secs(120)))
    );

    // One warning: the cluster block ignored on request; SVC_PERMS was used as a variable.
    assert_eq!(file.warnings.len(), 1, "{:#?}", file.warnings);
    assert!(
        file.warnings[0].starts_with(
            "/etc/nats/server.conf:51:1: cluster: not supported by natrium, ignored as \
             --ignore_unsupported asks"
        ),
        "{:?}",
        file.warnings
    );
}

#[test]
fn full_configuration_authorization() {
    let file = parse(FULL);
    let auth = file.config.auth.clone().unwrap();
    assert_eq!(auth.timeout, Some(Duration::from_millis(2500)));
    assert_eq!(auth.no_auth_user.as_deref(), Some("guest"));
    assert_eq!(auth.users.len(), 4);
    assert_eq!(auth.nkeys.len(), 1);
    assert_eq!(auth.nkeys[0].nkey, NKEY);
    let service = &auth.users[1];
    let service_perms = service.permissions.as_ref().unwrap();
    assert_eq!(service_perms.publish.allow, ["svc.>"]);
    assert_eq!(service_perms.publish.deny, ["svc.admin"]);
    assert_eq!(
        service_perms.subscribe.allow,
        ["_INBOX.>", "svc.requests queue.workers"]
    );
    assert_eq!(
        service_perms.allow_responses,
        Some(ResponsePermission {
            max_msgs: 3,
            expires: Duration::from_secs(10)
        })
    );
    assert_eq!(auth.users[2].password, "from-env");
    // default_permissions apply to users without their own.
    let guest_perms = auth.users[3].permissions.as_ref().unwrap();
    assert_eq!(guest_perms.publish.allow, ["public.>"]);
    assert_eq!(guest_perms.subscribe.deny, ["secret.>"]);
    let nkey_perms = auth.nkeys[0].permissions.as_ref().unwrap();
    assert_eq!(
        nkey_perms.allow_responses,
        Some(ResponsePermission::default())
    );

    // The result drives the authenticator end to end.
    let authenticator = Authenticator::new(auth).unwrap();
    let guest = authenticator
        .authenticate(&Credentials::default(), b"")
        .unwrap();
    assert_eq!(guest.name, "guest");
    let guest_permissions = guest.permissions.unwrap();
    assert!(guest_permissions.can_publish(b"public.news"));
    assert!(!guest_permissions.can_subscribe(b"secret.plans", None));
    let service_login = Credentials {
        user: Some("service"),
        pass: Some("plain"),
        ..Credentials::default()
    };
    let service = authenticator.authenticate(&service_login, b"").unwrap();
    let service_permissions = service.permissions.unwrap();
    assert!(service_permissions.can_subscribe(b"svc.requests", Some(b"queue.workers")));
    assert!(!service_permissions.can_subscribe(b"svc.requests", Some(b"intruders")));
}

#[test]
fn single_user_token_and_simple_forms() {
    let file = parse("authorization { user: derek, password: T0pS3cr3t, timeout: 1 }\nport: -1\n");
    let auth = file.config.auth.unwrap();
    assert_eq!(auth.users.len(), 1);
    assert_eq!(auth.users[0].user, "derek");
    assert_eq!(auth.users[0].password, "T0pS3cr3t");
    assert_eq!(auth.timeout, Some(Duration::from_secs(1)));
    assert_eq!(file.config.port, Some(0), "port -1 asks for a random port");

    let file = parse("authorization { token: \"s3cr3t\" }\nport: 0\njetstream: enabled\n");
    assert_eq!(file.config.auth.unwrap().token.as_deref(), Some("s3cr3t"));
    assert_eq!(file.config.port, None, "port 0 means the default");
    assert!(file.config.jetstream.unwrap().enabled);
}

#[test]
fn deprecated_and_suspicious_forms_warn() {
    // An integer ping_interval is seconds (with a warning), as in Go.
    let file = parse("ping_interval: 45\nauthorization { token: t, timeout: 120 }\n");
    assert_eq!(file.config.ping_interval, Some(Duration::from_secs(45)));
    assert_eq!(file.warnings.len(), 2, "{:?}", file.warnings);
    assert!(file.warnings[0].contains("converted to a duration"));
    assert!(file.warnings[1].contains("under 60 seconds"));
    let empty = parse("# nothing here\n");
    assert_eq!(empty.warnings.len(), 1);
    assert!(empty.warnings[0].contains("empty"));
}

#[test]
fn listen_forms_and_store_dir() {
    let file = parse("listen: 4444\nhost: 10.0.0.2\nstore_dir: /srv/js\n");
    assert_eq!(file.config.port, Some(4444));
    assert_eq!(file.config.host.as_deref(), Some("10.0.0.2"));
    let jetstream = file.config.jetstream.unwrap();
    assert!(
        !jetstream.enabled,
        "store_dir alone does not enable JetStream"
    );
    assert_eq!(jetstream.store_dir, Some(PathBuf::from("/srv/js")));
    let file = parse("listen: \"[::1]:4555\"\njetstream { sync: always }\n");
    assert_eq!(file.config.host.as_deref(), Some("::1"));
    assert_eq!(file.config.port, Some(4555));
    assert_eq!(
        file.config.jetstream.unwrap().sync,
        Some(JetStreamSync::Always)
    );
    let file = parse("listen: localhost:4666\n");
    assert_eq!(file.config.host.as_deref(), Some("localhost"));
}

#[test]
fn documented_example_loads() {
    let docs = include_str!("../../../docs/config.md");
    let example = docs
        .split("## Example\n\n```\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/config.md has an example block");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("local.conf"), "debug: true\n").unwrap();
    let env: HashMap<String, String> = [("SERVICE_PASSWORD".to_owned(), "pw".to_owned())].into();
    let file = parse_str_with_env(example, &dir.path().join("server.conf"), &env).unwrap();
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    let config = file.config;
    assert_eq!(config.debug, Some(true));
    assert_eq!(config.http_port, Some(8222));
    let auth = config.auth.unwrap();
    assert_eq!((auth.users.len(), auth.nkeys.len()), (3, 1));
    assert_eq!(auth.users[1].password, "pw");
    assert!(
        auth.users[1]
            .permissions
            .as_ref()
            .unwrap()
            .allow_responses
            .is_some()
    );
}
