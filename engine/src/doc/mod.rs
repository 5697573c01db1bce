//! Documents: the compact form every rule reads, with a source position on every node.
//!
//! An [`Arena`] holds the nodes of one parsed stream in flat vectors: containers point at a
//! contiguous run of [`Edge`]s, map keys are interned [`Key`]s (so a field read compares
//! integers), strings live in one buffer. A [`Document`] is a root node in an arena plus its
//! identity; `kind: List` items share their list's arena. Nodes know their parent, so a JSON
//! Pointer is derivable for any node.

pub mod build;
pub mod json;
pub mod yaml;

use std::cell::Cell;
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

pub use build::Builder;

/// An interned map key. Keys below [`Symbols::len`] are the program's; the rest are local to
/// one arena, where one name may have several local keys (JSON gives each map entry its own):
/// compare local keys by text ([`Arena::same_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub u32);

/// The frozen key table of a compiled program: every field name a program reads.
///
/// Looked up once per map key the loader reads, so the lookup is an open-addressing table
/// hashed on the key's length and first and last eight bytes (no pass over the whole string).
/// Each slot keeps those two words and the length: they spell out any key of up to sixteen
/// bytes, so most lookups are confirmed without comparing strings.
#[derive(Debug, Clone)]
pub struct Symbols {
    names: Vec<Box<str>>,
    /// Each name as a JSON Pointer segment (`/` and the name, escaped), by key.
    segments: Vec<Box<str>>,
    /// Open-addressing slots; `key == EMPTY` when free. Its length is a power of two, at least
    /// twice the number of names.
    slots: Vec<Slot>,
    /// The keys of the [`KNOWN`] names, `EMPTY` for those not interned.
    known: [u32; KNOWN.len()],
    /// The key of `<<` (YAML merge keys), if interned.
    merge: Option<Key>,
}

impl Default for Symbols {
    fn default() -> Self {
        Symbols {
            names: Vec::new(),
            segments: Vec::new(),
            slots: Vec::new(),
            known: [EMPTY; KNOWN.len()],
            merge: None,
        }
    }
}

/// Names the loader reads in every document (identity and shape), whose keys [`Symbols`]
/// keeps at hand; indexed by [`Known`].
pub(crate) const KNOWN: [&str; 18] = [
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "items",
    "SchemaVersion",
    "ArtifactName",
    "bomFormat",
    "payloadType",
    "payload",
    "signatures",
    "_type",
    "rootfs",
    "config",
    "Id",
    "RootFS",
    "Config",
];

/// A name the loader reads in every document: see [`Arena::get_known`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs, reason = "each is the field name it spells")]
pub enum Known {
    ApiVersion,
    Kind,
    Metadata,
    Name,
    Namespace,
    Items,
    SchemaVersion,
    ArtifactName,
    BomFormat,
    PayloadType,
    Payload,
    Signatures,
    Type,
    Rootfs,
    Config,
    Id,
    RootFS,
    ConfigUpper,
}

impl Known {
    /// The field name.
    pub fn name(self) -> &'static str {
        KNOWN.get(self as usize).copied().unwrap_or("")
    }
}

/// One slot of [`Symbols`]: a name's index, length, and first and last eight bytes.
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: u32,
    len: u32,
    head: u64,
    tail: u64,
}

/// A free slot of [`Symbols::slots`].
const EMPTY: u32 = u32::MAX;

const FREE: Slot = Slot { key: EMPTY, len: 0, head: 0, tail: 0 };

/// Up to eight bytes of `b` as a little-endian integer, zero-padded.
#[inline]
fn word(b: &[u8]) -> u64 {
    let n = b.len();
    if let Some(w) = b.first_chunk::<8>() {
        u64::from_le_bytes(*w)
    } else if n >= 4 {
        // Two overlapping four-byte reads: bytes 0..4 and n-4..n.
        let lo = b.first_chunk::<4>().map_or(0, |w| u32::from_le_bytes(*w));
        let hi = b.last_chunk::<4>().map_or(0, |w| u32::from_le_bytes(*w));
        u64::from(lo) | (u64::from(hi) << (8 * (n - 4)))
    } else if n > 0 {
        // Bytes 0, n/2 and n-1 cover every byte of a key of one to three bytes.
        let at = |i: usize| b.get(i).map_or(0, |x| u64::from(*x) << (8 * i));
        at(0) | at(n / 2) | at(n - 1)
    } else {
        0
    }
}

/// The first and last eight bytes of `b` (the same word when it is shorter than eight).
#[inline]
fn words(b: &[u8]) -> (u64, u64) {
    let head = word(b);
    let tail = b.last_chunk::<8>().map_or(head, |w| u64::from_le_bytes(*w));
    (head, tail)
}

