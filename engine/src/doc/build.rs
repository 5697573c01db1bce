//! Building an arena from a stream of parse events, for every input format.

use std::cell::Cell;
use std::sync::Arc;

use rustc_hash::FxHashSet as HashSet;

use super::{Arena, Edge, Key, Node, NodeId, NodeKind, Pos};
use crate::project::{Keep, Projection};

/// The key marking list items in [`Edge::key`].
pub const NO_KEY: Key = Key(u32::MAX);

/// The id returned for values read inside a skipped subtree (never stored).
pub const SKIPPED: NodeId = NodeId::MAX;

struct Frame {
    node: NodeId,
    map: bool,
    start: usize,
    /// Whether the entries of this container are projected (not under a whole name).
    project: bool,
}

/// A container being skipped: whether it is a map, and where its keys start in
/// [`Builder::skip_keys`].
struct Skipped {
    map: bool,
    start: usize,
}

/// A key of a map the JSON reader skims: where its opening and closing quotes are, whether it
/// is the first key of its map, and whether it holds escapes (then its text must be decoded
/// to compare it).
#[derive(Clone, Copy)]
pub(crate) struct SkimmedKey {
    pub(crate) open: u32,
    pub(crate) close: u32,
    pub(crate) first: bool,
    pub(crate) escaped: bool,
}

impl SkimmedKey {
    /// A key without escapes.
    #[inline(always)]
    pub(crate) fn plain(open: usize, close: usize, first: bool) -> Self {
        SkimmedKey { open: open as u32, close: close as u32, first, escaped: false }
    }

    /// A key.
    #[inline(always)]
    pub(crate) fn new(open: usize, close: usize, first: bool, escaped: bool) -> Self {
        SkimmedKey { open: open as u32, close: close as u32, first, escaped }
    }
}

/// Working storage of a builder and of the readers feeding it, kept per thread between loads
/// so that loading many small documents does not allocate it each time.
#[derive(Default)]
pub(crate) struct Spare {
    stack: Vec<Frame>,
    scratch: Vec<Edge>,
    /// Containers the JSON reader is skimming, past the 64 it keeps in a word.
    pub(crate) skimming: Vec<u64>,
    /// Keys of the maps being skimmed.
    pub(crate) keys: Vec<SkimmedKey>,
}

/// Entries beyond which spare storage is dropped rather than kept.
const SPARE_MAX: usize = 1 << 16;

impl Spare {
    fn clear(&mut self) {
        self.stack.clear();
        self.scratch.clear();
        self.skimming.clear();
        self.keys.clear();
    }

    fn small(&self) -> bool {
        self.stack.capacity().max(self.scratch.capacity()).max(self.keys.capacity()) <= SPARE_MAX
    }
}

impl Spare {
    /// No storage yet.
    const fn new() -> Self {
        Spare { stack: Vec::new(), scratch: Vec::new(), skimming: Vec::new(), keys: Vec::new() }
    }
}

thread_local! {
    static SPARE: Cell<Spare> = const { Cell::new(Spare::new()) };
}

/// Why building failed.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildError {
    /// Nesting deeper than the limit.
    TooDeep,
    /// A key appears twice in one map: the key, and where its second occurrence is written.
    DuplicateKey(String, Pos),
    /// Alias expansion would exceed its budget.
    AliasBudget,
}

/// Builds an [`Arena`] from events: containers opened and closed, keys and scalars.
pub struct Builder {
    /// The arena being built.
    pub arena: Arena,
    stack: Vec<Frame>,
    scratch: Vec<Edge>,
    /// Storage the JSON reader borrows while it reads.
    pub(crate) skim: Spare,
    key: Option<(Key, Pos)>,
    max_depth: usize,
    alias_budget: usize,
    /// What the program reads; `None` builds everything.
    projection: Option<Arc<Projection>>,
    /// What the value after the current key is for.
    next: Keep,
    /// The containers being skipped, innermost last.
    skipping: Vec<Skipped>,
    /// Keys of the skipped maps, checked for duplicates when each closes.
    skip_keys: Vec<Edge>,
}

