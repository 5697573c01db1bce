//! Needed fields: the document fields without which a rule cannot produce a finding.
//!
//! Most rules look for something a document may or may not write: `privileged`, `hostPath`,
//! `procMount`. When a document has no such field anywhere, such a rule has nothing to find, and
//! the evaluator skips it (rule indexing): on a compliant manifest that is most of the standard
//! library. This module finds, for each rule, a set of field names such that a document lacking
//! any one of them gets no finding from the rule.
//!
//! The analysis follows what each expression's value can be:
//!
//! - A *tame* value is a node of the document under evaluation, a scalar, absent, or a list of
//!   tame values. Reading a field of a tame value is absent when the document has that field
//!   nowhere; values built by the program (`{ privileged: true }`), document literals and other
//!   inputs are not tame, so their fields never count.
//! - For each value it tracks [`Need`]s: the fields the document must have for it to be present,
//!   to be a non-empty collection, to be `true` and to be `false`.
//!
//! A finding needs what the conditions of the `if`s around it need to be true (or false, in an
//! `else`) and what the collections of the loops around it need to be non-empty; a rule needs
//! what every one of its findings needs. Calls are analysed through the callee's body with the
//! arguments' facts. Anything the analysis does not model needs nothing, so it errs only
//! towards running a rule.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use ward_lang::ast::{BinOp, UnOp};
use ward_lang::hir::{self, Const, ExprKind as H};
use ward_lang::types::{Ty, TypeBody, TypeTable};

use crate::builtins::Builtin;
use crate::doc::{Key, Symbols};

/// What must hold of a document for something to happen: one of a few alternatives, each a
/// set of fields that must all be somewhere in the document. No alternative: it cannot happen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Need(Vec<BTreeSet<Key>>);

/// Alternatives kept before they are merged into what they all share (which only weakens a
/// requirement, so stays sound).
const ALTERNATIVES: usize = 4;

impl Need {
    /// It cannot happen.
    fn never() -> Need {
        Need(Vec::new())
    }

    /// No requirement.
    fn none() -> Need {
        Need(vec![BTreeSet::new()])
    }

    fn key(k: Key) -> Need {
        Need(vec![BTreeSet::from([k])])
    }

    /// Whether it cannot happen.
    fn is_never(&self) -> bool {
        self.0.is_empty()
    }

    /// Drops alternatives that ask more than another does, and merges too many.
    fn normal(mut alts: Vec<BTreeSet<Key>>) -> Need {
        alts.sort_by_key(BTreeSet::len);
        let mut out: Vec<BTreeSet<Key>> = Vec::new();
        for a in alts {
            if !out.iter().any(|o| o.is_subset(&a)) {
                out.push(a);
            }
        }
        if out.len() > ALTERNATIVES {
            let mut shared = out.first().cloned().unwrap_or_default();
            for o in &out {
                shared.retain(|k| o.contains(k));
            }
            out = vec![shared];
        }
        Need(out)
    }

    /// Both must happen.
    fn and(&self, other: &Need) -> Need {
        let mut alts = Vec::new();
        for a in &self.0 {
            for b in &other.0 {
                alts.push(a.union(b).copied().collect());
            }
        }
        Need::normal(alts)
    }

    /// Either may happen.
    fn or(&self, other: &Need) -> Need {
        Need::normal(self.0.iter().chain(&other.0).cloned().collect())
    }
}

/// What the analysis knows of an expression's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Facts {
    /// Whether the value is tame (see the module documentation).
    tame: bool,
    /// For the value to be present (not null).
    present: Need,
    /// For the value to be a non-empty collection.
    nonempty: Need,
    /// For the value to be `true`.
    truth: Need,
    /// For the value to be `false`.
    falsity: Need,
    /// The strings the value, a list, holds: a list of string constants (`["ALL"]`), a
    /// function returning one, a concatenation of such.
    members: Members,
}

/// What is known of the strings a list holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
struct Members {
    /// Strings it certainly holds.
    sure: BTreeSet<Arc<str>>,
    /// Every string it may hold; `None` when unknown.
    maybe: Option<BTreeSet<Arc<str>>>,
}

