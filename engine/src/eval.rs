//! Evaluating: compiled rules over documents, to findings.
//!
//! Each document meets only the rules indexed under its kinds. Documents are evaluated in
//! parallel on native targets (rayon) and in order on wasm; either way the findings come out in
//! document order, then rule order, then the order the rule produced them.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap as HashMap;

use serde::Serialize;
use ward_lang::Span;
use ward_lang::ast::{BinOp, FindingKind};
use ward_lang::hir::Severity;

use crate::compile::{CFn, Code, Compiled, LITERAL_BASE};
use crate::doc::{Document, Key, NodeId, NodeKind, Pos, push_escaped};
use crate::error::EvalError;
use crate::value::{Docs, NodeRef, Value};

/// What one evaluation sees: documents, program, parameters, the input index and the budget.
pub struct Cx<'a> {
    docs: &'a [Document],
    prog: Option<&'a Compiled>,
    /// Documents by kind, built on first use by a cross-document rule.
    by_kind: OnceLock<HashMap<u32, Vec<u32>>>,
    /// Documents by namespace (`default` when none is set), built on first use.
    by_namespace: OnceLock<HashMap<Arc<str>, Vec<u32>>>,
    max_steps: u64,
    /// Values of static call sites, computed on first use (see [`crate::statics`]).
    statics: OnceLock<Box<[OnceLock<Value>]>>,
    /// How many static call sites the program has.
    static_sites: usize,
    /// [`Options::run_every_rule`].
    run_every_rule: bool,
    /// The wall-clock instant past which evaluation stops (native targets only: `Instant::now`
    /// panics on `wasm32-unknown-unknown`).
    #[cfg(not(target_arch = "wasm32"))]
    deadline: Option<std::time::Instant>,
}

impl Docs for Cx<'_> {
    fn doc(&self, i: u32) -> Option<&Document> {
        if i >= LITERAL_BASE {
            return self.prog?.literals.get((i - LITERAL_BASE) as usize);
        }
        self.docs.get(i as usize)
    }

    fn key_text(&self, key: Key) -> Option<crate::value::Text> {
        self.prog?.key_texts.get(key.0 as usize).cloned()
    }
}

impl<'a> Cx<'a> {
    /// A context with no documents and no program (for constants).
    pub(crate) fn empty() -> Cx<'static> {
        Cx {
            docs: &[],
            prog: None,
            by_kind: OnceLock::new(),
            by_namespace: OnceLock::new(),
            max_steps: u64::MAX,
            statics: OnceLock::new(),
            static_sites: 0,
            run_every_rule: false,
            #[cfg(not(target_arch = "wasm32"))]
            deadline: None,
        }
    }

    fn new(prog: &'a Compiled, docs: &'a [Document], max_steps: u64) -> Self {
        Cx {
            docs,
            prog: Some(prog),
            by_kind: OnceLock::new(),
            by_namespace: OnceLock::new(),
            max_steps,
            statics: OnceLock::new(),
            static_sites: prog.static_sites,
            run_every_rule: false,
            #[cfg(not(target_arch = "wasm32"))]
            deadline: None,
        }
    }

    fn by_kind(&self) -> &HashMap<u32, Vec<u32>> {
        self.by_kind.get_or_init(|| {
            let mut by_kind: HashMap<u32, Vec<u32>> = HashMap::default();
            let Some(prog) = self.prog else { return by_kind };
            for (i, d) in self.docs.iter().enumerate() {
                for k in prog.kinds.kinds_of(d) {
                    by_kind.entry(k).or_default().push(i as u32);
                }
            }
            by_kind
        })
    }

    pub(crate) fn param(&self, i: usize) -> Value {
        self.prog.and_then(|p| p.params.get(i)).cloned().unwrap_or_default()
    }

    /// The cell holding the value of static call site `site`.
    pub(crate) fn static_value(&self, site: usize) -> Option<&OnceLock<Value>> {
        // The cells are made on the first static call: most evaluations of a few rules make
        // none.
        self.statics
            .get_or_init(|| (0..self.static_sites).map(|_| OnceLock::new()).collect())
            .get(site)
    }

    pub(crate) fn function(&self, i: usize) -> Option<&'a CFn> {
        self.prog?.functions.get(i)
    }

    pub(crate) fn node_kind(&self, r: &NodeRef) -> Option<NodeKind> {
        Some(self.doc(r.doc)?.arena.node(r.node)?.kind)
    }

    /// Reads a field; absent when the base is absent or has no such field.
    pub(crate) fn field(&self, base: &Value, key: Key, name: &str) -> Value {
        match base {
            Value::Node(r) => {
                let Some(doc) = self.doc(r.doc) else { return Value::Null };
                let child = if key.0 == u32::MAX {
                    doc.arena.get_str(r.node, name)
                } else {
                    doc.arena.get(r.node, key)
                };
                child.map_or(Value::Null, |node| Value::Node(NodeRef { doc: r.doc, node }))
            }
            Value::Map(m) => m.get(name).cloned().unwrap_or_default(),
            _ => Value::Null,
        }
    }

    /// Indexes a list by position or a map by key; absent when out of range.
    pub(crate) fn index(&self, base: &Value, i: &Value) -> Value {
        if let Some(key) = i.as_str(self) {
            return self.field(
                base,
                self.prog.and_then(|p| p.symbols.get(key)).unwrap_or(Key(u32::MAX)),
                key,
            );
        }
        let Some(n) = i.as_i64(self) else { return Value::Null };
        match base.items(self) {
            Some(items) if n >= 0 => items.into_iter().nth(n as usize).unwrap_or_default(),
            _ => Value::Null,
        }
    }

    fn by_namespace(&self) -> &HashMap<Arc<str>, Vec<u32>> {
        self.by_namespace.get_or_init(|| {
            let mut by_ns: HashMap<Arc<str>, Vec<u32>> = HashMap::default();
            for (i, d) in self.docs.iter().enumerate() {
                let ns = d.meta.namespace.clone().unwrap_or_else(|| Arc::from("default"));
                by_ns.entry(ns).or_default().push(i as u32);
            }
            by_ns
        })
    }

    /// The input documents of the given kinds, optionally only those in `namespace`.
    pub(crate) fn of(&self, kinds: &Value, namespace: Option<&str>) -> Value {
        let Value::Kinds(ks) = kinds else { return Value::List(Arc::new(Vec::new())) };
        let by_kind = self.by_kind();
        let mut idx: Vec<u32> =
            ks.iter().flat_map(|k| by_kind.get(k).cloned().unwrap_or_default()).collect();
        idx.sort_unstable();
        idx.dedup();
        if let Some(ns) = namespace {
            let in_ns = self.by_namespace().get(ns).map(Vec::as_slice).unwrap_or(&[]);
            idx.retain(|i| in_ns.binary_search(i).is_ok());
        }
        let roots = idx
            .into_iter()
            .filter_map(|i| {
                self.docs.get(i as usize).map(|d| Value::Node(NodeRef { doc: i, node: d.root }))
            })
            .collect();
        Value::List(Arc::new(roots))
    }

    pub(crate) fn is_kind(&self, v: &Value, kind: u32) -> bool {
        let (Value::Node(r), Some(prog)) = (v, self.prog) else { return false };
        self.doc(r.doc).is_some_and(|d| prog.kinds.node_is(d, r.node, kind))
    }
}

/// How many steps pass between two looks at the clock when a deadline is set: reading the clock
/// costs tens of nanoseconds, a step a few.
const DEADLINE_EVERY: u64 = 1024;

/// The state of one running rule, function or test.
pub struct Frame<'a> {
    /// Local slots.
    pub slots: Vec<Value>,
    /// Slot vectors of finished calls, reused by the next call.
    pool: Vec<Vec<Value>>,
    /// Results of function calls on this document, by function and arguments.
    pub(crate) memo: Memo,
    /// The evaluation context.
    pub cx: &'a Cx<'a>,
    /// Findings produced so far on the document, with their texts.
    pub(crate) out: Found,
    /// Failed expectations (tests only).
    pub failures: Vec<(Span, String)>,
    /// The document under evaluation.
    pub doc: Option<NodeRef>,
    steps: u64,
    /// Rules by document identity (see [`Frame::rules_for`]).
    kinds: Vec<KindEntry>,
    /// Room for [`Compiled::present_fields`]' walk.
    walk: Vec<NodeId>,
    /// The root of the document under evaluation and the kinds its identity tells, for
    /// [`Frame::is_kind`].
    root_kinds: Option<(NodeRef, Arc<[u32]>)>,
    /// Regular expressions compiled from patterns known only at run time.
    pub(crate) regexes: Regexes,
}

impl<'a> Frame<'a> {
    pub(crate) fn new(cx: &'a Cx<'a>, slots: usize) -> Self {
        Frame::with_slots(cx, vec![Value::Null; slots])
    }

    /// A frame on the storage the last evaluation on this thread left (see [`Spare`]).
    fn reusing(cx: &'a Cx<'a>) -> Self {
        let spare = SPARE.with(std::cell::Cell::take).unwrap_or_default();
        let Spare { slots, pool, memo, out, kinds, walk, regexes } = spare;
        Frame {
            slots,
            pool,
            memo,
            cx,
            out,
            failures: Vec::new(),
            doc: None,
            steps: 0,
            kinds,
            walk,
            root_kinds: None,
            regexes,
        }
    }

