//! Runtime values. Document data stays in its arena: a [`Value::Node`] points at it, so reading
//! a field allocates nothing and every value taken from a document still knows where it is.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::doc::{Arena, Document, NodeId, NodeKind};

/// A reference to a node of one of the evaluated documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeRef {
    /// Index of the document in the evaluation's document list.
    pub doc: u32,
    /// The node in that document's arena.
    pub node: NodeId,
}

/// A value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Absent or `null`.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Text),
    /// A list.
    List(Arc<Vec<Value>>),
    /// A map with string keys, ordered.
    Map(Arc<BTreeMap<Text, Value>>),
    /// A node of a document.
    Node(NodeRef),
    /// A set of document kinds, used as a value (`all.of(NetworkPolicy)`).
    Kinds(Arc<Vec<u32>>),
    /// The collection of all inputs.
    Inputs,
}

/// A shared string one pointer wide, so that a [`Value`] is two words and a compiled
/// expression's result comes back in registers.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Text(Arc<Box<str>>);

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self.0, f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(Arc::new(s.into()))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Arc::new(s.into_boxed_str()))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text::from(s.as_str())
    }
}

impl From<Arc<str>> for Text {
    fn from(s: Arc<str>) -> Self {
        Text::from(&*s)
    }
}

impl From<&Arc<str>> for Text {
    fn from(s: &Arc<str>) -> Self {
        Text::from(&**s)
    }
}

/// The text of key `key` of `arena`: the program's shared text when there is one.
pub(crate) fn key_text(docs: &(impl Docs + ?Sized), arena: &Arena, key: crate::doc::Key) -> Text {
    docs.key_text(key).unwrap_or_else(|| Text::from(arena.key_str(key)))
}

/// Drops a value that is done with, without calling its drop glue for the variants that own
/// nothing (nodes and scalars, most values in a rule): the glue is an out-of-line call.
#[inline]
pub(crate) fn discard(v: Value) {
    match v {
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Node(_) => {
            std::mem::forget(v);
        }
        owned => drop(owned),
    }
}

/// The documents values may point into.
pub trait Docs {
    /// The document with index `i`.
    fn doc(&self, i: u32) -> Option<&Document>;

    /// The text of program key `key` as a shared [`Text`], when one is kept (reading a map's
    /// keys then allocates nothing per key).
    fn key_text(&self, _key: crate::doc::Key) -> Option<Text> {
        None
    }
}