/// A cheap hash of a key from its length and first and last eight bytes.
#[inline]
fn quick_hash(len: usize, head: u64, tail: u64) -> u64 {
    let h = (head ^ (len as u64).rotate_left(56)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ tail.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h ^ (h >> 29)
}

impl Symbols {
    /// Interns `name` (only while the table is being built).
    pub fn intern(&mut self, name: &str) -> Key {
        if let Some(k) = self.get(name) {
            return k;
        }
        let k = self.names.len() as u32;
        if let Some(i) = KNOWN.iter().position(|n| *n == name)
            && let Some(slot) = self.known.get_mut(i)
        {
            *slot = k;
        }
        if name == "<<" {
            self.merge = Some(Key(k));
        }
        self.names.push(name.into());
        let mut segment = String::with_capacity(name.len() + 1);
        segment.push('/');
        push_escaped(&mut segment, name);
        self.segments.push(segment.into());
        if self.slots.len() < 2 * self.names.len() {
            self.rehash((2 * self.names.len()).next_power_of_two().max(16));
        } else {
            self.place(k);
        }
        Key(k)
    }

    /// Rebuilds the slots with `size` entries.
    fn rehash(&mut self, size: usize) {
        self.slots = vec![FREE; size];
        for k in 0..self.names.len() as u32 {
            self.place(k);
        }
    }

    /// Puts name `k` in the first free slot of its probe sequence.
    fn place(&mut self, k: u32) {
        let Some(name) = self.names.get(k as usize) else { return };
        let b = name.as_bytes();
        let (head, tail) = words(b);
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = quick_hash(b.len(), head, tail) as usize & mask;
        while let Some(slot) = self.slots.get_mut(i) {
            if slot.key == EMPTY {
                *slot = Slot { key: k, len: b.len() as u32, head, tail };
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// The key for `name`, if the program knows it.
    #[inline]
    pub fn get(&self, name: &str) -> Option<Key> {
        let b = name.as_bytes();
        let (head, tail) = words(b);
        self.find(b, head, tail)
    }

    /// [`Symbols::get`] of the name `src[start..end]`, reading its words straight from `src`
    /// when eight bytes from `start` are there to read.
    #[inline(always)]
    pub fn get_within(&self, src: &[u8], start: usize, end: usize) -> Option<Key> {
        let b = src.get(start..end)?;
        let n = b.len();
        let (head, tail) = match src.get(start..).and_then(|s| s.first_chunk::<8>()) {
            Some(w) if n < 8 => {
                let head = u64::from_le_bytes(*w) & (u64::MAX >> ((8 * (8 - n) as u32) & 63));
                // An empty name reads as zero.
                let head = if n == 0 { 0 } else { head };
                (head, head)
            }
            Some(w) => {
                let tail = b.last_chunk::<8>().map_or(0, |t| u64::from_le_bytes(*t));
                (u64::from_le_bytes(*w), tail)
            }
            None => words(b),
        };
        self.find(b, head, tail)
    }

    /// The key for the name `b` whose first and last eight bytes are `head` and `tail`.
    #[inline(always)]
    fn find(&self, b: &[u8], head: u64, tail: u64) -> Option<Key> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = quick_hash(b.len(), head, tail) as usize & mask;
        loop {
            let slot = self.slots.get(i)?;
            if slot.key == EMPTY {
                return None;
            }
            if slot.len as usize == b.len()
                && slot.head == head
                && slot.tail == tail
                && (b.len() <= 16
                    || self.names.get(slot.key as usize).is_some_and(|n| n.as_bytes() == b))
            {
                return Some(Key(slot.key));
            }
            i = (i + 1) & mask;
        }
    }

    /// The text of a program key.
    pub fn name(&self, key: Key) -> Option<&str> {
        self.names.get(key.0 as usize).map(|s| &**s)
    }

    /// The JSON Pointer segment of a program key's name: `/` and the name, escaped.
    pub(crate) fn segment(&self, key: Key) -> Option<&str> {
        self.segments.get(key.0 as usize).map(|s| &**s)
    }

    /// Number of program keys.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Index of a node in its arena.
pub type NodeId = u32;

/// A source position: 1-based line and column (in characters), and byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub col: u32,
    /// Byte offset from the start of the input.
    pub offset: u32,
}

/// How many ancestors [`Arena::pointer`] keeps on the stack.
const POINTER_DEPTH: usize = 16;

/// What a node holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or an empty value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string: a range of the arena's text buffer.
    Str {
        /// Start in the buffer.
        start: u32,
        /// Length in bytes.
        len: u32,
    },
    /// A list: a run of edges.
    List {
        /// First edge.
        start: u32,
        /// Number of items.
        len: u32,
    },
    /// A map: a run of edges, keyed.
    Map {
        /// First edge.
        start: u32,
        /// Number of entries.
        len: u32,
    },
}

/// A node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    /// Its value.
    pub kind: NodeKind,
    /// Where its value starts.
    pub pos: Pos,
    /// Its parent, or itself for a root.
    pub parent: NodeId,
    /// Its index among the parent's edges.
    pub slot: u32,
    /// For a map, a summary of its keys: bit `key % 32` is set for each key (see
    /// [`key_bit`]). A clear bit proves a key absent without scanning the entries; `0` proves
    /// nothing (not a map, an empty map, or not summarised).
    pub keys: u32,
}

/// The bit of `key` in [`Node::keys`].
#[inline]
pub fn key_bit(key: Key) -> u32 {
    1 << (key.0 & 31)
}

/// The [`Node::keys`] summary of a map's entries.
pub fn key_summary(entries: &[Edge]) -> u32 {
    entries.iter().fold(0, |m, e| m | key_bit(e.key))
}

/// An entry of a container: the key (for maps), the child, and where the key is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// The key; `Key(u32::MAX)` for list items.
    pub key: Key,
    /// The child node.
    pub node: NodeId,
    /// Where the key is written (the item's position for lists).
    pub pos: Pos,
}