impl Builder {
    /// A builder into `arena`.
    pub fn new(arena: Arena, max_depth: usize, alias_budget: usize) -> Self {
        let mut spare = SPARE.with(Cell::take);
        spare.clear();
        Builder {
            arena,
            stack: std::mem::take(&mut spare.stack),
            scratch: std::mem::take(&mut spare.scratch),
            skim: spare,
            key: None,
            max_depth,
            alias_budget,
            projection: None,
            next: Keep::Read,
            skipping: Vec::new(),
            skip_keys: Vec::new(),
        }
    }

    /// The arena built; the builder's working storage is kept for the next builder on this
    /// thread. Inlined, so that the builder is not copied to be taken apart.
    #[inline(always)]
    pub fn finish(self) -> Arena {
        let Builder { arena, stack, scratch, mut skim, .. } = self;
        skim.stack = stack;
        skim.scratch = scratch;
        skim.clear();
        if skim.small() {
            SPARE.with(|s| s.set(skim));
        }
        arena
    }

    /// Builds only what `projection` keeps: the value under a key it skips becomes a null
    /// placeholder (the key stays), and its subtree is read for errors but not built.
    pub fn with_projection(mut self, projection: Option<Arc<Projection>>) -> Self {
        self.projection = projection;
        self
    }

    /// [`Builder::with_projection`] in place.
    pub fn set_projection(&mut self, projection: Option<Arc<Projection>>) {
        self.projection = projection;
    }

    /// Whether the next value is to be skipped whole by the reader, which then adds its
    /// placeholder with [`Builder::scalar`] and reads past it without building anything.
    #[inline]
    pub fn skip_next(&self) -> bool {
        self.next == Keep::Skip && self.skipping.is_empty()
    }

    /// How many containers are open.
    #[inline]
    pub fn depth(&self) -> usize {
        self.stack.len() + self.skipping.len()
    }

    /// The deepest nesting allowed.
    #[inline]
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Whether no container is open.
    pub fn at_top(&self) -> bool {
        self.stack.is_empty() && self.skipping.is_empty()
    }

    /// Whether the innermost open container is a map.
    #[inline]
    pub fn in_map(&self) -> bool {
        match self.skipping.last() {
            Some(s) => s.map,
            None => self.stack.last().is_some_and(|f| f.map),
        }
    }

    /// Drops every open container (after an error), keeping finished nodes.
    pub fn reset(&mut self) {
        self.stack.clear();
        self.scratch.clear();
        self.key = None;
        self.next = Keep::Read;
        self.skipping.clear();
        self.skip_keys.clear();
    }

    /// Whether the next value is to be skipped; consumes that decision.
    #[inline]
    fn take_skip(&mut self) -> bool {
        std::mem::replace(&mut self.next, Keep::Read) == Keep::Skip
    }

    #[inline]
    fn add(&mut self, kind: NodeKind, pos: Pos) -> NodeId {
        let id = self.arena.nodes.len() as NodeId;
        let (parent, slot) = match self.stack.last() {
            Some(f) => (f.node, (self.scratch.len() - f.start) as u32),
            None => (id, 0),
        };
        self.arena.nodes.push(Node { kind, pos, parent, slot, keys: 0 });
        if !self.stack.is_empty() {
            let (key, kpos) = self.key.take().unwrap_or((NO_KEY, pos));
            self.scratch.push(Edge { key, node: id, pos: kpos });
        }
        id
    }

    /// Sets the key for the next value of the open map.
    pub fn key(&mut self, name: &str, pos: Pos) {
        let k = self.arena.key(name);
        self.set_key(k, pos);
    }

    /// [`Builder::key`] with a key of its own ([`Arena::entry_key`]) for a name the program
    /// does not know, for formats without merge keys or aliases.
    #[inline]
    pub fn entry(&mut self, name: &str, pos: Pos) {
        let k = self.arena.entry_key(name);
        self.set_key(k, pos);
    }

