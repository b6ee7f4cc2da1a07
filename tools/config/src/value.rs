//! The parsed configuration tree: values with their positions, and maps that keep key order.

use std::collections::HashMap;

use crate::error::Position;

/// A configuration value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A quoted, unquoted or block string.
    String(String),
    /// An integer, size suffixes applied (`1k` = 1000, `1kb` = 1024, as the Go server).
    Integer(i64),
    /// A floating-point number.
    Float(f64),
    /// `true`/`false`, `yes`/`no`, `on`/`off` (any case).
    Bool(bool),
    /// An ISO 8601 Zulu timestamp (`2026-01-02T03:04:05Z`), kept as text.
    Datetime(String),
    /// `[a, b, c]`.
    Array(Vec<Item>),
    /// `{ key: value }`.
    Map(Map),
}

impl Value {
    /// The type's name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::String(_) => "a string",
            Self::Integer(_) => "an integer",
            Self::Float(_) => "a float",
            Self::Bool(_) => "a boolean",
            Self::Datetime(_) => "a datetime",
            Self::Array(_) => "an array",
            Self::Map(_) => "a map",
        }
    }

    /// Values in this tree, itself included: the cost charged when a variable copies it.
    pub(crate) fn node_count(&self) -> usize {
        match self {
            Self::Array(items) => items.iter().fold(1usize, |sum, item| {
                sum.saturating_add(item.value.node_count())
            }),
            Self::Map(map) => map.entries.iter().fold(1usize, |sum, entry| {
                sum.saturating_add(entry.item.value.node_count())
            }),
            _ => 1,
        }
    }
}

/// A value and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The value.
    pub value: Value,
    /// The position of its first character.
    pub position: Position,
}

/// One `key: value` of a map.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key as written (lookups by the typed layer are case-insensitive, as Go's).
    pub key: String,
    /// Where the key starts.
    pub key_position: Position,
    /// The value.
    pub item: Item,
    /// True when a `$variable` referenced this entry: such keys draw no unknown-key warning.
    pub used_as_variable: bool,
}

/// A map in file order. A key written twice keeps the last value, as in Go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

impl Map {
    /// The entries, in the order their keys first appeared.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry for exactly `key`.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.index.get(key).and_then(|&slot| self.entries.get(slot))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sets `entry.key`, replacing an earlier value of the same key in place.
    pub(crate) fn insert(&mut self, entry: Entry) {
        match self
            .index
            .get(&entry.key)
            .and_then(|&slot| self.entries.get_mut(slot))
        {
            Some(existing) => *existing = entry,
            None => {
                self.index.insert(entry.key.clone(), self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    /// The entry for exactly `key`, mutable (to mark it used by a variable).
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        let slot = *self.index.get(key)?;
        self.entries.get_mut(slot)
    }

    pub(crate) fn into_entries(self) -> Vec<Entry> {
        self.entries
    }
}
