//! Compiled publish/subscribe permissions of one user, checked on every PUB and SUB.
//!
//! Semantics are the Go server's (client.go `setPermissions`, `pubAllowedFullCheck`,
//! `canSubscribe`): an absent allow list allows everything, a deny match overrides an allow
//! match, and permission subjects are subscription filters (`*`, `>`) matched against the
//! subject token by token, with a subscribed wildcard compared as a literal token. Subscribe
//! entries may be `subject queue` pairs that restrict which queue groups may subscribe.
//!
//! Literal permission subjects sit in a hash set, so the common check is one hash lookup plus a
//! scan of the (usually few) wildcard entries. Immutable once built; shared through an `Arc`.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use natrium_router::subject::{filter_matches, is_valid_filter};

use crate::config::{PERMISSION_SUBJECTS_MAX, PermissionsConfig, ResponsePermission};
use crate::{Error, Result};

/// A multiply-rotate hash (the Fx hash of rustc) for subject bytes: several times cheaper than
/// SipHash on short keys. Flooding is not a concern: the set is fixed at configuration time, so a
/// client's subject can only probe it, never grow a bucket.
#[derive(Default)]
struct SubjectHasher(u64);

/// Fx's odd multiplier, spreading each word over the 64-bit state.
const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl SubjectHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for SubjectHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail.iter_mut()
            .zip(rest)
            .for_each(|(slot, byte)| *slot = *byte);
        self.add(u64::from_le_bytes(tail) ^ (rest.len() as u64) << 56);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `subject queue` permission entry: a subscription filter and a queue name or pattern.
#[derive(Debug)]
struct QueueEntry {
    filter: Box<[u8]>,
    queue: Box<[u8]>,
}

/// A set of subject filters, split into literals (hashed) and wildcards (scanned).
#[derive(Debug, Default)]
struct FilterSet {
    literals: HashSet<Box<[u8]>, BuildHasherDefault<SubjectHasher>>,
    wildcards: Vec<Box<[u8]>>,
    /// `subject queue` entries (subscribe lists only).
    queues: Vec<QueueEntry>,
}

fn has_wildcard(filter: &[u8]) -> bool {
    filter
        .split(|&byte| byte == b'.')
        .any(|token| token == b"*" || token == b">")
}

impl FilterSet {
    fn insert(&mut self, filter: &[u8]) {
        if has_wildcard(filter) {
            self.wildcards.push(filter.into());
        } else {
            self.literals.insert(filter.into());
        }
    }

    /// True when a plain (non-queue) entry matches `subject`.
    fn matches(&self, subject: &[u8]) -> bool {
        self.literals.contains(subject)
            || self
                .wildcards
                .iter()
                .any(|filter| filter_matches(filter, subject))
    }

    /// `None` when no queue entry matches `subject`; otherwise whether one of the matching
    /// entries names `queue` (literally, or as a wildcard pattern), as Go's `queueMatches`.
    fn queue_matches(&self, subject: &[u8], queue: &[u8]) -> Option<bool> {
        let mut any_entry = false;
        for QueueEntry {
            filter,
            queue: queue_pattern,
        } in &self.queues
        {
            if !filter_matches(filter, subject) {
                continue;
            }
            any_entry = true;
            if **queue_pattern == *queue
                || (has_wildcard(queue_pattern) && filter_matches(queue_pattern, queue))
            {
                return Some(true);
            }
        }
        any_entry.then_some(false)
    }
}

/// One direction's rules. `allow: None` allows everything.
#[derive(Debug, Default)]
struct Rules {
    allow: Option<FilterSet>,
    deny: Option<FilterSet>,
}

/// What one user may publish and subscribe to.
#[derive(Debug, Default)]
pub struct Permissions {
    publish: Rules,
    subscribe: Rules,
    responses: Option<ResponsePermission>,
}

impl Permissions {
    /// Compiles and validates `config`; `user` names the owner in error messages.
    pub fn new(user: &str, config: &PermissionsConfig) -> Result<Self> {
        let responses = config
            .allow_responses
            .map(ResponsePermission::with_defaults);
        let publish_allow = &config.publish.allow;
        // Go turns off the blanket publish allow when responses are allowed and no explicit
        // publish allow list exists: the user may then publish only replies.
        let publish = Rules {
            allow: if publish_allow.is_empty() && responses.is_none() {
                None
            } else {
                Some(compile(user, "publish allow", publish_allow, false)?)
            },
            deny: compile_optional(user, "publish deny", &config.publish.deny, false)?,
        };
        let subscribe = Rules {
            allow: compile_optional(user, "subscribe allow", &config.subscribe.allow, true)?,
            deny: compile_optional(user, "subscribe deny", &config.subscribe.deny, true)?,
        };
        Ok(Self {
            publish,
            subscribe,
            responses,
        })
    }