    /// [`Builder::entry`] given what [`super::Symbols::get`] says of `name`.
    #[inline]
    pub(crate) fn entry_known(&mut self, name: &str, known: Option<Key>, pos: Pos) {
        let k = self.arena.entry_key_known(name, known);
        self.set_key(k, pos);
    }

    #[inline]
    fn set_key(&mut self, k: Key, pos: Pos) {
        if !self.skipping.is_empty() {
            self.skip_keys.push(Edge { key: k, node: SKIPPED, pos });
            return;
        }
        self.key = Some((k, pos));
        if let (Some(p), Some(top)) = (&self.projection, self.stack.last())
            && top.project
        {
            self.next = p.get(k);
        }
    }

    /// Adds a scalar; returns its id.
    #[inline]
    pub fn scalar(&mut self, kind: NodeKind, pos: Pos) -> NodeId {
        if !self.skipping.is_empty() {
            return SKIPPED;
        }
        let kind = if self.take_skip() { NodeKind::Null } else { kind };
        self.add(kind, pos)
    }

    /// Adds a string scalar.
    #[inline]
    pub fn string(&mut self, s: &str, pos: Pos) -> NodeId {
        if !self.skipping.is_empty() {
            return SKIPPED;
        }
        if self.take_skip() {
            return self.add(NodeKind::Null, pos);
        }
        let start = self.arena.text.len() as u32;
        self.arena.text.push_str(s);
        self.add(NodeKind::Str { start, len: s.len() as u32 }, pos)
    }

    /// Opens a map or list.
    pub fn open(&mut self, map: bool, pos: Pos) -> Result<NodeId, BuildError> {
        if self.stack.len() + self.skipping.len() >= self.max_depth {
            return Err(BuildError::TooDeep);
        }
        if !self.skipping.is_empty() || self.next == Keep::Skip {
            self.next = Keep::Read;
            let node =
                if self.skipping.is_empty() { self.add(NodeKind::Null, pos) } else { SKIPPED };
            self.skipping.push(Skipped { map, start: self.skip_keys.len() });
            return Ok(node);
        }
        let kind = if map {
            NodeKind::Map { start: 0, len: 0 }
        } else {
            NodeKind::List { start: 0, len: 0 }
        };
        let project = match self.stack.last() {
            Some(parent) => {
                parent.project && std::mem::replace(&mut self.next, Keep::Read) != Keep::Whole
            }
            None => self.projection.is_some(),
        };
        let node = self.add(kind, pos);
        self.stack.push(Frame { node, map, start: self.scratch.len(), project });
        Ok(node)
    }

    /// Closes the innermost container; returns its id (`None` for a skipped one).
    pub fn close(&mut self) -> Result<Option<NodeId>, BuildError> {
        if let Some(s) = self.skipping.pop() {
            if s.map {
                check_duplicates(&self.arena, self.skip_keys.get(s.start..).unwrap_or(&[]))?;
            }
            self.skip_keys.truncate(s.start);
            return Ok(None);
        }
        let Some(f) = self.stack.pop() else { return Ok(None) };
        let merging = f.map
            && self.arena.merge_key.is_some_and(|m| {
                self.scratch.get(f.start..).is_some_and(|s| s.iter().any(|e| e.key == m))
            });
        let (start, mut keys);
        if merging {
            let entries: Vec<Edge> = self.scratch.drain(f.start..).collect();
            // Copying the merged maps' values appends their own entries first.
            let entries = self.merge_keys(entries)?;
            check_duplicates(&self.arena, &entries)?;
            keys = super::key_summary(&entries);
            start = self.arena.edges.len() as u32;
            self.arena.edges.extend(entries);
        } else {
            (start, keys) = (self.arena.edges.len() as u32, 0);
            let entries = self.scratch.get(f.start..).unwrap_or(&[]);
            if f.map {
                keys = checked_summary(&self.arena, entries)?;
            }
            self.arena.edges.extend_from_slice(entries);
            self.scratch.truncate(f.start);
        }
        let len = self.arena.edges.len() as u32 - start;
        // Children know their parent and slot from when they were added, unless merging
        // reordered them.
        if merging {
            for slot in 0..len {
                let Some(child) = self.arena.edges.get((start + slot) as usize).map(|e| e.node)
                else {
                    continue;
                };
                if let Some(n) = self.arena.nodes.get_mut(child as usize) {
                    n.parent = f.node;
                    n.slot = slot;
                }
            }
        }
        if let Some(n) = self.arena.nodes.get_mut(f.node as usize) {
            n.kind =
                if f.map { NodeKind::Map { start, len } } else { NodeKind::List { start, len } };
            n.keys = keys;
        }
        Ok(Some(f.node))
    }

