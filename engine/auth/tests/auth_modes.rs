//! Each authentication mode accepted and refused, as a client's CONNECT would present it.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use natrium_auth::{
    AuthConfig, Authenticator, Credentials, DenyReason, Error, NkeyUserConfig, PermissionsConfig,
    SubjectPermission, UserConfig, new_nonce,
};

fn user(name: &str, password: &str) -> UserConfig {
    UserConfig {
        user: name.to_owned(),
        password: password.to_owned(),
        permissions: None,
    }
}

fn login<'a>(user: &'a str, pass: &'a str) -> Credentials<'a> {
    Credentials {
        user: Some(user),
        pass: Some(pass),
        ..Credentials::default()
    }
}

fn denied(result: natrium_auth::Result<natrium_auth::Identity>) -> DenyReason {
    match result {
        Err(Error::Denied(reason)) => reason,
        other => panic!("expected a denial, got {other:?}"),
    }
}

#[test]
fn open_server_accepts_anyone() {
    let auth = Authenticator::open();
    assert!(!auth.auth_required());
    assert!(!auth.nonce_required());
    let identity = auth.authenticate(&login("any", "thing"), b"").unwrap();
    assert!(identity.permissions.is_none());
    let identity = auth.authenticate(&Credentials::default(), b"").unwrap();
    assert!(identity.permissions.is_none());
    // An empty configuration is an open server too.
    let auth = Authenticator::new(AuthConfig::default()).unwrap();
    assert!(!auth.auth_required());
}

#[test]
fn token_accepted_and_refused() {
    let config = AuthConfig {
        token: Some("s3cr3t".into()),
        ..AuthConfig::default()
    };
    let auth = Authenticator::new(config).unwrap();
    assert!(auth.auth_required());
    assert!(auth.info_auth_required());
    assert!(!auth.uses_bcrypt());
    let good = Credentials {
        auth_token: Some("s3cr3t"),
        ..Credentials::default()
    };
    assert!(auth.authenticate(&good, b"").is_ok());
    let bad = Credentials {
        auth_token: Some("s3cr3"),
        ..Credentials::default()
    };
    assert_eq!(denied(auth.authenticate(&bad, b"")), DenyReason::BadToken);
    assert_eq!(
        denied(auth.authenticate(&Credentials::default(), b"")),
        DenyReason::BadToken
    );
    // A user/password does not stand in for the token.
    assert!(auth.authenticate(&login("s3cr3t", "s3cr3t"), b"").is_err());
}

#[test]
fn bcrypt_token() {
    let hash = bcrypt::hash("tok", 4).unwrap();
    let auth = Authenticator::new(AuthConfig {
        token: Some(hash),
        ..AuthConfig::default()
    })
    .unwrap();
    let good = Credentials {
        auth_token: Some("tok"),
        ..Credentials::default()
    };
    assert!(auth.authenticate(&good, b"").is_ok());
    let bad = Credentials {
        auth_token: Some("tak"),
        ..Credentials::default()
    };
    assert!(auth.authenticate(&bad, b"").is_err());
}

#[test]
fn users_plain_and_bcrypt() {
    let hash = bcrypt::hash("hashed-pw", 4).unwrap();
    let config = AuthConfig {
        users: vec![user("alice", "plain-pw"), user("bob", &hash)],
        timeout: Some(Duration::from_secs(3)),
        ..AuthConfig::default()
    };
    let auth = Authenticator::new(config).unwrap();
    assert!(auth.auth_required());
    assert!(!auth.nonce_required());
    assert!(auth.uses_bcrypt());
    assert_eq!(auth.timeout(), Some(Duration::from_secs(3)));
    assert_eq!(
        auth.authenticate(&login("alice", "plain-pw"), b"")
            .unwrap()
            .name,
        "alice"
    );
    assert_eq!(
        auth.authenticate(&login("bob", "hashed-pw"), b"")
            .unwrap()
            .name,
        "bob"
    );
    assert_eq!(
        denied(auth.authenticate(&login("alice", "nope"), b"")),
        DenyReason::BadPassword
    );
    assert_eq!(
        denied(auth.authenticate(&login("bob", &hash), b"")),
        DenyReason::BadPassword
    );
    assert_eq!(
        denied(auth.authenticate(&login("carol", "x"), b"")),
        DenyReason::UnknownUser
    );
    assert_eq!(
        denied(auth.authenticate(&Credentials::default(), b"")),
        DenyReason::MissingCredentials
    );
}

#[test]
fn nkey_signature_of_the_nonce() {
    let key = nkeys::KeyPair::new_user();
    let public = key.public_key();
    let config = AuthConfig {
        nkeys: vec![NkeyUserConfig {
            nkey: public.clone(),
            permissions: None,
        }],
        ..AuthConfig::default()
    };
    let auth = Authenticator::new(config).unwrap();
    assert!(auth.auth_required());
    assert!(auth.nonce_required());
    let nonce = new_nonce();
    let signature = key.sign(nonce.as_bytes()).unwrap();
    let raw_url = URL_SAFE_NO_PAD.encode(&signature);
    let standard = STANDARD.encode(&signature);
    for sig in [&raw_url, &standard] {
        let credentials = Credentials {
            nkey: Some(&public),
            sig: Some(sig),
            ..Credentials::default()
        };
        assert_eq!(
            auth.authenticate(&credentials, nonce.as_bytes())
                .unwrap()
                .name,
            public
        );
    }
    // The same signature does not verify another nonce.
    let replay = Credentials {
        nkey: Some(&public),
        sig: Some(&raw_url),
        ..Credentials::default()
    };
    let other_nonce = new_nonce();
    assert_eq!(
        denied(auth.authenticate(&replay, other_nonce.as_bytes())),
        DenyReason::BadSignature
    );
    let no_sig = Credentials {
        nkey: Some(&public),
        ..Credentials::default()
    };
    assert_eq!(
        denied(auth.authenticate(&no_sig, nonce.as_bytes())),
        DenyReason::MissingSignature
    );
    let garbage = Credentials {
        nkey: Some(&public),
        sig: Some("!!"),
        ..Credentials::default()
    };
    assert_eq!(
        denied(auth.authenticate(&garbage, nonce.as_bytes())),
        DenyReason::BadSignature
    );
    // Another key signing the nonce is unknown.
    let stranger = nkeys::KeyPair::new_user();
    let stranger_public = stranger.public_key();
    let stranger_sig = URL_SAFE_NO_PAD.encode(stranger.sign(nonce.as_bytes()).unwrap());
    let credentials = Credentials {
        nkey: Some(&stranger_public),
        sig: Some(&stranger_sig),
        ..Credentials::default()
    };
    assert_eq!(
        denied(auth.authenticate(&credentials, nonce.as_bytes())),
        DenyReason::UnknownNkey
    );
}