    /// Leaves this frame's storage for the next evaluation on this thread, emptied: no value
    /// outlives its evaluation.
    fn recycle(self) {
        let Frame { mut slots, mut pool, mut memo, mut out, kinds, walk, regexes, .. } = self;
        slots.iter_mut().for_each(|v| crate::value::discard(std::mem::take(v)));
        for p in &mut pool {
            p.iter_mut().for_each(|v| crate::value::discard(std::mem::take(v)));
        }
        memo.reset();
        out.clear();
        SPARE.with(|s| s.set(Some(Spare { slots, pool, memo, out, kinds, walk, regexes })));
    }

    pub(crate) fn with_slots(cx: &'a Cx<'a>, slots: Vec<Value>) -> Self {
        Frame {
            slots,
            pool: Vec::new(),
            memo: Memo::default(),
            cx,
            out: Found::default(),
            failures: Vec::new(),
            doc: None,
            steps: 0,
            kinds: Vec::new(),
            walk: Vec::new(),
            root_kinds: None,
            regexes: Regexes::default(),
        }
    }

    /// A slot vector of length `n` for a call, reusing a finished call's.
    pub(crate) fn take_slots(&mut self, n: usize) -> Vec<Value> {
        let mut v = self.pool.pop().unwrap_or_default();
        // Slots are written before they are read (the checker scopes every local), so values
        // left by an earlier call are never seen: the vector only needs to be long enough.
        if v.len() < n {
            v.resize(n, Value::Null);
        }
        v
    }

    /// Takes back a finished call's slot vector, for the next call.
    pub(crate) fn give_slots(&mut self, slots: Vec<Value>) {
        self.pool.push(slots);
    }

    #[inline]
    pub(crate) fn set(&mut self, slot: usize, v: Value) {
        if let Some(s) = self.slots.get_mut(slot) {
            crate::value::discard(std::mem::replace(s, v));
        }
    }

    /// The rules that apply to `doc`, in order: those of the kinds its identity tells are
    /// remembered by identity (its texts, compared by address first: documents of one stream
    /// mostly share them), for this thread's next evaluations of the same program too.
    ///
    /// With a selection of up to 256 rules (an embedder's, the CLI's profiles), the rules come
    /// already filtered by it, remembered with the identity for as long as the selection is the
    /// same; the flag says so.
    fn rules_for(
        &mut self,
        prog: &Compiled,
        doc: &Document,
        selected: Option<&Selection>,
    ) -> (Arc<[u32]>, Arc<[u32]>, bool) {
        let m = &doc.meta;
        let same = |a: &Option<Arc<str>>, b: &Option<Arc<str>>| match (a, b) {
            (None, None) => true,
            // The same text, usually shared (the loader shares the identity texts it reads
            // often), but not always.
            (Some(a), Some(b)) => Arc::ptr_eq(a, b) || **a == **b,
            _ => false,
        };
        let hit = self.kinds.iter().position(|e| {
            e.program == prog.id
                && (Arc::ptr_eq(&e.format, &m.format) || *e.format == *m.format)
                && same(&e.api_version, &m.api_version)
                && same(&e.kind, &m.kind)
        });
        let at = match hit {
            Some(at) => at,
            None => {
                let kinds: Arc<[u32]> = prog.kinds.kinds_by_identity(m).into();
                let rules = prog.rules_of(&kinds);
                if self.kinds.len() >= KIND_ENTRIES {
                    self.kinds.remove(0);
                }
                self.kinds.push(KindEntry {
                    program: prog.id,
                    api_version: m.api_version.clone(),
                    kind: m.kind.clone(),
                    format: m.format.clone(),
                    rules,
                    kinds,
                    chosen: None,
                });
                self.kinds.len() - 1
            }
        };
        let Some(e) = self.kinds.get_mut(at) else {
            return (Arc::default(), Arc::default(), false);
        };
        if prog.kinds.has_other() {
            let mut all = e.kinds.to_vec();
            prog.kinds.other_kinds(doc, &mut all);
            return (prog.rules_of(&all), e.kinds.clone(), false);
        }
        let Some(Selection::Small(bits)) = selected else {
            return (e.rules.clone(), e.kinds.clone(), false);
        };
        let chosen = match &e.chosen {
            Some((b, rules)) if b == bits => rules.clone(),
            _ => {
                let rules: Arc<[u32]> =
                    e.rules.iter().copied().filter(|r| Selection::has(bits, *r)).collect();
                e.chosen = Some((*bits, rules.clone()));
                rules
            }
        };
        (chosen, e.kinds.clone(), true)
    }

    /// Whether `v` is a document of kind `kind`: for the root of the document under
    /// evaluation and a kind its identity tells, from the kinds found when its rules were
    /// chosen, without reading fields.
    pub(crate) fn is_kind(&self, v: &Value, kind: u32) -> bool {
        if let (Value::Node(r), Some((root, kinds)), Some(prog)) =
            (v, &self.root_kinds, self.cx.prog)
            && r == root
            && prog.kinds.told_by_identity(kind)
        {
            return kinds.contains(&kind);
        }
        self.cx.is_kind(v, kind)
    }

    /// Which of the fields rules need (see [`Compiled::needs`]) document `doc` has anywhere,
    /// as a mask.
    fn present_keys(&mut self, prog: &Compiled, doc: &Document) -> u64 {
        prog.present_fields(doc, &mut self.walk)
    }

    /// Counts one step against the budget, and every [`DEADLINE_EVERY`] steps looks at the clock.
    #[inline]
    pub(crate) fn step(&mut self, span: Span) -> Result<(), Box<EvalError>> {
        self.steps += 1;
        if !self.steps.is_multiple_of(DEADLINE_EVERY) && self.steps <= self.cx.max_steps {
            return Ok(());
        }
        self.check_limits(span)
    }

    /// The budget and the clock, looked at when [`Frame::step`] cannot tell at once.
    #[cold]
    fn check_limits(&self, span: Span) -> Result<(), Box<EvalError>> {
        if self.steps > self.cx.max_steps {
            return Err(Box::new(EvalError::Budget { limit: self.cx.max_steps, span }));
        }
        #[cfg(not(target_arch = "wasm32"))]
        if self.steps.is_multiple_of(DEADLINE_EVERY)
            && let Some(deadline) = self.cx.deadline
            && std::time::Instant::now() >= deadline
        {
            return Err(Box::new(EvalError::Deadline { span }));
        }
        Ok(())
    }
}

/// Results of pure function calls, for one document.
#[derive(Default)]
pub(crate) struct Memo {
    /// Calls of one node argument (`w.containers()`, `w.pod_spec()`), the usual case: by
    /// function, the last node and its value. A direct look-up, no hashing.
    one: Vec<(u64, Value)>,
    /// Every memoised call, by function and arguments.
    map: HashMap<MemoKey, Value>,
}

/// A document identity and the rules of its kinds, remembered by a frame. The texts are kept
/// alive so that their addresses identify them.
struct KindEntry {
    program: u64,
    api_version: Option<Arc<str>>,
    kind: Option<Arc<str>>,
    format: Arc<str>,
    rules: Arc<[u32]>,
    /// The kinds the identity tells.
    kinds: Arc<[u32]>,
    /// The last small selection these rules were filtered by, and the rules it keeps.
    chosen: Option<([u64; 4], Arc<[u32]>)>,
}

/// Identities a frame remembers.
const KIND_ENTRIES: usize = 8;

/// What a finished evaluation leaves for the next one on the same thread: slot vectors and memo
/// capacity, so evaluating one document at a time (an admission request, an editor keystroke)
/// allocates no frame.
#[derive(Default)]
struct Spare {
    slots: Vec<Value>,
    pool: Vec<Vec<Value>>,
    memo: Memo,
    out: Found,
    kinds: Vec<KindEntry>,
    walk: Vec<NodeId>,
    regexes: Regexes,
}

thread_local! {
    static SPARE: std::cell::Cell<Option<Spare>> = const { std::cell::Cell::new(None) };
}

/// Patterns a thread keeps compiled (see [`Regexes`]).
const REGEX_ENTRIES: usize = 32;

/// The largest compiled form of a regular expression, in bytes: a pattern needing more is an
/// error rather than a slow or huge automaton.
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A compiled regular expression, or why its pattern does not compile.
type CompiledRegex = Result<regex::Regex, Box<str>>;

/// Compiles a `matches` pattern, with Ward's limits.
pub(crate) fn compile_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).build()
}

/// Regular expressions whose patterns are known only at run time (a parameter, a computed
/// string; constant patterns are compiled with the program), compiled once per pattern and
/// thread rather than at every call: the last [`REGEX_ENTRIES`] patterns used, with the error
/// of a pattern that does not compile. They outlive an evaluation (they depend on the pattern
/// alone), so a policy's parameter patterns are compiled once for a stream of admission
/// requests too. When full, the entries are replaced in turn.
#[derive(Default)]
pub(crate) struct Regexes {
    /// Patterns and what they compiled to.
    entries: Vec<(Box<str>, CompiledRegex)>,
    /// The entry to replace next once full.
    next: usize,
}