/// The nodes of one input stream.
#[derive(Debug, Clone, Default)]
pub struct Arena {
    /// Every node.
    pub nodes: Vec<Node>,
    /// Container entries, contiguous per container.
    pub edges: Vec<Edge>,
    /// String contents, and the text of local keys.
    pub text: String,
    /// Keys not in the program's table, numbered from `symbols.len()`: start and length of
    /// their text in `text`.
    local_keys: Vec<(u32, u32)>,
    /// The local keys shared by name ([`Arena::key`]); boxed, being seldom used, so that an
    /// arena is small enough to move without a call to `memcpy`.
    local_index: Option<Box<HashMap<Box<str>, u32>>>,
    /// The key `<<`, once seen (YAML merge keys).
    pub merge_key: Option<Key>,
    /// The program's key table.
    pub symbols: Arc<Symbols>,
}

impl Arena {
    /// An empty arena interning against `symbols`.
    pub fn new(symbols: Arc<Symbols>) -> Self {
        let merge_key = symbols.merge;
        Arena {
            nodes: Vec::new(),
            edges: Vec::new(),
            text: String::new(),
            local_keys: Vec::new(),
            local_index: None,
            merge_key,
            symbols,
        }
    }

    /// An empty arena sized for an input of `bytes` bytes (reusing the buffers of the last
    /// arena dropped on this thread, if small).
    pub fn with_capacity(symbols: Arc<Symbols>, bytes: usize) -> Self {
        let mut a = Arena::new(symbols);
        if let Ok(Some(b)) = SPARE_BUFFERS.try_with(Cell::take) {
            (a.nodes, a.edges, a.text, a.local_keys) = (b.nodes, b.edges, b.text, b.local_keys);
        }
        a.nodes.reserve(bytes / 12);
        a.edges.reserve(bytes / 14);
        a.text.reserve(bytes / 3);
        a
    }

    /// Interns a key: every use of a name gets the same key.
    pub fn key(&mut self, name: &str) -> Key {
        if let Some(k) = self.symbols.get(name) {
            return k;
        }
        if let Some(k) = self.local_index.as_ref().and_then(|m| m.get(name)) {
            return Key(*k);
        }
        let k = self.new_local(name);
        self.local_index.get_or_insert_default().insert(name.into(), k.0);
        if name == "<<" {
            self.merge_key = Some(k);
        }
        k
    }

    /// The key of one map entry named `name`: the program's key, else a new local key that no
    /// other entry shares (cheaper than [`Arena::key`]: no table of local names). `<<` is
    /// always interned, so that merge keys are recognised.
    #[inline]
    pub fn entry_key(&mut self, name: &str) -> Key {
        if let Some(k) = self.symbols.get(name) {
            return k;
        }
        if name == "<<" {
            return self.key(name);
        }
        self.new_local(name)
    }

    /// [`Arena::entry_key`] given what [`Symbols::get`] says of `name`.
    #[inline]
    pub(crate) fn entry_key_known(&mut self, name: &str, known: Option<Key>) -> Key {
        match known {
            Some(k) => k,
            None if name == "<<" => self.key(name),
            None => self.new_local(name),
        }
    }

    /// A new local key spelled `name`.
    fn new_local(&mut self, name: &str) -> Key {
        let k = Key((self.symbols.len() + self.local_keys.len()) as u32);
        let start = self.text.len() as u32;
        self.text.push_str(name);
        self.local_keys.push((start, name.len() as u32));
        k
    }

    /// Whether two keys of this arena spell the same name.
    #[inline]
    pub fn same_key(&self, a: Key, b: Key) -> bool {
        let n = self.symbols.len() as u32;
        a == b || (a.0 >= n && b.0 >= n && self.key_str(a) == self.key_str(b))
    }

