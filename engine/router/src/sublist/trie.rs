//! The subscription trie: one [`Level`] per subject token.
//!
//! A level maps each literal token to a [`Node`], and has at most one node for `*` and one for
//! `>`. A node holds the subscriptions whose filter ends there (plain ones, and queue ones
//! grouped by queue name) and the next level. A `>` node never has a next level: the grammar
//! puts `>` last. Removing the last subscription of a branch prunes the branch, so the trie's
//! size follows the live subscriptions, not their history.
//!
//! Every walk is a loop (matching keeps an explicit stack), so a subject with thousands of
//! tokens costs time proportional to its length but no call-stack depth.
//!
//! Not thread-safe by itself: [`super::Sublist`] owns it behind a lock.

use std::collections::HashMap;
use std::iter::Peekable;
use std::sync::Arc;

use bytes::Bytes;

use super::{MatchResult, QueueGroup, Subscription};

/// A subscription's identity inside the trie: the address of its shared allocation. It is
/// stable and unique while the trie holds the `Arc`, which it does for as long as the key is
/// stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SubscriptionKey(usize);

impl SubscriptionKey {
    fn of(subscription: &Arc<Subscription>) -> Self {
        Self(Arc::as_ptr(subscription).cast::<()>() as usize)
    }
}

/// Subscriptions by identity: inserting one twice keeps one copy, removal is O(1).
type Members = HashMap<SubscriptionKey, Arc<Subscription>>;

/// The end of one filter prefix.
#[derive(Default)]
struct Node {
    /// The level below, for filters longer than this prefix.
    next: Option<Box<Level>>,
    /// Subscriptions without a queue group whose filter ends here.
    plain: Members,
    /// Queue subscriptions whose filter ends here, by queue name.
    queues: HashMap<Bytes, Members>,
}

impl Node {
    fn has_members(&self) -> bool {
        !self.plain.is_empty() || !self.queues.is_empty()
    }

    fn child_levels(&self) -> usize {
        self.next.as_deref().map_or(0, Level::children)
    }

    /// Adds `subscription`; false when it was already here.
    fn add(&mut self, subscription: Arc<Subscription>) -> bool {
        let key = SubscriptionKey::of(&subscription);
        let members = match &subscription.queue {
            None => &mut self.plain,
            Some(name) => {
                if !self.queues.contains_key(name.as_ref()) {
                    // A private copy: the caller's bytes may be a slice of a large buffer.
                    self.queues
                        .insert(Bytes::copy_from_slice(name), Members::new());
                }
                match self.queues.get_mut(name.as_ref()) {
                    Some(members) => members,
                    None => return false,
                }
            }
        };
        members.insert(key, subscription).is_none()
    }

    /// Removes `subscription`; false when it was not here.
    fn take(&mut self, subscription: &Arc<Subscription>) -> bool {
        let key = SubscriptionKey::of(subscription);
        match &subscription.queue {
            None => self.plain.remove(&key).is_some(),
            Some(name) => {
                let Some(members) = self.queues.get_mut(name.as_ref()) else {
                    return false;
                };
                let removed = members.remove(&key).is_some();
                if members.is_empty() {
                    self.queues.remove(name.as_ref());
                }
                removed
            }
        }
    }

    /// Appends this node's subscriptions to `result`, merging queue groups by name.
    fn add_to(&self, result: &mut MatchResult) {
        result.plain.extend(self.plain.values().cloned());
        for (name, members) in &self.queues {
            match result.queues.iter_mut().find(|group| group.name == *name) {
                Some(group) => group.members.extend(members.values().cloned()),
                None => result.queues.push(QueueGroup {
                    name: name.clone(),
                    members: members.values().cloned().collect(),
                }),
            }
        }
    }

    fn for_each_member(&self, visit: &mut impl FnMut(&Arc<Subscription>)) {
        self.plain.values().for_each(&mut *visit);
        self.queues
            .values()
            .flat_map(HashMap::values)
            .for_each(visit);
    }
}

/// The nodes for one token position.
#[derive(Default)]
struct Level {
    literal: HashMap<Bytes, Node>,
    /// The `*` node.
    one: Option<Box<Node>>,
    /// The `>` node.
    rest: Option<Box<Node>>,
}

impl Level {
    fn children(&self) -> usize {
        self.literal.len() + usize::from(self.one.is_some()) + usize::from(self.rest.is_some())
    }