impl Regexes {
    /// The compiled form of `pattern`, or why it does not compile.
    pub(crate) fn get(&mut self, pattern: &str) -> Result<&regex::Regex, &str> {
        let i = match self.entries.iter().position(|(p, _)| **p == *pattern) {
            Some(i) => i,
            None => {
                let compiled = compile_regex(pattern).map_err(|e| e.to_string().into());
                let entry = (Box::from(pattern), compiled);
                if self.entries.len() < REGEX_ENTRIES {
                    self.entries.push(entry);
                    self.entries.len() - 1
                } else {
                    let i = self.next % REGEX_ENTRIES;
                    self.next = i + 1;
                    if let Some(e) = self.entries.get_mut(i) {
                        *e = entry;
                    }
                    i
                }
            }
        };
        match self.entries.get(i).map(|(_, r)| r) {
            Some(Ok(re)) => Ok(re),
            Some(Err(e)) => Err(e),
            None => Err("internal error: a lost regular expression"),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The [`Memo::one`] key of a node argument.
pub(crate) fn node_key(r: &NodeRef) -> u64 {
    (u64::from(r.doc) << 32) | u64::from(r.node)
}

/// An empty [`Memo::one`] entry (no node has this key: `LITERAL_BASE` documents stay far below
/// `u32::MAX`).
const NO_NODE: u64 = u64::MAX;

impl Memo {
    /// Forgets the calls of the last document. [`Memo::one`] keys name their document, so they
    /// cannot match another's within one evaluation and stay.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }

    /// Forgets everything, for another evaluation (whose document indices mean other documents).
    fn reset(&mut self) {
        self.map.clear();
        for e in &mut self.one {
            e.0 = NO_NODE;
            crate::value::discard(std::mem::take(&mut e.1));
        }
    }

    /// The value of function `func` on node `node`, if it was called on it lately.
    pub(crate) fn get_one(&self, func: usize, node: u64) -> Option<&Value> {
        self.one.get(func).filter(|(k, _)| *k == node).map(|(_, v)| v)
    }

    pub(crate) fn get(&self, key: &MemoKey) -> Option<&Value> {
        self.map.get(key)
    }

    /// A one-node call's value that [`Memo::insert_one`] moved to the map.
    pub(crate) fn get_evicted(&self, func: usize, node: u64) -> Option<&Value> {
        if self.map.is_empty() {
            return None;
        }
        self.map.get(&MemoKey::node(func as u32, node))
    }

    /// Records a call's value under `key`.
    pub(crate) fn insert(&mut self, key: MemoKey, v: Value) {
        self.map.insert(key, v);
    }

    /// Records the value of function `func` on node `node` in the direct-mapped table; the
    /// entry it replaces, a call on another node of this document, moves to the map.
    pub(crate) fn insert_one(&mut self, func: usize, node: u64, v: Value) {
        if self.one.len() <= func {
            self.one.resize(func + 1, (NO_NODE, Value::Null));
        }
        if let Some(slot) = self.one.get_mut(func) {
            let (old, value) = std::mem::replace(slot, (node, v));
            // Entries of earlier documents are simply dropped: the map holds this one's only.
            if old != NO_NODE && old >> 32 == node >> 32 {
                self.map.insert(MemoKey::node(func as u32, old), value);
            }
        }
    }
}

/// One argument of a memoised call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MemoArg {
    Null,
    Bool(bool),
    Int(i64),
    Str(crate::value::Text),
    Node(u32, u32),
}

impl std::hash::Hash for MemoArg {
    /// One word per argument (a string's hash for strings): keys are hashed on every call, and
    /// equal arguments still hash alike.
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        match self {
            MemoArg::Null => h.write_u64(0),
            MemoArg::Bool(b) => h.write_u64(u64::from(*b)),
            MemoArg::Int(i) => h.write_u64(*i as u64),
            MemoArg::Str(s) => s.hash(h),
            MemoArg::Node(doc, node) => h.write_u64((u64::from(*doc) << 32) | u64::from(*node)),
        }
    }
}

/// A function and its arguments, when every argument can be a hash key (at most three).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct MemoKey {
    func: u32,
    args: [MemoArg; 3],
}

impl MemoKey {
    /// The key of a call of `func` on the one node `node` (a [`node_key`]).
    fn node(func: u32, node: u64) -> MemoKey {
        let arg = MemoArg::Node((node >> 32) as u32, node as u32);
        MemoKey { func, args: [arg, MemoArg::Null, MemoArg::Null] }
    }

    pub(crate) fn new<'v>(
        func: u32,
        args: impl ExactSizeIterator<Item = Option<&'v Value>>,
    ) -> Option<MemoKey> {
        if args.len() > 3 {
            return None;
        }
        let mut key = MemoKey { func, args: [MemoArg::Null, MemoArg::Null, MemoArg::Null] };
        for (slot, v) in key.args.iter_mut().zip(args) {
            *slot = match v? {
                Value::Null => MemoArg::Null,
                Value::Bool(b) => MemoArg::Bool(*b),
                Value::Int(i) => MemoArg::Int(*i),
                Value::Str(s) => MemoArg::Str(s.clone()),
                Value::Node(r) => MemoArg::Node(r.doc, r.node),
                _ => return None,
            };
        }
        Some(key)
    }
}

/// The findings a frame has produced on its document, and their texts: the messages and
/// pointers of all of them are written one after another into one buffer, which becomes the
/// text the document's findings share (see [`Finding`]), so that a finding makes no allocation
/// of its own.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// The findings, in production order.
    pub(crate) raws: Vec<Raw>,
    /// Their texts.
    pub(crate) text: String,
    /// Their fixes' operations.
    pub(crate) patches: Vec<PatchOp>,
    /// The pointers of the nodes of one document (`pointers.doc`) that findings were located
    /// from, and of their ancestors (see [`Found::root_pointer`]): one rule's findings, and the
    /// next rule's, are mostly located from the same few nodes (a container, a pod spec).
    pointers: Pointers,
}

/// Pointers of a document's nodes, by node: a node's pointer is its parent's and one segment
/// more, so the text of a chain of ancestors is written once, in `text`, and each ancestor's
/// range is a prefix of the deepest one's.
#[derive(Debug, Default)]
struct Pointers {
    /// The document (its index) and its root, which the entries are numbered from.
    doc: u32,
    root: u32,
    /// By node, less the root: the generation an entry was written in, and its range of
    /// `text`; entries of other generations are empty.
    by_node: Vec<(u32, Range)>,
    /// The current generation (never 0, which fresh entries have).
    generation: u32,
    text: String,
}

/// Ancestors a pointer is built through at once, at most; deeper chains are written directly.
const POINTER_CHAIN: usize = 16;

/// Nodes of a document whose pointers are remembered: the first this many (a node's parent
/// comes before it), so that the table stays small whatever the document.
const POINTER_NODES: u32 = 1 << 16;

impl Pointers {
    /// Forgets every entry, for a new document.
    fn clear(&mut self) {
        self.text.clear();
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.by_node.iter_mut().for_each(|e| e.0 = 0);
            self.generation = 1;
        }
    }

    /// The pointer of node `node` of `doc` (the document at index `i`), relative to its
    /// root, as a range of `text`: remembered, or written and remembered with those of the
    /// ancestors it was written through; `None` when the chain is longer than is worth
    /// remembering.
    fn of(&mut self, i: u32, doc: &Document, node: u32) -> Option<Range> {
        if self.doc != i || self.root != doc.root || self.generation == 0 {
            self.doc = i;
            self.root = doc.root;
            self.clear();
        }
        if node.checked_sub(doc.root)? >= POINTER_NODES {
            return None;
        }
        let arena = &doc.arena;
        // The ancestors without a pointer, nearest first, up to one with a pointer or the root.
        let mut chain = [0u32; POINTER_CHAIN];
        let mut depth = 0;
        let mut cur = node;
        let known = loop {
            if cur == doc.root {
                break (0, 0);
            }
            let at = cur.checked_sub(doc.root)? as usize;
            if let Some(&(g, range)) = self.by_node.get(at)
                && g == self.generation
            {
                break range;
            }
            let n = arena.node(cur).filter(|n| n.parent != cur)?;
            *chain.get_mut(depth)? = cur;
            depth += 1;
            cur = n.parent;
        };
        if depth == 0 {
            return Some(known);
        }
        // The known prefix at the end of the text, then a segment per ancestor on the way.
        let start = if known.1 as usize == self.text.len() {
            known.0
        } else {
            let start = self.text.len() as u32;
            let b = (known.1 as usize).min(self.text.len());
            self.text.extend_from_within((known.0 as usize).min(b)..b);
            start
        };
        for &child in chain.get(..depth).unwrap_or(&[]).iter().rev() {
            arena.push_segment(&mut self.text, child);
            let at = child.saturating_sub(doc.root) as usize;
            if at >= POINTER_NODES as usize {
                continue;
            }
            if self.by_node.len() <= at {
                self.by_node.resize(at + 1, (0, (0, 0)));
            }
            if let Some(e) = self.by_node.get_mut(at) {
                *e = (self.generation, (start, self.text.len() as u32));
            }
        }
        Some((start, self.text.len() as u32))
    }
}

/// A range of [`Found::text`] or of a document's shared findings text.
pub(crate) type Range = (u32, u32);

impl Found {
    pub(crate) fn clear(&mut self) {
        self.raws.clear();
        self.text.clear();
        self.patches.clear();
        self.pointers.clear();
    }

    /// How much has been produced, to go back to with [`Found::truncate`].
    fn mark(&self) -> (usize, usize, usize) {
        (self.raws.len(), self.text.len(), self.patches.len())
    }

    /// Forgets what was produced since `mark`.
    fn truncate(&mut self, (raws, text, patches): (usize, usize, usize)) {
        self.raws.truncate(raws);
        self.text.truncate(text);
        self.patches.truncate(patches);
    }

    /// The text of range `r`.
    pub(crate) fn get(&self, r: Range) -> &str {
        self.text.get(r.0 as usize..r.1 as usize).unwrap_or("")
    }

    /// Appends the pointer of node `r` relative to `base`: remembered for the document (see
    /// [`Pointers`]) when `base` is its root, as it is for a rule's own document.
    fn root_pointer(&mut self, doc: &Document, base: u32, r: NodeRef) {
        if base == doc.root
            && let Some((a, b)) = self.pointers.of(r.doc, doc, r.node)
        {
            self.text.push_str(self.pointers.text.get(a as usize..b as usize).unwrap_or(""));
            return;
        }
        doc.arena.push_pointer(&mut self.text, base, r.node);
    }