    /// The text of a key.
    pub fn key_str(&self, key: Key) -> &str {
        self.symbols
            .name(key)
            .or_else(|| {
                let &(start, len) =
                    self.local_keys.get((key.0 as usize).checked_sub(self.symbols.len())?)?;
                self.text.get(start as usize..(start + len) as usize)
            })
            .unwrap_or("")
    }

    /// The node `id`.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    /// The string held by node `id`, if it is a string.
    pub fn str(&self, id: NodeId) -> Option<&str> {
        match self.node(id)?.kind {
            NodeKind::Str { start, len } => self.text.get(start as usize..(start + len) as usize),
            _ => None,
        }
    }

    /// The entries of container `id` (empty for scalars).
    pub fn children(&self, id: NodeId) -> &[Edge] {
        match self.node(id).map(|n| n.kind) {
            Some(NodeKind::List { start, len } | NodeKind::Map { start, len }) => {
                self.edges.get(start as usize..(start + len) as usize).unwrap_or(&[])
            }
            _ => &[],
        }
    }

    /// The child of map `id` under `key`.
    pub fn get(&self, id: NodeId, key: Key) -> Option<NodeId> {
        let n = self.node(id)?;
        match n.kind {
            NodeKind::Map { .. } if n.keys != 0 && n.keys & key_bit(key) == 0 => None,
            NodeKind::Map { .. } => self.children(id).iter().find(|e| e.key == key).map(|e| e.node),
            _ => None,
        }
    }

    /// The child of map `id` under the well-known name `name`.
    #[inline]
    pub fn get_known(&self, id: NodeId, name: Known) -> Option<NodeId> {
        match self.symbols.known.get(name as usize) {
            Some(&k) if k != EMPTY => self.get(id, Key(k)),
            _ => self.get_str(id, name.name()),
        }
    }

    /// [`Arena::get_known`] of each of `names`, in one pass over the entries of `id`.
    pub fn get_known_all<const N: usize>(
        &self,
        id: NodeId,
        names: [Known; N],
    ) -> [Option<NodeId>; N] {
        let keys = names.map(|n| self.symbols.known.get(n as usize).copied().unwrap_or(EMPTY));
        let n = self.node(id);
        if keys.contains(&EMPTY) || !matches!(n.map(|n| n.kind), Some(NodeKind::Map { .. })) {
            return names.map(|name| self.get_known(id, name));
        }
        let mut out = [None; N];
        // Without a summary bit, no entry has that key.
        let summary = n.map_or(0, |n| n.keys);
        if summary != 0 && keys.iter().all(|&k| summary & key_bit(Key(k)) == 0) {
            return out;
        }
        for e in self.children(id) {
            for (o, &k) in out.iter_mut().zip(&keys) {
                if e.key.0 == k && o.is_none() {
                    *o = Some(e.node);
                }
            }
        }
        out
    }

    /// The child of map `id` under the key spelled `name`.
    pub fn get_str(&self, id: NodeId, name: &str) -> Option<NodeId> {
        // A name the program knows is only ever stored as its program key.
        if let Some(k) = self.symbols.get(name) {
            return self.get(id, k);
        }
        let n = self.symbols.len() as u32;
        match self.node(id)?.kind {
            NodeKind::Map { .. } => self
                .children(id)
                .iter()
                .find(|e| e.key.0 >= n && self.key_str(e.key) == name)
                .map(|e| e.node),
            _ => None,
        }
    }

    /// The JSON Pointer of `id` relative to `root`.
    pub fn pointer(&self, root: NodeId, id: NodeId) -> String {
        let mut out = String::new();
        self.push_pointer(&mut out, root, id);
        out
    }

    /// Appends [`Arena::pointer`] to `out`.
    pub fn push_pointer(&self, out: &mut String, root: NodeId, id: NodeId) {
        // The ancestors, nearest first: on the stack for the usual depths.
        let mut near = [0; POINTER_DEPTH];
        let mut far: Vec<NodeId> = Vec::new();
        let mut depth = 0;
        let mut cur = id;
        while cur != root {
            let Some(n) = self.node(cur) else { break };
            if n.parent == cur {
                break;
            }
            match near.get_mut(depth) {
                Some(x) => *x = cur,
                None => far.push(cur),
            }
            depth += 1;
            cur = n.parent;
        }
        for &child in far.iter().rev().chain(near.get(..depth).unwrap_or(&[]).iter().rev()) {
            self.push_segment(out, child);
        }
    }