    /// What the projection says of the value under key `k` of the innermost open map: the
    /// general path's [`Builder::key`] and [`Builder::skip_next`] in one, for a reader that
    /// keeps the key itself (see [`Builder::entry_node`]).
    #[inline]
    pub(crate) fn keep_of(&self, k: Key) -> Keep {
        match (&self.projection, self.stack.last()) {
            (Some(p), Some(top)) if top.project => p.get(k),
            _ => Keep::Read,
        }
    }

    /// Adds a scalar under `key` written at `kpos` (`NO_KEY` for list items and roots): what
    /// [`Builder::key`] then [`Builder::scalar`] do, for a reader that keeps the key itself.
    #[inline(always)]
    pub(crate) fn entry_node(&mut self, kind: NodeKind, pos: Pos, key: Key, kpos: Pos) -> NodeId {
        let id = self.arena.nodes.len() as NodeId;
        match self.stack.last() {
            Some(f) => {
                let slot = (self.scratch.len() - f.start) as u32;
                self.arena.nodes.push(Node { kind, pos, parent: f.node, slot, keys: 0 });
                let kpos = if key == NO_KEY { pos } else { kpos };
                self.scratch.push(Edge { key, node: id, pos: kpos });
            }
            None => self.arena.nodes.push(Node { kind, pos, parent: id, slot: 0, keys: 0 }),
        }
        id
    }

    /// [`Builder::entry_node`] of a string.
    #[inline(always)]
    pub(crate) fn entry_string(&mut self, s: &str, pos: Pos, key: Key, kpos: Pos) -> NodeId {
        let start = self.arena.text.len() as u32;
        self.arena.text.push_str(s);
        self.entry_node(NodeKind::Str { start, len: s.len() as u32 }, pos, key, kpos)
    }

    /// Opens a map or list under `key` (see [`Builder::entry_node`]); `whole` when the
    /// projection keeps everything under it.
    #[inline]
    pub(crate) fn entry_open(
        &mut self,
        map: bool,
        pos: Pos,
        key: Key,
        kpos: Pos,
        whole: bool,
    ) -> Result<NodeId, BuildError> {
        if self.stack.len() >= self.max_depth {
            return Err(BuildError::TooDeep);
        }
        let project = match self.stack.last() {
            Some(parent) => parent.project && !whole,
            None => self.projection.is_some(),
        };
        let kind = if map {
            NodeKind::Map { start: 0, len: 0 }
        } else {
            NodeKind::List { start: 0, len: 0 }
        };
        let node = self.entry_node(kind, pos, key, kpos);
        self.stack.push(Frame { node, map, start: self.scratch.len(), project });
        Ok(node)
    }