    /// Adds the JSON Patch operation setting the located node to `value` (or, with `None`,
    /// removing it); a removal of an absent node is none.
    pub(crate) fn patch(&mut self, loc: &Loc, value: Option<Arc<serde_json::Value>>) {
        let end = loc.pointer.1 as usize;
        let present = loc.present as usize;
        let complete = present >= end;
        let (op, path) = match (&value, complete) {
            (None, true) => (PatchKind::Remove, end),
            (None, false) => return,
            (Some(_), true) => (PatchKind::Replace, end),
            // Adds the first absent segment, holding the others as nested objects.
            (Some(_), false) => (PatchKind::Add, (loc.first_absent as usize).clamp(present, end)),
        };
        self.patches.push(PatchOp { op, pointer: loc.pointer, path: path as u32, value });
    }
}

/// A located node for `at` and `fix`: the deepest node present, and the pointer of the path
/// (in the frame's [`Found::text`]), whose bytes past `present` are absent segments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Loc {
    /// The document.
    pub doc: u32,
    /// The deepest present node.
    pub node: Option<u32>,
    /// The full intended pointer, relative to the document root.
    pub pointer: Range,
    /// Where the deepest present node is.
    pub pos: Pos,
    /// Where in the text the pointer's absent segments start (its end when there are none).
    pub present: u32,
    /// Where the first absent segment ends (`present` when there are none).
    pub first_absent: u32,
}

impl Loc {
    /// The location of the frame's document itself.
    pub(crate) fn of_doc(f: &Frame<'_>) -> Loc {
        let at = f.out.text.len() as u32;
        let Some(r) = f.doc else {
            let pos = Pos::default();
            return Loc {
                doc: 0,
                node: None,
                pointer: (at, at),
                pos,
                present: at,
                first_absent: at,
            };
        };
        let pos = f.cx.doc(r.doc).map(|d| d.arena.location(d.root)).unwrap_or_default();
        Loc {
            doc: r.doc,
            node: Some(r.node),
            pointer: (at, at),
            pos,
            present: at,
            first_absent: at,
        }
    }
}

/// Where the segment of `pointer` that starts at `at` ends: at the next `/` (segments are
/// escaped, so a `/` only starts one), or at the end.
fn first_segment_end(pointer: &str, at: usize) -> usize {
    // A pointer's segments are short: a plain look beats `memchr`'s set-up.
    let rest = pointer.as_bytes().get(at..).unwrap_or_default();
    at + rest.iter().skip(1).position(|&b| b == b'/').map_or(rest.len(), |i| i + 1)
}

/// A JSON Patch operation of a fix, its pointers in the findings' text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PatchOp {
    op: PatchKind,
    /// The pointer the fix names; for an `add` under absent objects, it runs on past the
    /// operation's path through the keys of the objects that hold the value.
    pointer: Range,
    /// Where the operation's path ends in the text.
    path: u32,
    /// The value the fix sets, shared when it is a constant of the policy.
    value: Option<Arc<serde_json::Value>>,
}

impl PatchOp {
    /// The operation, its pointers in `text`.
    fn view<'a>(&'a self, text: &'a str) -> Patch<'a> {
        let get = |a: u32, b: u32| text.get(a as usize..b as usize).unwrap_or("");
        Patch {
            op: self.op,
            path: get(self.pointer.0, self.path),
            nest: get(self.path, self.pointer.1),
            value: self.value.as_deref(),
        }
    }
}

/// A JSON Patch (RFC 6902) operation of a finding's fix. It serialises as RFC 6902 says (`op`,
/// `path`, `value`); an `add` under absent objects builds the objects around its value only
/// when the value is read ([`Patch::value`]) or serialised, since most consumers of findings
/// never read their fixes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Patch<'a> {
    /// The operation.
    pub op: PatchKind,
    /// The JSON Pointer it applies at.
    pub path: &'a str,
    /// The keys of the objects an `add` creates around the value, as pointer segments
    /// (`/a/b`, escaped).
    nest: &'a str,
    value: Option<&'a serde_json::Value>,
}

impl Patch<'_> {
    /// The value to add or replace with, nested in an object per absent key past the path.
    pub fn value(&self) -> Option<serde_json::Value> {
        let mut value = self.value?.clone();
        for key in self.keys().rev() {
            let mut m = serde_json::Map::new();
            m.insert(key.into_owned(), value);
            value = serde_json::Value::Object(m);
        }
        Some(value)
    }

    /// The keys of the objects holding the value, outermost first, unescaped.
    fn keys(&self) -> impl DoubleEndedIterator<Item = Cow<'_, str>> {
        // `/a/b`: past the first `/` (none for an empty text), the keys between the others.
        self.nest.get(1..).into_iter().flat_map(|t| t.split('/')).map(unescape_segment)
    }
}

/// A JSON Pointer segment's text (RFC 6901: `~1` is `/`, `~0` is `~`).
fn unescape_segment(seg: &str) -> Cow<'_, str> {
    if seg.contains('~') {
        Cow::Owned(seg.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(seg)
    }
}

impl Serialize for Patch<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeStruct};
        /// A value inside objects with the keys `keys` (outermost first).
        struct Nested<'a>(&'a [Cow<'a, str>], &'a serde_json::Value);
        impl Serialize for Nested<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self.0.split_first() {
                    None => self.1.serialize(s),
                    Some((key, rest)) => {
                        let mut m = s.serialize_map(Some(1))?;
                        m.serialize_entry(key, &Nested(rest, self.1))?;
                        m.end()
                    }
                }
            }
        }
        let mut st = s.serialize_struct("Patch", 2 + usize::from(self.value.is_some()))?;
        st.serialize_field("op", &self.op)?;
        st.serialize_field("path", self.path)?;
        if let Some(leaf) = self.value {
            let keys: Vec<Cow<'_, str>> = self.keys().collect();
            st.serialize_field("value", &Nested(&keys, leaf))?;
        }
        st.end()
    }
}

/// The JSON Patch operations fixes use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchKind {
    /// `add`.
    Add,
    /// `remove`.
    Remove,
    /// `replace`.
    Replace,
}

/// A compiled path segment.
pub enum CSeg {
    /// `.name`, with its JSON Pointer segment (`/name`, escaped).
    Field(Key, Arc<str>, Box<str>),
    /// `[index]`.
    Index(Code),
}

/// A compiled location path.
pub struct CPath {
    pub(crate) root: Code,
    pub(crate) segs: Vec<CSeg>,
    /// The same path when it is a local's slot and field names of the program's, each with its
    /// pointer segment: located without running code or making values.
    pub(crate) fields: Option<FieldPath>,
}

/// A local's slot and field names, with the JSON Pointer segments of the names, written one
/// after the other (see [`CPath::fields`]).
pub(crate) struct FieldPath {
    pub(crate) slot: usize,
    /// Each name's key and where its segment ends in `text`.
    pub(crate) keys: Box<[(Key, u32)]>,
    /// The segments (`/name`, escaped), joined.
    pub(crate) text: Box<str>,
}

impl CPath {
    /// Finds the node a path names, going as deep as the document goes, and writes its pointer
    /// to the frame's findings text: the root's (remembered per document, see
    /// [`Found::root_pointer`]) followed by the path's own segments, present ones and then
    /// absent ones.
    pub(crate) fn locate(&self, f: &mut Frame<'_>) -> Result<Loc, Box<EvalError>> {
        if let Some(fields) = &self.fields {
            return Ok(Self::locate_fields(f, fields));
        }
        let root = (self.root)(f)?;
        let Value::Node(r) = root else { return Ok(Loc::of_doc(f)) };
        let cx = f.cx;
        let Some(doc) = cx.doc(r.doc) else { return Ok(Loc::of_doc(f)) };
        // The computed segments first (their code runs on the frame; reading the document has
        // no effects, so the order is the same), then the walk and the text.
        let mut indices = Vec::new();
        for seg in &self.segs {
            if let CSeg::Index(code) = seg {
                indices.push(code(f)?);
            }
        }
        let base = f.doc.filter(|d| d.doc == r.doc).map_or(doc.root, |d| d.node);
        let out = &mut f.out;
        let start = out.text.len();
        out.root_pointer(doc, base, r);
        let pointer = &mut out.text;
        let mut cur = r.node;
        // Where the absent segments start, once one is.
        let mut present = None;
        // Whether the text so far is the present node's own pointer: an integer index into a
        // map names an entry whose pointer segment is its key, rebuilt at the end.
        let mut exact = true;
        let mut indices = indices.iter();
        for seg in &self.segs {
            match seg {
                CSeg::Field(k, name, text) => {
                    if present.is_none() {
                        let n = if k.0 == u32::MAX {
                            doc.arena.get_str(cur, name)
                        } else {
                            doc.arena.get(cur, *k)
                        };
                        match n {
                            Some(n) => cur = n,
                            None => present = Some(pointer.len()),
                        }
                    }
                    pointer.push_str(text);
                }
                CSeg::Index(_) => {
                    let i = indices.next().unwrap_or(&Value::Null);
                    let (next, text) = match i.as_i64(cx) {
                        Some(n) => {
                            let at = doc.arena.children(cur).get(n as usize).filter(|_| n >= 0);
                            let list = matches!(
                                doc.arena.node(cur).map(|n| n.kind),
                                Some(NodeKind::List { .. })
                            );
                            if at.is_some() && !list {
                                exact = false;
                            }
                            (at.map(|e| e.node), Cow::Owned(n.to_string()))
                        }
                        None => {
                            let key = i.display(cx);
                            (doc.arena.get_str(cur, &key), Cow::Owned(key))
                        }
                    };
                    match next {
                        Some(n) if present.is_none() => cur = n,
                        _ => {
                            present.get_or_insert(pointer.len());
                        }
                    }
                    pointer.push('/');
                    push_escaped(pointer, &text);
                }
            }
        }
        let mut present = present.unwrap_or(pointer.len());
        if !exact {
            // The present node's own pointer, then the absent segments.
            let absent = pointer.split_off(present);
            pointer.truncate(start);
            doc.arena.push_pointer(pointer, base, cur);
            present = pointer.len();
            pointer.push_str(&absent);
        }
        let first_absent = first_segment_end(pointer, present) as u32;
        let pointer = (start as u32, pointer.len() as u32);
        let pos = doc.arena.location(cur);
        Ok(Loc { doc: r.doc, node: Some(cur), pointer, pos, present: present as u32, first_absent })
    }

