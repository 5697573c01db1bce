//! Compiling: the typed IR to closures.
//!
//! Every expression becomes a boxed closure over a [`Frame`]: locals are slot indices, field
//! names are interned [`Key`]s, builtins are function pointers from the table, constant
//! sub-expressions are folded and constant regular expressions compiled once. Nothing at run
//! time looks a name up by string.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use ward_lang::Span;
use ward_lang::ast::{BinOp, UnOp};
use ward_lang::hir::{self, Const, ExprKind as H, Local, Pat};
use ward_lang::lex::StrKind;
use ward_lang::types::{Ty, TypeBody, TypeTable};

use crate::builtins::{self, Builtin, Higher, Impl};
use crate::doc::{Document, Key, Limits, NodeId, NodeKind, Symbols, key_bit};
use crate::error::{CompileError, EvalError};
use crate::eval::{Cx, Frame, Loc, MemoKey, Range, Raw};
use crate::value::{Docs, NodeRef, Text, Value, discard};

/// Document indices at or above this refer to the program's document literals.
pub const LITERAL_BASE: u32 = 1 << 31;

/// Builtin calls with at most this many arguments pass them in a stack array.
const SMALL_ARGS: usize = 4;

/// Calls with at most this many arguments are memoised, their arguments passed on the stack.
const MEMO_ARGS: usize = 3;

/// Runs a function body over its filled slots in a frame of its own, and memoises the value
/// under `key`.
fn run_call(
    f: &mut Frame<'_>,
    func: &CFn,
    slots: Vec<Value>,
    key: Memoise,
) -> Result<Value, Box<EvalError>> {
    // Functions are pure: they share the caller's frame (steps, document, memo) and only need
    // slots of their own, swapped in for the call.
    let caller = std::mem::replace(&mut f.slots, slots);
    let out = (func.body)(f);
    let done = std::mem::replace(&mut f.slots, caller);
    f.give_slots(done);
    if let Ok(v) = &out {
        match key {
            Memoise::No => {}
            Memoise::Node(fid, node) => f.memo.insert_one(fid, node, v.clone()),
            Memoise::Key(k) => f.memo.insert(k, v.clone()),
        }
    }
    out
}

/// How a call's value is remembered.
enum Memoise {
    No,
    /// A call of function `.0` on one node, by [`crate::eval::node_key`].
    Node(usize, u64),
    /// Any other memoised call.
    Key(MemoKey),
}

/// The compiled function `fid` (always there: the checker resolved every call).
fn function<'a>(f: &Frame<'a>, fid: usize, span: Span) -> Result<&'a CFn, Box<EvalError>> {
    f.cx.function(fid).ok_or_else(|| {
        Box::new(EvalError::Builtin {
            name: "call".into(),
            message: "unknown function".into(),
            span,
        })
    })
}

/// A call of function `fid` that is not memoised: its arguments go straight into its slots.
fn call_unmemoised(
    f: &mut Frame<'_>,
    fid: usize,
    args: &[Code],
    span: Span,
) -> Result<Value, Box<EvalError>> {
    let func = function(f, fid, span)?;
    let mut slots = f.take_slots(func.locals as usize);
    for (a, p) in args.iter().zip(&func.params) {
        let v = a(f)?;
        if let Some(s) = slots.get_mut(*p as usize) {
            *s = v;
        }
    }
    run_call(f, func, slots, Memoise::No)
}

/// A memoised call of function `fid` with the one argument `v`: the memo first (a node
/// argument without hashing), then the function.
fn call_one(f: &mut Frame<'_>, fid: usize, v: Value, span: Span) -> Result<Value, Box<EvalError>> {
    let node = match &v {
        Value::Node(r) => Some(crate::eval::node_key(r)),
        _ => None,
    };
    let memoise = match node {
        Some(n) => {
            if let Some(hit) = f.memo.get_one(fid, n) {
                return Ok(hit.clone());
            }
            // Nodes the direct-mapped entry lost go to the map.
            if let Some(hit) = f.memo.get_evicted(fid, n) {
                return Ok(hit.clone());
            }
            Memoise::Node(fid, n)
        }
        None => match MemoKey::new(fid as u32, std::iter::once(Some(&v))) {
            Some(k) => {
                if let Some(hit) = f.memo.get(&k) {
                    return Ok(hit.clone());
                }
                Memoise::Key(k)
            }
            None => Memoise::No,
        },
    };
    let func = function(f, fid, span)?;
    let mut slots = f.take_slots(func.locals as usize);
    if let Some(s) = func.params.first().and_then(|p| slots.get_mut(*p as usize)) {
        *s = v;
    }
    run_call(f, func, slots, memoise)
}

