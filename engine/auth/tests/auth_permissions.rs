//! Permissions reached through an authenticated identity: allow/deny, wildcards, queues and
//! allow_responses.

use std::time::Duration;

use natrium_auth::{
    AuthConfig, Authenticator, Credentials, PermissionsConfig, ResponsePermission,
    SubjectPermission, UserConfig,
};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

fn authenticator(permissions: PermissionsConfig) -> Authenticator {
    let user = UserConfig {
        user: "u".into(),
        password: "p".into(),
        permissions: Some(permissions),
    };
    Authenticator::new(AuthConfig {
        users: vec![user],
        ..AuthConfig::default()
    })
    .unwrap()
}

fn permissions_of(auth: &Authenticator) -> std::sync::Arc<natrium_auth::Permissions> {
    let credentials = Credentials {
        user: Some("u"),
        pass: Some("p"),
        ..Credentials::default()
    };
    auth.authenticate(&credentials, b"")
        .unwrap()
        .permissions
        .unwrap()
}

#[test]
fn publish_and_subscribe_lists() {
    let auth = authenticator(PermissionsConfig {
        publish: SubjectPermission {
            allow: strings(&["req.*", "$JS.API.>"]),
            deny: strings(&["req.admin"]),
        },
        subscribe: SubjectPermission {
            allow: strings(&["_INBOX.>", "updates.*", "work.* crew"]),
            deny: strings(&["updates.secret"]),
        },
        allow_responses: None,
    });
    let p = permissions_of(&auth);
    assert!(p.can_publish(b"req.time"));
    assert!(!p.can_publish(b"req.admin"));
    assert!(!p.can_publish(b"req"));
    assert!(p.can_publish(b"$JS.API.STREAM.INFO.X"));
    assert!(!p.can_publish(b"other"));
    assert!(p.can_subscribe(b"_INBOX.abc.def", None));
    assert!(p.can_subscribe(b"updates.weather", None));
    assert!(!p.can_subscribe(b"updates.secret", None));
    assert!(p.can_subscribe(b"updates.*", None));
    assert!(p.delivery_denied(b"updates.secret"));
    assert!(p.can_subscribe(b"work.build", Some(b"crew")));
    assert!(!p.can_subscribe(b"work.build", Some(b"intruders")));
    assert!(!p.can_subscribe(b"work.build", None));
    assert!(p.allow_responses().is_none());
}

#[test]
fn allow_responses_with_and_without_publish_allow() {
    let responses = ResponsePermission {
        max_msgs: 5,
        expires: Duration::from_secs(30),
    };
    let only_replies = authenticator(PermissionsConfig {
        allow_responses: Some(responses),
        ..PermissionsConfig::default()
    });
    let p = permissions_of(&only_replies);
    assert_eq!(p.allow_responses(), Some(responses));
    assert!(!p.can_publish(b"any.subject"));
    let with_allow = authenticator(PermissionsConfig {
        publish: SubjectPermission {
            allow: strings(&["metrics.>"]),
            deny: vec![],
        },
        allow_responses: Some(responses),
        ..PermissionsConfig::default()
    });
    let p = permissions_of(&with_allow);
    assert!(p.can_publish(b"metrics.cpu"));
    assert!(!p.can_publish(b"any.subject"));
}