    /// Appends `/` and the segment that leads from `child`'s parent to it.
    pub(crate) fn push_segment(&self, out: &mut String, child: NodeId) {
        let Some(n) = self.node(child) else { return };
        match self.node(n.parent).map(|p| p.kind) {
            Some(NodeKind::Map { start, .. }) => {
                let Some(e) = self.edges.get((start + n.slot) as usize) else {
                    return out.push('/');
                };
                match self.symbols.segment(e.key) {
                    Some(segment) => out.push_str(segment),
                    None => {
                        out.push('/');
                        push_escaped(out, self.key_str(e.key));
                    }
                }
            }
            _ => {
                out.push('/');
                push_index(out, n.slot);
            }
        }
    }

    /// Where `id` is best shown: the key it sits under, or its own position.
    pub fn location(&self, id: NodeId) -> Pos {
        let Some(n) = self.node(id) else { return Pos::default() };
        if n.parent != id
            && let Some(p) = self.node(n.parent)
            && let NodeKind::Map { start, .. } = p.kind
            && let Some(e) = self.edges.get((start + n.slot) as usize)
        {
            return e.pos;
        }
        n.pos
    }

    /// The subtree at `id` as JSON.
    pub fn to_json(&self, id: NodeId) -> serde_json::Value {
        use serde_json::Value as J;
        let Some(n) = self.node(id) else { return J::Null };
        match n.kind {
            NodeKind::Null => J::Null,
            NodeKind::Bool(b) => J::Bool(b),
            NodeKind::Int(i) => J::from(i),
            NodeKind::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
            NodeKind::Str { .. } => J::String(self.str(id).unwrap_or("").to_string()),
            NodeKind::List { .. } => {
                J::Array(self.children(id).iter().map(|e| self.to_json(e.node)).collect())
            }
            NodeKind::Map { .. } => J::Object(
                self.children(id)
                    .iter()
                    .map(|e| (self.key_str(e.key).to_string(), self.to_json(e.node)))
                    .collect(),
            ),
        }
    }
}

/// The emptied buffers of a dropped arena.
struct Buffers {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    text: String,
    local_keys: Vec<(u32, u32)>,
}

/// Nodes beyond which a dropped arena's buffers are freed rather than kept.
const SPARE_NODES: usize = 1 << 14;

thread_local! {
    /// The buffers of the last small arena dropped on this thread, for the next one: loading
    /// many small inputs one by one then allocates nothing for them.
    static SPARE_BUFFERS: Cell<Option<Buffers>> = const { Cell::new(None) };
}

impl Drop for Arena {
    fn drop(&mut self) {
        if self.nodes.capacity() > SPARE_NODES || self.nodes.capacity() == 0 {
            return;
        }
        let mut b = Buffers {
            nodes: std::mem::take(&mut self.nodes),
            edges: std::mem::take(&mut self.edges),
            text: std::mem::take(&mut self.text),
            local_keys: std::mem::take(&mut self.local_keys),
        };
        b.nodes.clear();
        b.edges.clear();
        b.text.clear();
        b.local_keys.clear();
        // Fails only while the thread is ending: the buffers are then simply freed.
        let _ = SPARE_BUFFERS.try_with(|s| s.set(Some(b)));
    }
}

/// Appends `seg` to `out`, escaped as a JSON Pointer segment.
pub fn push_escaped(out: &mut String, seg: &str) {
    if !has_pointer_special(seg.as_bytes()) {
        out.push_str(seg);
        return;
    }
    for c in seg.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Eight copies of byte `b`, for looking at eight bytes of text at a time.
pub(crate) const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// The high bit of each zero byte of `x` (bytes after the first zero one may be flagged too):
/// `zero_bytes(w ^ splat(b)) != 0` when the word `w` holds byte `b`.
pub(crate) const fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(splat(1)) & !x & splat(0x80)
}

/// Whether `s` holds `~` or `/`. Segments are short, so eight bytes at a time in a word (a
/// vectorised search's set-up costs more than the search).
fn has_pointer_special(s: &[u8]) -> bool {
    let mut rest = s;
    while let Some((w, tail)) = rest.split_first_chunk::<8>() {
        let x = u64::from_ne_bytes(*w);
        if zero_bytes(x ^ splat(b'~')) | zero_bytes(x ^ splat(b'/')) != 0 {
            return true;
        }
        rest = tail;
    }
    rest.iter().any(|b| *b == b'~' || *b == b'/')
}

/// Appends a list index in decimal, without the formatting machinery (pointers are built for
/// every finding).
fn push_index(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    for d in digits.get(i..).unwrap_or_default() {
        out.push(char::from(*d));
    }
}

/// Escapes one JSON Pointer segment (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer(s: &str) -> String {
    if s.contains(['~', '/']) { s.replace('~', "~0").replace('/', "~1") } else { s.to_string() }
}