    /// [`CPath::locate`] of field names from the node in a local's slot.
    fn locate_fields(f: &mut Frame<'_>, path: &FieldPath) -> Loc {
        let r = match f.slots.get(path.slot) {
            Some(Value::Node(r)) => *r,
            _ => return Loc::of_doc(f),
        };
        let Some(doc) = f.cx.doc(r.doc) else { return Loc::of_doc(f) };
        let base = f.doc.filter(|d| d.doc == r.doc).map_or(doc.root, |d| d.node);
        let out = &mut f.out;
        let start = out.text.len();
        out.root_pointer(doc, base, r);
        // The path's own segments are the same text whichever of its fields are present.
        let at = out.text.len();
        out.text.push_str(&path.text);
        let mut cur = r.node;
        // Where the absent segments start and where the first of them ends.
        let mut absent = None;
        let mut from = 0;
        for &(k, end) in &*path.keys {
            match doc.arena.get(cur, k) {
                Some(n) => cur = n,
                None => {
                    absent = Some((at + from as usize, at + end as usize));
                    break;
                }
            }
            from = end;
        }
        let end = out.text.len();
        let (present, first_absent) = absent.unwrap_or((end, end));
        Loc {
            doc: r.doc,
            node: Some(cur),
            pointer: (start as u32, end as u32),
            pos: doc.arena.location(cur),
            present: present as u32,
            first_absent: first_absent as u32,
        }
    }
}

/// A finding as a rule body produces it, before it is tied to its rule; its texts are in the
/// frame's [`Found`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Raw {
    /// The rule (set once the rule has run).
    pub rule: u32,
    /// Deny or warn.
    pub kind: FindingKind,
    /// The message.
    pub message: Range,
    /// Where.
    pub loc: Loc,
    /// Its fix's operations, in [`Found::patches`].
    pub fix: Range,
}

/// What the findings of one document share: the document's identity, their texts and fix
/// operations, written one after another as they were produced, and the program's rules.
#[derive(Debug)]
struct DocFacts {
    /// The facts of the program's rules, by rule: shared by all its documents' findings.
    rules: Arc<[RuleFacts]>,
    identity: DocIdentity,
    patches: Box<[PatchOp]>,
}

/// [`DocFacts`] and the findings' texts after them, in one allocation.
type DocFindings = triomphe::Arc<triomphe::HeaderSlice<DocFacts, str>>;

/// What the findings of one rule share.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RuleFacts {
    pub(crate) id: Box<str>,
    pub(crate) severity: Severity,
    pub(crate) controls: Box<[String]>,
}

/// A finding: a rule's verdict on one place in one document. The findings of one document
/// share one allocation, which holds the document's identity, their texts and the rules' facts:
/// a finding is small, makes no allocation of its own, and counts no reference that findings
/// of other documents (which other threads may be making) count too.
#[derive(Clone)]
pub struct Finding {
    /// The rule, an index of [`DocFacts::rules`].
    rule: u32,
    shared: DocFindings,
    level: FindingKind,
    line: u32,
    column: u32,
    message: Range,
    pointer: Range,
    fix: Range,
}

impl Finding {
    fn text(&self, r: Range) -> &str {
        self.shared.slice.get(r.0 as usize..r.1 as usize).unwrap_or("")
    }

    /// The facts of its rule (always there: findings are made for the program's rules only).
    fn facts(&self) -> Option<&RuleFacts> {
        self.shared.header.rules.get(self.rule as usize)
    }

    /// The stable id of the rule that found it.
    pub fn rule(&self) -> &str {
        self.facts().map_or("", |r| &r.id)
    }

    /// The rule's severity.
    pub fn severity(&self) -> Severity {
        self.facts().map_or(Severity::Info, |r| r.severity)
    }

    /// The rule's control ids.
    pub fn controls(&self) -> &[String] {
        self.facts().map_or(&[], |r| &r.controls)
    }

    /// `deny` or `warn`.
    pub fn level(&self) -> FindingKind {
        self.level
    }

    /// The line of the place, from 1.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The column of the place, from 1.
    pub fn column(&self) -> u32 {
        self.column
    }

    /// The message.
    pub fn message(&self) -> &str {
        self.text(self.message)
    }

    /// The JSON Pointer of the place within the document (empty for the document itself).
    pub fn pointer(&self) -> &str {
        self.text(self.pointer)
    }

    /// The document: its file, index, `apiVersion`, `kind`, namespace and name.
    pub fn doc(&self) -> &DocIdentity {
        &self.shared.header.identity
    }

    /// A JSON Patch that fixes it, when the rule gives one: its operations in order.
    pub fn fix(&self) -> Option<impl ExactSizeIterator<Item = Patch<'_>> + Clone> {
        let ops = self.shared.header.patches.get(self.fix.0 as usize..self.fix.1 as usize)?;
        (!ops.is_empty()).then(|| ops.iter().map(|p| p.view(&self.shared.slice)))
    }
}

impl PartialEq for Finding {
    fn eq(&self, other: &Finding) -> bool {
        fn fix(f: &Finding) -> Option<Vec<Patch<'_>>> {
            f.fix().map(Iterator::collect)
        }
        self.facts() == other.facts()
            && self.level == other.level
            && self.line == other.line
            && self.column == other.column
            && self.message() == other.message()
            && self.pointer() == other.pointer()
            && self.doc() == other.doc()
            && fix(self) == fix(other)
    }
}

impl std::fmt::Debug for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finding")
            .field("rule", &self.rule())
            .field("severity", &self.severity())
            .field("level", &self.level)
            .field("message", &self.message())
            .field("line", &self.line)
            .field("column", &self.column)
            .field("pointer", &self.pointer())
            .field("doc", self.doc())
            .field("controls", &self.controls())
            .field("fix", &self.fix().map(|ops| ops.collect::<Vec<_>>()))
            .finish()
    }
}

/// As JSON: `rule`, `severity`, `level`, `message`, `line`, `column`, `pointer`, the document's
/// identity fields (`file`, `index`, `apiVersion`, `kind`, `namespace`, `name`), `controls` and,
/// when there is one, `fix`.
impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let d = self.doc();
        let fix = self.fix();
        let mut m = s.serialize_map(Some(14 + usize::from(fix.is_some())))?;
        m.serialize_entry("rule", self.rule())?;
        m.serialize_entry("severity", &self.severity())?;
        m.serialize_entry("level", &self.level)?;
        m.serialize_entry("message", self.message())?;
        m.serialize_entry("line", &self.line)?;
        m.serialize_entry("column", &self.column)?;
        m.serialize_entry("pointer", self.pointer())?;
        m.serialize_entry("file", &d.file)?;
        m.serialize_entry("index", &d.index)?;
        m.serialize_entry("apiVersion", &d.api_version)?;
        m.serialize_entry("kind", &d.kind)?;
        m.serialize_entry("namespace", &d.namespace)?;
        m.serialize_entry("name", &d.name)?;
        m.serialize_entry("controls", self.controls())?;
        if let Some(ops) = fix {
            m.serialize_entry("fix", &ops.collect::<Vec<_>>())?;
        }
        m.end()
    }
}

/// Which document a finding is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocIdentity {
    /// The file.
    pub file: Arc<str>,
    /// Index of the document in its file's stream.
    pub index: u32,
    /// The document's `apiVersion`.
    #[serde(rename = "apiVersion")]
    pub api_version: Option<Arc<str>>,
    /// The document's `kind`.
    pub kind: Option<Arc<str>>,
    /// The document's namespace.
    pub namespace: Option<Arc<str>>,
    /// The document's name.
    pub name: Option<Arc<str>>,
}

impl DocIdentity {
    fn of(meta: &crate::doc::DocMeta) -> DocIdentity {
        DocIdentity {
            file: meta.file.clone(),
            index: meta.index,
            api_version: meta.api_version.clone(),
            kind: meta.kind.clone(),
            namespace: meta.namespace.clone(),
            name: meta.name.clone(),
        }
    }
}

/// An error evaluating one rule over one document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleError {
    /// The rule id.
    pub rule: String,
    /// The document's file.
    pub file: Arc<str>,
    /// The document's line.
    pub line: u32,
    /// The document's column.
    pub column: u32,
    /// What went wrong.
    pub error: EvalError,
}