    fn child(&self, token: &[u8]) -> Option<&Node> {
        match token {
            b"*" => self.one.as_deref(),
            b">" => self.rest.as_deref(),
            _ => self.literal.get(token),
        }
    }

    fn child_mut(&mut self, token: &[u8]) -> Option<&mut Node> {
        match token {
            b"*" => self.one.as_deref_mut(),
            b">" => self.rest.as_deref_mut(),
            _ => self.literal.get_mut(token),
        }
    }

    fn child_or_insert(&mut self, token: &[u8]) -> Option<&mut Node> {
        match token {
            b"*" => Some(self.one.get_or_insert_with(Box::default)),
            b">" => Some(self.rest.get_or_insert_with(Box::default)),
            _ => {
                if !self.literal.contains_key(token) {
                    // A private copy, for the same reason as queue names.
                    self.literal
                        .insert(Bytes::copy_from_slice(token), Node::default());
                }
                self.literal.get_mut(token)
            }
        }
    }

    fn remove_child(&mut self, token: &[u8]) {
        match token {
            b"*" => self.one = None,
            b">" => self.rest = None,
            _ => {
                self.literal.remove(token);
            }
        }
    }
}

impl Drop for Level {
    /// Frees the levels below iteratively: the default drop would recurse once per token and
    /// could overflow the stack on a filter with thousands of tokens.
    fn drop(&mut self) {
        let mut pending = Vec::new();
        self.detach_next_levels(&mut pending);
        while let Some(mut level) = pending.pop() {
            level.detach_next_levels(&mut pending);
        }
    }
}

impl Level {
    #[allow(
        clippy::vec_box,
        reason = "the levels are already boxed in their nodes; moving the box avoids a copy"
    )]
    fn detach_next_levels(&mut self, into: &mut Vec<Box<Level>>) {
        let nodes = self
            .literal
            .values_mut()
            .chain(self.one.as_deref_mut())
            .chain(self.rest.as_deref_mut());
        into.extend(nodes.filter_map(|node| node.next.take()));
    }
}

/// The `.`-separated tokens of `subject`, with a look-ahead to spot the last one.
fn split_tokens(subject: &[u8]) -> Peekable<impl Iterator<Item = &[u8]>> {
    subject.split(|&byte| byte == b'.').peekable()
}

/// The trie and its counters (all changed under the owner's write lock).
#[derive(Default)]
pub(super) struct Trie {
    root: Level,
    /// Live subscriptions.
    pub(super) count: usize,
    /// Successful inserts since creation.
    pub(super) inserts: u64,
    /// Successful removals since creation.
    pub(super) removes: u64,
}

impl Trie {
    /// Adds `subscription` under its filter, which the caller has validated. False when the
    /// same subscription (same `Arc`) is already present.
    pub(super) fn insert(&mut self, subscription: Arc<Subscription>) -> bool {
        let filter = subscription.subject.clone();
        let mut level = &mut self.root;
        let mut tokens = split_tokens(&filter);
        while let Some(token) = tokens.next() {
            let Some(node) = level.child_or_insert(token) else {
                return false;
            };
            if tokens.peek().is_none() {
                let added = node.add(subscription);
                if added {
                    self.count += 1;
                    self.inserts += 1;
                }
                return added;
            }
            level = node.next.get_or_insert_with(Box::default);
        }
        false
    }

    /// Removes `subscription` (by identity) and prunes the branch it leaves empty.
    pub(super) fn remove(&mut self, subscription: &Arc<Subscription>) -> bool {
        let filter = subscription.subject.as_ref();
        let Some(node) = self.node_mut(filter) else {
            return false;
        };
        if !node.take(subscription) {
            return false;
        }
        // `take` found the subscription, so it was counted when inserted.
        self.count = self
            .count
            .checked_sub(1)
            .expect("trie count covers every stored subscription");
        self.removes += 1;
        self.prune(filter);
        true
    }

    fn node_mut(&mut self, filter: &[u8]) -> Option<&mut Node> {
        let mut level = &mut self.root;
        let mut tokens = split_tokens(filter);
        while let Some(token) = tokens.next() {
            let node = level.child_mut(token)?;
            if tokens.peek().is_none() {
                return Some(node);
            }
            level = node.next.as_deref_mut()?;
        }
        None
    }

