//! Projection: which parts of a document a compiled program can observe, so that the loader may
//! skip building the rest.
//!
//! The analysis is by field name. Every name the program reads (`x.name`, `x["name"]`, a path
//! segment of `at` or `fix`) is *read*: entries under it are built. A value consumed as a whole
//! (compared with another document value, interpolated, passed to a builtin taking a container,
//! indexed by a computed key…) must be traced back to the field name it was read under, through
//! locals, `let`, `for`, lambda and function parameters, `??`, `if` and `match`: that name is
//! *whole*, and everything under it is built. When a consumption traces back to a document root,
//! there is no projection at all.
//!
//! The loader keeps the key of every skipped entry, with a null placeholder as its value: the
//! key set of every map is exact, so iteration over map keys, `keys`, `len`, `has_key` and kind
//! recognition see what they would without projection, and duplicate keys are still errors.
//! List items are never skipped. Only JSON input is projected (YAML anchors could point into a
//! skipped subtree).

use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;
use ward_lang::hir::{self, ExprKind as H, Local, Pat};
use ward_lang::types::Ty;

use crate::builtins::{Builtin, Higher, Impl};
use crate::doc::{Key, Symbols};

/// Names the loader reads itself, whatever the program: identity, `kind: List` items, and the
/// values that [`crate::load`] recognises report shapes and DSSE envelopes by.
pub const LOADER_NAMES: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "items",
    "bomFormat",
    "_type",
    "payload",
    "payloadType",
];

/// What the loader does with the value under a map key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Nothing reads it: a null placeholder stands in.
    Skip,
    /// Read by name: built, its own entries projected.
    Read,
    /// Consumed whole: built entirely.
    Whole,
}

/// The names a program reads, by program key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    keep: Vec<Keep>,
}

impl Projection {
    /// What to do with the value under `key`; keys the program does not know are skipped.
    #[inline]
    pub fn get(&self, key: Key) -> Keep {
        self.keep.get(key.0 as usize).copied().unwrap_or(Keep::Skip)
    }

    /// A projection keeping `keep[k]` under program key `k` (for tests).
    #[cfg(test)]
    pub(crate) fn of(keep: Vec<Keep>) -> Self {
        Projection { keep }
    }

    /// The projection that builds what is under the names `read` (its own entries projected in
    /// turn) and everything under the names `whole`, besides what the loader reads itself
    /// ([`LOADER_NAMES`]); `None` when a name is not in `symbols`. A program's projection comes
    /// from [`analyse`]; this one is for tools that test the loader (the fuzz targets).
    pub fn keeping(symbols: &Symbols, read: &[&str], whole: &[&str]) -> Option<Projection> {
        let mut keep = vec![Keep::Skip; symbols.len()];
        for name in read.iter().chain(LOADER_NAMES) {
            *keep.get_mut(symbols.get(name)?.0 as usize)? = Keep::Read;
        }
        for name in whole {
            *keep.get_mut(symbols.get(name)?.0 as usize)? = Keep::Whole;
        }
        Some(Projection { keep })
    }
}

/// Where a value may come from: document roots, or the subtrees under some field names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Origin {
    root: bool,
    names: BTreeSet<Arc<str>>,
}

impl Origin {
    fn name(n: &Arc<str>) -> Origin {
        Origin { root: false, names: BTreeSet::from([n.clone()]) }
    }

    fn root() -> Origin {
        Origin { root: true, names: BTreeSet::new() }
    }

    fn union(mut self, other: Origin) -> Origin {
        self.root |= other.root;
        self.names.extend(other.names);
        self
    }
}

/// The frame a local belongs to: a rule's or a function's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Owner {
    Rule(u32),
    Func(u32),
}

/// Computes the projection of `rules` (all when `None`) of `program`; `None` when some whole
/// consumption cannot be traced to a field name, or a name is missing from `symbols`.
pub fn analyse(
    program: &hir::Program,
    rules: Option<&[u32]>,
    table: &[Builtin],
    sigs: &[ward_lang::BuiltinSig],
    symbols: &Symbols,
) -> Option<Projection> {
    let a = run(program, rules, table, sigs);
    if a.failed {
        return None;
    }
    let read: Vec<&str> = a.read.iter().map(|n| &**n).collect();
    let whole: Vec<&str> = a.whole.iter().map(|n| &**n).collect();
    Projection::keeping(symbols, &read, &whole)
}

