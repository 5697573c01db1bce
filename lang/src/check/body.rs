//! Checking bodies: expressions and statements of functions, rules, params and tests.

use std::sync::Arc;

use super::narrow;
use super::{Cx, Decl, FileScope};
use crate::ast::{self, BinOp, ExprKind as E, StmtKind, UnOp};
use crate::error::{Error, suggest};
use crate::hir::{self, Const, ExprKind as H, Local};
use crate::span::Span;
use crate::types::{Ty, TypeBody};

pub(super) struct Body<'c, 'b> {
    pub cx: &'c mut Cx<'b>,
    scope: FileScope,
    current_fn: Option<u32>,
    locals: Vec<(String, Local, Ty)>,
    next: u32,
    narrowed: Vec<String>,
    /// The builtin whose arguments are being checked, for messages about lambdas.
    callee: Option<String>,
}

fn mk(kind: H, ty: Ty, span: Span) -> hir::Expr {
    hir::Expr { kind, ty, span }
}

fn err(span: Span) -> hir::Expr {
    mk(H::Error, Ty::Never, span)
}

impl<'c, 'b> Body<'c, 'b> {
    pub fn new(cx: &'c mut Cx<'b>, scope: &FileScope, current_fn: Option<u32>) -> Self {
        Body {
            cx,
            scope: scope.clone(),
            current_fn,
            locals: Vec::new(),
            next: 0,
            narrowed: Vec::new(),
            callee: None,
        }
    }

    pub fn bind(&mut self, name: &str, ty: Ty) -> Local {
        let l = Local(self.next);
        self.next += 1;
        self.locals.push((name.to_string(), l, ty));
        l
    }

    pub fn locals(&self) -> u32 {
        self.next
    }

    fn show(&self, t: &Ty) -> String {
        self.cx.show(t)
    }

    fn error(&mut self, e: Error) {
        self.cx.errors.push(e);
    }

    /// Reports a mismatch unless `e` fits `ty`. A list literal that does not fit is blamed on
    /// its first element that does not.
    pub fn require(&mut self, e: &hir::Expr, ty: &Ty, context: &str) -> bool {
        if self.cx.program.types.assignable(&e.ty, ty) {
            return true;
        }
        if e.ty.is_optional() && self.cx.program.types.assignable(&e.ty.definite(), ty) {
            let ty = self.cx.show(&e.ty);
            let what = self.text(e);
            self.error(Error::MaybeAbsent { span: e.span, what, ty });
            return false;
        }
        if let Some((item, elem)) = self.bad_element(e, ty) {
            let context =
                format!("an element of `{}` must be `{}`", self.show(ty), self.show(&elem));
            return self.require(item, &elem, &context);
        }
        let (expected, found) = (self.show(ty), self.show_found(&e.ty, ty));
        self.error(Error::Mismatch { span: e.span, expected, found, context: context.to_string() });
        false
    }