impl Docs for [Document] {
    fn doc(&self, i: u32) -> Option<&Document> {
        self.get(i as usize)
    }
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(s.into())
    }

    /// The arena and node of a node value.
    pub fn node<'a>(&self, docs: &'a (impl Docs + ?Sized)) -> Option<(&'a Arena, NodeId)> {
        match self {
            Value::Node(r) => Some((&docs.doc(r.doc)?.arena, r.node)),
            _ => None,
        }
    }

    /// The value with scalar nodes replaced by plain scalars (containers stay nodes).
    pub fn scalar(&self, docs: &(impl Docs + ?Sized)) -> Value {
        let Some((arena, id)) = self.node(docs) else { return self.clone() };
        match arena.node(id).map(|n| n.kind) {
            Some(NodeKind::Null) | None => Value::Null,
            Some(NodeKind::Bool(b)) => Value::Bool(b),
            Some(NodeKind::Int(i)) => Value::Int(i),
            Some(NodeKind::Float(f)) => Value::Float(f),
            Some(NodeKind::Str { .. }) => Value::Str(arena.str(id).unwrap_or("").into()),
            Some(NodeKind::List { .. } | NodeKind::Map { .. }) => self.clone(),
        }
    }

    /// Whether the value is absent or null.
    pub fn is_null(&self, docs: &(impl Docs + ?Sized)) -> bool {
        match self {
            Value::Null => true,
            Value::Node(_) => {
                matches!(
                    self.node(docs).and_then(|(a, id)| a.node(id)).map(|n| n.kind),
                    Some(NodeKind::Null) | None
                )
            }
            _ => false,
        }
    }

    /// The string, without allocating for document strings.
    pub fn as_str<'a>(&'a self, docs: &'a (impl Docs + ?Sized)) -> Option<&'a str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Node(_) => {
                let (arena, id) = self.node(docs)?;
                arena.str(id)
            }
            _ => None,
        }
    }

    /// The kind of a scalar node, or of a plain value seen as a node; `None` for containers and
    /// types.
    fn scalar_kind(&self, docs: &(impl Docs + ?Sized)) -> Option<NodeKind> {
        match self {
            Value::Null => Some(NodeKind::Null),
            Value::Bool(b) => Some(NodeKind::Bool(*b)),
            Value::Int(i) => Some(NodeKind::Int(*i)),
            Value::Float(f) => Some(NodeKind::Float(*f)),
            Value::Node(_) => {
                let (arena, id) = self.node(docs)?;
                Some(arena.node(id).map_or(NodeKind::Null, |n| n.kind))
            }
            _ => None,
        }
    }

    /// The boolean (without copying a string node to find out it is not one).
    pub fn as_bool(&self, docs: &(impl Docs + ?Sized)) -> Option<bool> {
        match self.scalar_kind(docs)? {
            NodeKind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The number, as a float.
    pub fn as_f64(&self, docs: &(impl Docs + ?Sized)) -> Option<f64> {
        match self.scalar_kind(docs)? {
            NodeKind::Int(i) => Some(i as f64),
            NodeKind::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The integer.
    pub fn as_i64(&self, docs: &(impl Docs + ?Sized)) -> Option<i64> {
        match self.scalar_kind(docs)? {
            NodeKind::Int(i) => Some(i),
            _ => None,
        }
    }

    /// Whether the value is a map (a map value or a document map).
    pub fn is_map(&self, docs: &(impl Docs + ?Sized)) -> bool {
        match self {
            Value::Map(_) => true,
            Value::Node(_) => self
                .node(docs)
                .and_then(|(arena, id)| arena.node(id))
                .is_some_and(|n| matches!(n.kind, NodeKind::Map { .. })),
            _ => false,
        }
    }

    /// Whether a map has the key `key`; `None` when the value is not a map.
    pub fn has_key(&self, key: &str, docs: &(impl Docs + ?Sized)) -> Option<bool> {
        match self {
            Value::Map(m) => Some(m.contains_key(key)),
            Value::Node(_) => {
                let (arena, id) = self.node(docs)?;
                match arena.node(id)?.kind {
                    NodeKind::Map { .. } => {
                        Some(arena.children(id).iter().any(|e| arena.key_str(e.key) == key))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The items of a list (document lists as node values).
    pub fn items(&self, docs: &(impl Docs + ?Sized)) -> Option<Vec<Value>> {
        match self {
            Value::List(l) => Some(l.to_vec()),
            Value::Node(r) => {
                let (arena, id) = self.node(docs)?;
                match arena.node(id)?.kind {
                    NodeKind::List { .. } => Some(
                        arena
                            .children(id)
                            .iter()
                            .map(|e| Value::Node(NodeRef { doc: r.doc, node: e.node }))
                            .collect(),
                    ),
                    NodeKind::Map { .. } => Some(
                        arena
                            .children(id)
                            .iter()
                            .map(|e| Value::Str(key_text(docs, arena, e.key)))
                            .collect(),
                    ),
                    _ => None,
                }
            }
            Value::Map(m) => Some(m.keys().map(|k| Value::Str(k.clone())).collect()),
            _ => None,
        }
    }

    /// The items of a list (for a map, its keys), one by one without collecting them first:
    /// `None` when the value is neither.
    pub fn iter_items<'a>(&'a self, docs: &'a (impl Docs + ?Sized)) -> Option<Items<'a>> {
        match self {
            Value::List(l) => Some(Items::List(l.iter())),
            Value::Node(r) => {
                let (arena, id) = self.node(docs)?;
                let edges = arena.children(id).iter();
                match arena.node(id)?.kind {
                    NodeKind::List { .. } => Some(Items::Nodes(r.doc, edges)),
                    NodeKind::Map { .. } => Some(Items::Keys(arena, edges)),
                    _ => None,
                }
            }
            Value::Map(m) => Some(Items::MapKeys(m.keys())),
            _ => None,
        }
    }

    /// The entries of a map (document maps as node values).
    pub fn entries(&self, docs: &(impl Docs + ?Sized)) -> Option<Vec<(Text, Value)>> {
        match self {
            Value::Map(m) => Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            Value::Node(r) => {
                let (arena, id) = self.node(docs)?;
                match arena.node(id)?.kind {
                    NodeKind::Map { .. } => Some(
                        arena
                            .children(id)
                            .iter()
                            .map(|e| {
                                (
                                    key_text(docs, arena, e.key),
                                    Value::Node(NodeRef { doc: r.doc, node: e.node }),
                                )
                            })
                            .collect(),
                    ),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Structural equality, looking through nodes.
    pub fn equals(&self, other: &Value, docs: &(impl Docs + ?Sized)) -> bool {
        if let (Some(x), Some(y)) = (self.as_str(docs), other.as_str(docs)) {
            return x == y;
        }
        let (a, b) = (self.scalar(docs), other.scalar(docs));
        match (&a, &b) {
            (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => {
                (*x as f64) == *y
            }
            (Value::Node(_), _)
            | (_, Value::Node(_))
            | (Value::List(_), _)
            | (Value::Map(_), _) => a.to_json(docs) == b.to_json(docs),
            _ => a == b,
        }
    }

    /// The value as JSON.
    pub fn to_json(&self, docs: &(impl Docs + ?Sized)) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(String::from(&**s)),
            Value::List(l) => J::Array(l.iter().map(|v| v.to_json(docs)).collect()),
            Value::Map(m) => {
                J::Object(m.iter().map(|(k, v)| (String::from(&**k), v.to_json(docs))).collect())
            }
            Value::Node(_) => self.node(docs).map_or(J::Null, |(a, id)| a.to_json(id)),
            Value::Kinds(_) | Value::Inputs => J::Null,
        }
    }

    /// The value as text for interpolation: strings bare, everything else as JSON.
    pub fn display(&self, docs: &(impl Docs + ?Sized)) -> String {
        match self.scalar(docs) {
            Value::Str(s) => String::from(&*s),
            Value::Null => "null".into(),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.1}"),
            v => v.to_json(docs).to_string(),
        }
    }

    /// Appends the value's interpolation text to `out` (see [`Value::display`]), without an
    /// intermediate string for strings.
    pub fn push_display(&self, out: &mut String, docs: &(impl Docs + ?Sized)) {
        if let Some(s) = self.as_str(docs) {
            return out.push_str(s);
        }
        // Integers, booleans and null, the usual non-strings in a message, are written
        // directly; the rest goes through JSON.
        match self.scalar_kind(docs) {
            Some(NodeKind::Int(i)) => {
                let (mut buf, mut n, mut at) = ([0u8; 20], i.unsigned_abs(), 20);
                loop {
                    at -= 1;
                    if let Some(d) = buf.get_mut(at) {
                        *d = b'0' + (n % 10) as u8;
                    }
                    n /= 10;
                    if n == 0 || at == 0 {
                        break;
                    }
                }
                if i < 0 {
                    out.push('-');
                }
                out.extend(buf.get(at..).unwrap_or_default().iter().map(|d| char::from(*d)));
            }
            Some(NodeKind::Bool(b)) => out.push_str(if b { "true" } else { "false" }),
            Some(NodeKind::Null) => out.push_str("null"),
            _ => out.push_str(&self.display(docs)),
        }
    }

    /// Converts JSON into a value.
    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => {
                n.as_i64().map_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0)), Value::Int)
            }
            J::String(s) => Value::str(s),
            J::Array(a) => Value::List(Arc::new(a.iter().map(Value::from_json).collect())),
            J::Object(o) => Value::Map(Arc::new(
                o.iter().map(|(k, v)| (Text::from(k.as_str()), Value::from_json(v))).collect(),
            )),
        }
    }
}

/// The items of a list value or document list, or the keys of a map: see [`Value::iter_items`].
pub enum Items<'a> {
    /// A list value's items.
    List(std::slice::Iter<'a, Value>),
    /// A document list's items, as nodes of document `.0`.
    Nodes(u32, std::slice::Iter<'a, crate::doc::Edge>),
    /// A document map's keys.
    Keys(&'a Arena, std::slice::Iter<'a, crate::doc::Edge>),
    /// A map value's keys.
    MapKeys(std::collections::btree_map::Keys<'a, Text, Value>),
}

impl Iterator for Items<'_> {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        match self {
            Items::List(it) => it.next().cloned(),
            Items::Nodes(doc, it) => {
                it.next().map(|e| Value::Node(NodeRef { doc: *doc, node: e.node }))
            }
            Items::Keys(arena, it) => it.next().map(|e| Value::str(arena.key_str(e.key))),
            Items::MapKeys(it) => it.next().map(|k| Value::Str(k.clone())),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Items::List(it) => it.size_hint(),
            Items::Nodes(_, it) | Items::Keys(_, it) => it.size_hint(),
            Items::MapKeys(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Items<'_> {}

#[cfg(test)]
mod size {
    /// A value is two words, so that a compiled expression's `Result` comes back in registers.
    #[test]
    fn a_value_is_two_words() {
        assert_eq!(std::mem::size_of::<super::Value>(), 16);
        assert_eq!(std::mem::size_of::<Result<super::Value, Box<crate::error::EvalError>>>(), 16);
    }
}