/// Every field name the program's rules and functions may read, for the key table.
pub fn names(
    program: &hir::Program,
    table: &[Builtin],
    sigs: &[ward_lang::BuiltinSig],
) -> impl Iterator<Item = Arc<str>> {
    let a = run(program, None, table, sigs);
    a.read.into_iter().chain(a.whole)
}

/// Runs the analysis to its fixed point: origins only grow, over finitely many names.
fn run<'p>(
    program: &'p hir::Program,
    rules: Option<&[u32]>,
    table: &'p [Builtin],
    sigs: &'p [ward_lang::BuiltinSig],
) -> Analysis<'p> {
    let mut a = Analysis {
        program,
        table,
        sigs,
        locals: HashMap::default(),
        returns: vec![Origin::default(); program.functions.len()],
        reached: vec![false; program.functions.len()],
        read: BTreeSet::new(),
        whole: BTreeSet::new(),
        failed: false,
        changed: true,
    };
    let selected: Vec<u32> = match rules {
        Some(r) => r.to_vec(),
        None => (0..program.rules.len() as u32).collect(),
    };
    while a.changed {
        a.changed = false;
        a.pass(&selected);
    }
    a
}

struct Analysis<'p> {
    program: &'p hir::Program,
    table: &'p [Builtin],
    sigs: &'p [ward_lang::BuiltinSig],
    locals: HashMap<(Owner, u32), Origin>,
    returns: Vec<Origin>,
    /// Functions called from the selected rules, directly or not: only those are walked.
    reached: Vec<bool>,
    read: BTreeSet<Arc<str>>,
    whole: BTreeSet<Arc<str>>,
    failed: bool,
    changed: bool,
}