/// Compiled code of an expression.
pub type Code = CodeOf<Value>;
/// Compiled code giving a `T`.
pub type CodeOf<T> = Box<dyn Fn(&mut Frame<'_>) -> Result<T, Box<EvalError>> + Send + Sync>;
/// Compiled code of a condition.
type BCode = CodeOf<bool>;
/// Compiled code of a statement.
pub type SCode = Box<dyn Fn(&mut Frame<'_>) -> Result<(), Box<EvalError>> + Send + Sync>;

/// A compiled function.
pub struct CFn {
    pub(crate) locals: u32,
    pub(crate) params: Vec<u32>,
    pub(crate) body: Code,
}

/// A compiled rule (or test) body.
pub struct CRule {
    pub(crate) body: Vec<SCode>,
    /// The slots its frame needs, inlined function bodies included.
    pub(crate) locals: u32,
}

/// The `apiVersion` and `kind` a kind asks for, when it asks for no other field.
type Identity = (Option<Arc<str>>, Option<Arc<str>>);

/// Field values that select a kind: `(key, value)` pairs.
type Discriminators = Vec<(Key, Arc<str>)>;

/// How documents of each kind are recognised.
#[derive(Default)]
pub struct KindIndex {
    by_api_kind: HashMap<String, HashMap<String, Vec<u32>>>,
    by_format: HashMap<String, Vec<u32>>,
    /// Kinds told by `apiVersion` or `kind` alone (`DeleteOptions` has no `apiVersion`).
    by_identity: Vec<(u32, Identity)>,
    other: Vec<(u32, Discriminators)>,
    discriminators: HashMap<u32, Discriminators>,
    /// By kind id: whether the kind is told by the document's identity or format alone (it
    /// is in [`KindIndex::kinds_by_identity`] exactly for the documents it matches).
    identity: Vec<bool>,
}

impl KindIndex {
    fn build(types: &TypeTable, symbols: &mut Symbols) -> Self {
        let mut ix = KindIndex::default();
        for (id, def) in types.iter() {
            let Some(d) = &def.kind else { continue };
            let fields: Vec<(Key, Arc<str>)> =
                d.fields.iter().map(|(k, v)| (symbols.intern(k), v.clone())).collect();
            ix.discriminators.insert(id.0, fields.clone());
            if let Some(f) = &d.format {
                ix.by_format.entry(f.to_string()).or_default().push(id.0);
                continue;
            }
            let av =
                d.fields.iter().find(|(k, _)| &**k == "apiVersion").map(|(_, v)| v.to_string());
            let kind = d.fields.iter().find(|(k, _)| &**k == "kind").map(|(_, v)| v.to_string());
            let identity_only =
                d.fields.iter().all(|(k, _)| &**k == "apiVersion" || &**k == "kind");
            match (av, kind, d.fields.len()) {
                (Some(a), Some(k), 2) => {
                    ix.by_api_kind.entry(a).or_default().entry(k).or_default().push(id.0)
                }
                (av, kind, _) if identity_only && (av.is_some() || kind.is_some()) => {
                    ix.by_identity.push((id.0, (av.map(Arc::from), kind.map(Arc::from))))
                }
                _ => ix.other.push((id.0, fields)),
            }
        }
        // Every kind is told by its identity or format but those recognised by other fields.
        let len = ix.discriminators.keys().max().map_or(0, |m| *m as usize + 1);
        ix.identity = vec![false; len];
        for id in ix.discriminators.keys() {
            if let Some(b) = ix.identity.get_mut(*id as usize) {
                *b = true;
            }
        }
        for (id, _) in &ix.other {
            if let Some(b) = ix.identity.get_mut(*id as usize) {
                *b = false;
            }
        }
        ix
    }

    /// The kinds a document is of.
    pub fn kinds_of(&self, doc: &Document) -> Vec<u32> {
        let mut out = self.kinds_by_identity(&doc.meta);
        self.other_kinds(doc, &mut out);
        out
    }

    /// The kinds a document's identity alone tells (its `apiVersion` and `kind`, its format).
    pub(crate) fn kinds_by_identity(&self, meta: &crate::doc::DocMeta) -> Vec<u32> {
        let mut out = Vec::new();
        if let (Some(a), Some(k)) = (&meta.api_version, &meta.kind)
            && let Some(ids) = self.by_api_kind.get(&**a).and_then(|m| m.get(&**k))
        {
            out.extend(ids);
        }
        if let Some(ids) = self.by_format.get(&*meta.format) {
            out.extend(ids);
        }
        let is = |want: &Option<Arc<str>>, have: &Option<Arc<str>>| match want {
            Some(w) => have.as_deref() == Some(&**w),
            None => true,
        };
        for (id, (av, kind)) in &self.by_identity {
            if is(av, &meta.api_version) && is(kind, &meta.kind) {
                out.push(*id);
            }
        }
        out
    }

    /// Adds the kinds recognised by other fields of the document (none in the standard
    /// library's Kubernetes types).
    pub(crate) fn other_kinds(&self, doc: &Document, out: &mut Vec<u32>) {
        for (id, fields) in &self.other {
            if matches_fields(doc, doc.root, fields) {
                out.push(*id);
            }
        }
    }

    /// Whether kind `kind` is told by a document's identity or format alone.
    pub(crate) fn told_by_identity(&self, kind: u32) -> bool {
        self.identity.get(kind as usize).copied().unwrap_or(false)
    }

    /// Whether some kind is recognised by fields other than its identity.
    pub(crate) fn has_other(&self) -> bool {
        !self.other.is_empty()
    }

    /// Whether node `node` of `doc` is a document of kind `kind`.
    pub fn node_is(&self, doc: &Document, node: u32, kind: u32) -> bool {
        match self.discriminators.get(&kind) {
            Some(fields) if !fields.is_empty() => matches_fields(doc, node, fields),
            Some(_) => node == doc.root && self.kinds_of(doc).contains(&kind),
            None => false,
        }
    }
}

fn matches_fields(doc: &Document, node: u32, fields: &[(Key, Arc<str>)]) -> bool {
    fields.iter().all(|(k, v)| doc.arena.get(node, *k).and_then(|n| doc.arena.str(n)) == Some(&**v))
}

/// A compiled program: compile once, evaluate many times, from any thread.
pub struct Compiled {
    /// The checked program (rule metadata, types).
    pub program: hir::Program,
    /// Every field name the program reads.
    pub symbols: Arc<Symbols>,
    pub(crate) rules: Vec<CRule>,
    pub(crate) functions: Vec<CFn>,
    pub(crate) tests: Vec<CRule>,
    pub(crate) literals: Vec<Document>,
    pub(crate) kinds: KindIndex,
    pub(crate) rules_by_kind: HashMap<u32, Vec<u32>>,
    /// Parameter values: defaults, overridden by the host.
    pub(crate) params: Vec<Value>,
    /// Each rule's id, severity and controls, shared by its findings.
    pub(crate) rule_facts: Arc<[crate::eval::RuleFacts]>,
    /// How many static call sites (see [`crate::statics`]) the code has.
    pub(crate) static_sites: usize,
    /// Per rule, what a document must have for the rule to find anything (see
    /// [`crate::needs`]): alternatives, each a mask of the bits in `need_bits` that must all be
    /// there; none when the rule may find something in any document.
    pub(crate) needs: Vec<Box<[u64]>>,
    /// The bit of each key (by key id) in `needs`, as a mask (`0` for keys no rule needs).
    pub(crate) need_bits: Box<[u64]>,
    /// A number no other compiled program in this process has (frames remember look-ups by it).
    pub(crate) id: u64,
    /// The text of each program key, by key id, shared by every value that reads it as a map
    /// key (`keys(m)`, iterating a map).
    pub(crate) key_texts: Vec<Text>,
}

/// The source of [`Compiled::id`].
static PROGRAMS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Compiles a checked program.
pub fn compile(program: hir::Program) -> Result<Compiled, Vec<CompileError>> {
    let mut symbols = Symbols::default();
    collect_keys(&program, &mut symbols);
    let sigs = builtins::signatures().unwrap_or_default();
    for name in crate::project::names(&program, builtins::table(), &sigs) {
        symbols.intern(&name);
    }
    for name in crate::project::LOADER_NAMES {
        symbols.intern(name);
    }
    let kinds = KindIndex::build(&program.types, &mut symbols);
    let symbols = Arc::new(symbols);
    let mut c = Compiler {
        types: &program.types,
        symbols: symbols.clone(),
        table: builtins::table(),
        errors: Vec::new(),
        literals: Vec::new(),
        static_fns: crate::statics::functions(&program, builtins::table()),
        cheap_fns: crate::statics::cheap(&program, builtins::table()),
        static_sites: 0,
        functions: &program.functions,
        base: 0,
        level_locals: 0,
        frame: 0,
        inlined: 0,
    };
    let functions = program
        .functions
        .iter()
        .map(|f| {
            c.begin(f.locals);
            let body = c.expr(&f.body);
            CFn { locals: c.frame, params: f.params.iter().map(|l| l.0).collect(), body }
        })
        .collect();
    let body = |c: &mut Compiler<'_>, locals: u32, stmts: &[hir::Stmt]| {
        c.begin(locals);
        let body = stmts.iter().map(|s| c.stmt(s)).collect();
        CRule { body, locals: c.frame }
    };
    let rules = program.rules.iter().map(|r| body(&mut c, r.locals, &r.body)).collect();
    let tests = program.tests.iter().map(|t| body(&mut c, t.locals, &t.body)).collect();
    let params: Vec<Value> = program
        .params
        .iter()
        .map(|p| p.default.as_ref().and_then(|e| c.constant(e)).unwrap_or(Value::Null))
        .collect();
    let (errors, literals, static_sites) = (c.errors, c.literals, c.static_sites);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rules_by_kind: HashMap<u32, Vec<u32>> = HashMap::default();
    for (i, r) in program.rules.iter().enumerate() {
        for k in &r.kinds {
            rules_by_kind.entry(k.0).or_default().push(i as u32);
        }
    }
    let (needs, need_bits) = need_masks(&program, &symbols);
    let key_texts =
        (0..symbols.len() as u32).map(|k| Text::from(symbols.name(Key(k)).unwrap_or(""))).collect();
    let rule_facts = program
        .rules
        .iter()
        .map(|r| crate::eval::RuleFacts {
            id: r.id.as_str().into(),
            severity: r.severity,
            controls: r.controls.clone().into(),
        })
        .collect::<Vec<_>>()
        .into();
    Ok(Compiled {
        program,
        symbols,
        rules,
        functions,
        tests,
        literals,
        kinds,
        rules_by_kind,
        params,
        rule_facts,
        static_sites,
        needs,
        need_bits,
        id: PROGRAMS.fetch_add(1, Ordering::Relaxed),
        key_texts,
    })
}

/// The rules' needed fields (see [`crate::needs`]) as bit masks, one per alternative, and the
/// bit of each key as a mask (by key id; `0` for keys no rule needs). Up to 64 keys get a bit, the
/// most needed first; an alternative keeps only its keys that have one, which only makes the
/// rule run more often. A rule whose alternatives are all needed (no alternative, or one that
/// asks nothing) gets no mask.
fn need_masks(program: &hir::Program, symbols: &Symbols) -> (Vec<Box<[u64]>>, Box<[u64]>) {
    let per_rule = crate::needs::rules(program, builtins::table(), symbols);
    let mut count: HashMap<Key, usize> = HashMap::default();
    for k in per_rule.iter().flatten().flatten() {
        *count.entry(*k).or_default() += 1;
    }
    let mut keys: Vec<(Key, usize)> = count.into_iter().collect();
    keys.sort_by_key(|(k, n)| (std::cmp::Reverse(*n), k.0));
    let mut bits = vec![NO_BIT; symbols.len()];
    for (bit, (k, _)) in keys.iter().take(64).enumerate() {
        if let Some(b) = bits.get_mut(k.0 as usize) {
            *b = bit as u8;
        }
    }
    let mask = |ks: &Vec<Key>| {
        ks.iter()
            .filter_map(|k| bits.get(k.0 as usize).filter(|b| **b != NO_BIT))
            .fold(0u64, |m, b| m | 1 << b)
    };
    let masks = per_rule
        .iter()
        .map(|alts| {
            let masks: Vec<u64> = alts.iter().map(mask).collect();
            if masks.contains(&0) { Box::default() } else { masks.into() }
        })
        .collect();
    let bits = bits.iter().map(|&b| if b == NO_BIT { 0 } else { 1u64 << b }).collect();
    (masks, bits)
}

/// The bit of a key no rule needs, while [`need_masks`] gives out bits.
const NO_BIT: u8 = u8::MAX;

/// Interns every field name that the program reads, so documents can be keyed by them.
fn collect_keys(p: &hir::Program, s: &mut Symbols) {
    for (_, def) in p.types.iter() {
        if let TypeBody::Record(fields) = &def.body {
            for f in fields {
                s.intern(&f.name);
            }
        }
    }
}

struct Compiler<'p> {
    types: &'p TypeTable,
    symbols: Arc<Symbols>,
    table: &'static [Builtin],
    errors: Vec<CompileError>,
    literals: Vec<Document>,
    /// Which functions may be called statically (see [`crate::statics`]).
    static_fns: Vec<bool>,
    /// Static call sites numbered so far.
    static_sites: usize,
    /// Which functions run without memoising (see [`crate::statics::cheap`]); their calls
    /// are inlined.
    cheap_fns: Vec<bool>,
    /// The program's functions, for inlining.
    functions: &'p [hir::Function],
    /// Where the slots of the body being compiled start in its frame: 0, or past the caller's
    /// for an inlined function body.
    base: u32,
    /// The slots of the body being compiled (its own, from `base`).
    level_locals: u32,
    /// The slots the frame of the rule, function or test being compiled needs, inlined bodies
    /// included.
    frame: u32,
    /// How many inlined bodies the one being compiled is inside.
    inlined: u32,
}

/// How deep inlined calls nest before calls are made as calls.
const INLINE_DEPTH: u32 = 8;

fn ok(v: Value) -> Code {
    Box::new(move |_| Ok(v.clone()))
}

fn mismatch(expected: &str, v: &Value, f: &Frame<'_>, span: Span) -> Box<EvalError> {
    let found = match v.scalar(f.cx) {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Int(_) | Value::Float(_) => "a number",
        Value::Str(_) => "a string",
        Value::List(_) => "a list",
        Value::Map(_) => "a map",
        Value::Node(r) => match f.cx.node_kind(&r) {
            Some(NodeKind::List { .. }) => "a list",
            _ => "a map",
        },
        Value::Kinds(_) | Value::Inputs => "a type",
    };
    Box::new(EvalError::Mismatch { expected: expected.into(), found: found.into(), span })
}

/// Evaluates `code` and requires a boolean.
#[inline]
fn truth(code: &Code, f: &mut Frame<'_>, span: Span) -> Result<bool, Box<EvalError>> {
    let v = code(f)?;
    let r = match &v {
        Value::Bool(b) => Ok(*b),
        _ => v.as_bool(f.cx).ok_or_else(|| mismatch("a bool", &v, f, span)),
    };
    discard(v);
    r
}