    /// Removes the longest tail of `filter`'s path whose nodes hold nothing but that path.
    ///
    /// First pass (shared): find where the trailing run of removable nodes starts; a node is
    /// removable when it has no members and its only child is the next node on the path (the
    /// last node: no child at all). Second pass (exclusive): cut the run at its start.
    fn prune(&mut self, filter: &[u8]) {
        let mut cut = None;
        let mut level = &self.root;
        let mut tokens = split_tokens(filter).enumerate().peekable();
        while let Some((depth, token)) = tokens.next() {
            let Some(node) = level.child(token) else {
                return;
            };
            let last = tokens.peek().is_none();
            let children_allowed = if last { 0 } else { 1 };
            if !node.has_members() && node.child_levels() == children_allowed {
                cut.get_or_insert(depth);
            } else {
                cut = None;
            }
            if last {
                break;
            }
            let Some(next) = node.next.as_deref() else {
                return;
            };
            level = next;
        }
        let Some(cut) = cut else { return };
        let mut level = &mut self.root;
        for (depth, token) in split_tokens(filter).enumerate() {
            if depth == cut {
                level.remove_child(token);
                return;
            }
            let Some(next) = level
                .child_mut(token)
                .and_then(|node| node.next.as_deref_mut())
            else {
                return;
            };
            level = next;
        }
    }

    /// Adds every subscription matching the literal `subject` to `result`. A subject with an
    /// empty token matches nothing, as in the Go server.
    pub(super) fn collect(&self, subject: &[u8], result: &mut MatchResult) {
        if subject.split(|&byte| byte == b'.').any(<[u8]>::is_empty) {
            return;
        }
        // Depth first: `current` is the (level, offset of its token) walked next; a second
        // branch (literal and `*` both present) waits in `pending`. A literal-only walk never
        // touches `pending`, so it never allocates. Each level adds at most one pending entry
        // per token, so `pending` stays within the subject's token count.
        let mut pending: Vec<(&Level, usize)> = Vec::new();
        let mut current = Some((&self.root, 0));
        while let Some((level, start)) = current.take().or_else(|| pending.pop()) {
            let Some(rest) = subject.get(start..) else {
                continue;
            };
            let (token, next_start) = match rest.iter().position(|&byte| byte == b'.') {
                Some(dot) => (rest.get(..dot).unwrap_or_default(), Some(start + dot + 1)),
                None => (rest, None),
            };
            if let Some(node) = level.rest.as_deref() {
                node.add_to(result);
            }
            for node in [level.literal.get(token), level.one.as_deref()]
                .into_iter()
                .flatten()
            {
                match (next_start, node.next.as_deref()) {
                    (None, _) => node.add_to(result),
                    (Some(next_start), Some(next)) => match current {
                        None => current = Some((next, next_start)),
                        Some(_) => pending.push((next, next_start)),
                    },
                    (Some(_), None) => {}
                }
            }
        }
    }

    /// Calls `visit` on every subscription, in no particular order.
    pub(super) fn for_each(&self, mut visit: impl FnMut(&Arc<Subscription>)) {
        let mut pending: Vec<&Level> = vec![&self.root];
        while let Some(level) = pending.pop() {
            let nodes = level
                .literal
                .values()
                .chain(level.one.as_deref())
                .chain(level.rest.as_deref());
            for node in nodes {
                node.for_each_member(&mut visit);
                if let Some(next) = node.next.as_deref() {
                    pending.push(next);
                }
            }
        }
    }

    /// Number of levels in use (0 for an empty trie); tests use it to check pruning.
    #[cfg(test)]
    pub(super) fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut pending: Vec<(&Level, usize)> = vec![(&self.root, 0)];
        while let Some((level, depth)) = pending.pop() {
            if level.children() > 0 {
                deepest = deepest.max(depth + 1);
            }
            let nodes = level
                .literal
                .values()
                .chain(level.one.as_deref())
                .chain(level.rest.as_deref());
            for node in nodes {
                if let Some(next) = node.next.as_deref() {
                    pending.push((next, depth + 1));
                }
            }
        }
        deepest
    }

    /// Total nodes; tests use it to check that removal prunes.
    #[cfg(test)]
    pub(super) fn nodes(&self) -> usize {
        let mut total = 0;
        let mut pending: Vec<&Level> = vec![&self.root];
        while let Some(level) = pending.pop() {
            total += level.children();
            let nodes = level
                .literal
                .values()
                .chain(level.one.as_deref())
                .chain(level.rest.as_deref());
            for node in nodes {
                if let Some(next) = node.next.as_deref() {
                    pending.push(next);
                }
            }
        }
        total
    }
}