    /// [`Builder::close`] for a reader that adds entries with [`Builder::entry_node`]: the
    /// same checks, with the common case (no merge key) kept short.
    #[inline(always)]
    pub(crate) fn entry_close(&mut self) -> Result<(), BuildError> {
        let Some(f) = self.stack.last() else { return Ok(()) };
        if f.map && self.arena.merge_key.is_some() {
            return self.close().map(|_| ());
        }
        let (node, map, from) = (f.node, f.map, f.start);
        let entries = self.scratch.get(from..).unwrap_or(&[]);
        let keys = if map { checked_summary(&self.arena, entries)? } else { 0 };
        let start = self.arena.edges.len() as u32;
        let len = entries.len() as u32;
        self.arena.edges.extend_from_slice(entries);
        self.scratch.truncate(from);
        self.stack.pop();
        if let Some(n) = self.arena.nodes.get_mut(node as usize) {
            n.kind = if map { NodeKind::Map { start, len } } else { NodeKind::List { start, len } };
            n.keys = keys;
        }
        Ok(())
    }

    /// Whether a container is open and the innermost is a map: `None` when none is open.
    #[inline]
    pub(crate) fn top_map(&self) -> Option<bool> {
        self.stack.last().map(|f| f.map)
    }

    /// Applies YAML `<<` merge keys: entries of the merged maps that the map lacks are copied in.
    fn merge_keys(&mut self, entries: Vec<Edge>) -> Result<Vec<Edge>, BuildError> {
        let Some(merge) = self.arena.merge_key else { return Ok(entries) };
        let (merges, mut own): (Vec<Edge>, Vec<Edge>) =
            entries.into_iter().partition(|e| e.key == merge);
        let mut sources = Vec::new();
        for m in &merges {
            match self.arena.node(m.node).map(|n| n.kind) {
                Some(NodeKind::Map { .. }) => sources.push(m.node),
                Some(NodeKind::List { .. }) => {
                    sources.extend(self.arena.children(m.node).iter().map(|e| e.node))
                }
                _ => {}
            }
        }
        for src in sources {
            let inherited: Vec<Edge> = self.arena.children(src).to_vec();
            for e in inherited {
                if own.iter().any(|o| o.key == e.key) {
                    continue;
                }
                let node = self.copy(e.node, 0)?;
                own.push(Edge { key: e.key, node, pos: e.pos });
            }
        }
        Ok(own)
    }

    /// Adds a copy of the finished subtree `src` where a value is expected (alias expansion).
    pub fn alias(&mut self, src: NodeId) -> Result<NodeId, BuildError> {
        let copy = self.copy(src, self.stack.len())?;
        let (parent, slot) = match self.stack.last() {
            Some(f) => (f.node, (self.scratch.len() - f.start) as u32),
            None => (copy, 0),
        };
        if let Some(n) = self.arena.nodes.get_mut(copy as usize) {
            n.parent = parent;
            n.slot = slot;
        }
        if !self.stack.is_empty() {
            let pos = self.arena.node(copy).map(|n| n.pos).unwrap_or_default();
            let (key, kpos) = self.key.take().unwrap_or((NO_KEY, pos));
            self.scratch.push(Edge { key, node: copy, pos: kpos });
        }
        Ok(copy)
    }

    /// Deep-copies a finished subtree, charging the alias budget; the copy is detached.
    fn copy(&mut self, src: NodeId, depth: usize) -> Result<NodeId, BuildError> {
        if depth > self.max_depth {
            return Err(BuildError::TooDeep);
        }
        self.alias_budget = self.alias_budget.checked_sub(1).ok_or(BuildError::AliasBudget)?;
        let Some(node) = self.arena.node(src).copied() else { return Err(BuildError::AliasBudget) };
        let id = self.arena.nodes.len() as NodeId;
        self.arena.nodes.push(Node { parent: id, slot: 0, ..node });
        let map = match node.kind {
            NodeKind::Map { .. } => true,
            NodeKind::List { .. } => false,
            _ => return Ok(id),
        };
        let children: Vec<Edge> = self.arena.children(src).to_vec();
        let mut copied = Vec::with_capacity(children.len());
        for (slot, e) in children.iter().enumerate() {
            let c = self.copy(e.node, depth + 1)?;
            if let Some(n) = self.arena.nodes.get_mut(c as usize) {
                n.parent = id;
                n.slot = slot as u32;
            }
            copied.push(Edge { node: c, ..*e });
        }
        let start = self.arena.edges.len() as u32;
        let len = copied.len() as u32;
        self.arena.edges.extend(copied);
        if let Some(n) = self.arena.nodes.get_mut(id as usize) {
            n.kind = if map { NodeKind::Map { start, len } } else { NodeKind::List { start, len } };
        }
        Ok(id)
    }
}