impl Members {
    /// Whether the list holds `s`, when that is certain.
    fn holds(&self, s: &str) -> Option<bool> {
        if self.sure.contains(s) {
            return Some(true);
        }
        match &self.maybe {
            Some(m) if !m.contains(s) => Some(false),
            _ => None,
        }
    }

    /// The strings of one list or the other.
    fn either(&self, other: &Members) -> Members {
        Members {
            sure: self.sure.intersection(&other.sure).cloned().collect(),
            maybe: match (&self.maybe, &other.maybe) {
                (Some(a), Some(b)) => Some(a.union(b).cloned().collect()),
                _ => None,
            },
        }
    }

    /// The strings of both lists, one after the other.
    fn concat(&self, other: &Members) -> Members {
        Members {
            sure: self.sure.union(&other.sure).cloned().collect(),
            maybe: match (&self.maybe, &other.maybe) {
                (Some(a), Some(b)) => Some(a.union(b).cloned().collect()),
                _ => None,
            },
        }
    }
}

impl Facts {
    /// Nothing known.
    fn unknown() -> Facts {
        Facts {
            tame: false,
            present: Need::none(),
            nonempty: Need::none(),
            truth: Need::none(),
            falsity: Need::none(),
            members: Members::default(),
        }
    }

    /// A tame value with nothing else known.
    fn tame() -> Facts {
        Facts { tame: true, ..Facts::unknown() }
    }

    /// A value that is present exactly when `present` holds (a field read): then it may be
    /// anything, so being non-empty, true or false needs the same.
    fn read(tame: bool, present: Need) -> Facts {
        Facts {
            tame,
            nonempty: present.clone(),
            truth: present.clone(),
            falsity: present.clone(),
            present,
            members: Members::default(),
        }
    }

    /// `null`.
    fn null() -> Facts {
        Facts {
            tame: true,
            present: Need::never(),
            nonempty: Need::never(),
            truth: Need::never(),
            falsity: Need::never(),
            members: Members::default(),
        }
    }

    /// One of two values, `a` when `ca` holds and `b` when `cb` holds.
    fn either(a: &Facts, ca: &Need, b: &Facts, cb: &Need) -> Facts {
        let pick = |x: &Need, y: &Need| ca.and(x).or(&cb.and(y));
        Facts {
            tame: a.tame && b.tame,
            present: pick(&a.present, &b.present),
            nonempty: pick(&a.nonempty, &b.nonempty),
            truth: pick(&a.truth, &b.truth),
            falsity: pick(&a.falsity, &b.falsity),
            members: a.members.either(&b.members),
        }
    }

    /// A value that requires `need` besides its own facts.
    fn after(mut self, need: &Need) -> Facts {
        self.present = need.and(&self.present);
        self.nonempty = need.and(&self.nonempty);
        self.truth = need.and(&self.truth);
        self.falsity = need.and(&self.falsity);
        self
    }
}

/// How deep the analysis follows calls before it stops assuming anything.
const CALL_DEPTH: usize = 16;

struct Analysis<'a> {
    program: &'a hir::Program,
    types: &'a TypeTable,
    symbols: &'a Symbols,
    exists: Option<u32>,
    keys: Option<u32>,
    /// Facts of calls already analysed, by function and argument facts.
    calls: HashMap<(u32, Vec<Facts>), Facts>,
}

/// For each rule, what a document must have for the rule to find anything in it: alternatives,
/// each a set of fields that must all be somewhere in the document. No alternative when the
/// rule has no finding; an empty alternative when it may find something anywhere.
pub(crate) fn rules(
    program: &hir::Program,
    table: &[Builtin],
    symbols: &Symbols,
) -> Vec<Vec<Vec<Key>>> {
    let builtin = |name: &str| table.iter().position(|b| b.name == name).map(|i| i as u32);
    let (exists, keys) = (builtin("exists"), builtin("keys"));
    let mut a =
        Analysis { program, types: &program.types, symbols, exists, keys, calls: HashMap::new() };
    program
        .rules
        .iter()
        .map(|r| {
            let mut env = HashMap::new();
            env.insert(r.doc.0, Facts::tame());
            let mut found = Need::never();
            a.stmts(&r.body, &mut env, &Need::none(), &mut found, 0);
            // A rule without findings is left alone.
            if found.is_never() {
                return Vec::new();
            }
            found.0.into_iter().map(|a| a.into_iter().collect()).collect()
        })
        .collect()
}