impl Compiled {
    /// What a document must have for rule `rule` to find anything in it (rule skipping):
    /// alternatives, each a list of fields that must all be somewhere in the document. The
    /// evaluator skips the rule on a document that meets none. Empty when the rule may find
    /// something in any document.
    pub fn needed_fields(&self, rule: u32) -> Vec<Vec<&str>> {
        let masks = self.needs.get(rule as usize).map(|m| &m[..]).unwrap_or_default();
        masks
            .iter()
            .map(|mask| {
                let mut out: Vec<(u32, &str)> = self
                    .need_bits
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| mask & **b != 0)
                    .filter_map(|(k, b)| {
                        Some((b.trailing_zeros(), self.symbols.name(Key(k as u32))?))
                    })
                    .collect();
                out.sort_unstable();
                out.into_iter().map(|(_, n)| n).collect()
            })
            .collect()
    }

    /// The rules that apply to documents of `kinds`, in rule order.
    pub(crate) fn rules_of(&self, kinds: &[u32]) -> Arc<[u32]> {
        let applicable = |k: &u32| self.rules_by_kind.get(k).map(Vec::as_slice).unwrap_or(&[]);
        match kinds {
            [k] => applicable(k).into(),
            _ => {
                let mut all: Vec<u32> = kinds.iter().flat_map(applicable).copied().collect();
                all.sort_unstable();
                all.dedup();
                all.into()
            }
        }
    }

    /// Whether the evaluator skips rule `rule` on `doc`: the document meets none of the rule's
    /// [`Compiled::needed_fields`] alternatives, so the rule cannot find anything in it.
    pub fn skips(&self, rule: u32, doc: &Document) -> bool {
        let Some(need) = self.needs.get(rule as usize).filter(|n| !n.is_empty()) else {
            return false;
        };
        let have = self.present_fields(doc, &mut Vec::new());
        need.iter().all(|alt| alt & !have != 0)
    }

    /// Which fields that rules need (see [`Compiled::needed_fields`]) document `doc` has
    /// anywhere, as a mask of `need_bits`: its own fields only, whatever else its arena holds
    /// (the other documents of a stream, or of a `kind: List`). The edges of the loader's
    /// window for it are read in order; without one, its tree is walked (`stack` is room).
    pub(crate) fn present_fields(&self, doc: &Document, stack: &mut Vec<NodeId>) -> u64 {
        let bits = &*self.need_bits;
        let (nodes, edges) = (doc.arena.nodes.as_slice(), doc.arena.edges.as_slice());
        // List items and keys outside the program's table have no bit.
        let bit = |e: &crate::doc::Edge| bits.get(e.key.0 as usize).copied().unwrap_or(0);
        if let Some((a, b)) = doc.window {
            // A list's edges have no key, so they add nothing.
            return edges
                .get(a as usize..b as usize)
                .unwrap_or(&[])
                .iter()
                .fold(0, |m, e| m | bit(e));
        }
        let mut mask = 0u64;
        stack.clear();
        stack.push(doc.root);
        // A tree (aliases are expanded into copies), so each node is visited once.
        while let Some(id) = stack.pop() {
            let (start, len) = match nodes.get(id as usize).map(|n| n.kind) {
                Some(NodeKind::Map { start, len } | NodeKind::List { start, len }) => (start, len),
                _ => continue,
            };
            for e in edges.get(start as usize..(start + len) as usize).unwrap_or(&[]) {
                mask |= bit(e);
                stack.push(e.node);
            }
        }
        mask
    }

    /// The projection for evaluating `rules` (all when `None`): what the loader may skip in
    /// documents only these rules will see. `None` when the rules may look at whole documents.
    /// Use it only for documents evaluated by exactly these rules (never for tests).
    pub fn projection(&self, rules: Option<&[u32]>) -> Option<Arc<crate::project::Projection>> {
        let sigs = builtins::signatures().ok()?;
        crate::project::analyse(&self.program, rules, builtins::table(), &sigs, &self.symbols)
            .map(Arc::new)
    }
}

impl<'p> Compiler<'p> {
    /// The frame slot of local `l` of the body being compiled.
    fn slot(&self, l: Local) -> usize {
        (self.base + l.0) as usize
    }

    /// Starts a rule, function or test body with `locals` slots of its own.
    fn begin(&mut self, locals: u32) {
        (self.base, self.level_locals, self.frame, self.inlined) = (0, locals, locals, 0);
    }

    fn key(&self, name: &str) -> Key {
        // INVARIANT: `collect_keys` interned every record field; names outside records (reads of
        // `any`) fall back to a string comparison via `Key(u32::MAX)`.
        self.symbols.get(name).unwrap_or(Key(u32::MAX))
    }

    /// Evaluates a constant expression (parameter defaults) at compile time.
    fn constant(&mut self, e: &hir::Expr) -> Option<Value> {
        self.begin(0);
        let code = self.expr(e);
        let cx = crate::eval::Cx::empty();
        let mut f = Frame::new(&cx, self.frame as usize);
        code(&mut f).ok()
    }

    fn exprs(&mut self, es: &[hir::Expr]) -> Vec<Code> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    pub(crate) fn expr(&mut self, e: &hir::Expr) -> Code {
        if let Some(v) = fold(e) {
            return ok(v);
        }
        let span = e.span;
        match &e.kind {
            H::Const(c) => ok(const_value(c)),
            H::Local(l) => {
                let i = self.slot(*l);
                Box::new(move |f| Ok(f.slots.get(i).cloned().unwrap_or_default()))
            }
            H::Param(p) => {
                let i = *p as usize;
                Box::new(move |f| Ok(f.cx.param(i)))
            }
            H::Field(..) => self.field_path(e),
            H::Index(base, index) => {
                let (base, index) = (self.expr(base), self.expr(index));
                Box::new(move |f| {
                    let b = base(f)?;
                    let i = index(f)?;
                    Ok(f.cx.index(&b, &i))
                })
            }
            H::Builtin(id, args) if self.is_exists(*id, args) => {
                let c = self.cond(e, span);
                Box::new(move |f| Ok(Value::Bool(c(f)?)))
            }
            H::Call(fid, args) => self.call(*fid, args, span),
            H::Builtin(id, args) => self.builtin(*id, args, span),
            H::Lambda(..) => {
                self.errors.push(CompileError::Internal {
                    span,
                    message: "a lambda outside a higher-order call".into(),
                });
                ok(Value::Null)
            }
            H::Unary(UnOp::Not, _) | H::Binary(BinOp::And | BinOp::Or, ..) => {
                let c = self.cond(e, span);
                Box::new(move |f| Ok(Value::Bool(c(f)?)))
            }
            // `x == true`, `x != "ALL"`, `x == null`: compared in place against the constant.
            H::Binary(BinOp::Eq | BinOp::Ne, a, b)
                if scalar_const(a).is_some() || scalar_const(b).is_some() =>
            {
                let c = self.cond(e, span);
                Box::new(move |f| Ok(Value::Bool(c(f)?)))
            }
            H::Unary(_, x) => self.negate(x, span),
            H::Binary(op, a, b) => self.binary(*op, a, b, span, e.ty == Ty::Float),
            H::List(items) => {
                let items = self.exprs(items);
                Box::new(move |f| {
                    let mut out = Vec::with_capacity(items.len());
                    for i in &items {
                        out.push(i(f)?);
                    }
                    Ok(Value::List(Arc::new(out)))
                })
            }
            H::Map(entries) => {
                let entries: Vec<(Code, Code)> =
                    entries.iter().map(|(k, v)| (self.expr(k), self.expr(v))).collect();
                Box::new(move |f| {
                    let mut out = BTreeMap::new();
                    for (k, v) in &entries {
                        let key = k(f)?.display(f.cx);
                        out.insert(Text::from(key), v(f)?);
                    }
                    Ok(Value::Map(Arc::new(out)))
                })
            }
            H::Interp(parts) => {
                let parts = self.parts(parts);
                Box::new(move |f| Ok(Value::Str(interpolate(&parts, f)?.into())))
            }
            H::Match(s, arms) => self.match_expr(s, arms),
            H::If(c, a, b) => {
                let (c, a, b) = (self.cond(c, span), self.expr(a), self.expr(b));
                Box::new(move |f| if c(f)? { a(f) } else { b(f) })
            }
            H::Let(l, v, body) => {
                let (slot, v, body) = (self.slot(*l), self.expr(v), self.expr(body));
                Box::new(move |f| {
                    let x = v(f)?;
                    f.set(slot, x);
                    body(f)
                })
            }
            H::DocLit(kind, text) => self.doc_literal(*kind, text, span),
            H::TypeRef(kinds) => ok(Value::Kinds(Arc::new(kinds.iter().map(|k| k.0).collect()))),
            H::OptChain(slot, e, rest) => {
                let (slot, e, rest) = (self.slot(*slot), self.expr(e), self.expr(rest));
                Box::new(move |f| {
                    let v = e(f)?;
                    if v.is_null(f.cx) {
                        return Ok(Value::Null);
                    }
                    f.set(slot, v);
                    rest(f)
                })
            }
            H::Error => ok(Value::Null),
        }
    }

    /// A chain of field reads `x.a.b.c` (`?.` reads compile alike: a field of an absent value is
    /// absent): one closure that walks the document from the root value, with an inline cache of
    /// where each key sat last time, instead of one closure and one value per step.
    fn field_path(&mut self, e: &hir::Expr) -> Code {
        let (cur, fields) = self.path_keys(e);
        if let H::Local(l) = &cur.kind {
            // The root is a local: read it in place, without a copy.
            let i = self.slot(*l);
            return Box::new(move |f| {
                let cx = f.cx;
                Ok(match f.slots.get(i) {
                    Some(root) => walk(cx, root, &fields),
                    None => Value::Null,
                })
            });
        }
        let root = self.expr(cur);
        Box::new(move |f| {
            let v = root(f)?;
            let out = walk(f.cx, &v, &fields);
            discard(v);
            Ok(out)
        })
    }