    /// The first element of list literal `e` that does not fit the element type of `ty`.
    pub fn bad_element<'e>(&self, e: &'e hir::Expr, ty: &Ty) -> Option<(&'e hir::Expr, Ty)> {
        let (H::List(items), Ty::List(elem)) = (&e.kind, self.cx.program.types.resolve(ty)) else {
            return None;
        };
        let item = items.iter().find(|i| !self.cx.program.types.assignable(&i.ty, &elem))?;
        Some((item, *elem))
    }

    /// A found type for a message: string literal types read as `string` unless the expected
    /// type is itself made of literals.
    pub fn show_found(&self, found: &Ty, expected: &Ty) -> String {
        if self.show(expected).contains('"') {
            self.show(found)
        } else {
            self.show(&widen_deep(found))
        }
    }

    /// A checked expression as the user wrote it, when it is a path (`c.securityContext`);
    /// empty otherwise.
    fn text(&self, e: &hir::Expr) -> String {
        fn go(b: &Body<'_, '_>, e: &hir::Expr) -> Option<String> {
            match &e.kind {
                H::Local(l) => b
                    .locals
                    .iter()
                    .rev()
                    .find(|(n, x, _)| {
                        x == l && n.starts_with(|c: char| c.is_alphabetic() || c == '_')
                    })
                    .map(|(n, _, _)| n.clone()),
                H::Param(p) => {
                    b.cx.program
                        .params
                        .get(*p as usize)
                        .map(|p| p.qualified.rsplit('.').next().unwrap_or(&p.qualified).to_string())
                }
                H::Field(base, name) => {
                    let sep = if base.ty.is_optional() { "?." } else { "." };
                    Some(format!("{}{sep}{name}", go(b, base)?))
                }
                _ => None,
            }
        }
        go(self, e).unwrap_or_default()
    }

    /// Runs `f` in a nested scope: locals and narrowings made inside are dropped after.
    fn scoped<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let (l, n) = (self.locals.len(), self.narrowed.len());
        let out = f(self);
        self.locals.truncate(l);
        self.narrowed.truncate(n);
        out
    }

    fn narrow(&mut self, cond: &ast::Expr, truth: bool) {
        self.narrowed.extend(narrow::facts(cond, truth));
    }

    fn is_narrowed(&self, e: &ast::Expr) -> bool {
        narrow::key(e).is_some_and(|k| self.narrowed.contains(&k))
    }

    // ---- statements

    pub fn stmts(&mut self, stmts: &[ast::Stmt]) -> Vec<hir::Stmt> {
        self.scoped(|b| stmts.iter().filter_map(|s| b.stmt(s)).collect())
    }

    fn stmt(&mut self, s: &ast::Stmt) -> Option<hir::Stmt> {
        Some(match &s.kind {
            StmtKind::Let(name, value) => {
                let v = self.expr(value, None);
                let l = self.bind(&name.text, v.ty.clone());
                hir::Stmt::Let(l, v)
            }
            StmtKind::For(bindings, body) => {
                let (bs, body) = self.scoped(|b| {
                    let bs: Vec<(Local, hir::Expr)> = bindings
                        .iter()
                        .map(|(name, coll)| {
                            let c = b.expr(coll, None);
                            let elem = b.element_type(&c);
                            (b.bind(&name.text, elem), c)
                        })
                        .collect();
                    (bs, b.stmts(body))
                });
                hir::Stmt::For(bs, body)
            }
            StmtKind::If(cond, then, els) => {
                let c = self.cond(cond);
                let t = self.scoped(|b| {
                    b.narrow(cond, true);
                    b.stmts(then)
                });
                let e = self.scoped(|b| {
                    b.narrow(cond, false);
                    els.as_ref().map(|e| b.stmts(e)).unwrap_or_default()
                });
                hir::Stmt::If(c, t, e)
            }
            StmtKind::Finding(f) => {
                let message = self.expr(&f.message, Some(&Ty::Str));
                self.require(&message, &Ty::Str, "a finding's message must be a string");
                let at = f.at.as_ref().map(|p| self.path(p));
                let fixes = f
                    .fixes
                    .iter()
                    .map(|fix| match fix {
                        ast::Fix::Set(p, v) => {
                            let path = self.path(p);
                            hir::Fix::Set(path, self.expr(v, None))
                        }
                        ast::Fix::Remove(p) => hir::Fix::Remove(self.path(p)),
                    })
                    .collect();
                hir::Stmt::Finding { kind: f.kind, message, at, fixes, span: s.span }
            }
            StmtKind::Expect(ast::Expect::True(e)) => hir::Stmt::ExpectTrue(self.cond(e), s.span),
            StmtKind::Expect(ast::Expect::Finding { present, call, at }) => {
                self.expect_finding(*present, call, at, s.span)?
            }
            StmtKind::Error => return None,
        })
    }

    fn expect_finding(
        &mut self,
        present: bool,
        call: &ast::Expr,
        at: &Option<ast::Expr>,
        span: Span,
    ) -> Option<hir::Stmt> {
        let E::Call(name, args) = &call.kind else {
            self.error(Error::NotARule { span: call.span, name: "this expression".into() });
            return None;
        };
        let Some(Decl::Rule(rule)) = self.cx.lookup_path(&self.scope, &[name.text.as_str()]) else {
            self.error(Error::NotARule { span: name.span, name: name.text.clone() });
            return None;
        };
        let [doc] = args.as_slice() else {
            self.error(Error::Arity {
                span: call.span,
                name: name.text.clone(),
                expected: 1,
                found: args.len(),
            });
            return None;
        };
        let doc = self.expr(doc, None);
        let at = at.as_ref().map(|a| {
            let e = self.expr(a, Some(&Ty::Str));
            self.require(&e, &Ty::Str, "`at` in `expect` takes a JSON Pointer string");
            e
        });
        Some(hir::Stmt::ExpectFinding { present, rule, doc, at, span })
    }

    /// A condition: a definite `bool`.
    fn cond(&mut self, e: &ast::Expr) -> hir::Expr {
        let c = self.expr(e, Some(&Ty::Bool));
        let types = &self.cx.program.types;
        if c.ty.is_optional() && types.assignable(&c.ty.definite(), &Ty::Bool) {
            let found = self.show(&c.ty);
            let what = narrow::text(e).unwrap_or_default();
            self.error(Error::OptionalCondition { span: c.span, what, found });
        } else {
            self.require(&c, &Ty::Bool, "a condition must be a `bool`");
        }
        c
    }

    fn element_type(&mut self, coll: &hir::Expr) -> Ty {
        let resolved = self.cx.program.types.resolve(&coll.ty);
        match resolved {
            Ty::List(t) => *t,
            Ty::Map(k, _) => *k,
            Ty::Any | Ty::Never => resolved,
            Ty::Opt(_) | Ty::Null => {
                let ty = self.show(&coll.ty);
                let what = self.text(coll);
                self.error(Error::MaybeAbsent { span: coll.span, what, ty });
                Ty::Never
            }
            _ => {
                let ty = self.show(&coll.ty);
                self.error(Error::NotIterable { span: coll.span, ty });
                Ty::Never
            }
        }
    }

    /// A location path for `at` or `fix`.
    fn path(&mut self, e: &ast::Expr) -> hir::PathExpr {
        let mut segs_rev = Vec::new();
        let mut cur = e;
        loop {
            match &cur.kind {
                E::Field(base, name, _) => {
                    segs_rev.push(Err(name.clone()));
                    cur = base;
                }
                E::Index(base, index, _) => {
                    segs_rev.push(Ok(index.as_ref()));
                    cur = base;
                }
                _ => break,
            }
        }
        let root = self.expr(cur, None);
        let mut ty = root.ty.clone();
        let mut segs = Vec::new();
        for seg in segs_rev.into_iter().rev() {
            match seg {
                Err(name) => {
                    ty = self.field_type(&ty.definite(), &name, false).unwrap_or(Ty::Never);
                    segs.push(hir::Seg::Field(name.text.as_str().into()));
                }
                Ok(index) => {
                    let i = self.expr(index, None);
                    ty = match self.cx.program.types.resolve(&ty.definite()) {
                        Ty::List(t) | Ty::Map(_, t) => *t,
                        _ => Ty::Any,
                    };
                    segs.push(hir::Seg::Index(i));
                }
            }
        }
        if !matches!(root.kind, H::Local(_) | H::Call(..) | H::Builtin(..) | H::Let(..) | H::Error)
            && segs.is_empty()
        {
            self.error(Error::NotAPath { span: e.span });
        }
        hir::PathExpr { root: Box::new(root), segs, span: e.span }
    }

    // ---- expressions

    pub fn expr(&mut self, e: &ast::Expr, expected: Option<&Ty>) -> hir::Expr {
        let span = e.span;
        match &e.kind {
            E::Int(i) => mk(H::Const(Const::Int(*i)), Ty::Int, span),
            E::Float(f) => mk(H::Const(Const::Float(*f)), Ty::Float, span),
            E::Bool(b) => mk(H::Const(Const::Bool(*b)), Ty::Bool, span),
            E::Null => mk(H::Const(Const::Null), Ty::Null, span),
            E::Str(segs) => self.string(segs, span),
            E::DocLit(kind, text) => mk(H::DocLit(*kind, text.as_str().into()), Ty::Any, span),
            E::List(items) => self.list(items, expected, span),
            E::Map(entries) => self.map(entries, expected, span),
            E::Name(n) => self.name(e, n),
            E::Field(base, name, optional) => self.field(e, base, name, *optional),
            E::Index(base, index, optional) => self.index(base, index, *optional, span),
            E::Call(name, args) => self.call(name, args, span),
            E::Method(recv, name, args, optional) => self.method(recv, name, args, *optional, span),
            E::Unary(op, operand) => self.unary(*op, operand, span),
            E::Binary(op, l, r) => self.binary(*op, l, r, span),
            E::Lambda(params, body) => self.lambda(params, body, expected, span),
            E::Match(scrutinee, arms) => self.match_expr(scrutinee, arms, span),
            E::If(c, a, b) => {
                let cond = self.cond(c);
                let then = self.scoped(|b2| {
                    b2.narrow(c, true);
                    b2.expr(a, expected)
                });
                let els = self.scoped(|b2| {
                    b2.narrow(c, false);
                    b2.expr(b, expected)
                });
                let ty = self.cx.program.types.join(&then.ty, &els.ty);
                mk(H::If(Box::new(cond), Box::new(then), Box::new(els)), ty, span)
            }
            E::Block(lets, value) => self.scoped(|b| {
                let bound: Vec<(Local, hir::Expr)> = lets
                    .iter()
                    .map(|(n, v)| {
                        let v = b.expr(v, None);
                        (b.bind(&n.text, v.ty.clone()), v)
                    })
                    .collect();
                let mut out = b.expr(value, expected);
                for (l, v) in bound.into_iter().rev() {
                    let ty = out.ty.clone();
                    out = mk(H::Let(l, Box::new(v), Box::new(out)), ty, span);
                }
                out
            }),
            E::Error => err(span),
        }
    }

    fn string(&mut self, segs: &[ast::StrSeg], span: Span) -> hir::Expr {
        if let [ast::StrSeg::Text(t)] = segs {
            return mk(
                H::Const(Const::Str(t.as_str().into())),
                Ty::StrLit(t.as_str().into()),
                span,
            );
        }
        let parts = segs
            .iter()
            .map(|s| match s {
                ast::StrSeg::Text(t) => mk(H::Const(Const::Str(t.as_str().into())), Ty::Str, span),
                ast::StrSeg::Expr(e) => self.expr(e, None),
            })
            .collect();
        mk(H::Interp(parts), Ty::Str, span)
    }

    fn list(&mut self, items: &[ast::Expr], expected: Option<&Ty>, span: Span) -> hir::Expr {
        let elem_expected = expected.and_then(|t| match self.cx.program.types.resolve(t) {
            Ty::List(e) => Some(*e),
            _ => None,
        });
        let mut elem = Ty::Never;
        let items: Vec<hir::Expr> = items
            .iter()
            .map(|i| {
                let x = self.expr(i, elem_expected.as_ref());
                elem = if elem == Ty::Never {
                    widen(&x.ty)
                } else {
                    self.cx.program.types.join(&elem, &widen(&x.ty))
                };
                x
            })
            .collect();
        mk(H::List(items), Ty::List(Box::new(elem)), span)
    }

    fn map(
        &mut self,
        entries: &[(ast::Expr, ast::Expr)],
        _expected: Option<&Ty>,
        span: Span,
    ) -> hir::Expr {
        let mut vt = Ty::Never;
        let entries: Vec<(hir::Expr, hir::Expr)> = entries
            .iter()
            .map(|(k, v)| {
                let k = self.expr(k, Some(&Ty::Str));
                self.require(&k, &Ty::Str, "map keys are strings");
                let v = self.expr(v, None);
                vt = if vt == Ty::Never {
                    widen(&v.ty)
                } else {
                    self.cx.program.types.join(&vt, &widen(&v.ty))
                };
                (k, v)
            })
            .collect();
        mk(H::Map(entries), Ty::Map(Box::new(Ty::Str), Box::new(vt)), span)
    }

    fn lookup_local(&self, name: &str) -> Option<(Local, Ty)> {
        self.locals.iter().rev().find(|(n, _, _)| n == name).map(|(_, l, t)| (*l, t.clone()))
    }

    fn name(&mut self, e: &ast::Expr, n: &ast::Name) -> hir::Expr {
        let span = n.span;
        if let Some((l, ty)) = self.lookup_local(&n.text) {
            let ty = if self.is_narrowed(e) { ty.definite() } else { ty };
            return mk(H::Local(l), ty, span);
        }
        match self.cx.lookup_path(&self.scope, &[n.text.as_str()]) {
            Some(d) => self.decl_value(d, &n.text, e, span),
            None => {
                let mut cands: Vec<String> =
                    self.locals.iter().map(|(n, _, _)| n.clone()).collect();
                cands.extend(self.cx.visible_names(&self.scope));
                let suggestion = suggest(&n.text, cands.iter().map(String::as_str));
                self.error(Error::UnknownName { span, name: n.text.clone(), suggestion });
                err(span)
            }
        }
    }

    fn decl_value(&mut self, d: Decl, name: &str, e: &ast::Expr, span: Span) -> hir::Expr {
        match d {
            Decl::Param(p) => {
                let ty = self.cx.program.params.get(p as usize).map_or(Ty::Never, |p| p.ty.clone());
                let ty = if self.is_narrowed(e) { ty.definite() } else { ty };
                mk(H::Param(p), ty, span)
            }
            Decl::Type(t) => match self.cx.program.types.kinds_of(&Ty::Named(t)) {
                Some(kinds) => mk(H::TypeRef(kinds), Ty::Type(Box::new(Ty::Named(t))), span),
                None => {
                    let what = "type".into();
                    self.error(Error::TypeAsValue { span, name: name.to_string(), what });
                    err(span)
                }
            },
            Decl::Fn(_) | Decl::Rule(_) => {
                let what = if matches!(d, Decl::Fn(_)) { "function" } else { "rule" }.into();
                self.error(Error::TypeAsValue { span, name: name.to_string(), what });
                err(span)
            }
        }
    }

    /// Reports `module.name` where the module has no declaration `name`.
    fn unknown_in_module(&mut self, module: String, name: &ast::Name) {
        let suggestion = self
            .cx
            .modules
            .get(&module)
            .and_then(|m| suggest(&name.text, m.decls.keys().map(String::as_str)));
        self.error(Error::UnknownImport {
            span: name.span,
            module,
            name: name.text.clone(),
            suggestion,
        });
    }

    /// A module alias or module name used as the base of a qualified name.
    fn module_of(&self, base: &ast::Expr) -> Option<String> {
        let key = narrow::key(base)?;
        if self.lookup_local(key.split('.').next().unwrap_or_default()).is_some() {
            return None;
        }
        if let Some(m) = self.scope.aliases.get(&key) {
            return Some(m.clone());
        }
        self.cx.modules.contains_key(&key).then_some(key)
    }

    fn field(
        &mut self,
        e: &ast::Expr,
        base: &ast::Expr,
        name: &ast::Name,
        optional: bool,
    ) -> hir::Expr {
        let span = e.span;
        if let Some(module) = self.module_of(base) {
            return match self.cx.lookup_in(&module, &name.text) {
                Some((d, _)) => self.decl_value(d, &name.text, e, span),
                None => {
                    self.unknown_in_module(module, name);
                    err(span)
                }
            };
        }
        let b = self.expr(base, None);
        if b.ty == Ty::Never {
            return mk(H::Field(Box::new(b), name.text.as_str().into()), Ty::Never, span);
        }
        let base_optional = b.ty.is_optional();
        if optional && !base_optional {
            self.needless_optional(base, &b.ty, name.span);
        }
        if base_optional && !optional {
            let what = narrow::text(base).unwrap_or_default();
            let ty = self.show(&b.ty);
            self.error(Error::MaybeAbsent { span: base.span, what, ty });
        }
        let Some(fty) = self.field_type(&b.ty.definite(), name, true) else { return err(span) };
        let mut ty = if base_optional { fty.optional() } else { fty };
        if self.is_narrowed(e) {
            ty = ty.definite();
        }
        mk(H::Field(Box::new(b), name.text.as_str().into()), ty, span)
    }

    /// Reports `?.` on a value that is never absent, unless a condition narrowed it (then the
    /// `?.` was needed before the narrowing and is harmless).
    fn needless_optional(&mut self, base: &ast::Expr, ty: &Ty, span: Span) {
        if self.is_narrowed(base)
            || matches!(self.cx.program.types.resolve(ty), Ty::Any | Ty::Never)
        {
            return;
        }
        let ty = self.show(ty);
        self.error(Error::NeedlessOptional { span, ty });
    }

    /// The type of field `name` of a value of type `ty`; reports unknown fields.
    fn field_type(&mut self, ty: &Ty, name: &ast::Name, report: bool) -> Option<Ty> {
        let types = &self.cx.program.types;
        let resolved = types.resolve(ty);
        let result = match &resolved {
            Ty::Any => Ok(Ty::Any),
            Ty::Never => Ok(Ty::Never),
            Ty::Map(_, v) => Ok((**v).clone().optional()),
            Ty::Named(id) => match types.get(*id) {
                Some(def) => match &def.body {
                    TypeBody::Record(fields) => match def.field(&name.text) {
                        Some(f) => {
                            Ok(if f.optional { f.ty.clone().optional() } else { f.ty.clone() })
                        }
                        None => {
                            Err(Some(fields.iter().map(|f| f.name.to_string()).collect::<Vec<_>>()))
                        }
                    },
                    _ => Err(None),
                },
                None => Err(None),
            },
            Ty::Union(alts) => {
                let mut acc: Option<Ty> = None;
                for a in alts.clone() {
                    let t = self.field_type(&a, name, report)?;
                    acc = Some(match acc {
                        None => t,
                        Some(prev) => self.cx.program.types.join(&prev, &t),
                    });
                }
                return acc;
            }
            _ => Err(None),
        };
        match result {
            Ok(t) => Some(t),
            Err(_) if !report => None,
            Err(Some(fields)) => {
                let suggestion = suggest(&name.text, fields.iter().map(String::as_str));
                let ty = self.show(ty);
                self.error(Error::UnknownField {
                    span: name.span,
                    field: name.text.clone(),
                    ty,
                    suggestion,
                    fields,
                });
                None
            }
            Err(None) => {
                let ty = self.show(ty);
                self.error(Error::NotARecord { span: name.span, ty });
                None
            }
        }
    }

    fn index(
        &mut self,
        base: &ast::Expr,
        index: &ast::Expr,
        optional: bool,
        span: Span,
    ) -> hir::Expr {
        let b = self.expr(base, None);
        let i = self.expr(index, None);
        let base_optional = b.ty.is_optional();
        if base_optional && !optional {
            let ty = self.show(&b.ty);
            self.error(Error::MaybeAbsent {
                span: base.span,
                what: narrow::text(base).unwrap_or_default(),
                ty,
            });
        }
        let ty = match self.cx.program.types.resolve(&b.ty.definite()) {
            Ty::List(t) => {
                self.require(&i, &Ty::Int, "a list index is an `int`");
                t.optional()
            }
            Ty::Map(k, v) => {
                self.require(&i, &k, "a map index is a key");
                v.optional()
            }
            Ty::Any => Ty::Any,
            Ty::Never => Ty::Never,
            other @ Ty::Named(_) => match &i.kind {
                H::Const(Const::Str(s)) => {
                    let name = ast::Name { text: s.to_string(), span: index.span };
                    self.field_type(&other, &name, true).unwrap_or(Ty::Never)
                }
                _ => {
                    let ty = self.show(&b.ty);
                    self.error(Error::NotIndexable { span: base.span, ty });
                    Ty::Never
                }
            },
            _ => {
                let ty = self.show(&b.ty);
                self.error(Error::NotIndexable { span: base.span, ty });
                Ty::Never
            }
        };
        let ty = if base_optional { ty.optional() } else { ty };
        mk(H::Index(Box::new(b), Box::new(i)), ty, span)
    }

    fn call(&mut self, name: &ast::Name, args: &[ast::Expr], span: Span) -> hir::Expr {
        match self.cx.lookup_path(&self.scope, &[name.text.as_str()]) {
            Some(Decl::Fn(f)) => {
                let args: Vec<hir::Expr> = args.iter().map(|a| self.expr(a, None)).collect();
                self.call_fn(f, name, args, span)
            }
            Some(Decl::Rule(_)) => {
                self.error(Error::NotAFunction { span: name.span, name: name.text.clone() });
                err(span)
            }
            _ => self.call_builtin(name, None, args, span),
        }
    }

    fn call_fn(&mut self, f: u32, name: &ast::Name, args: Vec<hir::Expr>, span: Span) -> hir::Expr {
        let (params, ret) = self.cx.fn_sigs.get(f as usize).cloned().unwrap_or_default();
        if let Some(from) = self.current_fn {
            self.cx.calls.push((from, f, name.span));
        }
        if params.len() != args.len() {
            self.error(Error::Arity {
                span,
                name: name.text.clone(),
                expected: params.len(),
                found: args.len(),
            });
            return err(span);
        }
        for (i, (a, p)) in args.iter().zip(&params).enumerate() {
            self.require(a, p, &format!("argument {} of `{}`", i + 1, name.text));
        }
        mk(H::Call(f, args), ret, span)
    }

    /// Checks a builtin call; `recv` is an already-checked method receiver.
    fn call_builtin(
        &mut self,
        name: &ast::Name,
        recv: Option<hir::Expr>,
        args: &[ast::Expr],
        span: Span,
    ) -> hir::Expr {
        let Some(cands) = self.cx.builtin_index.get(name.text.as_str()).cloned() else {
            let recv_ty = recv.as_ref().map(|r| self.show(&r.ty));
            let mut names: Vec<&str> = self.cx.builtin_index.keys().copied().collect();
            let visible = self.cx.visible_names(&self.scope);
            names.extend(visible.iter().map(String::as_str));
            let suggestion = suggest(&name.text, names);
            let _ = recv_ty;
            self.error(Error::UnknownName { span: name.span, name: name.text.clone(), suggestion });
            return err(span);
        };
        // A plain call picks its overload by its first argument, as a method call does by its
        // receiver: `len(xs)` is `xs.len()`.
        let (recv, args, as_call) = match (recv, args.split_first()) {
            (Some(r), _) => (Some(r), args, false),
            (None, Some((first, rest))) if !matches!(first.kind, E::Lambda(..)) => {
                (Some(self.expr(first, None)), rest, true)
            }
            (None, _) => (None, args, false),
        };
        let n_args = args.len() + usize::from(recv.is_some());
        // Pick the first overload whose arity and first argument fit.
        let first_ty = recv.as_ref().map(|r| r.ty.clone());
        let mut pick = None;
        for c in &cands {
            let Some(sig) = self.cx.builtins.get(*c as usize) else { continue };
            if sig.params.len() != n_args {
                continue;
            }
            let fits = match (&first_ty, sig.params.first()) {
                (Some(t), Some(p)) => self.fits_generic(t, p),
                _ => true,
            };
            if fits {
                pick = Some(*c);
                break;
            }
        }
        let Some(id) = pick.or_else(|| cands.first().copied()) else { return err(span) };
        let Some(sig) = self.cx.builtins.get(id as usize).cloned() else { return err(span) };
        if sig.params.len() != n_args {
            self.error(Error::Arity {
                span,
                name: name.text.clone(),
                expected: sig.params.len(),
                found: n_args,
            });
            return err(span);
        }
        let mut bindings: Vec<Option<Ty>> = vec![None; 4];
        let mut out = Vec::new();
        let mut params = sig.params.iter();
        if let Some(r) = recv {
            if let Some(p) = params.next() {
                self.bind_generic(p, &r.ty, &mut bindings);
                let want = subst(p, &bindings);
                if as_call {
                    self.require(&r, &want, &format!("argument 1 of `{}`", name.text));
                } else if !self.fits_generic(&r.ty, p) {
                    let (takes, found) = (self.show(&want), self.show_found(&r.ty, &want));
                    self.error(Error::NoMethod {
                        span: name.span,
                        name: name.text.clone(),
                        ty: found,
                        takes,
                    });
                }
            }
            out.push(r);
        }
        let first = out.len() + 1;
        for (i, (a, p)) in args.iter().zip(params).enumerate() {
            let want = subst(p, &bindings);
            let outer = self.callee.replace(name.text.clone());
            let x = self.expr(a, Some(&want));
            self.callee = outer;
            self.bind_generic(p, &x.ty, &mut bindings);
            let want = subst(p, &bindings);
            self.require(&x, &want, &format!("argument {} of `{}`", first + i, name.text));
            out.push(x);
        }
        let ret = subst(&sig.ret, &bindings);
        mk(H::Builtin(id, out), ret, span)
    }

    /// Whether `actual` fits the generic parameter `param` (type variables fit anything).
    fn fits_generic(&self, actual: &Ty, param: &Ty) -> bool {
        let open = subst(param, &[Some(Ty::Any), Some(Ty::Any), Some(Ty::Any), Some(Ty::Any)]);
        let types = &self.cx.program.types;
        if matches!(types.resolve(actual), Ty::Any) {
            return !matches!(param, Ty::Type(_));
        }
        types.assignable(actual, &open)
    }

    fn bind_generic(&self, param: &Ty, actual: &Ty, b: &mut Vec<Option<Ty>>) {
        let types = &self.cx.program.types;
        match (param, types.resolve(actual)) {
            (Ty::Var(i), _) => {
                if let Some(slot) = b.get_mut(*i as usize)
                    && slot.as_ref().is_none_or(|t| *t == Ty::Never)
                {
                    *slot = Some(widen(actual));
                }
            }
            (Ty::List(p), Ty::List(a)) | (Ty::Type(p), Ty::Type(a)) => self.bind_generic(p, &a, b),
            (Ty::Opt(p), Ty::Opt(a)) => self.bind_generic(p, &a, b),
            (Ty::Opt(p), a) => self.bind_generic(p, &a, b),
            (Ty::Map(pk, pv), Ty::Map(ak, av)) => {
                self.bind_generic(pk, &ak, b);
                self.bind_generic(pv, &av, b);
            }
            (Ty::Fn(_, pr), Ty::Fn(_, ar)) => self.bind_generic(pr, &ar, b),
            _ => {}
        }
    }

    fn method(
        &mut self,
        recv: &ast::Expr,
        name: &ast::Name,
        args: &[ast::Expr],
        optional: bool,
        span: Span,
    ) -> hir::Expr {
        if let Some(module) = self.module_of(recv) {
            return match self.cx.lookup_in(&module, &name.text) {
                Some((Decl::Fn(f), _)) => {
                    let args: Vec<hir::Expr> = args.iter().map(|a| self.expr(a, None)).collect();
                    self.call_fn(f, name, args, span)
                }
                _ => {
                    self.unknown_in_module(module, name);
                    err(span)
                }
            };
        }
        let r = self.expr(recv, None);
        let user_fn = match self.cx.lookup_path(&self.scope, &[name.text.as_str()]) {
            Some(Decl::Fn(f)) => Some(f),
            // Method syntax also finds functions in the module that declares the receiver's type.
            _ => match self.type_module(&r.ty).and_then(|m| self.cx.lookup_in(&m, &name.text)) {
                Some((Decl::Fn(f), _)) => Some(f),
                _ => None,
            },
        };
        // `x?.f()` on an optional `x`: call `f` on the present value, absent otherwise.
        let takes_optional = |b: &Self, t: &Ty| match user_fn {
            Some(f) => {
                b.cx.fn_sigs
                    .get(f as usize)
                    .and_then(|s| s.0.first())
                    .is_some_and(|p| b.cx.program.types.assignable(t, p))
            }
            None => b.cx.builtin_index.get(name.text.as_str()).is_some_and(|c| {
                c.iter().any(|i| {
                    b.cx.builtins.get(*i as usize).and_then(|s| s.params.first()).is_some_and(|p| {
                        b.fits_generic(t, p) && p.is_optional() || matches!(p, Ty::Var(_) | Ty::Any)
                    })
                })
            }),
        };
        if optional && !r.ty.is_optional() {
            self.needless_optional(recv, &r.ty, name.span);
        }
        if r.ty.is_optional() && !takes_optional(self, &r.ty) {
            if !optional {
                let what = narrow::text(recv).unwrap_or_default();
                let ty = self.show(&r.ty);
                self.error(Error::MaybeAbsent { span: recv.span, what, ty });
            }
            let slot = self.bind("?.", r.ty.definite());
            let inner_recv = mk(H::Local(slot), r.ty.definite(), r.span);
            let call = self.apply_method(user_fn, name, inner_recv, args, span);
            let ty = call.ty.clone().optional();
            return mk(H::OptChain(slot, Box::new(r), Box::new(call)), ty, span);
        }
        self.apply_method(user_fn, name, r, args, span)
    }

    fn apply_method(
        &mut self,
        user_fn: Option<u32>,
        name: &ast::Name,
        recv: hir::Expr,
        args: &[ast::Expr],
        span: Span,
    ) -> hir::Expr {
        match user_fn {
            Some(f) => {
                let mut all = vec![recv];
                all.extend(args.iter().map(|a| self.expr(a, None)));
                self.call_fn(f, name, all, span)
            }
            None => self.call_builtin(name, Some(recv), args, span),
        }
    }

    /// The module that declares a value's (named) type.
    fn type_module(&self, ty: &Ty) -> Option<String> {
        match ty.definite() {
            Ty::Named(id) => self.cx.program.types.get(id).map(|d| d.module.clone()),
            _ => None,
        }
    }

    fn unary(&mut self, op: UnOp, operand: &ast::Expr, span: Span) -> hir::Expr {
        match op {
            UnOp::Not => {
                let x = self.cond(operand);
                mk(H::Unary(op, Box::new(x)), Ty::Bool, span)
            }
            UnOp::Neg => {
                let x = self.expr(operand, None);
                let ty = match self.cx.program.types.resolve(&x.ty) {
                    t @ (Ty::Int | Ty::Float | Ty::Any | Ty::Never) => t,
                    _ => {
                        let left = self.show(&widen_deep(&x.ty));
                        let right = String::new();
                        self.error(Error::BadOperands { span, op: "-".into(), left, right });
                        Ty::Never
                    }
                };
                mk(H::Unary(op, Box::new(x)), ty, span)
            }
        }
    }

    fn binary(&mut self, op: BinOp, l: &ast::Expr, r: &ast::Expr, span: Span) -> hir::Expr {
        match op {
            BinOp::And | BinOp::Or => {
                let a = self.cond(l);
                let b = self.scoped(|b| {
                    b.narrow(l, op == BinOp::And);
                    b.cond(r)
                });
                mk(H::Binary(op, Box::new(a), Box::new(b)), Ty::Bool, span)
            }
            BinOp::Default => {
                let a = self.expr(l, None);
                let want = a.ty.definite();
                let b = self.expr(r, Some(&want));
                let ty = if matches!(a.ty, Ty::Any) {
                    Ty::Any
                } else {
                    self.cx.program.types.join(&want, &b.ty)
                };
                let ty = if ty == Ty::Never { b.ty.clone() } else { ty };
                mk(H::Binary(op, Box::new(a), Box::new(b)), ty, span)
            }
            _ => {
                let a = self.expr(l, None);
                let b = self.expr(r, None);
                let ty = self.operator_type(op, &a, &b, span);
                mk(H::Binary(op, Box::new(a), Box::new(b)), ty, span)
            }
        }
    }

    fn operator_type(&mut self, op: BinOp, a: &hir::Expr, b: &hir::Expr, span: Span) -> Ty {
        let types = &self.cx.program.types;
        let (ta, tb) = (string_like(types, &a.ty), string_like(types, &b.ty));
        let bad = |s: &mut Self| {
            let (left, right) = (s.show(&widen_deep(&a.ty)), s.show(&widen_deep(&b.ty)));
            s.error(Error::BadOperands { span, op: op.as_str().into(), left, right });
            Ty::Never
        };
        if matches!(ta, Ty::Never) || matches!(tb, Ty::Never) {
            return if op.is_comparison() { Ty::Bool } else { Ty::Never };
        }
        match op {
            BinOp::Eq | BinOp::Ne => {
                let comparable = types.assignable(&ta, &tb)
                    || types.assignable(&tb, &ta)
                    || types.assignable(&ta.definite(), &tb.definite())
                    || types.assignable(&tb.definite(), &ta.definite())
                    || (types.assignable(&ta.definite(), &Ty::Str)
                        && types.assignable(&tb.definite(), &Ty::Str));
                if !comparable {
                    return bad(self);
                }
                self.check_literal(a, b, op == BinOp::Eq);
                self.check_literal(b, a, op == BinOp::Eq);
                Ty::Bool
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                for x in [a, b] {
                    if x.ty.is_optional() {
                        let ty = self.show(&x.ty);
                        let what = self.text(x);
                        self.error(Error::MaybeAbsent { span: x.span, what, ty });
                        return Ty::Bool;
                    }
                }
                match (ta, tb) {
                    (Ty::Int | Ty::Float | Ty::Any, Ty::Int | Ty::Float | Ty::Any) => Ty::Bool,
                    (Ty::Str | Ty::StrLit(_) | Ty::Any, Ty::Str | Ty::StrLit(_) | Ty::Any) => {
                        Ty::Bool
                    }
                    _ => bad(self),
                }
            }
            BinOp::In | BinOp::NotIn => match tb {
                Ty::List(elem)
                    if types.assignable(&ta, &elem)
                        || types.assignable(&elem, &ta)
                        || matches!(
                            (&ta, &*elem),
                            (Ty::Str | Ty::StrLit(_), Ty::Str | Ty::StrLit(_))
                        ) =>
                {
                    Ty::Bool
                }
                Ty::Map(k, _) if types.assignable(&ta, &k) => Ty::Bool,
                Ty::Str | Ty::StrLit(_) if types.assignable(&ta, &Ty::Str) => Ty::Bool,
                Ty::Any => Ty::Bool,
                Ty::Opt(_) | Ty::Null => {
                    let ty = self.show(&b.ty);
                    let what = self.text(b);
                    self.error(Error::MaybeAbsent { span: b.span, what, ty });
                    Ty::Bool
                }
                _ => bad(self),
            },
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
                if [a, b].iter().any(|x| x.ty.is_optional()) =>
            {
                // `x + 1` where `x: int?`: say that absence needs handling, not that `+` is wrong.
                for x in [a, b].into_iter().filter(|x| x.ty.is_optional()) {
                    let ty = self.show(&x.ty);
                    self.error(Error::MaybeAbsent {
                        span: x.span,
                        what: "this operand".into(),
                        ty,
                    });
                }
                Ty::Never
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => match (ta, tb) {
                (Ty::Int, Ty::Int) => Ty::Int,
                (Ty::Int | Ty::Float, Ty::Int | Ty::Float) => Ty::Float,
                (Ty::Any, Ty::Int | Ty::Float | Ty::Any) | (Ty::Int | Ty::Float, Ty::Any)
                    if op != BinOp::Add =>
                {
                    Ty::Float
                }
                (Ty::Str | Ty::StrLit(_), Ty::Str | Ty::StrLit(_)) if op == BinOp::Add => Ty::Str,
                (Ty::List(x), Ty::List(y)) if op == BinOp::Add => {
                    Ty::List(Box::new(types.join(&x, &y)))
                }
                (Ty::Any, _) | (_, Ty::Any) if op == BinOp::Add => Ty::Any,
                _ => bad(self),
            },
            BinOp::And | BinOp::Or | BinOp::Default => Ty::Bool,
        }
    }

    /// `x == "Alwayz"` where `x` is a literal union that lacks `"Alwayz"`.
    fn check_literal(&mut self, var: &hir::Expr, lit: &hir::Expr, eq: bool) {
        let H::Const(Const::Str(value)) = &lit.kind else { return };
        let allowed: Vec<Arc<str>> = match self.cx.program.types.resolve(&var.ty.definite()) {
            Ty::StrLit(s) if !matches!(var.kind, H::Const(_)) => vec![s],
            Ty::Union(alts) => {
                let lits: Option<Vec<Arc<str>>> = alts
                    .iter()
                    .map(|a| match self.cx.program.types.resolve(a) {
                        Ty::StrLit(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                match lits {
                    Some(l) => l,
                    None => return,
                }
            }
            _ => return,
        };
        if allowed.iter().any(|a| a == value) {
            return;
        }
        let suggestion = suggest(value, allowed.iter().map(|a| &**a));
        let list = allowed.iter().map(|a| format!("`{a:?}`")).collect::<Vec<_>>().join(", ");
        self.error(Error::ImpossibleLiteral {
            span: lit.span,
            value: value.to_string(),
            allowed: list,
            always: !eq,
            suggestion,
        });
    }

    fn lambda(
        &mut self,
        params: &[ast::Name],
        body: &ast::Expr,
        expected: Option<&Ty>,
        span: Span,
    ) -> hir::Expr {
        let Some(Ty::Fn(ptys, ret)) = expected.map(|t| self.cx.program.types.resolve(t)) else {
            self.error(Error::MisplacedLambda { span });
            return err(span);
        };
        if ptys.len() != params.len() {
            self.error(Error::LambdaArity {
                span,
                callee: self.callee.clone().unwrap_or_default(),
                expected: ptys.len(),
                found: params.len(),
            });
            return err(span);
        }
        self.scoped(|b| {
            let slots: Vec<Local> =
                params.iter().zip(ptys.iter()).map(|(p, t)| b.bind(&p.text, t.clone())).collect();
            let want = if matches!(*ret, Ty::Var(_)) { None } else { Some(&*ret) };
            let body = b.expr(body, want);
            let ty = Ty::Fn(ptys.clone(), Box::new(body.ty.clone()));
            mk(H::Lambda(slots, Box::new(body)), ty, span)
        })
    }

    fn match_expr(&mut self, scrutinee: &ast::Expr, arms: &[ast::Arm], span: Span) -> hir::Expr {
        let s = self.expr(scrutinee, None);
        let all_kinds = self.cx.program.types.kinds_of(&s.ty.definite());
        let mut covered: Vec<crate::types::TypeId> = Vec::new();
        let mut wildcard = false;
        let mut literals: Vec<Const> = Vec::new();
        let mut out_ty: Option<Ty> = None;
        let mut out = Vec::new();
        for arm in arms {
            if wildcard {
                self.error(Error::UnreachableArm { span: arm.span });
            }
            let (pat, narrowed_ty, bind_name) = match &arm.pattern {
                ast::Pattern::Wildcard(_) => {
                    wildcard = true;
                    (hir::Pat::Wild, None, None)
                }
                ast::Pattern::Literal(e) => {
                    let l = self.expr(e, None);
                    // `-1 =>`: a negated number is a literal too.
                    let c = match l.kind {
                        H::Const(c) => Some(c),
                        H::Unary(UnOp::Neg, x) => match x.kind {
                            H::Const(Const::Int(i)) => i.checked_neg().map(Const::Int),
                            H::Const(Const::Float(f)) => Some(Const::Float(-f)),
                            _ => None,
                        },
                        _ => None,
                    };
                    match c {
                        Some(c) => {
                            if literals.contains(&c) {
                                self.error(Error::UnreachableArm { span: arm.span });
                            }
                            literals.push(c.clone());
                            (hir::Pat::Const(c), None, None)
                        }
                        None => {
                            self.error(Error::Expected {
                                span: e.span,
                                expected: "a literal pattern".into(),
                                found: "an expression".into(),
                            });
                            (hir::Pat::Wild, None, None)
                        }
                    }
                }
                ast::Pattern::Type(path) | ast::Pattern::Bind(_, path) => {
                    let texpr = ast::TypeExpr {
                        kind: ast::TypeExprKind::Named(path.clone()),
                        span: path.span,
                    };
                    let scope = self.scope.clone();
                    let ty = self.cx.resolve_ty(&scope, &texpr);
                    let kinds = self.cx.program.types.kinds_of(&ty).unwrap_or_default();
                    if kinds.is_empty() && ty != Ty::Never {
                        self.error(Error::PatternNotAKind { span: path.span, name: path.dotted() });
                    }
                    if kinds.iter().all(|k| covered.contains(k)) && !kinds.is_empty() {
                        self.error(Error::UnreachableArm { span: arm.span });
                    }
                    covered.extend(kinds.iter().copied());
                    let bind = match &arm.pattern {
                        ast::Pattern::Bind(n, _) => Some(n.text.clone()),
                        _ => None,
                    };
                    (hir::Pat::Kinds(kinds), Some(ty), bind)
                }
            };
            let (bind, body) = self.scoped(|b| {
                let mut bind = None;
                if let Some(t) = &narrowed_ty {
                    let slot = b.bind(bind_name.as_deref().unwrap_or("match"), t.clone());
                    bind = Some(slot);
                    if let (None, Some(key)) = (&bind_name, narrow::key(scrutinee)) {
                        // Narrow the scrutinee's own name to the arm's kind.
                        b.locals.push((key, slot, t.clone()));
                    }
                }
                (bind, b.expr(&arm.body, None))
            });
            out_ty = Some(match out_ty {
                None => body.ty.clone(),
                Some(prev) => self.cx.program.types.join(&prev, &body.ty),
            });
            out.push(hir::Arm { pat, bind, body });
        }
        if !wildcard {
            if let Some(kinds) = &all_kinds {
                let missing: Vec<String> = kinds
                    .iter()
                    .filter(|k| !covered.contains(k))
                    .filter_map(|k| self.cx.program.types.get(*k).map(|d| format!("`{}`", d.name)))
                    .collect();
                if !missing.is_empty() {
                    self.error(Error::NonExhaustive {
                        span: scrutinee.span,
                        missing: missing.join(", "),
                    });
                }
            } else if let Some(values) = self.finite_values(&s.ty) {
                let missing: Vec<String> = values
                    .iter()
                    .filter(|v| !literals.contains(v))
                    .map(|v| match v {
                        Const::Str(x) => format!("`{x:?}`"),
                        Const::Bool(b) => format!("`{b}`"),
                        _ => "`null`".into(),
                    })
                    .collect();
                if !missing.is_empty() {
                    self.error(Error::NonExhaustive {
                        span: scrutinee.span,
                        missing: missing.join(", "),
                    });
                }
            } else {
                let ty = self.show(&widen_deep(&s.ty));
                self.error(Error::NonExhaustive {
                    span: scrutinee.span,
                    missing: format!("every `{ty}`"),
                });
            }
        }
        mk(H::Match(Box::new(s), out), out_ty.unwrap_or(Ty::Never), span)
    }
}

impl Body<'_, '_> {
    /// The values of a type that has finitely many: literal unions, `bool`, and their optionals
    /// (with `null`).
    fn finite_values(&self, ty: &Ty) -> Option<Vec<Const>> {
        let types = &self.cx.program.types;
        let mut out = Vec::new();
        let mut todo = vec![types.resolve(ty)];
        while let Some(t) = todo.pop() {
            match t {
                Ty::StrLit(s) => out.push(Const::Str(s)),
                Ty::Bool => out.extend([Const::Bool(true), Const::Bool(false)]),
                Ty::Null => out.push(Const::Null),
                Ty::Opt(x) => {
                    out.push(Const::Null);
                    todo.push(types.resolve(&x));
                }
                Ty::Union(xs) => todo.extend(xs.iter().rev().map(|x| types.resolve(x))),
                _ => return None,
            }
        }
        let mut seen = Vec::new();
        out.retain(|c| {
            let new = !seen.contains(c);
            seen.push(c.clone());
            new
        });
        Some(out)
    }
}

/// `ty` resolved, with a union of string literals (such as `"Always" | "Never"`, optional or
/// not) seen as `string`, which is what operators care about.
fn string_like(types: &crate::types::TypeTable, ty: &Ty) -> Ty {
    match types.resolve(ty) {
        Ty::Opt(inner) => string_like(types, &inner).optional(),
        Ty::Union(alts)
            if alts.iter().all(|a| matches!(types.resolve(a), Ty::StrLit(_) | Ty::Str)) =>
        {
            Ty::Str
        }
        t => t,
    }
}

/// Literal types widen to their base type when inferred for a variable or collection.
fn widen(t: &Ty) -> Ty {
    match t {
        Ty::StrLit(_) => Ty::Str,
        t => t.clone(),
    }
}

/// [`widen`] all the way down: `list<"a">` reads as `list<string>`.
fn widen_deep(t: &Ty) -> Ty {
    match t {
        Ty::StrLit(_) => Ty::Str,
        Ty::List(x) => Ty::List(Box::new(widen_deep(x))),
        Ty::Map(k, v) => Ty::Map(Box::new(widen_deep(k)), Box::new(widen_deep(v))),
        Ty::Opt(x) => widen_deep(x).optional(),
        t => t.clone(),
    }
}

/// Substitutes bound type variables; unbound ones become `any`.
fn subst(t: &Ty, b: &[Option<Ty>]) -> Ty {
    match t {
        Ty::Var(i) => b.get(*i as usize).cloned().flatten().unwrap_or(Ty::Any),
        Ty::List(x) => Ty::List(Box::new(subst(x, b))),
        Ty::Map(k, v) => Ty::Map(Box::new(subst(k, b)), Box::new(subst(v, b))),
        Ty::Opt(x) => subst(x, b).optional(),
        Ty::Union(xs) => Ty::Union(xs.iter().map(|x| subst(x, b)).collect()),
        Ty::Fn(ps, r) => Ty::Fn(ps.iter().map(|p| subst(p, b)).collect(), Box::new(subst(r, b))),
        Ty::Type(x) => Ty::Type(Box::new(subst(x, b))),
        t => t.clone(),
    }
}