    /// True when the user may publish to the literal `subject`. Reply subjects granted by
    /// `allow_responses` are the front-end's to track; this checks the static lists only.
    pub fn can_publish(&self, subject: &[u8]) -> bool {
        let allowed = self
            .publish
            .allow
            .as_ref()
            .is_none_or(|allow| allow.matches(subject));
        allowed
            && !self
                .publish
                .deny
                .as_ref()
                .is_some_and(|deny| deny.matches(subject))
    }

    /// True when the user may subscribe to `subject` (which may hold wildcards), in `queue`
    /// when given.
    pub fn can_subscribe(&self, subject: &[u8], queue: Option<&[u8]>) -> bool {
        let queue = queue.filter(|queue| !queue.is_empty());
        let mut allowed = true;
        if let Some(allow) = &self.subscribe.allow {
            allowed = allow.matches(subject);
            // A matching `subject queue` entry decides for a queue subscription.
            if let Some(verdict) = queue.and_then(|queue| allow.queue_matches(subject, queue)) {
                allowed = verdict;
            }
        }
        if allowed && let Some(deny) = &self.subscribe.deny {
            allowed = !deny.matches(subject);
            if allowed && let Some(queue) = queue {
                allowed = deny.queue_matches(subject, queue) != Some(true);
            }
        }
        allowed
    }

    /// The `allow_responses` setting, with defaults applied.
    pub fn allow_responses(&self) -> Option<ResponsePermission> {
        self.responses
    }

    /// True when the user has a subscribe deny list. A wildcard subscription may then match
    /// messages on denied subjects; the front-end filters those at delivery with
    /// [`Permissions::delivery_denied`], as Go's message deny filter does.
    pub fn has_subscribe_deny(&self) -> bool {
        self.subscribe.deny.is_some()
    }

    /// True when a message on the literal `subject` must not be delivered to this user because
    /// a plain subscribe deny entry matches it.
    pub fn delivery_denied(&self, subject: &[u8]) -> bool {
        self.subscribe
            .deny
            .as_ref()
            .is_some_and(|deny| deny.matches(subject))
    }
}

fn compile_optional(
    user: &str,
    list: &'static str,
    subjects: &[String],
    allow_queue: bool,
) -> Result<Option<FilterSet>> {
    if subjects.is_empty() {
        return Ok(None);
    }
    compile(user, list, subjects, allow_queue).map(Some)
}