    /// The root of a chain of field reads and its keys, in reading order.
    fn path_keys<'e>(&self, e: &'e hir::Expr) -> (&'e hir::Expr, Box<[PathKey]>) {
        let mut fields = Vec::new();
        let mut cur = e;
        while let H::Field(base, name) = &cur.kind {
            fields.push(PathKey::new(self.key(name), name.clone()));
            cur = base;
        }
        fields.reverse();
        (cur, fields.into())
    }

    /// A chain of field reads from a local (`c.securityContext?.privileged`): its slot and keys.
    fn local_path(&self, e: &hir::Expr) -> Option<(usize, Box<[PathKey]>)> {
        if !matches!(e.kind, H::Field(..)) {
            return None;
        }
        match self.path_keys(e) {
            (hir::Expr { kind: H::Local(l), .. }, keys) => Some((self.slot(*l), keys)),
            _ => None,
        }
    }

    /// Whether builtin `id` called with `args` is `exists(x)`.
    fn is_exists(&self, id: u32, args: &[hir::Expr]) -> bool {
        args.len() == 1 && self.table.get(id as usize).is_some_and(|b| b.name == "exists")
    }

    /// A condition, compiled to a boolean directly: `&&`, `||`, `!`, comparisons with constants
    /// and `exists` without building values in between. A non-boolean operand is a mismatch
    /// reported at `span`, the enclosing operator or statement, as the value path reports it.
    fn cond(&mut self, e: &hir::Expr, span: Span) -> BCode {
        self.cond_as(e, span, false)
    }

    /// [`Compiler::cond`], negated with `neg`: a `!` costs nothing at run time, since it is
    /// pushed into the comparisons and tests beneath it (through `&&` and `||` by De Morgan's
    /// laws, which keep the order of evaluation and its short cuts).
    fn cond_as(&mut self, e: &hir::Expr, span: Span, neg: bool) -> BCode {
        if let Some(Value::Bool(b)) = fold(e) {
            let b = b != neg;
            return Box::new(move |_| Ok(b));
        }
        match &e.kind {
            H::Unary(UnOp::Not, x) => self.cond_as(x, e.span, !neg),
            // `!(a && b)` is `!a || !b`.
            H::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                let (a, b) = (self.cond_as(a, e.span, neg), self.cond_as(b, e.span, neg));
                if (*op == BinOp::And) != neg {
                    Box::new(move |f| Ok(a(f)? && b(f)?))
                } else {
                    Box::new(move |f| Ok(a(f)? || b(f)?))
                }
            }
            H::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b) => {
                let want = (*op == BinOp::Eq) != neg;
                match (scalar_const(b), scalar_const(a)) {
                    (Some(c), _) => self.equals_const(a, c, want),
                    (None, Some(c)) => self.equals_const(b, c, want),
                    (None, None) => {
                        let code = self.expr(e);
                        Box::new(move |f| Ok(truth(&code, f, span)? != neg))
                    }
                }
            }
            H::Binary(op @ (BinOp::In | BinOp::NotIn), a, b)
                if matches!(self.types.resolve(&b.ty.definite()), Ty::List(_)) =>
            {
                // Membership of a string in a list, the usual case, compares texts in place;
                // anything else takes the general path.
                let (want, op, at) = ((*op == BinOp::In) != neg, *op, e.span);
                let (x, y) = (self.expr(a), self.expr(b));
                Box::new(move |f| {
                    let xv = x(f)?;
                    let yv = y(f)?;
                    let cx = f.cx;
                    let found = match crate::eval::string_member(&xv, &yv, cx) {
                        Some(found) => found == want,
                        None => {
                            if !yv.is_null(cx) && yv.as_str(cx).is_some() {
                                return Err(mismatch("a list", &yv, f, at));
                            }
                            let v = crate::eval::binop(op, &xv, &yv, f, at)?;
                            matches!(v, Value::Bool(true)) != neg
                        }
                    };
                    discard(xv);
                    discard(yv);
                    Ok(found)
                })
            }
            // `x ?? false`, `c.runAsNonRoot ?? pod`: the value when present, else the default
            // as a condition.
            H::Binary(BinOp::Default, a, b) => {
                let (a, b) = (self.expr(a), self.cond_as(b, span, neg));
                Box::new(move |f| {
                    let v = a(f)?;
                    match v {
                        Value::Bool(x) => Ok(x != neg),
                        v if v.is_null(f.cx) => b(f),
                        v => {
                            let x = v.as_bool(f.cx).ok_or_else(|| mismatch("a bool", &v, f, span));
                            discard(v);
                            Ok(x? != neg)
                        }
                    }
                })
            }
            H::Call(fid, args) if self.is_static_call(*fid, args) => {
                // `since(19)`: the value computed once, read as a boolean in place.
                let code = self.call(*fid, args, e.span);
                Box::new(move |f| match code(f)? {
                    Value::Bool(b) => Ok(b != neg),
                    v => Err(mismatch("a bool", &v, f, span)),
                })
            }
            H::Call(fid, args) if self.inlines(*fid, args).is_some() => {
                let Some(func) = self.inlines(*fid, args) else { return Box::new(|_| Ok(false)) };
                self.inline_as(func, args, e.span, |c, body| c.cond_as(body, span, neg))
            }
            H::Builtin(id, args) if self.is_exists(*id, args) => {
                let Some(x) = args.first() else { return Box::new(|_| Ok(false)) };
                if let Some((slot, keys)) = self.local_path(x) {
                    // One closure: read the local, walk, test.
                    return Box::new(move |f| {
                        let cx = f.cx;
                        let present = f
                            .slots
                            .get(slot)
                            .is_some_and(|root| !walk(cx, root, &keys).is_null(cx));
                        Ok(present != neg)
                    });
                }
                let x = self.expr(x);
                Box::new(move |f| {
                    let v = x(f)?;
                    let present = !v.is_null(f.cx);
                    discard(v);
                    Ok(present != neg)
                })
            }
            _ => {
                let code = self.expr(e);
                Box::new(move |f| Ok(truth(&code, f, span)? != neg))
            }
        }
    }

    /// `x == c` (or, without `want`, `x != c`) for a constant scalar `c`.
    fn equals_const(&mut self, x: &hir::Expr, c: Value, want: bool) -> BCode {
        if let Some(code) = self.part_equals_const(x, &c, want) {
            return code;
        }
        // `(x ?? "") == k`: an absent `x` compares its constant default, known now.
        if let H::Binary(BinOp::Default, inner, default) = &x.kind
            && let Some(d) = scalar_const(default)
        {
            let absent = d.equals(&c, &Cx::empty()) == want;
            let inner = self.expr(inner);
            return Box::new(move |f| {
                let v = inner(f)?;
                let r = if v.is_null(f.cx) { absent } else { equals_scalar(&v, &c, f.cx) == want };
                discard(v);
                Ok(r)
            });
        }
        if let Some((slot, keys)) = self.local_path(x) {
            // One closure: read the local, walk, compare.
            return Box::new(move |f| {
                let cx = f.cx;
                let v = match f.slots.get(slot) {
                    Some(root) => walk(cx, root, &keys),
                    None => Value::Null,
                };
                let r = equals_scalar(&v, &c, cx) == want;
                discard(v);
                Ok(r)
            });
        }
        let x = self.expr(x);
        Box::new(move |f| {
            let v = x(f)?;
            let r = equals_scalar(&v, &c, f.cx) == want;
            discard(v);
            Ok(r)
        })
    }

    /// `part(s) == c` or `(part(s) ?? d) == c` for a builtin with a [`Builtin::part`]
    /// (`image_digest(x) == null`, `(image_tag(x) ?? "latest") == "latest"`): the part is
    /// compared where it lies in the argument, without making a string value.
    fn part_equals_const(&mut self, x: &hir::Expr, c: &Value, want: bool) -> Option<BCode> {
        let (call, default) = match &x.kind {
            H::Binary(BinOp::Default, inner, d) => (&**inner, Some(scalar_const(d)?)),
            _ => (x, None),
        };
        let H::Builtin(id, args) = &call.kind else { return None };
        let [arg] = args.as_slice() else { return None };
        let b = self.table.get(*id as usize)?;
        let part = b.part?;
        // What an absent part compares as: the default, or null.
        let absent = default.unwrap_or(Value::Null).equals(c, &Cx::empty()) == want;
        let text = match c {
            Value::Str(k) => Some(k.clone()),
            _ => None,
        };
        let (name, span) = (b.name, call.span);
        let test = move |v: &Value, f: &Frame<'_>| match v.as_str(f.cx) {
            Some(s) => Ok(match part(s) {
                // A string part equals only the same string.
                Some(p) => text.as_deref().is_some_and(|k| k == p) == want,
                None => absent,
            }),
            None => Err(Box::new(EvalError::Builtin {
                name: name.into(),
                message: "argument 1 is not a string".into(),
                span,
            })),
        };
        if let H::Local(l) = &arg.kind {
            let slot = self.slot(*l);
            return Some(Box::new(move |f| {
                let v = f.slots.get(slot).unwrap_or(&Value::Null);
                test(v, f)
            }));
        }
        let arg = self.expr(arg);
        Some(Box::new(move |f| {
            let v = arg(f)?;
            let r = test(&v, f);
            discard(v);
            r
        }))
    }

    fn doc_literal(&mut self, kind: StrKind, text: &str, span: Span) -> Code {
        let format = if kind == StrKind::Json {
            crate::load::Format::Json
        } else {
            crate::load::Format::Yaml
        };
        let loaded = crate::load::load_text(
            "<literal>",
            text,
            Some(format),
            &self.symbols,
            &Limits::default(),
        );
        if let Some(e) = loaded.errors.first() {
            self.errors.push(CompileError::DocLiteral {
                span,
                message: format!("line {}: {}", e.line, e.message),
            });
            return ok(Value::Null);
        }
        let Some(doc) = loaded.docs.into_iter().next() else {
            self.errors.push(CompileError::DocLiteral {
                span,
                message: "the literal holds no document".into(),
            });
            return ok(Value::Null);
        };
        let root = doc.root;
        let index = LITERAL_BASE + self.literals.len() as u32;
        self.literals.push(doc);
        ok(Value::Node(NodeRef { doc: index, node: root }))
    }

    fn call(&mut self, fid: u32, args: &[hir::Expr], span: Span) -> Code {
        let code = self.plain_call(fid, args, span);
        if !self.is_static_call(fid, args) {
            return code;
        }
        let site = self.static_sites;
        self.static_sites += 1;
        // The value is the same for every document: computed once per evaluation.
        Box::new(move |f| {
            let Some(cell) = f.cx.static_value(site) else { return code(f) };
            if let Some(v) = cell.get() {
                f.step(span)?;
                return Ok(v.clone());
            }
            let v = code(f)?;
            Ok(cell.get_or_init(|| v).clone())
        })
    }

    /// A call, evaluated each time it runs (memoised per document).
    fn plain_call(&mut self, fid: u32, hir_args: &[hir::Expr], span: Span) -> Code {
        if let Some(func) = self.inlinable(fid) {
            return self.inline(func, hir_args, span);
        }
        let args = self.exprs(hir_args);
        let fid = fid as usize;
        if self.cheap_fns.get(fid) == Some(&true) {
            return Box::new(move |f| {
                f.step(span)?;
                call_unmemoised(f, fid, &args, span)
            });
        }
        if args.len() == 1 {
            // One argument, the usual helper call (`w.containers()`): a node argument is looked
            // up directly, without hashing; a local argument is read in place.
            if let [hir::Expr { kind: H::Local(l), .. }] = hir_args {
                let slot = self.slot(*l);
                return Box::new(move |f| {
                    f.step(span)?;
                    if let Some(Value::Node(r)) = f.slots.get(slot)
                        && let Some(hit) = f.memo.get_one(fid, crate::eval::node_key(r))
                    {
                        return Ok(hit.clone());
                    }
                    let v = f.slots.get(slot).cloned().unwrap_or_default();
                    call_one(f, fid, v, span)
                });
            }
            let arg = args.into_iter().next();
            return Box::new(move |f| {
                f.step(span)?;
                let v = match &arg {
                    Some(a) => a(f)?,
                    None => Value::Null,
                };
                call_one(f, fid, v, span)
            });
        }
        if args.len() > MEMO_ARGS {
            return Box::new(move |f| {
                f.step(span)?;
                call_unmemoised(f, fid, &args, span)
            });
        }
        // No argument, or two or three.
        Box::new(move |f| {
            f.step(span)?;
            let func = function(f, fid, span)?;
            // The arguments go on the stack first, so a memo hit needs no slot vector.
            let mut vals: [Value; MEMO_ARGS] = Default::default();
            for (v, a) in vals.iter_mut().zip(&args) {
                *v = a(f)?;
            }
            let vals = vals.get_mut(..args.len()).unwrap_or(&mut []);
            // Functions are pure and documents do not change during an evaluation, so a call
            // with the same arguments gives the same value: memoised per document.
            let key = MemoKey::new(fid as u32, vals.iter().map(Some));
            if let Some(hit) = key.as_ref().and_then(|k| f.memo.get(k)) {
                return Ok(hit.clone());
            }
            let key = key.map_or(Memoise::No, Memoise::Key);
            let mut slots = f.take_slots(func.locals as usize);
            for (v, p) in vals.iter_mut().zip(&func.params) {
                if let Some(s) = slots.get_mut(*p as usize) {
                    *s = std::mem::take(v);
                }
            }
            run_call(f, func, slots, key)
        })
    }

    /// A call of a small function (see [`crate::statics::cheap`]) compiled into the caller: its
    /// body runs in the caller's frame, on slots past the caller's own. The arguments are all
    /// evaluated before any parameter is set, since an argument may itself inline a call on
    /// the same slots.
    fn inline(&mut self, func: &hir::Function, hir_args: &[hir::Expr], span: Span) -> Code {
        self.inline_as(func, hir_args, span, |c, body| c.expr(body))
    }

    /// [`Compiler::inline`] with the body compiled by `body`: as a value, or as a condition
    /// (a call in an `if` or under `!`, without a boolean value in between).
    fn inline_as<T: 'static>(
        &mut self,
        func: &hir::Function,
        hir_args: &[hir::Expr],
        span: Span,
        body: impl FnOnce(&mut Self, &hir::Expr) -> CodeOf<T>,
    ) -> CodeOf<T> {
        let args = self.exprs(hir_args);
        let callee = self.base + self.level_locals;
        let params: Vec<usize> = func.params.iter().map(|p| (callee + p.0) as usize).collect();
        let saved = (self.base, self.level_locals);
        (self.base, self.level_locals) = (callee, func.locals);
        self.frame = self.frame.max(callee + func.locals);
        self.inlined += 1;
        let body = body(self, &func.body);
        self.inlined -= 1;
        (self.base, self.level_locals) = saved;
        match (args.len(), params.as_slice()) {
            (0, _) => Box::new(move |f| {
                f.step(span)?;
                body(f)
            }),
            (1, &[p]) => {
                let a = args.into_iter().next();
                Box::new(move |f| {
                    f.step(span)?;
                    if let Some(a) = &a {
                        let v = a(f)?;
                        f.set(p, v);
                    }
                    body(f)
                })
            }
            _ => Box::new(move |f| {
                f.step(span)?;
                let mut vals: [Value; SMALL_ARGS] = Default::default();
                if args.len() <= SMALL_ARGS {
                    for (v, a) in vals.iter_mut().zip(&args) {
                        *v = a(f)?;
                    }
                    for (v, p) in vals.iter_mut().zip(&params) {
                        f.set(*p, std::mem::take(v));
                    }
                } else {
                    let mut many = Vec::with_capacity(args.len());
                    for a in &args {
                        many.push(a(f)?);
                    }
                    for (v, p) in many.into_iter().zip(&params) {
                        f.set(*p, v);
                    }
                }
                body(f)
            }),
        }
    }

    /// Function `fid`, when its calls here are compiled into their callers (see
    /// [`Compiler::inline`]).
    fn inlinable(&self, fid: u32) -> Option<&'p hir::Function> {
        if self.cheap_fns.get(fid as usize) != Some(&true) || self.inlined >= INLINE_DEPTH {
            return None;
        }
        self.functions.get(fid as usize)
    }

    /// The function a call of `fid` with `args` inlines where its value is used as it is (a
    /// static call keeps its once-per-evaluation value instead).
    fn inlines(&self, fid: u32, args: &[hir::Expr]) -> Option<&'p hir::Function> {
        if self.is_static_call(fid, args) { None } else { self.inlinable(fid) }
    }

    /// Whether a call of `fid` with `args` has the same value for every document (see
    /// [`crate::statics`]): computed once per evaluation.
    fn is_static_call(&self, fid: u32, args: &[hir::Expr]) -> bool {
        self.static_fns.get(fid as usize) == Some(&true)
            && args.iter().all(|a| crate::statics::is_static(a, &self.static_fns, self.table))
    }

    fn builtin(&mut self, id: u32, args: &[hir::Expr], span: Span) -> Code {
        let Some(b) = self.table.get(id as usize) else {
            self.errors
                .push(CompileError::Internal { span, message: format!("unknown builtin {id}") });
            return ok(Value::Null);
        };
        match b.imp {
            Impl::Pure(func) => {
                let name = b.name;
                let mut args = self.exprs(args);
                let err = move |message| {
                    Box::new(EvalError::Builtin { name: name.into(), message, span })
                };
                // One and two arguments, the usual cases, without a loop over unused values.
                match args.len() {
                    1 => {
                        let x = args.remove(0);
                        return Box::new(move |f| {
                            let v = [x(f)?];
                            func(&v, f.cx).map_err(err)
                        });
                    }
                    2 => {
                        let y = args.remove(1);
                        let x = args.remove(0);
                        return Box::new(move |f| {
                            let v = [x(f)?, y(f)?];
                            func(&v, f.cx).map_err(err)
                        });
                    }
                    _ => {}
                }
                Box::new(move |f| {
                    // Most builtins take few arguments: those live on the stack.
                    if args.len() <= SMALL_ARGS {
                        let mut vals: [Value; SMALL_ARGS] = Default::default();
                        for (v, a) in vals.iter_mut().zip(&args) {
                            *v = a(f)?;
                        }
                        let vals = vals.get(..args.len()).unwrap_or(&[]);
                        return func(vals, f.cx).map_err(err);
                    }
                    let mut vals = Vec::with_capacity(args.len());
                    for a in &args {
                        vals.push(a(f)?);
                    }
                    func(&vals, f.cx).map_err(err)
                })
            }
            Impl::Higher(h) => self.higher(h, args, span),
            Impl::Regex => self.regex(args, span),
            Impl::Of => {
                let args = self.exprs(args);
                Box::new(move |f| {
                    let kinds = match args.get(1) {
                        Some(k) => k(f)?,
                        None => Value::Null,
                    };
                    let ns = match args.get(2) {
                        Some(n) => Some(n(f)?),
                        None => None,
                    };
                    Ok(f.cx.of(&kinds, ns.as_ref().and_then(|n| n.as_str(f.cx))))
                })
            }
        }
    }

    fn regex(&mut self, args: &[hir::Expr], span: Span) -> Code {
        let [s, pat] = args else { return ok(Value::Null) };
        let s = self.expr(s);
        if let H::Const(Const::Str(p)) = &pat.kind {
            match crate::eval::compile_regex(p) {
                Ok(re) => {
                    return Box::new(move |f| {
                        let v = s(f)?;
                        Ok(Value::Bool(v.as_str(f.cx).is_some_and(|x| re.is_match(x))))
                    });
                }
                Err(e) => {
                    self.errors
                        .push(CompileError::Regex { span: pat.span, message: e.to_string() });
                    return ok(Value::Null);
                }
            }
        }
        let pat = self.expr(pat);
        Box::new(move |f| {
            let v = s(f)?;
            let p = pat(f)?;
            let cx = f.cx;
            let re = f.regexes.get(p.as_str(cx).unwrap_or("")).map_err(|e| EvalError::Builtin {
                name: "matches".into(),
                message: e.to_string(),
                span,
            })?;
            Ok(Value::Bool(v.as_str(cx).is_some_and(|x| re.is_match(x))))
        })
    }

    fn higher(&mut self, h: Higher, args: &[hir::Expr], span: Span) -> Code {
        let [list, lambda] = args else { return ok(Value::Null) };
        let list = self.expr(list);
        let H::Lambda(slots, body) = &lambda.kind else {
            self.errors.push(CompileError::Internal {
                span,
                message: "a higher-order builtin without a lambda".into(),
            });
            return ok(Value::Null);
        };
        let slot = slots.first().map_or(self.base as usize, |l: &Local| self.slot(*l));
        let body = self.expr(body);
        let bspan = lambda.span;
        Box::new(move |f| {
            let v = list(f)?;
            let cx = f.cx;
            if v.is_null(cx) {
                let none: [Value; 0] = [];
                return run_higher(h, none.into_iter(), f, slot, &body, span, bspan);
            }
            let Some(items) = v.iter_items(cx) else { return Err(mismatch("a list", &v, f, span)) };
            run_higher(h, items, f, slot, &body, span, bspan)
        })
    }

    /// `-x` (`!x` compiles as a condition).
    fn negate(&mut self, x: &hir::Expr, span: Span) -> Code {
        let x = self.expr(x);
        Box::new(move |f| {
            let v = x(f)?.scalar(f.cx);
            match v {
                Value::Int(i) => i
                    .checked_neg()
                    .map(Value::Int)
                    .ok_or_else(|| Box::new(EvalError::Overflow { span })),
                Value::Float(x) => Ok(Value::Float(-x)),
                other => Err(mismatch("a number", &other, f, span)),
            }
        })
    }

    /// `float` is set when the checker typed the result `float`: then int operands (an `int`
    /// passed for a `float`, or a number read from `any`) compute as floats, so `x / 2` with
    /// `x: float = 3` is 1.5 whatever the operand's run-time representation.
    fn binary(&mut self, op: BinOp, a: &hir::Expr, b: &hir::Expr, span: Span, float: bool) -> Code {
        // `x in xs` over a list-typed collection is membership only: a document that holds a
        // string where its schema says list is a mismatch, not a substring test.
        let list_rhs = matches!(op, BinOp::In | BinOp::NotIn)
            && matches!(self.types.resolve(&b.ty.definite()), Ty::List(_));
        let joins_lists = matches!(self.types.resolve(&a.ty.definite()), Ty::List(_));
        let (a, b) = (self.expr(a), self.expr(b));
        match op {
            BinOp::In | BinOp::NotIn if list_rhs => Box::new(move |f| {
                let x = a(f)?;
                let y = b(f)?;
                if !y.is_null(f.cx) && y.as_str(f.cx).is_some() {
                    return Err(mismatch("a list", &y, f, span));
                }
                crate::eval::binop(op, &x, &y, f, span)
            }),
            BinOp::Default => Box::new(move |f| {
                let v = a(f)?;
                if v.is_null(f.cx) { b(f) } else { Ok(v) }
            }),
            // Joining lists where one side is empty (`(s?.initContainers ?? []) + ...`, the
            // usual case) gives the other side as it is: no copy.
            BinOp::Add if joins_lists => Box::new(move |f| {
                let x = a(f)?;
                let y = b(f)?;
                match (list_len(&x, f.cx), list_len(&y, f.cx)) {
                    (Some(_), Some(0)) => return Ok(x),
                    (Some(0), Some(_)) => return Ok(y),
                    _ => {}
                }
                crate::eval::binop(op, &x, &y, f, span)
            }),
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem if float => {
                Box::new(move |f| {
                    let x = as_float(a(f)?, f);
                    let y = as_float(b(f)?, f);
                    crate::eval::binop(op, &x, &y, f, span)
                })
            }
            _ => Box::new(move |f| {
                let x = a(f)?;
                let y = b(f)?;
                crate::eval::binop(op, &x, &y, f, span)
            }),
        }
    }

    fn match_expr(&mut self, s: &hir::Expr, arms: &[hir::Arm]) -> Code {
        let s = self.expr(s);
        let arms: Vec<(Pat, Option<usize>, Code)> = arms
            .iter()
            .map(|a| (a.pat.clone(), a.bind.map(|l| self.slot(l)), self.expr(&a.body)))
            .collect();
        Box::new(move |f| {
            let v = s(f)?;
            for (pat, bind, body) in &arms {
                let hit = match pat {
                    Pat::Wild => true,
                    Pat::Const(c) => v.equals(&const_value(c), f.cx),
                    Pat::Kinds(kinds) => kinds.iter().any(|k| f.is_kind(&v, k.0)),
                };
                if hit {
                    if let Some(slot) = bind {
                        f.set(*slot, v.clone());
                    }
                    return body(f);
                }
            }
            Ok(Value::Null)
        })
    }

    // ---- statements

    pub(crate) fn stmt(&mut self, s: &hir::Stmt) -> SCode {
        match s {
            hir::Stmt::Let(l, e) => {
                let (slot, e) = (self.slot(*l), self.expr(e));
                Box::new(move |f| {
                    let v = e(f)?;
                    f.set(slot, v);
                    Ok(())
                })
            }
            hir::Stmt::For(bindings, body) => self.for_loop(bindings, body),
            hir::Stmt::If(c, t, e) => {
                let c = self.cond(c, c.span);
                let mut t: Vec<SCode> = t.iter().map(|s| self.stmt(s)).collect();
                let mut e: Vec<SCode> = e.iter().map(|s| self.stmt(s)).collect();
                // One statement or none on each side, the usual shapes, without a loop.
                if t.len() <= 1 && e.len() <= 1 {
                    return match (t.pop(), e.pop()) {
                        (Some(t), None) => Box::new(move |f| if c(f)? { t(f) } else { Ok(()) }),
                        (Some(t), Some(e)) => Box::new(move |f| if c(f)? { t(f) } else { e(f) }),
                        (None, Some(e)) => Box::new(move |f| if c(f)? { Ok(()) } else { e(f) }),
                        (None, None) => Box::new(move |f| c(f).map(|_| ())),
                    };
                }
                Box::new(move |f| {
                    let branch = if c(f)? { &t } else { &e };
                    for s in branch {
                        s(f)?;
                    }
                    Ok(())
                })
            }
            hir::Stmt::Finding { kind, message, at, fixes, span } => {
                self.finding(*kind, message, at.as_ref(), fixes, *span)
            }
            hir::Stmt::ExpectTrue(e, span) => {
                let (e, span) = (self.expr(e), *span);
                Box::new(move |f| {
                    if !truth(&e, f, span)? {
                        f.failures.push((span, "expectation is false".into()));
                    }
                    Ok(())
                })
            }
            hir::Stmt::ExpectFinding { present, rule, doc, at, span } => {
                let (present, rule, span) = (*present, *rule as usize, *span);
                let doc = self.expr(doc);
                let at = at.as_ref().map(|a| self.expr(a));
                Box::new(move |f| {
                    crate::eval::expect_finding(f, present, rule, &doc, at.as_ref(), span)
                })
            }
        }
    }

    fn for_loop(&mut self, bindings: &[(Local, hir::Expr)], body: &[hir::Stmt]) -> SCode {
        let mut code: SCode = {
            let mut body: Vec<SCode> = body.iter().map(|s| self.stmt(s)).collect();
            match body.pop() {
                // The usual body, one statement (an `if`), runs without a loop around it.
                Some(only) if body.is_empty() => only,
                last => {
                    body.extend(last);
                    Box::new(move |f| {
                        for s in &body {
                            s(f)?;
                        }
                        Ok(())
                    })
                }
            }
        };
        for (l, coll) in bindings.iter().rev() {
            let (slot, span) = (self.slot(*l), coll.span);
            if let H::Builtin(id, args) = &coll.kind
                && let [map] = args.as_slice()
                && let Some(b) = self.table.get(*id as usize).filter(|b| b.name == "keys")
                && let Impl::Pure(keys) = b.imp
            {
                // `for k in keys(m)` over a document map: its keys straight from its entries,
                // without a list of them first.
                let (map, name) = (self.expr(map), b.name);
                let inner = std::mem::replace(&mut code, Box::new(|_| Ok(())));
                code = Box::new(move |f| {
                    let m = map(f)?;
                    if let Value::Node(r) = &m
                        && let Some(doc) = f.cx.doc(r.doc)
                        && let Some(NodeKind::Map { .. }) = doc.arena.node(r.node).map(|n| n.kind)
                    {
                        for e in doc.arena.children(r.node) {
                            f.step(span)?;
                            f.set(
                                slot,
                                Value::Str(crate::value::key_text(f.cx, &doc.arena, e.key)),
                            );
                            inner(f)?;
                        }
                        return Ok(());
                    }
                    let list = keys(std::slice::from_ref(&m), f.cx).map_err(|message| {
                        Box::new(EvalError::Builtin { name: name.into(), message, span })
                    })?;
                    discard(m);
                    each(f, &list, slot, span, &inner)
                });
                continue;
            }
            // `for x in e ?? []`, the usual way over an optional list: `e` itself, since an
            // absent `e` gives no iterations either way.
            let coll = match &coll.kind {
                H::Binary(BinOp::Default, e, d) if matches!(&d.kind, H::List(items) if items.is_empty()) => {
                    self.expr(e)
                }
                _ => self.expr(coll),
            };
            let inner = code;
            code = Box::new(move |f| {
                let v = coll(f)?;
                let cx = f.cx;
                match &v {
                    Value::Null => Ok(()),
                    Value::Node(r) => {
                        let Some(doc) = cx.doc(r.doc) else { return Ok(()) };
                        match doc.arena.node(r.node).map(|n| n.kind) {
                            Some(NodeKind::List { .. }) => {
                                for e in doc.arena.children(r.node) {
                                    f.step(span)?;
                                    f.set(slot, Value::Node(NodeRef { doc: r.doc, node: e.node }));
                                    inner(f)?;
                                }
                                Ok(())
                            }
                            Some(NodeKind::Null) => Ok(()),
                            _ => each(f, &v, slot, span, &inner),
                        }
                    }
                    Value::List(items) => {
                        for x in items.iter() {
                            f.step(span)?;
                            f.set(slot, x.clone());
                            inner(f)?;
                        }
                        Ok(())
                    }
                    _ => each(f, &v, slot, span, &inner),
                }
            });
        }
        code
    }

    fn path(&mut self, p: &hir::PathExpr) -> crate::eval::CPath {
        let root = self.expr(&p.root);
        let segs = p
            .segs
            .iter()
            .map(|s| match s {
                hir::Seg::Field(name) => {
                    let mut text = String::from("/");
                    crate::doc::push_escaped(&mut text, name);
                    crate::eval::CSeg::Field(self.key(name), name.clone(), text.into())
                }
                hir::Seg::Index(e) => crate::eval::CSeg::Index(self.expr(e)),
            })
            .collect::<Vec<_>>();
        // The usual path, `c.securityContext.privileged`: a local and names the program knows.
        let fields = match &p.root.kind {
            H::Local(l) => {
                let mut text = String::new();
                segs.iter()
                    .map(|s| match s {
                        crate::eval::CSeg::Field(k, _, seg) if k.0 != u32::MAX => {
                            text.push_str(seg);
                            Some((*k, text.len() as u32))
                        }
                        _ => None,
                    })
                    .collect::<Option<Box<[_]>>>()
                    .map(|keys| crate::eval::FieldPath {
                        slot: self.slot(*l),
                        keys,
                        text: text.into(),
                    })
            }
            _ => None,
        };
        crate::eval::CPath { root, segs, fields }
    }

    /// The parts of an interpolated string: literal text is copied as it is, without a closure
    /// and a value per part.
    fn parts(&mut self, parts: &[hir::Expr]) -> Vec<Part> {
        parts
            .iter()
            .map(|p| match &p.kind {
                H::Const(Const::Str(s)) => Part::Text(s.clone()),
                _ => match self.local_path(p) {
                    Some((slot, keys)) => Part::Field(slot, keys),
                    None => Part::Code(self.expr(p)),
                },
            })
            .collect()
    }

    /// A finding's message, written to the frame's findings text: interpolations write their
    /// parts there directly.
    fn message(&mut self, e: &hir::Expr) -> MessageCode {
        if let H::Interp(parts) = &e.kind
            && fold(e).is_none()
        {
            let parts = self.parts(parts);
            return Box::new(move |f| interpolate_found(&parts, f));
        }
        let code = self.expr(e);
        Box::new(move |f| {
            let v = code(f)?;
            let start = f.out.text.len() as u32;
            v.push_display(&mut f.out.text, f.cx);
            discard(v);
            Ok((start, f.out.text.len() as u32))
        })
    }

    fn finding(
        &mut self,
        kind: ward_lang::ast::FindingKind,
        message: &hir::Expr,
        at: Option<&hir::PathExpr>,
        fixes: &[hir::Fix],
        span: Span,
    ) -> SCode {
        let message = self.message(message);
        // A fix at the finding's own path (`at x.y fix set x.y = v`, the usual case) reuses its
        // location: paths are pure, so the same path names the same node.
        let same = |p: &hir::PathExpr| at.is_some_and(|a| same_path(a, p));
        let fixes: Vec<(Option<crate::eval::CPath>, Option<FixValue>)> = fixes
            .iter()
            .map(|fx| match fx {
                hir::Fix::Set(p, v) => {
                    // A constant value (the usual case) becomes JSON once, shared by every fix.
                    let value = match fold(v) {
                        Some(c) => FixValue::Const(Arc::new(c.to_json(&crate::eval::Cx::empty()))),
                        None => FixValue::Code(self.expr(v)),
                    };
                    ((!same(p)).then(|| self.path(p)), Some(value))
                }
                hir::Fix::Remove(p) => ((!same(p)).then(|| self.path(p)), None),
            })
            .collect();
        let at = at.map(|p| self.path(p));
        Box::new(move |f| {
            f.step(span)?;
            let msg = message(f)?;
            let loc = match &at {
                Some(p) => p.locate(f)?,
                None => Loc::of_doc(f),
            };
            let first = f.out.patches.len() as u32;
            for (p, v) in &fixes {
                let target = match p {
                    Some(p) => p.locate(f)?,
                    None => loc,
                };
                let value = match v {
                    Some(FixValue::Const(c)) => Some(c.clone()),
                    Some(FixValue::Code(code)) => Some(Arc::new(code(f)?.to_json(f.cx))),
                    None => None,
                };
                f.out.patch(&target, value);
            }
            let fix = (first, f.out.patches.len() as u32);
            f.out.raws.push(Raw { rule: u32::MAX, kind, message: msg, loc, fix });
            Ok(())
        })
    }
}