/// Options for an evaluation.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Steps one rule may take on one document; unlimited when `None`.
    pub max_steps: Option<u64>,
    /// The rules to run (indices into the program's rules); all when `None`.
    pub rules: Option<Vec<u32>>,
    /// Evaluate documents one after the other even where threads are available.
    pub sequential: bool,
    /// Run every selected rule on every document of its kinds, even where it cannot find
    /// anything: by default a rule is skipped on a document that lacks a field all its
    /// findings read (see [`Compiled::needed_fields`]), and so reports no run-time error there.
    /// The findings are the same either way.
    pub run_every_rule: bool,
    /// Wall-clock budget for the whole call to [`Compiled::evaluate`], counted from its start; a
    /// rule still running on a document when it runs out stops with [`EvalError::Deadline`] (the
    /// clock is read every 1024 steps, so a single long builtin call may overrun it). Native
    /// targets only: `std::time::Instant` is unavailable on `wasm32-unknown-unknown`, where
    /// [`Options::max_steps`] is the way to bound an evaluation.
    #[cfg(not(target_arch = "wasm32"))]
    pub deadline: Option<std::time::Duration>,
}

/// The rules an evaluation runs, when not all: a bit per rule, on the stack for up to 256 rules
/// (an evaluation of one document, an admission request, makes no allocation for it).
enum Selection {
    Small([u64; 4]),
    Large(Vec<bool>),
}

impl Selection {
    fn of(rules: &[u32], count: usize) -> Selection {
        if count <= 256 {
            let mut bits = [0u64; 4];
            for &r in rules {
                if let Some(w) = bits.get_mut(r as usize / 64) {
                    *w |= 1 << (r % 64);
                }
            }
            return Selection::Small(bits);
        }
        let mut on = vec![false; count];
        for &r in rules {
            if let Some(x) = on.get_mut(r as usize) {
                *x = true;
            }
        }
        Selection::Large(on)
    }

    fn contains(&self, r: u32) -> bool {
        match self {
            Selection::Small(bits) => Selection::has(bits, r),
            Selection::Large(on) => on.get(r as usize).copied().unwrap_or(false),
        }
    }

    /// Whether the bits of a small selection hold rule `r`.
    fn has(bits: &[u64; 4], r: u32) -> bool {
        bits.get(r as usize / 64).is_some_and(|w| w >> (r % 64) & 1 == 1)
    }
}

/// The result of an evaluation.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Every finding, in document, rule and production order.
    pub findings: Vec<Finding>,
    /// Rules that could not finish on some document.
    pub errors: Vec<RuleError>,
}

/// Makes room in `findings` before the next of `total` documents, `done` of them evaluated, when
/// less is left than the most findings one document has added (`most`): a document adds its
/// findings at once, and overflowing would double the vector, copying it. The room made is for
/// as many findings as the documents so far predict for all of them, and at least doubles it.
fn make_room(findings: &mut Vec<Finding>, done: usize, total: usize, most: usize) {
    let len = findings.len();
    if done == 0 || findings.capacity() - len >= most {
        return;
    }
    let projected = len.saturating_mul(total) / done;
    findings.reserve(projected.saturating_sub(len).max(len).max(most));
}

impl Compiled {
    /// Evaluates the selected rules over `docs`.
    pub fn evaluate(&self, docs: &[Document], opts: &Options) -> Outcome {
        let mut cx = Cx::new(self, docs, opts.max_steps.unwrap_or(u64::MAX));
        cx.run_every_rule = opts.run_every_rule;
        #[cfg(not(target_arch = "wasm32"))]
        {
            cx.deadline = opts.deadline.and_then(|d| std::time::Instant::now().checked_add(d));
        }
        let selected = opts.rules.as_deref().map(|r| Selection::of(r, self.program.rules.len()));
        #[cfg(not(target_arch = "wasm32"))]
        if !opts.sequential && docs.len() > 1 {
            use rayon::prelude::*;
            // Runs of documents, a few per thread's share, each evaluated in order into one
            // outcome: the outcomes are joined in document order whatever thread made them.
            let run = docs.len().div_ceil(rayon::current_num_threads() * 16).clamp(1, 64);
            let one = |f: &mut Frame<'_>, from: usize| {
                let mut out = Outcome::default();
                let end = (from + run).min(docs.len());
                // The first document is not read ahead: it is read at once anyway (and an
                // evaluation of one document, an admission request, has just loaded it).
                let mut touched = from + 1;
                let mut most = 0;
                for i in from..end {
                    let len = out.findings.len();
                    make_room(&mut out.findings, i - from, end - from, most);
                    if i == touched {
                        touched = touch(docs, i, end);
                    }
                    self.evaluate_doc(f, i as u32, selected.as_ref(), &mut out);
                    most = most.max(out.findings.len() - len);
                }
                out
            };
            let runs: Vec<Outcome> = (0..docs.len())
                .into_par_iter()
                .step_by(run)
                .map_init(|| Frame::new(&cx, 0), one)
                .collect();
            let mut out = Outcome::default();
            out.findings.reserve_exact(runs.iter().map(|o| o.findings.len()).sum());
            for o in runs {
                out.findings.extend(o.findings);
                out.errors.extend(o.errors);
            }
            return out;
        }
        let mut out = Outcome::default();
        // Room for a finding per document up front, rather than regrowing a large vector from
        // nothing (the space is only touched as findings come).
        if docs.len() > 1 {
            out.findings.reserve(docs.len());
        }
        let mut f = Frame::reusing(&cx);
        // Documents from `touched` on have not been read ahead (see `touch`); the first is not.
        let mut touched = 1;
        // The most findings one document has added.
        let mut most = 0;
        for i in 0..docs.len() {
            let len = out.findings.len();
            make_room(&mut out.findings, i, docs.len(), most);
            if i == touched {
                touched = touch(docs, i, docs.len());
            }
            self.evaluate_doc(&mut f, i as u32, selected.as_ref(), &mut out);
            most = most.max(out.findings.len() - len);
        }
        f.recycle();
        out
    }

    /// Evaluates the rules that apply to document `i` into `out`, in rule order. `f` is a frame
    /// reused from document to document, for its slot vectors and memo capacity.
    fn evaluate_doc(
        &self,
        f: &mut Frame<'_>,
        i: u32,
        selected: Option<&Selection>,
        out: &mut Outcome,
    ) {
        let cx = f.cx;
        let Some(doc) = cx.docs.get(i as usize) else { return };
        // The memo and the findings' texts (with their remembered pointers) are per document.
        f.memo.clear();
        f.out.clear();
        let on = |r: &u32| selected.is_none_or(|s| s.contains(*r));
        let skipping = !f.cx.run_every_rule;
        let (rules, kinds, filtered) = f.rules_for(self, doc, selected);
        if rules.is_empty() {
            return;
        }
        let root = NodeRef { doc: i, node: doc.root };
        f.root_kinds = Some((root, kinds));
        // The needed fields the document has, found when a rule first needs some.
        let mut present: Option<u64> = None;
        for &r in rules.iter().filter(|r| filtered || on(r)) {
            if skipping
                && let Some(need) = self.needs.get(r as usize)
                && !need.is_empty()
            {
                let have = *present.get_or_insert_with(|| f.present_keys(self, doc));
                if need.iter().all(|alt| alt & !have != 0) {
                    // The rule cannot find anything here: each way it could lacks a field.
                    continue;
                }
            }
            let mark = f.out.mark();
            match self.run_rule_in(f, r, root) {
                Ok(()) => {
                    for raw in f.out.raws.get_mut(mark.0..).unwrap_or(&mut []) {
                        raw.rule = r;
                    }
                }
                Err(error) => {
                    f.out.truncate(mark);
                    let pos = doc.arena.location(doc.root);
                    let rule = self
                        .program
                        .rules
                        .get(r as usize)
                        .map(|x| x.id.clone())
                        .unwrap_or_default();
                    out.errors.push(RuleError {
                        rule,
                        file: doc.meta.file.clone(),
                        line: pos.line,
                        column: pos.col,
                        error: *error,
                    });
                }
            }
        }
        // Most documents have no findings.
        if !f.out.raws.is_empty() {
            self.findings(&doc.meta, &mut f.out, &mut out.findings);
        }
    }

    /// Ties the findings of one document to their rules and to what they share: the
    /// document's identity and their texts, in one allocation.
    fn findings(&self, meta: &crate::doc::DocMeta, found: &mut Found, into: &mut Vec<Finding>) {
        let facts = DocFacts {
            rules: self.rule_facts.clone(),
            identity: DocIdentity::of(meta),
            // Moved out, the frame's vector keeping its room for the next document.
            patches: {
                let mut patches = Vec::with_capacity(found.patches.len());
                patches.append(&mut found.patches);
                patches.into_boxed_slice()
            },
        };
        let shared = triomphe::Arc::from_header_and_str(facts, &found.text);
        // Every raw finding's rule is one of the program's (set by `evaluate_doc`). One finding
        // per raw one: the vector makes room once.
        into.extend(found.raws.drain(..).map(|raw| Finding {
            rule: raw.rule,
            shared: shared.clone(),
            level: raw.kind,
            line: raw.loc.pos.line,
            column: raw.loc.pos.col,
            message: raw.message,
            pointer: raw.loc.pointer,
            fix: raw.fix,
        }));
    }

    /// Runs rule `r` over `doc` in a fresh frame; the memo is shared with the caller.
    fn run_rule(
        &self,
        cx: &Cx<'_>,
        r: u32,
        doc: NodeRef,
        memo: &mut Memo,
    ) -> Result<Found, Box<EvalError>> {
        let mut f = Frame::new(cx, 0);
        f.memo = std::mem::take(memo);
        let result = self.run_rule_in(&mut f, r, doc);
        *memo = std::mem::take(&mut f.memo);
        result.map(|()| f.out)
    }

    /// Runs rule `r` over `doc` in `f`, reusing its slot vector, pool and memo (per document);
    /// the findings are left in `f.out`. The step budget starts afresh.
    fn run_rule_in(&self, f: &mut Frame<'_>, r: u32, doc: NodeRef) -> Result<(), Box<EvalError>> {
        let (Some(meta), Some(code)) =
            (self.program.rules.get(r as usize), self.rules.get(r as usize))
        else {
            return Ok(());
        };
        // Slots are written before they are read (see `Frame::take_slots`).
        if f.slots.len() < code.locals as usize {
            f.slots.resize(code.locals as usize, Value::Null);
        }
        f.steps = 0;
        f.doc = Some(doc);
        f.set(meta.doc.0 as usize, Value::Node(doc));
        if let Some(inputs) = meta.inputs {
            f.set(inputs.0 as usize, Value::Inputs);
        }
        for s in &code.body {
            s(f)?;
        }
        Ok(())
    }

    /// Runs the program's `test` blocks; each result is the test's name and its failures.
    pub fn run_tests(&self) -> Vec<TestResult> {
        let cx = Cx::new(self, &[], 10_000_000);
        self.program
            .tests
            .iter()
            .zip(&self.tests)
            .map(|(t, code)| {
                let mut f = Frame::new(&cx, code.locals as usize);
                let mut failures = Vec::new();
                for s in &code.body {
                    if let Err(e) = s(&mut f) {
                        failures.push((e.span(), e.to_string()));
                        break;
                    }
                }
                failures.extend(f.failures);
                TestResult {
                    name: t.name.clone(),
                    module: t.module.clone(),
                    span: t.span,
                    failures,
                }
            })
            .collect()
    }

    /// Calls the function `qualified` (`module.name`) with `args`, over no documents, and returns
    /// its result as JSON; `None` when there is no such function. Missing arguments are absent.
    pub fn call_function(
        &self,
        qualified: &str,
        args: &[Value],
    ) -> Option<Result<serde_json::Value, EvalError>> {
        let i = self.program.functions.iter().position(|f| {
            f.module.len() + 1 + f.name.len() == qualified.len()
                && qualified.starts_with(f.module.as_str())
                && qualified.ends_with(f.name.as_str())
                && qualified.as_bytes().get(f.module.len()) == Some(&b'.')
        })?;
        let func = self.functions.get(i)?;
        let cx = Cx::new(self, &[], 10_000_000);
        let mut f = Frame::new(&cx, func.locals as usize);
        for (p, a) in func.params.iter().zip(args) {
            f.set(*p as usize, a.clone());
        }
        Some((func.body)(&mut f).map(|v| v.to_json(&cx)).map_err(|e| *e))
    }

    /// Sets a parameter by its qualified name (`module.name`); the value must fit its type.
    pub fn set_param(&mut self, name: &str, value: Value) -> Result<(), ParamError> {
        let Some(i) = self.program.params.iter().position(|p| p.qualified == name) else {
            let names: Vec<&str> =
                self.program.params.iter().map(|p| p.qualified.as_str()).collect();
            return Err(ParamError::Unknown {
                name: name.into(),
                suggestion: ward_lang::error::suggest(name, names),
            });
        };
        let ty = self.program.params.get(i).map(|p| p.ty.clone()).unwrap_or_default();
        if !crate::compile::conforms(&value, &ty, &self.program.types) {
            let expected = self.program.types.show(&ty).to_string();
            return Err(ParamError::Type {
                name: name.into(),
                expected,
                found: value.to_json(&[][..]).to_string(),
            });
        }
        if let Some(slot) = self.params.get_mut(i) {
            *slot = value;
        }
        Ok(())
    }
}