/// Validates each entry as Go's `checkPermSubjectArray` does and builds the set.
fn compile(
    user: &str,
    list: &'static str,
    subjects: &[String],
    allow_queue: bool,
) -> Result<FilterSet> {
    if subjects.len() > PERMISSION_SUBJECTS_MAX {
        return Err(Error::Limit {
            what: "permission subjects",
            max: PERMISSION_SUBJECTS_MAX,
        });
    }
    let invalid = |subject: &str| Error::InvalidPermission {
        user: user.to_owned(),
        list,
        subject: subject.to_owned(),
    };
    let mut set = FilterSet::default();
    for subject in subjects {
        if is_valid_filter(subject.as_bytes()) {
            set.insert(subject.as_bytes());
            continue;
        }
        let mut fields = subject.split_ascii_whitespace();
        match (allow_queue, fields.next(), fields.next(), fields.next()) {
            (true, Some(filter), Some(queue), None)
                if is_valid_filter(filter.as_bytes()) && is_valid_filter(queue.as_bytes()) =>
            {
                let entry = QueueEntry {
                    filter: filter.as_bytes().into(),
                    queue: queue.as_bytes().into(),
                };
                set.queues.push(entry);
            }
            _ => return Err(invalid(subject)),
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SubjectPermission;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    fn perms(
        pub_allow: &[&str],
        pub_deny: &[&str],
        sub_allow: &[&str],
        sub_deny: &[&str],
    ) -> Permissions {
        let config = PermissionsConfig {
            publish: SubjectPermission {
                allow: list(pub_allow),
                deny: list(pub_deny),
            },
            subscribe: SubjectPermission {
                allow: list(sub_allow),
                deny: list(sub_deny),
            },
            allow_responses: None,
        };
        Permissions::new("test", &config).unwrap()
    }

    #[test]
    fn empty_lists_allow_everything() {
        let p = perms(&[], &[], &[], &[]);
        assert!(p.can_publish(b"anything.at.all"));
        assert!(p.can_subscribe(b">", None));
        assert!(p.can_subscribe(b"foo", Some(b"q")));
        assert!(!p.has_subscribe_deny());
    }

    #[test]
    fn publish_allow_and_deny_with_wildcards() {
        let p = perms(
            &["orders.*", "events.>", "exact"],
            &["events.secret.>"],
            &[],
            &[],
        );
        assert!(p.can_publish(b"orders.new"));
        assert!(!p.can_publish(b"orders.new.x"));
        assert!(p.can_publish(b"events.a.b"));
        assert!(!p.can_publish(b"events.secret.a"));
        assert!(p.can_publish(b"exact"));
        assert!(!p.can_publish(b"exact.not"));
        assert!(!p.can_publish(b"other"));
    }

    #[test]
    fn deny_only_allows_the_rest() {
        let p = perms(&[], &["$SYS.>"], &[], &["private.*"]);
        assert!(p.can_publish(b"foo"));
        assert!(!p.can_publish(b"$SYS.REQ.X"));
        assert!(p.can_subscribe(b"public.x", None));
        assert!(!p.can_subscribe(b"private.x", None));
        // A wider wildcard is not refused at SUB time; delivery filters it instead.
        assert!(p.can_subscribe(b">", None));
        assert!(p.delivery_denied(b"private.x"));
        assert!(!p.delivery_denied(b"public.x"));
    }

    #[test]
    fn subscribe_wildcards_compare_as_literal_tokens() {
        let p = perms(&[], &[], &["foo.*", "bar.>"], &[]);
        assert!(p.can_subscribe(b"foo.x", None));
        assert!(p.can_subscribe(b"foo.*", None));
        assert!(!p.can_subscribe(b"foo.x.y", None));
        assert!(p.can_subscribe(b"bar.>", None));
        assert!(p.can_subscribe(b"bar.a.*", None));
        assert!(!p.can_subscribe(b">", None));
    }

    #[test]
    fn queue_permissions() {
        let p = perms(
            &[],
            &[],
            &["jobs.* workers", "jobs.* pool.*", "plain"],
            &["plain bad"],
        );
        assert!(p.can_subscribe(b"jobs.a", Some(b"workers")));
        assert!(p.can_subscribe(b"jobs.a", Some(b"pool.7")));
        assert!(!p.can_subscribe(b"jobs.a", Some(b"others")));
        // Only queue entries match jobs.*: a plain subscription is not allowed.
        assert!(!p.can_subscribe(b"jobs.a", None));
        assert!(p.can_subscribe(b"plain", None));
        assert!(p.can_subscribe(b"plain", Some(b"good")));
        assert!(!p.can_subscribe(b"plain", Some(b"bad")));
    }

    #[test]
    fn allow_responses_turns_off_blanket_publish() {
        let config = PermissionsConfig {
            allow_responses: Some(ResponsePermission {
                max_msgs: 0,
                expires: Duration::ZERO,
            }),
            ..PermissionsConfig::default()
        };
        let p = Permissions::new("svc", &config).unwrap();
        assert!(!p.can_publish(b"anything"));
        let responses = p.allow_responses().unwrap();
        assert_eq!(responses.max_msgs, 1);
        assert_eq!(responses.expires, Duration::from_secs(120));
    }

    #[test]
    fn invalid_subjects_are_refused() {
        let bad = |pub_allow: &[&str], sub_allow: &[&str]| {
            let config = PermissionsConfig {
                publish: SubjectPermission {
                    allow: list(pub_allow),
                    deny: vec![],
                },
                subscribe: SubjectPermission {
                    allow: list(sub_allow),
                    deny: vec![],
                },
                allow_responses: None,
            };
            Permissions::new("u", &config).is_err()
        };
        assert!(bad(&["foo..bar"], &[]));
        assert!(bad(&["foo q"], &[]));
        assert!(bad(&[], &["foo.>.bar"]));
        assert!(bad(&[], &["a b c"]));
        assert!(!bad(&[], &["a b"]));
    }

    use std::time::Duration;
}