/// The value a `fix set` gives.
enum FixValue {
    /// A constant of the policy, as JSON.
    Const(Arc<serde_json::Value>),
    /// Computed per finding.
    Code(Code),
}

/// Whether two location paths name the same node: the same root local or parameter and the
/// same segments, whatever their spans. Anything else counts as different.
fn same_path(a: &hir::PathExpr, b: &hir::PathExpr) -> bool {
    fn same(a: &hir::Expr, b: &hir::Expr) -> bool {
        match (&a.kind, &b.kind) {
            (H::Local(x), H::Local(y)) => x == y,
            (H::Param(x), H::Param(y)) => x == y,
            (H::Const(x), H::Const(y)) => x == y,
            (H::Field(x, n), H::Field(y, m)) => n == m && same(x, y),
            _ => false,
        }
    }
    same(&a.root, &b.root)
        && a.segs.len() == b.segs.len()
        && a.segs.iter().zip(&b.segs).all(|(x, y)| match (x, y) {
            (hir::Seg::Field(n), hir::Seg::Field(m)) => n == m,
            (hir::Seg::Index(x), hir::Seg::Index(y)) => same(x, y),
            _ => false,
        })
}

/// Runs a higher-order builtin over `items`, binding each to `slot` for `body`.
fn run_higher(
    h: Higher,
    items: impl Iterator<Item = Value>,
    f: &mut Frame<'_>,
    slot: usize,
    body: &Code,
    span: Span,
    bspan: Span,
) -> Result<Value, Box<EvalError>> {
    let apply = |f: &mut Frame<'_>, x: &Value| -> Result<Value, Box<EvalError>> {
        f.step(span)?;
        f.set(slot, x.clone());
        body(f)
    };
    let test = |f: &mut Frame<'_>, x: &Value| -> Result<bool, Box<EvalError>> {
        let r = apply(f, x)?;
        r.as_bool(f.cx).ok_or_else(|| mismatch("a bool", &r, f, bspan))
    };
    Ok(match h {
        Higher::Any => {
            for x in items {
                if test(f, &x)? {
                    return Ok(Value::Bool(true));
                }
            }
            Value::Bool(false)
        }
        Higher::All => {
            for x in items {
                if !test(f, &x)? {
                    return Ok(Value::Bool(false));
                }
            }
            Value::Bool(true)
        }
        Higher::Filter => {
            let mut out = Vec::new();
            for x in items {
                if test(f, &x)? {
                    out.push(x);
                }
            }
            Value::List(Arc::new(out))
        }
        Higher::Count => {
            let mut n = 0;
            for x in items {
                n += i64::from(test(f, &x)?);
            }
            Value::Int(n)
        }
        Higher::Find => {
            for x in items {
                if test(f, &x)? {
                    return Ok(x);
                }
            }
            Value::Null
        }
        Higher::Map => {
            let mut out = Vec::with_capacity(items.size_hint().0);
            for x in items {
                out.push(apply(f, &x)?);
            }
            Value::List(Arc::new(out))
        }
        Higher::FlatMap => {
            let mut out = Vec::new();
            for x in items {
                let r = apply(f, &x)?;
                out.extend(r.iter_items(f.cx).into_iter().flatten());
            }
            Value::List(Arc::new(out))
        }
        Higher::SortBy => {
            let mut keyed = Vec::with_capacity(items.size_hint().0);
            for x in items {
                let k = apply(f, &x)?.scalar(f.cx);
                keyed.push((k, x));
            }
            keyed.sort_by(|a, b| crate::builtins::compare_values(&a.0, &b.0, f.cx));
            Value::List(Arc::new(keyed.into_iter().map(|(_, x)| x).collect()))
        }
    })
}