/// A host setting that does not fit the program's parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[expect(missing_docs, reason = "variant fields are named for what they hold")]
pub enum ParamError {
    /// `--set pss.verison=v1.29`.
    #[error("unknown parameter `{name}`{}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    Unknown { name: String, suggestion: Option<String> },
    /// `--set k8s.max_replicas=many` for an `int` parameter.
    #[error("parameter `{name}` expects `{expected}`, found `{found}`")]
    Type { name: String, expected: String, found: String },
}

/// The outcome of one test block.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// Its name.
    pub name: String,
    /// Its module.
    pub module: String,
    /// Where it is declared.
    pub span: Span,
    /// Failed expectations, with where and why.
    pub failures: Vec<(Span, String)>,
}

/// Runs `expect [no] deny rule(doc) [at pointer]` inside a test.
pub(crate) fn expect_finding(
    f: &mut Frame<'_>,
    present: bool,
    rule: usize,
    doc: &Code,
    at: Option<&Code>,
    span: Span,
) -> Result<(), Box<EvalError>> {
    let d = doc(f)?;
    let Value::Node(r) = d else {
        f.failures.push((span, "the rule's argument is not a document".into()));
        return Ok(());
    };
    let Some(prog) = f.cx.prog else { return Ok(()) };
    let found = prog.run_rule(f.cx, rule as u32, r, &mut Memo::default())?;
    let raws = &found.raws;
    let want = match at {
        Some(code) => Some(code(f)?.display(f.cx)),
        None => None,
    };
    let hit = raws.iter().any(|x| want.as_ref().is_none_or(|w| found.get(x.loc.pointer) == w));
    if hit != present {
        let got: Vec<String> = raws
            .iter()
            .map(|x| format!("`{}` at `{}`", found.get(x.message), found.get(x.loc.pointer)))
            .collect();
        let what = match (&want, present) {
            (Some(w), true) => format!("expected a finding at `{w}`"),
            (None, true) => "expected a finding".to_string(),
            (Some(w), false) => format!("expected no finding at `{w}`"),
            (None, false) => "expected no finding".to_string(),
        };
        let detail = if got.is_empty() {
            "none were produced".to_string()
        } else {
            format!("got {}", got.join(", "))
        };
        f.failures.push((span, format!("{what}; {detail}")));
    }
    Ok(())
}

/// Applies a binary operator (not `&&`, `||`, `??`).
pub(crate) fn binop(
    op: BinOp,
    x: &Value,
    y: &Value,
    f: &Frame<'_>,
    span: Span,
) -> Result<Value, Box<EvalError>> {
    let cx = f.cx;
    match op {
        BinOp::Eq => return Ok(Value::Bool(x.equals(y, cx))),
        BinOp::Ne => return Ok(Value::Bool(!x.equals(y, cx))),
        _ => {}
    }
    if matches!(op, BinOp::In | BinOp::NotIn) {
        let found = if let (Some(needle), Some(hay)) = (x.as_str(cx), y.as_str(cx)) {
            hay.contains(needle)
        } else if y.is_map(cx) {
            y.has_key(&x.display(cx), cx).unwrap_or(false)
        } else if let Some(found) = string_member(x, y, cx) {
            found
        } else if let Some(mut items) = y.iter_items(cx) {
            items.any(|i| i.equals(x, cx))
        } else {
            false
        };
        return Ok(Value::Bool(found == (op == BinOp::In)));
    }
    let (a, b) = (x.scalar(cx), y.scalar(cx));
    match op {
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            use std::cmp::Ordering::*;
            let ord = match (a.as_f64(cx), b.as_f64(cx), a.as_str(cx), b.as_str(cx)) {
                (Some(p), Some(q), _, _) => p.partial_cmp(&q),
                (_, _, Some(p), Some(q)) => Some(p.cmp(q)),
                _ => {
                    return Err(Box::new(EvalError::Mismatch {
                        expected: "numbers or strings".into(),
                        found: "other values".into(),
                        span,
                    }));
                }
            };
            Ok(Value::Bool(match (op, ord) {
                (_, None) => false,
                (BinOp::Lt, Some(o)) => o == Less,
                (BinOp::Le, Some(o)) => o != Greater,
                (BinOp::Gt, Some(o)) => o == Greater,
                (_, Some(o)) => o != Less,
            }))
        }
        _ => arith(op, &a, &b, x, y, cx).ok_or_else(|| {
            Box::new(match (op, &a, &b) {
                (BinOp::Div | BinOp::Rem, _, Value::Int(0)) => EvalError::DivisionByZero { span },
                (BinOp::Div | BinOp::Rem, _, Value::Float(q)) if *q == 0.0 => {
                    EvalError::DivisionByZero { span }
                }
                (_, Value::Int(_), Value::Int(_)) => EvalError::Overflow { span },
                _ => EvalError::Mismatch {
                    expected: "numbers".into(),
                    found: "other values".into(),
                    span,
                },
            })
        }),
    }
}

fn arith(op: BinOp, a: &Value, b: &Value, x: &Value, y: &Value, cx: &Cx<'_>) -> Option<Value> {
    match (a, b) {
        (Value::Int(p), Value::Int(q)) => Some(Value::Int(match op {
            BinOp::Add => p.checked_add(*q)?,
            BinOp::Sub => p.checked_sub(*q)?,
            BinOp::Mul => p.checked_mul(*q)?,
            BinOp::Div => p.checked_div(*q)?,
            BinOp::Rem => p.checked_rem(*q)?,
            _ => return None,
        })),
        (Value::Str(p), Value::Str(q)) if op == BinOp::Add => {
            Some(Value::Str(format!("{p}{q}").into()))
        }
        _ => {
            if op == BinOp::Add
                && let (Some(l), Some(r)) = (x.iter_items(cx), y.iter_items(cx))
                && !matches!(a, Value::Map(_))
            {
                let mut out = Vec::with_capacity(l.len() + r.len());
                out.extend(l);
                out.extend(r);
                return Some(Value::List(Arc::new(out)));
            }
            let (p, q) = (a.as_f64(cx)?, b.as_f64(cx)?);
            let v = match op {
                BinOp::Add => p + q,
                BinOp::Sub => p - q,
                BinOp::Mul => p * q,
                BinOp::Div if q != 0.0 => p / q,
                BinOp::Rem if q != 0.0 => p % q,
                _ => return None,
            };
            Some(Value::Float(v))
        }
    }
}