/// What a document is, as read from it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DocMeta {
    /// The file it came from.
    pub file: Arc<str>,
    /// Its index in the file's stream (list items count after their list).
    pub index: u32,
    /// `apiVersion`, when present.
    pub api_version: Option<Arc<str>>,
    /// `kind`, when present.
    pub kind: Option<Arc<str>>,
    /// `metadata.namespace`.
    pub namespace: Option<Arc<str>>,
    /// `metadata.name`.
    pub name: Option<Arc<str>>,
    /// The loader format that produced it, e.g. `yaml`, `json`, `dockerfile`.
    pub format: Arc<str>,
}

/// Slots of the per-thread table of shared texts (a power of two), and the longest text kept.
const SHARED_SLOTS: usize = 64;
const SHARED_TEXT_LEN: usize = 64;

/// A shared text with its length and first and last eight bytes (see [`words`]), which spell
/// out a text of up to sixteen bytes.
struct SharedText {
    len: usize,
    head: u64,
    tail: u64,
    text: Arc<str>,
}

/// Recently shared texts, in a table indexed by a hash of the text: two-way, each text in the
/// slot of its hash or the one beside it (the slot index with its low bit flipped).
struct SharedTexts {
    slots: [Option<SharedText>; SHARED_SLOTS],
}

impl SharedTexts {
    /// `s` as shared text (see [`shared_text`]).
    #[inline(always)]
    fn get(&mut self, s: &str) -> Arc<str> {
        let b = s.as_bytes();
        if b.len() > SHARED_TEXT_LEN {
            return s.into();
        }
        let (head, tail) = words(b);
        let i = quick_hash(b.len(), head, tail) as usize & (SHARED_SLOTS - 1);
        let same = |e: &SharedText| {
            e.len == b.len()
                && e.head == head
                && e.tail == tail
                && (b.len() <= 16 || e.text.as_bytes() == b)
        };
        for at in [i, i ^ 1] {
            if let Some(Some(e)) = self.slots.get(at)
                && same(e)
            {
                return e.text.clone();
            }
        }
        self.add(i, s, head, tail)
    }

    /// Keeps the new text `s` in slot `i`, whose text moves beside it (the older of the two
    /// goes).
    #[cold]
    #[inline(never)]
    fn add(&mut self, i: usize, s: &str, head: u64, tail: u64) -> Arc<str> {
        let text: Arc<str> = s.into();
        let new = Some(SharedText { len: s.len(), head, tail, text: text.clone() });
        if let Some(slot) = self.slots.get_mut(i) {
            let old = std::mem::replace(slot, new);
            if let Some(beside) = self.slots.get_mut(i ^ 1) {
                *beside = old;
            }
        }
        text
    }
}

thread_local! {
    static SHARED: std::cell::RefCell<SharedTexts> = const {
        std::cell::RefCell::new(SharedTexts { slots: [const { None }; SHARED_SLOTS] })
    };
}

/// `s` as shared text, reusing a recent copy when there is one: the identity fields that
/// repeat from document to document (`apiVersion`, `kind`, a namespace, a file name) are then
/// not allocated for each.
pub fn shared_text(s: &str) -> Arc<str> {
    SHARED.try_with(|c| c.borrow_mut().get(s)).unwrap_or_else(|_| s.into())
}

/// The nodes of a document's identity fields: `apiVersion`, `kind`, `metadata.namespace` and
/// `metadata.name` (whatever their values).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct IdentityNodes {
    pub(crate) api_version: Option<NodeId>,
    pub(crate) kind: Option<NodeId>,
    pub(crate) namespace: Option<NodeId>,
    pub(crate) name: Option<NodeId>,
}

impl IdentityNodes {
    /// Finds the identity fields of `root`.
    pub(crate) fn of(arena: &Arena, root: NodeId) -> Self {
        let known = |k: Known| arena.symbols.known.get(k as usize).copied().unwrap_or(EMPTY);
        let (api_version, kind, metadata, namespace, name) = (
            known(Known::ApiVersion),
            known(Known::Kind),
            known(Known::Metadata),
            known(Known::Namespace),
            known(Known::Name),
        );
        if [api_version, kind, metadata, namespace, name].contains(&EMPTY) {
            return IdentityNodes::of_names(arena, root);
        }
        // One pass over each map's entries; the names are distinct keys, and each takes its
        // first entry (as [`Arena::get`] does).
        let entries = |id: NodeId| match arena.node(id).map(|n| n.kind) {
            Some(NodeKind::Map { start, len }) => {
                arena.edges.get(start as usize..(start + len) as usize).unwrap_or(&[])
            }
            _ => &[],
        };
        let mut ids = IdentityNodes::default();
        let mut meta = None;
        for e in entries(root) {
            let k = e.key.0;
            if k == api_version {
                ids.api_version = ids.api_version.or(Some(e.node));
            } else if k == kind {
                ids.kind = ids.kind.or(Some(e.node));
            } else if k == metadata {
                meta = meta.or(Some(e.node));
            }
        }
        if let Some(m) = meta {
            for e in entries(m) {
                let k = e.key.0;
                if k == namespace {
                    ids.namespace = ids.namespace.or(Some(e.node));
                } else if k == name {
                    ids.name = ids.name.or(Some(e.node));
                }
            }
        }
        ids
    }