/// A part of an interpolated string.
enum Part {
    /// Literal text.
    Text(Arc<str>),
    /// An interpolated expression.
    Code(Code),
    /// An interpolated chain of field reads from a local (`{c.name}`, the usual part of a
    /// message): read in place, without running code.
    Field(usize, Box<[PathKey]>),
}

/// The text of an interpolated string's parts, joined.
fn interpolate(parts: &[Part], f: &mut Frame<'_>) -> Result<String, Box<EvalError>> {
    // Room for a typical message, so that it is not regrown part by part.
    let mut s = String::with_capacity(INTERP_CAPACITY);
    write_parts(parts, f, &mut s)?;
    Ok(s)
}

/// [`interpolate`] into the frame's findings text; the range written.
fn interpolate_found(parts: &[Part], f: &mut Frame<'_>) -> Result<Range, Box<EvalError>> {
    // The parts' code runs on the frame; the text is out of it meanwhile, and back whatever
    // happens.
    let mut text = std::mem::take(&mut f.out.text);
    let start = text.len() as u32;
    let result = write_parts(parts, f, &mut text);
    let end = text.len() as u32;
    f.out.text = text;
    result.map(|()| (start, end))
}

/// Appends the text of each part to `out`.
#[inline(always)]
fn write_parts(parts: &[Part], f: &mut Frame<'_>, out: &mut String) -> Result<(), Box<EvalError>> {
    for p in parts {
        match p {
            Part::Text(t) => out.push_str(t),
            Part::Code(code) => {
                let v = code(f)?;
                v.push_display(out, f.cx);
                discard(v);
            }
            Part::Field(slot, keys) => match f.slots.get(*slot) {
                Some(root) => push_field(f.cx, root, keys, out),
                None => out.push_str("null"),
            },
        }
    }
    Ok(())
}