#[test]
fn no_auth_user_gets_its_identity_and_permissions() {
    let permissions = PermissionsConfig {
        publish: SubjectPermission {
            allow: vec!["public.>".into()],
            deny: vec![],
        },
        ..PermissionsConfig::default()
    };
    let config = AuthConfig {
        users: vec![
            UserConfig {
                permissions: Some(permissions),
                ..user("guest", "unused")
            },
            user("admin", "pw"),
        ],
        no_auth_user: Some("guest".into()),
        ..AuthConfig::default()
    };
    let auth = Authenticator::new(config).unwrap();
    assert!(auth.auth_required());
    assert!(!auth.info_auth_required());
    let guest = auth.authenticate(&Credentials::default(), b"").unwrap();
    assert_eq!(guest.name, "guest");
    let guest_permissions = guest.permissions.unwrap();
    assert!(guest_permissions.can_publish(b"public.news"));
    assert!(!guest_permissions.can_publish(b"admin.cmd"));
    // Credentials that are sent are checked, not replaced by the no-auth user.
    assert!(auth.authenticate(&login("admin", "wrong"), b"").is_err());
    let token_only = Credentials {
        auth_token: Some("x"),
        ..Credentials::default()
    };
    assert!(auth.authenticate(&token_only, b"").is_err());
    // Without NKey users configured, a stray nkey does not block the no-auth user (as Go).
    let stray = Credentials {
        nkey: Some("UANY"),
        ..Credentials::default()
    };
    assert_eq!(auth.authenticate(&stray, b"").unwrap().name, "guest");
    let admin = auth.authenticate(&login("admin", "pw"), b"").unwrap();
    assert!(admin.permissions.is_none());
}

#[test]
fn no_auth_user_may_be_an_nkey() {
    let key = nkeys::KeyPair::new_user();
    let config = AuthConfig {
        nkeys: vec![NkeyUserConfig {
            nkey: key.public_key(),
            permissions: None,
        }],
        no_auth_user: Some(key.public_key()),
        ..AuthConfig::default()
    };
    let auth = Authenticator::new(config).unwrap();
    let identity = auth
        .authenticate(&Credentials::default(), b"nonce")
        .unwrap();
    assert_eq!(identity.name, key.public_key());
    // With NKey users configured, a sent nkey must authenticate itself.
    let other = nkeys::KeyPair::new_user().public_key();
    let unknown = Credentials {
        nkey: Some(&other),
        ..Credentials::default()
    };
    assert_eq!(
        denied(auth.authenticate(&unknown, b"nonce")),
        DenyReason::UnknownNkey
    );
}

#[test]
fn configuration_errors() {
    let token_and_users = AuthConfig {
        token: Some("t".into()),
        users: vec![user("a", "b")],
        ..AuthConfig::default()
    };
    assert!(matches!(
        Authenticator::new(token_and_users),
        Err(Error::TokenWithUsers)
    ));
    let duplicate = AuthConfig {
        users: vec![user("a", "1"), user("a", "2")],
        ..AuthConfig::default()
    };
    assert!(matches!(
        Authenticator::new(duplicate),
        Err(Error::DuplicateUser { .. })
    ));
    let account_key = nkeys::KeyPair::new_account().public_key();
    for nkey in [account_key.as_str(), "UBAD", ""] {
        let config = AuthConfig {
            nkeys: vec![NkeyUserConfig {
                nkey: nkey.into(),
                permissions: None,
            }],
            ..AuthConfig::default()
        };
        assert!(
            matches!(Authenticator::new(config), Err(Error::InvalidNkey { .. })),
            "{nkey}"
        );
    }
    let unknown = AuthConfig {
        users: vec![user("a", "b")],
        no_auth_user: Some("z".into()),
        ..AuthConfig::default()
    };
    assert!(matches!(
        Authenticator::new(unknown),
        Err(Error::NoAuthUserUnknown { .. })
    ));
    let no_users = AuthConfig {
        no_auth_user: Some("z".into()),
        ..AuthConfig::default()
    };
    assert!(matches!(
        Authenticator::new(no_users),
        Err(Error::NoAuthUserUnknown { .. })
    ));
    let bad_subject = AuthConfig {
        users: vec![UserConfig {
            permissions: Some(PermissionsConfig {
                subscribe: SubjectPermission {
                    allow: vec!["foo..bar".into()],
                    deny: vec![],
                },
                ..PermissionsConfig::default()
            }),
            ..user("a", "b")
        }],
        ..AuthConfig::default()
    };
    let error = Authenticator::new(bad_subject).unwrap_err();
    assert!(error.to_string().contains("foo..bar"), "{error}");
}