    /// [`IdentityNodes::of`] when the program does not know every identity name.
    #[cold]
    fn of_names(arena: &Arena, root: NodeId) -> Self {
        let [api_version, kind, metadata] =
            arena.get_known_all(root, [Known::ApiVersion, Known::Kind, Known::Metadata]);
        let [namespace, name] = match metadata {
            Some(m) => arena.get_known_all(m, [Known::Namespace, Known::Name]),
            None => [None, None],
        };
        IdentityNodes { api_version, kind, namespace, name }
    }
}

/// One input document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The arena it lives in.
    pub arena: Arc<Arena>,
    /// Its root node.
    pub root: NodeId,
    /// Its identity.
    pub meta: DocMeta,
    /// A range of the arena's edges holding every edge of the document's tree (and maybe a few
    /// more), when the loader knows one: the fields it has are found by reading the range
    /// rather than by walking the tree (see `Compiled::present_fields`).
    pub(crate) window: Option<(u32, u32)>,
}

impl Document {
    /// Makes a document of `root`, reading its identity from the usual Kubernetes fields.
    pub fn new(
        arena: Arc<Arena>,
        root: NodeId,
        file: Arc<str>,
        index: u32,
        format: Arc<str>,
    ) -> Self {
        let ids = IdentityNodes::of(&arena, root);
        Document::with_identity(arena, root, ids, file, index, format)
    }

    /// [`Document::new`] given the nodes of the identity fields.
    pub(crate) fn with_identity(
        arena: Arc<Arena>,
        root: NodeId,
        ids: IdentityNodes,
        file: Arc<str>,
        index: u32,
        format: Arc<str>,
    ) -> Self {
        let s = |at: Option<NodeId>| arena.str(at?);
        let (api_version, kind, namespace) = (s(ids.api_version), s(ids.kind), s(ids.namespace));
        // The texts that repeat across documents, shared in one visit to the thread's cache.
        let shared = SHARED.try_with(|c| {
            let mut c = c.borrow_mut();
            (api_version.map(|t| c.get(t)), kind.map(|t| c.get(t)), namespace.map(|t| c.get(t)))
        });
        let (api_version, kind, namespace) = shared.unwrap_or_else(|_| {
            (api_version.map(Arc::from), kind.map(Arc::from), namespace.map(Arc::from))
        });
        let meta = DocMeta {
            file,
            index,
            api_version,
            kind,
            namespace,
            name: s(ids.name).map(Arc::from),
            format,
        };
        Document { arena, root, meta, window: None }
    }

    /// The document as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        self.arena.to_json(self.root)
    }
}

/// Limits that keep hostile input from exhausting memory or stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of lists and maps.
    pub max_depth: usize,
    /// Most nodes that alias expansion may add, per stream.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: 64 << 20, max_depth: 256, max_alias_nodes: 100_000 }
    }
}

/// An input that could not be read, with where and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize)]
#[error("{message}")]
pub struct LoadError {
    /// The file.
    pub file: Arc<str>,
    /// Line, from 1 (0 when the whole input is at fault).
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
    /// Lowercase reason.
    pub message: String,
}

/// Maps byte offsets to lines and character columns.
pub struct LineIndex<'a> {
    src: &'a str,
    starts: Vec<u32>,
    ascii: bool,
}