/// [`check_duplicates`] and [`super::key_summary`] of a map's entries in one pass.
#[inline(always)]
fn checked_summary(arena: &Arena, entries: &[Edge]) -> Result<u32, BuildError> {
    // The common case: a few keys of the program's, all different.
    if entries.len() <= 16 {
        let program = arena.symbols.len() as u32;
        let (mut seen, mut keys) = (0u64, 0u32);
        for e in entries {
            let bit = 1u64 << (e.key.0 & 63);
            if e.key.0 >= program || seen & bit != 0 {
                return checked_summary_slow(arena, entries);
            }
            seen |= bit;
            keys |= super::key_bit(e.key);
        }
        return Ok(keys);
    }
    checked_summary_slow(arena, entries)
}

/// [`checked_summary`] for any entries.
#[inline(never)]
fn checked_summary_slow(arena: &Arena, entries: &[Edge]) -> Result<u32, BuildError> {
    if entries.len() > 16 {
        check_duplicates(arena, entries)?;
        return Ok(super::key_summary(entries));
    }
    let program = arena.symbols.len() as u32;
    let mut seen = 0u64;
    let mut keys = 0u32;
    for (i, e) in entries.iter().enumerate() {
        keys |= super::key_bit(e.key);
        let fp = if e.key.0 < program { e.key.0 & 63 } else { fingerprint(arena, e.key) };
        let bit = 1u64 << fp;
        if seen & bit != 0 {
            repeated(arena, entries, i)?;
        }
        seen |= bit;
    }
    Ok(keys)
}

/// Fails if entry `i` repeats the key of an earlier one.
#[cold]
fn repeated(arena: &Arena, entries: &[Edge], i: usize) -> Result<(), BuildError> {
    match entries.get(i) {
        Some(e) if entries.get(..i).unwrap_or(&[]).iter().any(|p| arena.same_key(p.key, e.key)) => {
            Err(BuildError::DuplicateKey(arena.key_str(e.key).to_string(), e.pos))
        }
        _ => Ok(()),
    }
}

fn check_duplicates(arena: &Arena, entries: &[Edge]) -> Result<(), BuildError> {
    let dup = if entries.len() <= 16 {
        // Equal names have equal fingerprints: only an entry whose fingerprint bit an earlier
        // entry set needs comparing with them.
        let mut seen = 0u64;
        entries
            .iter()
            .enumerate()
            .find(|(i, e)| {
                let bit = 1u64 << fingerprint(arena, e.key);
                let maybe = seen & bit != 0;
                seen |= bit;
                maybe && entries.iter().take(*i).any(|p| arena.same_key(p.key, e.key))
            })
            .map(|(_, e)| e)
    } else {
        let mut seen = HashSet::default();
        entries.iter().find(|e| !seen.insert(arena.key_str(e.key)))
    };
    match dup {
        Some(e) => Err(BuildError::DuplicateKey(arena.key_str(e.key).to_string(), e.pos)),
        None => Ok(()),
    }
}

/// A number below 64 that is the same for keys spelling the same name: a program key's own
/// number (no other key spells its name), else a mix of the name's length and end bytes.
#[inline]
fn fingerprint(arena: &Arena, key: Key) -> u32 {
    let n = arena.symbols.len() as u32;
    if key.0 < n {
        return key.0 & 63;
    }
    let b = arena.key_str(key).as_bytes();
    let first = b.first().map_or(0, |c| u64::from(*c));
    let last = b.last().map_or(0, |c| u64::from(*c));
    let mix = (b.len() as u64 | first << 16 | last << 32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mix >> 58) as u32
}