impl Analysis<'_> {
    fn stmts(
        &mut self,
        body: &[hir::Stmt],
        env: &mut HashMap<u32, Facts>,
        path: &Need,
        found: &mut Need,
        depth: usize,
    ) {
        for s in body {
            match s {
                hir::Stmt::Let(l, e) => {
                    let f = self.expr(e, env, depth);
                    env.insert(l.0, f);
                }
                hir::Stmt::For(bindings, inner) => {
                    let mut path = path.clone();
                    for (l, coll) in bindings {
                        let c = self.expr(coll, env, depth);
                        path = path.and(&c.nonempty);
                        // The items of a tame collection are tame (a map's are its keys).
                        let item = if c.tame { Facts::tame() } else { Facts::unknown() };
                        env.insert(l.0, item);
                    }
                    self.stmts(inner, env, &path, found, depth);
                }
                hir::Stmt::If(c, then, els) => {
                    let c = self.expr(c, env, depth);
                    self.stmts(then, env, &path.and(&c.truth), found, depth);
                    self.stmts(els, env, &path.and(&c.falsity), found, depth);
                }
                hir::Stmt::Finding { .. } => *found = found.or(path),
                hir::Stmt::ExpectTrue(..) | hir::Stmt::ExpectFinding { .. } => {}
            }
        }
    }

    fn key(&self, name: &str) -> Option<Key> {
        self.symbols.get(name)
    }

    fn expr(&mut self, e: &hir::Expr, env: &mut HashMap<u32, Facts>, depth: usize) -> Facts {
        match &e.kind {
            H::Const(Const::Null) => Facts::null(),
            H::Const(Const::Bool(b)) => Facts {
                truth: if *b { Need::none() } else { Need::never() },
                falsity: if *b { Need::never() } else { Need::none() },
                nonempty: Need::never(),
                ..Facts::tame()
            },
            H::Const(_) => Facts { truth: Need::never(), falsity: Need::never(), ..Facts::tame() },
            H::Local(l) => env.get(&l.0).cloned().unwrap_or_else(Facts::unknown),
            H::Param(_) => {
                if self.plain(&e.ty) {
                    Facts::tame()
                } else {
                    Facts::unknown()
                }
            }
            H::Field(base, name) => {
                let b = self.expr(base, env, depth);
                match self.key(name) {
                    Some(k) if b.tame => Facts::read(true, b.present.and(&Need::key(k))),
                    _ => Facts::read(false, b.present),
                }
            }
            H::Index(base, index) => {
                let b = self.expr(base, env, depth);
                self.expr(index, env, depth);
                Facts::read(b.tame, b.present)
            }
            H::Call(fid, args) => {
                let args: Vec<Facts> = args.iter().map(|a| self.expr(a, env, depth)).collect();
                self.call(*fid, args, depth)
            }
            H::Builtin(id, args) => {
                let facts: Vec<Facts> = args.iter().map(|a| self.expr(a, env, depth)).collect();
                if let [x] = facts.as_slice() {
                    if Some(*id) == self.exists {
                        return Facts { truth: x.present.clone(), ..Facts::tame() };
                    }
                    if Some(*id) == self.keys {
                        return Facts { nonempty: x.nonempty.clone(), ..Facts::tame() };
                    }
                }
                if self.plain(&e.ty) { Facts::tame() } else { Facts::unknown() }
            }
            H::Lambda(..) | H::DocLit(..) | H::TypeRef(_) | H::Error => Facts::unknown(),
            H::Unary(UnOp::Not, x) => {
                let x = self.expr(x, env, depth);
                Facts { truth: x.falsity, falsity: x.truth, ..Facts::tame() }
            }
            H::Unary(_, x) => {
                self.expr(x, env, depth);
                Facts::tame()
            }
            H::Binary(op, a, b) => self.binary(*op, a, b, env, depth),
            H::List(items) => {
                let sure: BTreeSet<Arc<str>> = items
                    .iter()
                    .filter_map(|i| match &i.kind {
                        H::Const(Const::Str(s)) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
                let all = items.iter().all(|i| matches!(i.kind, H::Const(Const::Str(_))));
                let members = Members { maybe: all.then(|| sure.clone()), sure };
                let items: Vec<Facts> = items.iter().map(|i| self.expr(i, env, depth)).collect();
                Facts {
                    tame: items.iter().all(|i| i.tame),
                    nonempty: if items.is_empty() { Need::never() } else { Need::none() },
                    members,
                    ..Facts::unknown()
                }
            }
            H::Map(entries) => {
                for (k, v) in entries {
                    self.expr(k, env, depth);
                    self.expr(v, env, depth);
                }
                // Reading a field of `{}` is absent, as it is of a tame value.
                Facts {
                    tame: entries.is_empty(),
                    nonempty: if entries.is_empty() { Need::never() } else { Need::none() },
                    ..Facts::unknown()
                }
            }
            H::Interp(parts) => {
                for p in parts {
                    self.expr(p, env, depth);
                }
                Facts::tame()
            }
            H::Match(s, arms) => {
                let s = self.expr(s, env, depth);
                // No arm matching gives `null`.
                let mut out = Facts::null();
                for arm in arms {
                    if let Some(b) = arm.bind {
                        env.insert(b.0, s.clone());
                    }
                    let v = self.expr(&arm.body, env, depth);
                    out = Facts::either(&out, &Need::none(), &v, &Need::none());
                }
                out
            }
            H::If(c, a, b) => {
                let c = self.expr(c, env, depth);
                let (a, b) = (self.expr(a, env, depth), self.expr(b, env, depth));
                Facts::either(&a, &c.truth, &b, &c.falsity)
            }
            H::Let(l, v, body) => {
                let v = self.expr(v, env, depth);
                env.insert(l.0, v);
                self.expr(body, env, depth)
            }
            H::OptChain(l, x, rest) => {
                let x = self.expr(x, env, depth);
                let need = x.present.clone();
                env.insert(l.0, x);
                self.expr(rest, env, depth).after(&need)
            }
        }
    }

    fn binary(
        &mut self,
        op: BinOp,
        a: &hir::Expr,
        b: &hir::Expr,
        env: &mut HashMap<u32, Facts>,
        depth: usize,
    ) -> Facts {
        let (fa, fb) = (self.expr(a, env, depth), self.expr(b, env, depth));
        match op {
            BinOp::And => Facts {
                truth: fa.truth.and(&fb.truth),
                falsity: fa.falsity.or(&fb.falsity),
                ..Facts::tame()
            },
            BinOp::Or => Facts {
                truth: fa.truth.or(&fb.truth),
                falsity: fa.falsity.and(&fb.falsity),
                ..Facts::tame()
            },
            BinOp::Eq | BinOp::Ne => {
                let (x, c) = match (constant(b), constant(a)) {
                    (Some(c), _) => (a, c),
                    (None, Some(c)) => (b, c),
                    (None, None) => return Facts::tame(),
                };
                let null = matches!(c, Const::Null);
                let (equal, differ) = self.compare(x, |d| same(d, c), Some(null), env, depth);
                let (truth, falsity) =
                    if op == BinOp::Eq { (equal, differ) } else { (differ, equal) };
                Facts { truth, falsity, ..Facts::tame() }
            }
            BinOp::In | BinOp::NotIn => {
                // Only a list known to hold strings alone certainly lacks `null` and numbers.
                let list = &fb.members;
                let strings_only = list.maybe.is_some();
                let (inside, outside) = self.compare(
                    a,
                    |d| match d {
                        Const::Str(d) => list.holds(d),
                        _ if strings_only => Some(false),
                        _ => None,
                    },
                    strings_only.then_some(false),
                    env,
                    depth,
                );
                let (truth, falsity) =
                    if op == BinOp::In { (inside, outside) } else { (outside, inside) };
                Facts { truth, falsity, ..Facts::tame() }
            }
            BinOp::Default => Facts::either(&fa, &Need::none(), &fb, &Need::none()),
            BinOp::Add => Facts {
                tame: fa.tame && fb.tame,
                nonempty: fa.nonempty.or(&fb.nonempty),
                members: fa.members.concat(&fb.members),
                ..Facts::unknown()
            },
            _ => Facts::tame(),
        }
    }

    /// What `x` needs to pass a test against constants (`x == c`, `x in ["a", "b"]`), and to
    /// fail it. `passes` tells whether a constant passes, and `absent_passes` whether an absent
    /// value does (`None`: cannot tell). `(y ?? d)` reads as `d` when `y` is absent, so it
    /// needs `y` present to get the outcome `d` does not.
    fn compare(
        &mut self,
        x: &hir::Expr,
        passes: impl Fn(&Const) -> Option<bool>,
        absent_passes: Option<bool>,
        env: &mut HashMap<u32, Facts>,
        depth: usize,
    ) -> (Need, Need) {
        if let H::Binary(BinOp::Default, y, d) = &x.kind
            && let Some(d) = constant(d)
        {
            let y = self.expr(y, env, depth).present;
            return match passes(d) {
                Some(true) => (Need::none(), y),
                Some(false) => (y, Need::none()),
                None => (Need::none(), Need::none()),
            };
        }
        let x = self.expr(x, env, depth).present;
        match absent_passes {
            Some(false) => (x, Need::none()),
            Some(true) => (Need::none(), x),
            None => (Need::none(), Need::none()),
        }
    }

    fn call(&mut self, fid: u32, args: Vec<Facts>, depth: usize) -> Facts {
        if depth >= CALL_DEPTH {
            return Facts::unknown();
        }
        let key = (fid, args);
        if let Some(f) = self.calls.get(&key) {
            return f.clone();
        }
        let Some(func) = self.program.functions.get(fid as usize) else {
            return Facts::unknown();
        };
        let mut env: HashMap<u32, Facts> =
            func.params.iter().zip(&key.1).map(|(p, f)| (p.0, f.clone())).collect();
        let out = self.expr(&func.body, &mut env, depth + 1);
        self.calls.insert(key, out.clone());
        out
    }

    /// Whether every value of type `ty` is a scalar or a list of scalars (so tame).
    fn plain(&self, ty: &Ty) -> bool {
        self.plain_in(ty, 0)
    }

    fn plain_in(&self, ty: &Ty, depth: usize) -> bool {
        if depth > 8 {
            return false;
        }
        match ty {
            Ty::Null | Ty::Bool | Ty::Int | Ty::Float | Ty::Str | Ty::StrLit(_) => true,
            Ty::List(t) | Ty::Opt(t) => self.plain_in(t, depth + 1),
            Ty::Union(ts) => ts.iter().all(|t| self.plain_in(t, depth + 1)),
            Ty::Named(id) => match self.types.get(*id).map(|d| &d.body) {
                Some(TypeBody::Alias(t)) => self.plain_in(t, depth + 1),
                _ => false,
            },
            _ => false,
        }
    }
}

/// The constant `e` is, if it is a plain one.
fn constant(e: &hir::Expr) -> Option<&Const> {
    match &e.kind {
        H::Const(c) => Some(c),
        _ => None,
    }
}

/// Whether two constants are equal, when that is certain (an int and a float may be either).
fn same(a: &Const, b: &Const) -> Option<bool> {
    match (a, b) {
        (Const::Null, Const::Null) => Some(true),
        (Const::Null, _) | (_, Const::Null) => Some(false),
        (Const::Bool(x), Const::Bool(y)) => Some(x == y),
        (Const::Int(x), Const::Int(y)) => Some(x == y),
        (Const::Str(x), Const::Str(y)) => Some(x == y),
        (Const::Float(_), _) | (_, Const::Float(_)) => None,
        _ => Some(false),
    }
}