impl<'a> LineIndex<'a> {
    /// Indexes the lines of `src`.
    pub fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            src.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i as u32 + 1),
        );
        LineIndex { src, starts, ascii: src.is_ascii() }
    }

    /// The position of byte `offset`.
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.src.len()) as u32;
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = if self.ascii {
            offset - start
        } else {
            self.src
                .get(start as usize..offset as usize)
                .map_or(offset - start, |s| s.chars().count() as u32)
        };
        Pos { line: line as u32, col: col + 1, offset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_texts_are_the_texts_asked_for() {
        let mut texts: Vec<String> = (0..200).map(|i| format!("t{i}")).collect();
        // Same length, same first and last eight bytes, different middles.
        texts.extend((0..10).map(|i| format!("abcdefgh{i}{}12345678", "m".repeat(i))));
        texts.extend((0..10).map(|i| format!("abcdefgh{}12345678", "x".repeat(i))));
        texts.extend(["".into(), "a".repeat(64), "a".repeat(65), "é".into(), "ü€".into()]);
        for round in 0..3 {
            for t in &texts {
                assert_eq!(&*shared_text(t), t.as_str(), "{round}");
            }
        }
        // A text asked for again at once is the same copy.
        for t in ["v1", "apps/v1", "Deployment", "a-namespace-longer-than-sixteen"] {
            assert!(Arc::ptr_eq(&shared_text(t), &shared_text(t)), "{t}");
        }
    }

    #[test]
    fn arenas_move_without_memcpy() {
        // Moves of up to 128 bytes are inlined.
        assert!(std::mem::size_of::<Arena>() <= 128, "{}", std::mem::size_of::<Arena>());
    }

    #[test]
    fn pointers_escape_program_and_local_keys() {
        // `a/b` and `c~d` are the program's keys, with their segments made once; `e/f~` is not.
        let mut symbols = Symbols::default();
        for name in ["a/b", "c~d", "x"] {
            symbols.intern(name);
        }
        let symbols = Arc::new(symbols);
        let text = br#"{"a/b": {"c~d": [1, {"x": 2}]}, "e/f~": {"x": 3}}"#;
        let loaded = crate::load::load("p.json", text, None, &symbols, &Limits::default());
        let doc = &loaded.docs[0];
        let (arena, root) = (&doc.arena, doc.root);
        let key = |n| symbols.get(n).unwrap();
        let ab = arena.get(root, key("a/b")).unwrap();
        let list = arena.get(ab, key("c~d")).unwrap();
        let item = arena.children(list)[1].node;
        let deep = arena.get(item, key("x")).unwrap();
        assert_eq!(arena.pointer(root, deep), "/a~1b/c~0d/1/x");
        let local = arena.get_str(root, "e/f~").unwrap();
        assert_eq!(arena.pointer(root, arena.get(local, key("x")).unwrap()), "/e~1f~0/x");
        assert_eq!(arena.pointer(root, root), "");
    }

    #[test]
    fn pointer_specials_are_found_anywhere() {
        for len in 0..40 {
            for at in 0..len {
                for special in [b'~', b'/'] {
                    let mut s = vec![b'a'; len];
                    s[at] = special;
                    assert!(has_pointer_special(&s), "{len} {at}");
                }
            }
            assert!(!has_pointer_special(&vec![b'a'; len]));
        }
        // Bytes next to the specials do not count.
        assert!(!has_pointer_special("}.0-._\x7f\u{e9}~".as_bytes().split_last().unwrap().1));
    }

    #[test]
    fn words_are_the_zero_padded_bytes() {
        let text = "abcdefghijklmnopqrstuvwxyz";
        for n in 0..=text.len() {
            let b = &text.as_bytes()[..n];
            let want =
                b.iter().take(8).enumerate().fold(0u64, |w, (i, x)| w | u64::from(*x) << (8 * i));
            assert_eq!(word(b), want, "{n}");
        }
    }

    #[test]
    fn symbols_find_every_name_and_nothing_else() {
        let mut s = Symbols::default();
        let names: Vec<String> = (0..300).map(|i| format!("{}{i}", "k".repeat(i % 23))).collect();
        for n in &names {
            s.intern(n);
        }
        for (i, n) in names.iter().enumerate() {
            assert_eq!(s.get(n), Some(Key(i as u32)), "{n}");
            assert_eq!(s.name(Key(i as u32)), Some(n.as_str()));
            assert_eq!(s.get(&format!("{n}x")), None);
            assert_eq!(s.get(&format!("x{n}")), None);
        }
        assert_eq!(s.get(""), None);
        for (i, n) in KNOWN.iter().enumerate() {
            let k = s.intern(n);
            assert_eq!(s.known[i], k.0, "{n}");
        }
        assert_eq!(Symbols::default().get("a"), None);
    }

    #[test]
    fn names_are_found_within_their_text() {
        let mut s = Symbols::default();
        let names: Vec<String> = (0..40)
            .map(|i| "abcdefghijklmnopqrstu"[..i % 21].to_string() + &i.to_string())
            .collect();
        for n in &names {
            s.intern(n);
        }
        s.intern("");
        for n in names.iter().map(String::as_str).chain(["", "zz", "abcdefghijklmnopqrstuvwxyz"]) {
            for pad in ["", "\"", "\": 1, \"more\": 2}"] {
                let text = format!("\"{n}{pad}");
                assert_eq!(s.get_within(text.as_bytes(), 1, 1 + n.len()), s.get(n), "{text}");
            }
        }
    }

    #[test]
    fn entry_keys_compare_by_text() {
        let mut s = Symbols::default();
        s.intern("known");
        let mut a = Arena::new(Arc::new(s));
        let (x, y, k) = (a.entry_key("x"), a.entry_key("x"), a.entry_key("known"));
        assert_ne!(x, y);
        assert!(a.same_key(x, y) && !a.same_key(x, k));
        assert_eq!((a.key_str(x), a.key_str(k)), ("x", "known"));
        assert_eq!(a.key("x"), a.key("x"));
        let merge = a.entry_key("<<");
        assert_eq!(a.merge_key, Some(merge));
    }
}