impl Analysis<'_> {
    fn pass(&mut self, rules: &[u32]) {
        let program = self.program;
        for (i, f) in program.functions.iter().enumerate() {
            if !self.reached.get(i).copied().unwrap_or(false) {
                continue;
            }
            let o = self.expr(Owner::Func(i as u32), &f.body);
            if let Some(r) = self.returns.get_mut(i) {
                let grown = r.clone().union(o);
                if grown != *r {
                    *r = grown;
                    self.changed = true;
                }
            }
        }
        for &i in rules {
            let Some(r) = program.rules.get(i as usize) else { continue };
            let owner = Owner::Rule(i);
            self.assign(owner, r.doc, Origin::root());
            if let Some(inputs) = r.inputs {
                self.assign(owner, inputs, Origin::root());
            }
            self.stmts(owner, &r.body);
        }
    }

    fn assign(&mut self, owner: Owner, l: Local, o: Origin) {
        let slot = self.locals.entry((owner, l.0)).or_default();
        let grown = slot.clone().union(o);
        if grown != *slot {
            *slot = grown;
            self.changed = true;
        }
    }

    fn local(&self, owner: Owner, l: Local) -> Origin {
        self.locals.get(&(owner, l.0)).cloned().unwrap_or_default()
    }

    /// The value is consumed whole: everything under its names is needed.
    fn whole(&mut self, o: &Origin) {
        if o.root {
            self.failed = true;
        }
        self.whole.extend(o.names.iter().cloned());
    }

    fn read(&mut self, name: &Arc<str>) -> Origin {
        self.read.insert(name.clone());
        Origin::name(name)
    }

    fn stmts(&mut self, owner: Owner, body: &[hir::Stmt]) {
        for s in body {
            self.stmt(owner, s);
        }
    }

    fn stmt(&mut self, owner: Owner, s: &hir::Stmt) {
        match s {
            hir::Stmt::Let(l, e) => {
                let o = self.expr(owner, e);
                self.assign(owner, *l, o);
            }
            hir::Stmt::For(bindings, body) => {
                for (l, coll) in bindings {
                    let o = self.expr(owner, coll);
                    self.assign(owner, *l, o);
                }
                self.stmts(owner, body);
            }
            hir::Stmt::If(c, t, e) => {
                self.expr(owner, c);
                self.stmts(owner, t);
                self.stmts(owner, e);
            }
            hir::Stmt::Finding { message, at, fixes, .. } => {
                let o = self.expr(owner, message);
                self.whole(&o);
                if let Some(p) = at {
                    self.path(owner, p);
                }
                for fx in fixes {
                    match fx {
                        hir::Fix::Set(p, v) => {
                            self.path(owner, p);
                            let o = self.expr(owner, v);
                            self.whole(&o);
                        }
                        hir::Fix::Remove(p) => self.path(owner, p),
                    }
                }
            }
            // Tests run over document literals, which are never projected.
            hir::Stmt::ExpectTrue(..) | hir::Stmt::ExpectFinding { .. } => {}
        }
    }

    /// A location path: its fields are read; an index segment (a computed key, or a position
    /// that might fall on a map entry) needs the whole value it indexes.
    fn path(&mut self, owner: Owner, p: &hir::PathExpr) {
        let mut cur = self.expr(owner, &p.root);
        for seg in &p.segs {
            match seg {
                hir::Seg::Field(name) => cur = self.read(name),
                hir::Seg::Index(e) => {
                    self.expr(owner, e);
                    self.whole(&cur);
                }
            }
        }
    }

    /// The origin of `e`'s value, recording what `e` reads and consumes on the way.
    fn expr(&mut self, owner: Owner, e: &hir::Expr) -> Origin {
        match &e.kind {
            H::Const(_) | H::Param(_) | H::DocLit(..) | H::TypeRef(_) | H::Error => {
                Origin::default()
            }
            H::Local(l) => self.local(owner, *l),
            H::Field(base, name) => {
                self.expr(owner, base);
                self.read(name)
            }
            H::Index(base, index) => self.index(owner, base, index),
            H::Call(fid, args) => {
                if let Some(r) = self.reached.get_mut(*fid as usize)
                    && !*r
                {
                    *r = true;
                    self.changed = true;
                }
                let params = self.program.functions.get(*fid as usize).map(|f| f.params.clone());
                for (a, p) in args.iter().zip(params.unwrap_or_default()) {
                    let o = self.expr(owner, a);
                    self.assign(Owner::Func(*fid), p, o);
                }
                self.returns.get(*fid as usize).cloned().unwrap_or_default()
            }
            H::Builtin(id, args) => self.builtin(owner, *id, args),
            H::Lambda(_, body) => {
                self.expr(owner, body);
                Origin::default()
            }
            H::Unary(_, x) => {
                self.expr(owner, x);
                Origin::default()
            }
            H::Binary(op, a, b) => self.binary(owner, *op, a, b),
            H::List(items) => {
                items.iter().fold(Origin::default(), |acc, i| acc.union(self.expr(owner, i)))
            }
            H::Map(entries) => {
                let mut acc = Origin::default();
                for (k, v) in entries {
                    let ko = self.expr(owner, k);
                    self.whole(&ko);
                    acc = acc.union(self.expr(owner, v));
                }
                acc
            }
            H::Interp(parts) => {
                for p in parts {
                    let o = self.expr(owner, p);
                    self.whole(&o);
                }
                Origin::default()
            }
            H::Match(s, arms) => {
                let o = self.expr(owner, s);
                let mut acc = Origin::default();
                for arm in arms {
                    // Constant patterns compare with a scalar, kind patterns read the
                    // discriminators (always kept): neither looks inside a container.
                    if let (Some(bind), Pat::Wild | Pat::Const(_) | Pat::Kinds(_)) =
                        (arm.bind, &arm.pat)
                    {
                        self.assign(owner, bind, o.clone());
                    }
                    acc = acc.union(self.expr(owner, &arm.body));
                }
                acc
            }
            H::If(c, a, b) => {
                self.expr(owner, c);
                self.expr(owner, a).union(self.expr(owner, b))
            }
            H::Let(l, v, body) => {
                let o = self.expr(owner, v);
                self.assign(owner, *l, o);
                self.expr(owner, body)
            }
            H::OptChain(slot, v, rest) => {
                let o = self.expr(owner, v);
                self.assign(owner, *slot, o);
                self.expr(owner, rest)
            }
        }
    }

    fn index(&mut self, owner: Owner, base: &hir::Expr, index: &hir::Expr) -> Origin {
        let b = self.expr(owner, base);
        if let H::Const(hir::Const::Str(name)) = &index.kind {
            return self.read(name);
        }
        self.expr(owner, index);
        // A position reads a list item (or, on a map, a key): no name. Any other index is a
        // computed key: the whole base.
        if index.ty != Ty::Int {
            self.whole(&b);
        }
        b
    }

    fn binary(
        &mut self,
        owner: Owner,
        op: ward_lang::ast::BinOp,
        a: &hir::Expr,
        b: &hir::Expr,
    ) -> Origin {
        use ward_lang::ast::BinOp as B;
        let (oa, ob) = (self.expr(owner, a), self.expr(owner, b));
        match op {
            // List concatenation holds the operands' items; `??` is one of them.
            B::Add | B::Default => oa.union(ob),
            // A container never equals a constant scalar, whatever it holds.
            B::Eq | B::Ne => {
                if !matches!(a.kind, H::Const(_)) && !matches!(b.kind, H::Const(_)) {
                    self.whole(&oa);
                    self.whole(&ob);
                }
                Origin::default()
            }
            B::In | B::NotIn => {
                self.whole(&oa);
                self.whole(&ob);
                Origin::default()
            }
            _ => Origin::default(),
        }
    }

    fn builtin(&mut self, owner: Owner, id: u32, args: &[hir::Expr]) -> Origin {
        let Some(b) = self.table.get(id as usize) else {
            self.failed = true;
            return Origin::default();
        };
        match b.imp {
            Impl::Of => {
                for a in args {
                    self.expr(owner, a);
                }
                Origin::root()
            }
            Impl::Regex => {
                for a in args {
                    self.expr(owner, a);
                }
                Origin::default()
            }
            Impl::Higher(h) => self.higher(owner, h, args),
            Impl::Pure(_) => self.pure(owner, b.name, id, args),
        }
    }

    fn higher(&mut self, owner: Owner, h: Higher, args: &[hir::Expr]) -> Origin {
        let [list, lambda] = args else {
            self.failed = true;
            return Origin::default();
        };
        let ol = self.expr(owner, list);
        let H::Lambda(slots, body) = &lambda.kind else {
            self.failed = true;
            return Origin::default();
        };
        if let Some(slot) = slots.first() {
            self.assign(owner, *slot, ol.clone());
        }
        let ob = self.expr(owner, body);
        match h {
            Higher::Any | Higher::All | Higher::Count => Origin::default(),
            Higher::Filter | Higher::Find => ol,
            Higher::Map | Higher::FlatMap => ob,
            Higher::SortBy => {
                self.whole(&ob);
                ol
            }
        }
    }

    /// A pure builtin: arguments of scalar parameters are read as scalars (a container there
    /// is an error or absent whatever it holds); a few builtins only look at presence or key
    /// sets, which placeholders keep; any other argument is consumed whole.
    fn pure(&mut self, owner: Owner, name: &str, id: u32, args: &[hir::Expr]) -> Origin {
        let shape_only = matches!(name, "exists" | "len" | "is_empty" | "has_key" | "keys");
        let sig = self.sigs.get(id as usize);
        let mut acc = Origin::default();
        for (i, a) in args.iter().enumerate() {
            let o = self.expr(owner, a);
            let scalar = sig.and_then(|s| s.params.get(i)).is_some_and(is_scalar);
            if !shape_only && !scalar {
                self.whole(&o);
            }
            acc = acc.union(o);
        }
        match sig {
            Some(s) if shape_only || is_scalar(&s.ret) => Origin::default(),
            _ => acc,
        }
    }
}

/// Whether a type holds only scalars (so a value of it has no subtree).
fn is_scalar(t: &Ty) -> bool {
    match t {
        Ty::Null | Ty::Bool | Ty::Int | Ty::Float | Ty::Str | Ty::StrLit(_) => true,
        Ty::Opt(t) => is_scalar(t),
        Ty::Union(ts) => ts.iter().all(is_scalar),
        _ => false,
    }
}