/// Whether string `x` is an item of list `xs`; `None` unless `x` is a string and `xs` a list.
pub(crate) fn string_member(x: &Value, xs: &Value, cx: &Cx<'_>) -> Option<bool> {
    let needle = x.as_str(cx)?;
    match xs {
        Value::List(items) => Some(items.iter().any(|i| i.as_str(cx) == Some(needle))),
        Value::Node(r) => {
            let arena = &cx.doc(r.doc)?.arena;
            match arena.node(r.node)?.kind {
                NodeKind::List { .. } => {
                    Some(arena.children(r.node).iter().any(|e| arena.str(e.node) == Some(needle)))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Folds a binary operator over two constants at compile time.
pub(crate) fn fold_binop(op: BinOp, x: &Value, y: &Value) -> Option<Value> {
    let cx = Cx::empty();
    match op {
        BinOp::And => Some(Value::Bool(x.as_bool(&cx)? && y.as_bool(&cx)?)),
        BinOp::Or => Some(Value::Bool(x.as_bool(&cx)? || y.as_bool(&cx)?)),
        BinOp::Default => Some(if x.is_null(&cx) { y.clone() } else { x.clone() }),
        _ => {
            let f = Frame::new(&cx, 0);
            binop(op, x, y, &f, Span::default()).ok()
        }
    }
}

/// Reads the nodes and entries of documents `i`, `i + 1`, ... (before `end`) in order, about
/// [`TOUCH_BYTES`] of them, and gives the index of the first document it did not read. On
/// inputs larger than the cache, evaluation otherwise waits on memory at nearly every field
/// read; read this way, in one stretch of consecutive memory (a stream's documents are stored
/// one after the other), they come in as fast as memory streams, and stay in the cache until
/// their rules have run.
fn touch(docs: &[Document], i: usize, end: usize) -> usize {
    let mut bytes = 0;
    let mut j = i;
    while j < end && (j == i || bytes < TOUCH_BYTES) {
        bytes += touch_one(docs, j);
        j += 1;
    }
    j.max(i + 1)
}

/// The bytes of nodes and entries [`touch`] reads ahead of the rules: documents that fit in a
/// core's own cache (its L2, 256 KiB to 2 MiB on current cores) with room to spare for the
/// program and the findings. Between 128 and 512 KiB, evaluations of the 10,000 generated
/// manifests of the benchmarks took about the same time; 16 KiB (about one document read ahead
/// at a time) and 1 MiB were slower.
const TOUCH_BYTES: usize = 128 * 1024;

/// Reads document `i`'s nodes and entries in order (a load per node, one per cache line of
/// entries); the bytes they take.
fn touch_one(docs: &[Document], i: usize) -> usize {
    /// Nodes looked at, at most (a document's nodes are numbered together from its root).
    const MOST: usize = 2048;
    let Some(doc) = docs.get(i) else { return 0 };
    let arena = &doc.arena;
    let from = doc.root as usize;
    let to = docs
        .get(i + 1)
        .filter(|d| Arc::ptr_eq(&d.arena, arena) && d.root > doc.root)
        .map_or(arena.nodes.len(), |d| d.root as usize)
        .min(from + MOST);
    let nodes = arena.nodes.get(from..to).unwrap_or_default();
    let mut sum = 0u32;
    for n in nodes {
        sum = sum.wrapping_add(n.slot);
    }
    let mut edges: &[crate::doc::Edge] = &[];
    // Every node but the root is the child of one entry, and a document's entries are stored
    // together, its root's last.
    if let Some(NodeKind::Map { start, len } | NodeKind::List { start, len }) =
        nodes.first().map(|n| n.kind)
    {
        let end = (start + len) as usize;
        let begin = end.saturating_sub(nodes.len().saturating_sub(1));
        edges = arena.edges.get(begin..end).unwrap_or_default();
        for e in edges.iter().step_by(4) {
            sum = sum.wrapping_add(e.node);
        }
    }
    std::hint::black_box(sum);
    std::mem::size_of_val(nodes) + std::mem::size_of_val(edges)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::doc::{Document, Limits, Symbols};
    use crate::load::load;

    /// A patch operation reads and serialises alike: its value nested in an object per absent
    /// key past its path, the keys unescaped.
    #[test]
    fn patch_values_read_as_they_serialise() {
        use serde_json::json;

        use super::{Found, Loc, PatchKind};
        // The pointer `pointer` after other text, its first `present` bytes present.
        let patch = |pointer: &str, present: u32, value: Option<serde_json::Value>| {
            let mut found = Found::default();
            found.text.push_str("a message");
            let start = found.text.len() as u32;
            found.text.push_str(pointer);
            let present = start + present;
            let first_absent = super::first_segment_end(&found.text, present as usize) as u32;
            let loc = Loc {
                doc: 0,
                node: None,
                pointer: (start, found.text.len() as u32),
                pos: crate::doc::Pos::default(),
                present,
                first_absent,
            };
            found.patch(&loc, value.map(Arc::new));
            found
        };
        let leaf = Some(json!(["ALL"]));
        let cases = [
            ("/a/b~1c/d~0e/f", 2, PatchKind::Add, "/a/b~1c", json!({"d~e": {"f": ["ALL"]}})),
            ("/a/b", 2, PatchKind::Add, "/a/b", json!(["ALL"])),
            ("", 0, PatchKind::Replace, "", json!(["ALL"])),
            ("/a/b", 4, PatchKind::Replace, "/a/b", json!(["ALL"])),
        ];
        for (pointer, present, op, path, value) in cases {
            let found = patch(pointer, present, leaf.clone());
            let [one] = found.patches.as_slice() else { panic!("{pointer}: {:?}", found.patches) };
            let view = one.view(&found.text);
            assert_eq!((view.op, view.path), (op, path), "{pointer}");
            assert_eq!(view.value(), Some(value.clone()), "{pointer}");
            let json = serde_json::to_value(view).unwrap();
            assert_eq!(json, json!({"op": op, "path": path, "value": value}), "{pointer}");
        }
        let found = patch("/a/b", 4, None);
        let [remove] = found.patches.as_slice() else { panic!("{:?}", found.patches) };
        let view = remove.view(&found.text);
        assert_eq!(serde_json::to_value(view).unwrap(), json!({"op": "remove", "path": "/a/b"}));
        assert_eq!(view.value(), None);
        assert!(patch("/a/b", 2, None).patches.is_empty(), "removing an absent node is nothing");
    }

    /// A selection of rules holds exactly the rules it was made of, in either form.
    #[test]
    fn selections_hold_their_rules() {
        use super::Selection;
        let rules = [0u32, 1, 63, 64, 65, 127, 128, 200, 255, 256, 299];
        for count in [10usize, 256, 300] {
            let s = Selection::of(&rules, count);
            assert_eq!(matches!(s, Selection::Small(_)), count <= 256);
            for r in 0..count as u32 {
                assert_eq!(s.contains(r), rules.contains(&r), "rule {r} of {count}");
            }
        }
    }

    /// [`super::touch`] is a hint: any documents, in any order, over any arena, are fine.
    #[test]
    fn touching_odd_documents_is_harmless() {
        let text = "{\"a\": {\"b\": [1, 2, {\"c\": 3}]}}\n[]\n{\"kind\": \"PodList\", \"apiVersion\": \"v1\", \"items\": [{\"x\": 1}, {\"y\": {}}]}\n";
        let loaded = load(
            "a.ndjson",
            text.as_bytes(),
            None,
            &Arc::new(Symbols::default()),
            &Limits::default(),
        );
        let mut docs = loaded.docs;
        assert!(docs.len() >= 3);
        let first = docs[0].clone();
        docs.push(Document { root: u32::MAX, window: None, ..first.clone() });
        docs.push(Document { root: 0, window: None, ..first.clone() });
        docs.reverse();
        docs.push(first);
        for i in 0..docs.len() + 2 {
            assert!(super::touch(&docs, i, docs.len()) > i);
            super::touch_one(&docs, i);
        }
        assert_eq!(super::touch(&[], 0, 0), 1);
    }

    /// Run-time patterns: each compiled once while it stays among the last ones used, a bad one
    /// remembered as its error, and more patterns than the cache holds replace the oldest.
    #[test]
    fn run_time_patterns_are_compiled_once_each() {
        let mut cache = super::Regexes::default();
        let first = cache.get("^a+$").map(|r| r as *const regex::Regex).unwrap();
        assert!(cache.get("^a+$").unwrap().is_match("aaa"));
        assert_eq!(cache.get("^a+$").map(|r| r as *const regex::Regex).unwrap(), first);
        assert!(cache.get("(").unwrap_err().contains("unclosed group"));
        assert!(cache.get("(").is_err());
        assert_eq!(cache.len(), 2);
        for i in 0..super::REGEX_ENTRIES * 2 + 3 {
            let p = format!("^x{{{i}}}$");
            assert!(cache.get(&p).unwrap().is_match(&"x".repeat(i)), "pattern {p}");
            assert!(!cache.get(&p).unwrap().is_match(&"x".repeat(i + 1)), "pattern {p}");
            assert!(cache.len() <= super::REGEX_ENTRIES);
        }
        assert!(cache.get("^a+$").unwrap().is_match("a"));
        assert!(cache.get(&"(".repeat(super::REGEX_SIZE_LIMIT)).is_err());
    }
}