/// The bytes an interpolated string starts with room for.
const INTERP_CAPACITY: usize = 128;

/// Compiled code of a finding's message.
type MessageCode = Box<dyn Fn(&mut Frame<'_>) -> Result<Range, Box<EvalError>> + Send + Sync>;

/// The value of `e` when it is a constant null, bool, int or string.
fn scalar_const(e: &hir::Expr) -> Option<Value> {
    fold(e).filter(|v| matches!(v, Value::Null | Value::Bool(_) | Value::Int(_) | Value::Str(_)))
}

/// `v == c` for a constant null, bool, int or string `c`, reading a node in place; the same
/// answer as [`Value::equals`].
fn equals_scalar(v: &Value, c: &Value, cx: &Cx<'_>) -> bool {
    let r = match (v, c) {
        (Value::Node(r), _) => r,
        // Computed values against the constant: the usual cases without the general comparison.
        (Value::Null, _) => return matches!(c, Value::Null),
        (Value::Str(x), Value::Str(y)) => return x == y,
        (Value::Bool(x), Value::Bool(y)) => return x == y,
        (Value::Int(x), Value::Int(y)) => return x == y,
        _ => return v.equals(c, cx),
    };
    let Some(doc) = cx.doc(r.doc) else { return matches!(c, Value::Null) };
    let Some(node) = doc.arena.nodes.get(r.node as usize) else {
        return matches!(c, Value::Null);
    };
    match (node.kind, c) {
        (NodeKind::Null, Value::Null) => true,
        (NodeKind::Bool(x), Value::Bool(y)) => x == *y,
        (NodeKind::Int(x), Value::Int(y)) => x == *y,
        (NodeKind::Float(x), Value::Int(y)) => x == *y as f64,
        (NodeKind::Str { .. }, Value::Str(y)) => doc.arena.str(r.node) == Some(&**y),
        _ => false,
    }
}

/// One step of a compiled field path: the key, its text (for keys outside the program's table
/// and for map values), and the edge index where it was found last time.
struct PathKey {
    key: Key,
    name: Arc<str>,
    /// A hint only: any value is safe, a right one saves the scan. Documents of one source tend
    /// to write keys in the same order, so the hint is usually right.
    hint: AtomicU32,
}

impl PathKey {
    fn new(key: Key, name: Arc<str>) -> Self {
        PathKey { key, name, hint: AtomicU32::new(0) }
    }
}

/// Reads the fields `keys` one after the other from `root`; absent as soon as one is.
#[inline]
fn walk(cx: &Cx<'_>, root: &Value, keys: &[PathKey]) -> Value {
    match root {
        Value::Node(r) => walk_node(cx, *r, keys),
        // An absent value (`p?.type` with no `p`), the next most usual root, has no fields.
        Value::Null => Value::Null,
        _ => walk_value(cx, root, keys),
    }
}

/// [`walk`] from a map value (or from something that is not a container): the general field
/// read, step by step.
#[cold]
fn walk_value(cx: &Cx<'_>, root: &Value, keys: &[PathKey]) -> Value {
    let mut v = root.clone();
    for k in keys {
        v = cx.field(&v, k.key, &k.name);
    }
    v
}

/// [`walk`] from a document node.
fn walk_node(cx: &Cx<'_>, r: NodeRef, keys: &[PathKey]) -> Value {
    let Some(doc) = cx.doc(r.doc) else { return Value::Null };
    match walk_arena(&doc.arena, r.node, keys) {
        Walked::Node(node) => Value::Node(NodeRef { doc: r.doc, node }),
        Walked::Absent => Value::Null,
        Walked::ByText(node, i) => {
            let here = Value::Node(NodeRef { doc: r.doc, node });
            walk_value(cx, &here, keys.get(i..).unwrap_or_default())
        }
    }
}

/// Where a walk of field names through an arena ends.
enum Walked {
    /// At this node.
    Node(u32),
    /// A field is absent (or a node on the way is not a map).
    Absent,
    /// At this node, the key of this index is outside the program's table: the rest of the
    /// walk compares names as text.
    ByText(u32, usize),
}

/// Reads the fields `keys` one after the other from node `node` of `arena`.
#[inline(always)]
fn walk_arena(arena: &crate::doc::Arena, mut node: u32, keys: &[PathKey]) -> Walked {
    let (nodes, edges) = (arena.nodes.as_slice(), arena.edges.as_slice());
    for (i, k) in keys.iter().enumerate() {
        let Some(n) = nodes.get(node as usize) else { return Walked::Absent };
        let NodeKind::Map { start, len } = n.kind else { return Walked::Absent };
        if k.key.0 == u32::MAX {
            return Walked::ByText(node, i);
        }
        // Most reads in a compliant document are of keys that are not there.
        if n.keys != 0 && n.keys & key_bit(k.key) == 0 {
            return Walked::Absent;
        }
        let entries = edges.get(start as usize..(start + len) as usize).unwrap_or(&[]);
        let hint = k.hint.load(Ordering::Relaxed) as usize;
        node = match entries.get(hint) {
            Some(e) if e.key == k.key => e.node,
            _ => match entries.iter().position(|e| e.key == k.key) {
                Some(i) => {
                    k.hint.store(i as u32, Ordering::Relaxed);
                    entries.get(i).map_or(node, |e| e.node)
                }
                None => return Walked::Absent,
            },
        };
    }
    Walked::Node(node)
}

/// Appends the text of the fields `keys` read from the node in `root` to `out`, as
/// [`Value::push_display`] writes it: a string node's text is copied straight from the arena.
fn push_field(cx: &Cx<'_>, root: &Value, keys: &[PathKey], out: &mut String) {
    if let Value::Node(r) = root
        && let Some(doc) = cx.doc(r.doc)
    {
        match walk_arena(&doc.arena, r.node, keys) {
            Walked::Node(node) => match doc.arena.str(node) {
                Some(text) => return out.push_str(text),
                None => return Value::Node(NodeRef { doc: r.doc, node }).push_display(out, cx),
            },
            Walked::Absent => return Value::Null.push_display(out, cx),
            // Names compared as text from here: the general walk below.
            Walked::ByText(..) => {}
        }
    }
    let v = walk(cx, root, keys);
    v.push_display(out, cx);
    discard(v);
}

/// The length of a list value or list node; `None` for anything else.
fn list_len(v: &Value, cx: &Cx<'_>) -> Option<usize> {
    match v {
        Value::List(l) => Some(l.len()),
        Value::Node(r) => match cx.doc(r.doc)?.arena.node(r.node)?.kind {
            NodeKind::List { len, .. } => Some(len as usize),
            _ => None,
        },
        _ => None,
    }
}

/// Iterates a collection that is neither a document list nor a list value (maps give keys).
fn each(
    f: &mut Frame<'_>,
    v: &Value,
    slot: usize,
    span: Span,
    inner: &SCode,
) -> Result<(), Box<EvalError>> {
    let items = v.items(f.cx).ok_or_else(|| mismatch("a list", v, f, span))?;
    for x in items {
        f.step(span)?;
        f.set(slot, x);
        inner(f)?;
    }
    Ok(())
}

/// An int (or int node) as a float; anything else as it is.
fn as_float(v: Value, f: &Frame<'_>) -> Value {
    match v.scalar(f.cx) {
        Value::Int(i) => Value::Float(i as f64),
        _ => v,
    }
}

/// Folds operators over constants.
fn fold(e: &hir::Expr) -> Option<Value> {
    match &e.kind {
        H::Unary(UnOp::Not, x) => match fold(x)? {
            Value::Bool(b) => Some(Value::Bool(!b)),
            _ => None,
        },
        H::Unary(UnOp::Neg, x) => match fold(x)? {
            Value::Int(i) => i.checked_neg().map(Value::Int),
            Value::Float(f) => Some(Value::Float(-f)),
            _ => None,
        },
        H::Binary(op, a, b) if !matches!(op, BinOp::Div | BinOp::Rem) => {
            let (x, y) = (fold(a)?, fold(b)?);
            crate::eval::fold_binop(*op, &x, &y)
        }
        H::Const(c) => Some(const_value(c)),
        H::List(items) => {
            Some(Value::List(Arc::new(items.iter().map(fold).collect::<Option<Vec<_>>>()?)))
        }
        H::Map(entries) => {
            let mut m = BTreeMap::new();
            for (k, v) in entries {
                let Value::Str(key) = fold(k)? else { return None };
                m.insert(key, fold(v)?);
            }
            Some(Value::Map(Arc::new(m)))
        }
        _ => None,
    }
}

pub(crate) fn const_value(c: &Const) -> Value {
    match c {
        Const::Null => Value::Null,
        Const::Bool(b) => Value::Bool(*b),
        Const::Int(i) => Value::Int(*i),
        Const::Float(f) => Value::Float(*f),
        Const::Str(s) => Value::Str(Text::from(s)),
    }
}

/// Whether a host-provided value conforms to a declared type.
pub fn conforms(v: &Value, ty: &Ty, types: &TypeTable) -> bool {
    match (v, types.resolve(ty)) {
        (_, Ty::Any) => true,
        (Value::Null, t) => t.is_optional(),
        (v, Ty::Opt(t)) => conforms(v, &t, types),
        (Value::Bool(_), Ty::Bool)
        | (Value::Int(_), Ty::Int | Ty::Float)
        | (Value::Float(_), Ty::Float)
        | (Value::Str(_), Ty::Str) => true,
        (Value::Str(s), Ty::StrLit(l)) => **s == *l,
        (v, Ty::Union(alts)) => alts.iter().any(|a| conforms(v, a, types)),
        (Value::List(items), Ty::List(t)) => items.iter().all(|i| conforms(i, &t, types)),
        (Value::Map(m), Ty::Map(_, t)) => m.values().all(|i| conforms(i, &t, types)),
        _ => false,
    }
}
