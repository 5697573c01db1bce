//! Checking: names resolved, types checked, the typed IR built.
//!
//! [`check`] takes every parsed file of a program (the standard library's and the user's) and the
//! builtin signatures, and returns the [`Program`] plus every error it found. It never stops at
//! the first error: a declaration that fails to check is left out, and the rest are still checked.

mod body;
mod narrow;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::ast::{self, Item, TypeExprKind};
use crate::error::{Error, suggest};
use crate::hir::{self, Program, Severity};
use crate::span::{FileId, Span};
use crate::types::{Discriminator, FieldDef, Ty, TypeBody, TypeDef, TypeId};

/// A builtin function's signature, as the checker sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltinSig {
    /// The name it is called by.
    pub name: String,
    /// Parameter types; `Ty::Var` marks generic positions.
    pub params: Vec<Ty>,
    /// Result type.
    pub ret: Ty,
}

impl BuiltinSig {
    /// Parses a signature such as `fn(list<T>, fn(T) -> bool) -> bool`. `T`, `U`, `V` are type
    /// variables; `Kinds<T>` is a kind (or union of kinds) passed as a value.
    pub fn parse(name: &str, sig: &str) -> Result<BuiltinSig, String> {
        let (texpr, errors) = crate::parse::parse_type(FileId(u32::MAX), sig);
        if let Some(e) = errors.first() {
            return Err(format!("bad signature for `{name}`: {e}"));
        }
        match texpr.map(|t| sig_ty(&t)) {
            Some(Ok(Ty::Fn(params, ret))) => {
                Ok(BuiltinSig { name: name.to_string(), params, ret: *ret })
            }
            Some(Err(e)) => Err(format!("bad signature for `{name}`: {e}")),
            _ => Err(format!("bad signature for `{name}`: not a function type")),
        }
    }
}

fn sig_ty(t: &ast::TypeExpr) -> Result<Ty, String> {
    Ok(match &t.kind {
        TypeExprKind::Named(p) => match p.dotted().as_str() {
            "T" => Ty::Var(0),
            "U" => Ty::Var(1),
            "V" => Ty::Var(2),
            other => primitive(other).ok_or_else(|| format!("unknown type `{other}`"))?,
        },
        TypeExprKind::Generic(n, args) => {
            let args = args.iter().map(sig_ty).collect::<Result<Vec<_>, _>>()?;
            generic(&n.text, args).ok_or_else(|| format!("bad generic `{}`", n.text))?
        }
        TypeExprKind::Optional(t) => sig_ty(t)?.optional(),
        TypeExprKind::Union(ts) => Ty::Union(ts.iter().map(sig_ty).collect::<Result<_, _>>()?),
        TypeExprKind::Fn(ps, r) => {
            Ty::Fn(ps.iter().map(sig_ty).collect::<Result<_, _>>()?, Box::new(sig_ty(r)?))
        }
        TypeExprKind::StrLit(s) => Ty::StrLit(s.as_str().into()),
        TypeExprKind::Record(_) | TypeExprKind::Error => return Err("unsupported type".into()),
    })
}

fn primitive(name: &str) -> Option<Ty> {
    Some(match name {
        "bool" => Ty::Bool,
        "int" => Ty::Int,
        "float" => Ty::Float,
        "string" => Ty::Str,
        "any" => Ty::Any,
        "null" => Ty::Null,
        "Inputs" => Ty::Inputs,
        _ => return None,
    })
}

fn generic(name: &str, mut args: Vec<Ty>) -> Option<Ty> {
    match (name, args.len()) {
        ("list", 1) => Some(Ty::List(Box::new(args.pop()?))),
        ("Kinds", 1) => Some(Ty::Type(Box::new(args.pop()?))),
        ("map", 2) => {
            let v = args.pop()?;
            let k = args.pop()?;
            Some(Ty::Map(Box::new(k), Box::new(v)))
        }
        _ => None,
    }
}

/// The result of checking: the program (with the declarations that checked) and every error.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The typed program.
    pub program: Program,
    /// Every error found.
    pub errors: Vec<Error>,
}

/// Checks a whole program made of `files`, against the `builtins` signatures.
pub fn check(files: &[(FileId, &ast::File)], builtins: &[BuiltinSig]) -> Checked {
    let mut cx = Cx::new(builtins);
    cx.collect(files);
    cx.resolve_uses(files);
    cx.check_import_cycles();
    cx.resolve_types(files);
    cx.resolve_signatures(files);
    cx.check_bodies(files);
    cx.check_recursion();
    cx.errors.sort_by_key(|e| (e.span().file, e.span().start));
    Checked { program: cx.program, errors: cx.errors }
}

/// A declaration in a module's namespace.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Decl {
    Type(TypeId),
    Fn(u32),
    Rule(u32),
    Param(u32),
}

#[derive(Default)]
struct Module {
    decls: HashMap<String, (Decl, Span)>,
    uses: Vec<(String, Span)>,
}

#[derive(Default, Clone)]
struct FileScope {
    module: String,
    names: HashMap<String, Decl>,
    aliases: HashMap<String, String>,
}

struct Cx<'b> {
    builtins: &'b [BuiltinSig],
    builtin_index: HashMap<&'b str, Vec<u32>>,
    modules: BTreeMap<String, Module>,
    files: HashMap<FileId, FileScope>,
    program: Program,
    errors: Vec<Error>,
    fn_sigs: Vec<(Vec<Ty>, Ty)>,
    rule_params: Vec<Vec<Ty>>,
    calls: Vec<(u32, u32, Span)>,
}

impl<'b> Cx<'b> {
    fn new(builtins: &'b [BuiltinSig]) -> Self {
        let mut builtin_index: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, b) in builtins.iter().enumerate() {
            builtin_index.entry(b.name.as_str()).or_default().push(i as u32);
        }
        Cx {
            builtins,
            builtin_index,
            modules: BTreeMap::new(),
            files: HashMap::new(),
            program: Program::default(),
            errors: Vec::new(),
            fn_sigs: Vec::new(),
            rule_params: Vec::new(),
            calls: Vec::new(),
        }
    }

    fn module_name(file: &ast::File) -> String {
        file.module.as_ref().map_or_else(|| "main".to_string(), |p| p.dotted())
    }

    /// Pass 1: give every declaration an id in its module's namespace.
    fn collect(&mut self, files: &[(FileId, &ast::File)]) {
        for (id, file) in files {
            let module = Self::module_name(file);
            self.files.insert(*id, FileScope { module: module.clone(), ..FileScope::default() });
            for item in &file.items {
                self.declare(&module, item);
            }
        }
    }

    fn declare(&mut self, module: &str, item: &Item) {
        let (name, decl) = match item {
            Item::Type(t) => {
                let mut def = TypeDef::new(t.name.text.clone(), module.to_string(), t.name.span);
                def.docs = t.docs.clone();
                (&t.name, Decl::Type(self.program.types.add(def)))
            }
            Item::Fn(f) => {
                self.program.functions.push(hir::Function {
                    name: f.name.text.clone(),
                    module: module.to_string(),
                    params: Vec::new(),
                    locals: 0,
                    body: error_expr(f.span),
                    docs: f.docs.clone(),
                });
                self.fn_sigs.push((Vec::new(), Ty::Never));
                (&f.name, Decl::Fn(self.program.functions.len() as u32 - 1))
            }
            Item::Rule(r) => {
                self.program.rules.push(placeholder_rule(module, r));
                self.rule_params.push(Vec::new());
                (&r.name, Decl::Rule(self.program.rules.len() as u32 - 1))
            }
            Item::Param(p) => {
                self.program.params.push(hir::Param {
                    qualified: format!("{module}.{}", p.name.text),
                    ty: Ty::Never,
                    default: None,
                    docs: p.docs.clone(),
                    span: p.span,
                });
                (&p.name, Decl::Param(self.program.params.len() as u32 - 1))
            }
            Item::Test(_) => return,
        };
        let m = self.modules.entry(module.to_string()).or_default();
        if let Some((_, first)) = m.decls.get(&name.text) {
            self.errors.push(Error::Duplicate {
                span: name.span,
                name: name.text.clone(),
                first: *first,
            });
        } else {
            m.decls.insert(name.text.clone(), (decl, name.span));
        }
    }

    /// Pass 2: resolve `use` declarations into each file's scope.
    fn resolve_uses(&mut self, files: &[(FileId, &ast::File)]) {
        for (id, file) in files {
            let module = Self::module_name(file);
            self.modules.entry(module.clone()).or_default();
            let mut scope = FileScope { module: module.clone(), ..FileScope::default() };
            for u in &file.uses {
                self.resolve_use(u, &mut scope);
            }
            self.files.insert(*id, scope);
        }
    }

    fn resolve_use(&mut self, u: &ast::Use, scope: &mut FileScope) {
        let path = u.module.dotted();
        let (module, last) = if self.modules.contains_key(&path) {
            (path.clone(), None)
        } else if let Some((m, last)) =
            path.rsplit_once('.').filter(|(m, _)| self.modules.contains_key(*m))
        {
            (m.to_string(), Some(last.to_string()))
        } else {
            // `use k8z.Pod`: suggest for the whole path, else for the module part of it.
            let suggestion =
                suggest(&path, self.modules.keys().map(String::as_str)).or_else(|| {
                    let (m, last) = path.rsplit_once('.')?;
                    let m = suggest(m, self.modules.keys().map(String::as_str))?;
                    Some(format!("{m}.{last}"))
                });
            self.errors.push(Error::UnknownModule { span: u.module.span, name: path, suggestion });
            return;
        };
        if let Some(m) = self.modules.get_mut(&scope.module) {
            m.uses.push((module.clone(), u.span));
        }
        let mut wanted: Vec<(ast::Name, String)> = Vec::new();
        if let Some(last) = last {
            let seg = u
                .module
                .segments
                .last()
                .cloned()
                .unwrap_or(ast::Name { text: last.clone(), span: u.span });
            let local = u.alias.as_ref().map_or(last, |a| a.text.clone());
            wanted.push((seg, local));
        } else if let Some(names) = &u.names {
            for n in names {
                wanted.push((
                    n.name.clone(),
                    n.alias.as_ref().map_or_else(|| n.name.text.clone(), |a| a.text.clone()),
                ));
            }
        } else {
            let local = u.alias.as_ref().map_or_else(
                || u.module.segments.last().map_or(path.clone(), |s| s.text.clone()),
                |a| a.text.clone(),
            );
            scope.aliases.insert(local, module);
            return;
        }
        let Some(m) = self.modules.get(&module) else { return };
        for (name, local) in wanted {
            match m.decls.get(&name.text) {
                Some((d, _)) => {
                    scope.names.insert(local, *d);
                }
                None => {
                    let suggestion = suggest(&name.text, m.decls.keys().map(String::as_str));
                    self.errors.push(Error::UnknownImport {
                        span: name.span,
                        module: module.clone(),
                        name: name.text,
                        suggestion,
                    });
                }
            }
        }
    }

    fn check_import_cycles(&mut self) {
        let graph: BTreeMap<&str, Vec<(&str, Span)>> = self
            .modules
            .iter()
            .map(|(k, m)| {
                (
                    k.as_str(),
                    m.uses.iter().map(|(t, s)| (t.as_str(), *s)).filter(|(t, _)| t != k).collect(),
                )
            })
            .collect();
        let mut reported = HashSet::new();
        for start in graph.keys() {
            if let Some((cycle, span)) = find_cycle(&graph, start)
                && reported.insert(cycle_key(&cycle))
            {
                self.errors.push(Error::ImportCycle { span, cycle: cycle.join(" → ") });
            }
        }
    }

    /// Pass 3: resolve every `type` and `kind` body.
    fn resolve_types(&mut self, files: &[(FileId, &ast::File)]) {
        for (id, file) in files {
            let scope = self.files.get(id).cloned().unwrap_or_default();
            for item in &file.items {
                let Item::Type(t) = item else { continue };
                let Some((Decl::Type(tid), _)) = self.lookup_in(&scope.module, &t.name.text) else {
                    continue;
                };
                if self.program.types.get(tid).is_some_and(|d| d.span != t.name.span) {
                    continue;
                }
                let body = match &t.ty.kind {
                    TypeExprKind::Record(fields) => TypeBody::Record(self.fields(&scope, fields)),
                    _ => TypeBody::Alias(self.resolve_ty(&scope, &t.ty)),
                };
                let kind = if t.is_kind { Some(self.discriminator(t, &body)) } else { None };
                if let Some(def) = self.program.types.get_mut(tid) {
                    def.set_body(body);
                    def.kind = kind;
                }
            }
        }
    }

    fn discriminator(&mut self, t: &ast::TypeDecl, body: &TypeBody) -> Discriminator {
        let mut d = Discriminator::default();
        if let TypeBody::Record(fields) = body {
            for f in fields {
                if let (Ty::StrLit(v), false) = (&f.ty, f.optional) {
                    d.fields.push((f.name.clone(), v.clone()));
                }
            }
        }
        for a in &t.attrs {
            match (a.name.text.as_str(), a.args.as_slice()) {
                ("format", [arg]) => d.format = const_str(arg).map(Arc::from),
                _ => self.errors.push(Error::BadAttribute {
                    span: a.span,
                    name: a.name.text.clone(),
                    help: "a kind takes `@format(\"name\")`".into(),
                }),
            }
        }
        if d.fields.is_empty() && d.format.is_none() {
            self.errors
                .push(Error::NoDiscriminator { span: t.name.span, name: t.name.text.clone() });
        }
        d
    }

    fn fields(&mut self, scope: &FileScope, fields: &[ast::FieldDecl]) -> Vec<FieldDef> {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut out = Vec::new();
        for f in fields {
            if let Some(first) = seen.insert(&f.name.text, f.name.span) {
                self.errors.push(Error::Duplicate {
                    span: f.name.span,
                    name: f.name.text.clone(),
                    first,
                });
                continue;
            }
            out.push(FieldDef {
                name: f.name.text.as_str().into(),
                ty: self.resolve_ty(scope, &f.ty),
                optional: f.optional,
                docs: f.docs.clone(),
            });
        }
        out
    }

    fn lookup_in(&self, module: &str, name: &str) -> Option<(Decl, Span)> {
        self.modules.get(module)?.decls.get(name).copied()
    }

    /// Finds a declaration by a possibly qualified path from a file's scope.
    fn lookup_path(&self, scope: &FileScope, segs: &[&str]) -> Option<Decl> {
        match segs {
            [name] => scope
                .names
                .get(*name)
                .copied()
                .or_else(|| self.lookup_in(&scope.module, name).map(|d| d.0)),
            [prefix @ .., name] => {
                let joined = prefix.join(".");
                let module = scope.aliases.get(&joined).cloned().unwrap_or(joined);
                self.lookup_in(&module, name).map(|d| d.0)
            }
            [] => None,
        }
    }

    fn visible_names(&self, scope: &FileScope) -> Vec<String> {
        let mut names: Vec<String> = scope.names.keys().cloned().collect();
        if let Some(m) = self.modules.get(&scope.module) {
            names.extend(m.decls.keys().cloned());
        }
        names
    }

    fn resolve_ty(&mut self, scope: &FileScope, t: &ast::TypeExpr) -> Ty {
        match &t.kind {
            TypeExprKind::Named(path) => {
                let segs: Vec<&str> = path.segments.iter().map(|s| s.text.as_str()).collect();
                if let [one] = segs.as_slice()
                    && let Some(p) = primitive(one)
                {
                    return p;
                }
                match self.lookup_path(scope, &segs) {
                    Some(Decl::Type(id)) => Ty::Named(id),
                    _ => {
                        let name = path.dotted();
                        let mut cands = self.visible_names(scope);
                        cands.extend(
                            ["bool", "int", "float", "string", "any", "Inputs"].map(String::from),
                        );
                        let suggestion = suggest(&name, cands.iter().map(String::as_str));
                        self.errors.push(Error::UnknownType { span: path.span, name, suggestion });
                        Ty::Never
                    }
                }
            }
            TypeExprKind::Generic(name, args) => {
                let args: Vec<Ty> = args.iter().map(|a| self.resolve_ty(scope, a)).collect();
                generic(&name.text, args).unwrap_or_else(|| {
                    self.errors.push(Error::UnknownType {
                        span: t.span,
                        name: name.text.clone(),
                        suggestion: suggest(&name.text, ["list", "map"]),
                    });
                    Ty::Never
                })
            }
            TypeExprKind::Optional(inner) => self.resolve_ty(scope, inner).optional(),
            TypeExprKind::Union(alts) => {
                Ty::Union(alts.iter().map(|a| self.resolve_ty(scope, a)).collect())
            }
            TypeExprKind::Record(fields) => {
                let fields = self.fields(scope, fields);
                let desc = format!(
                    "{{ {} }}",
                    fields
                        .iter()
                        .map(|f| format!("{}{}", f.name, if f.optional { "?" } else { "" }))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let mut def = TypeDef::new(desc, scope.module.clone(), t.span);
                def.set_body(TypeBody::Record(fields));
                Ty::Named(self.program.types.add(def))
            }
            TypeExprKind::StrLit(s) => Ty::StrLit(s.as_str().into()),
            TypeExprKind::Fn(ps, r) => Ty::Fn(
                ps.iter().map(|p| self.resolve_ty(scope, p)).collect(),
                Box::new(self.resolve_ty(scope, r)),
            ),
            TypeExprKind::Error => Ty::Never,
        }
    }

    /// Pass 4: parameter and result types of functions, rules and params.
    fn resolve_signatures(&mut self, files: &[(FileId, &ast::File)]) {
        for (id, file) in files {
            let scope = self.files.get(id).cloned().unwrap_or_default();
            for item in &file.items {
                match item {
                    Item::Fn(f) => {
                        let Some((Decl::Fn(fid), _)) = self.lookup_in(&scope.module, &f.name.text)
                        else {
                            continue;
                        };
                        let params =
                            f.params.iter().map(|p| self.resolve_ty(&scope, &p.ty)).collect();
                        let ret = f.ret.as_ref().map_or(Ty::Never, |r| self.resolve_ty(&scope, r));
                        if let Some(s) = self.fn_sigs.get_mut(fid as usize) {
                            *s = (params, ret);
                        }
                    }
                    Item::Rule(r) => {
                        let Some((Decl::Rule(rid), _)) =
                            self.lookup_in(&scope.module, &r.name.text)
                        else {
                            continue;
                        };
                        let params =
                            r.params.iter().map(|p| self.resolve_ty(&scope, &p.ty)).collect();
                        if let Some(s) = self.rule_params.get_mut(rid as usize) {
                            *s = params;
                        }
                    }
                    Item::Param(p) => {
                        let Some((Decl::Param(pid), _)) =
                            self.lookup_in(&scope.module, &p.name.text)
                        else {
                            continue;
                        };
                        let ty = self.resolve_ty(&scope, &p.ty);
                        if let Some(param) = self.program.params.get_mut(pid as usize) {
                            param.ty = ty;
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Pass 5: function bodies, parameter defaults, rule bodies and tests.
    fn check_bodies(&mut self, files: &[(FileId, &ast::File)]) {
        for (id, file) in files {
            let scope = self.files.get(id).cloned().unwrap_or_default();
            for item in &file.items {
                match item {
                    Item::Fn(f) => self.check_fn(&scope, f),
                    Item::Rule(r) => self.check_rule(&scope, r),
                    Item::Param(p) => self.check_param(&scope, p),
                    Item::Test(t) => self.check_test(&scope, t),
                    Item::Type(_) => {}
                }
            }
        }
    }

    fn check_fn(&mut self, scope: &FileScope, f: &ast::FnDecl) {
        let Some((Decl::Fn(fid), span)) = self.lookup_in(&scope.module, &f.name.text) else {
            return;
        };
        if span != f.name.span {
            return;
        }
        let (param_tys, ret) = self.fn_sigs.get(fid as usize).cloned().unwrap_or_default();
        let mut b = body::Body::new(self, scope, Some(fid));
        let params: Vec<hir::Local> =
            f.params.iter().zip(param_tys).map(|(p, t)| b.bind(&p.name.text, t)).collect();
        let expected = (ret != Ty::Never).then_some(&ret);
        let body = b.expr(&f.body, expected);
        if let Some(r) = expected {
            let context = format!("`{}` is declared to return `{}`", f.name.text, b.cx.show(r));
            b.require(&body, r, &context);
        }
        let locals = b.locals();
        if let Some(func) = self.program.functions.get_mut(fid as usize) {
            func.params = params;
            func.locals = locals;
            func.body = body;
        }
    }

    fn check_param(&mut self, scope: &FileScope, p: &ast::ParamDecl) {
        let Some((Decl::Param(pid), span)) = self.lookup_in(&scope.module, &p.name.text) else {
            return;
        };
        if span != p.name.span {
            return;
        }
        let Some(default) = &p.default else { return };
        let ty = self.program.params.get(pid as usize).map_or(Ty::Never, |p| p.ty.clone());
        let mut b = body::Body::new(self, scope, None);
        let e = b.expr(default, Some(&ty));
        if !b.cx.program.types.assignable(&e.ty, &ty) {
            let expected = b.cx.show(&ty);
            let (span, found) = match b.bad_element(&e, &ty) {
                Some((item, elem)) => {
                    (item.span, format!("an element of type `{}`", b.show_found(&item.ty, &elem)))
                }
                None => (default.span, format!("`{}`", b.show_found(&e.ty, &ty))),
            };
            b.cx.errors.push(Error::BadParamValue {
                span,
                name: p.name.text.clone(),
                expected,
                found,
            });
        }
        if let Some(param) = self.program.params.get_mut(pid as usize) {
            param.default = Some(e);
        }
    }

    fn check_rule(&mut self, scope: &FileScope, r: &ast::RuleDecl) {
        let Some((Decl::Rule(rid), span)) = self.lookup_in(&scope.module, &r.name.text) else {
            return;
        };
        if span != r.name.span {
            return;
        }
        let param_tys = self.rule_params.get(rid as usize).cloned().unwrap_or_default();
        let mut rule = placeholder_rule(&scope.module, r);
        self.rule_attrs(r, &mut rule);
        let mut b = body::Body::new(self, scope, None);
        for (i, (p, t)) in r.params.iter().zip(param_tys).enumerate() {
            match i {
                0 => match b.cx.program.types.kinds_of(&t) {
                    Some(kinds) => rule.kinds = kinds,
                    None => {
                        let found = b.cx.show(&t);
                        b.cx.errors.push(Error::BadRuleParam { span: p.ty.span, found });
                    }
                },
                _ if t == Ty::Inputs => rule.inputs = Some(hir::Local(i as u32)),
                _ => {
                    let found = b.cx.show(&t);
                    b.cx.errors.push(Error::Mismatch {
                        span: p.ty.span,
                        expected: "Inputs".into(),
                        found,
                        context: "a rule's second parameter must be `Inputs`".into(),
                    });
                }
            }
            b.bind(&p.name.text, t);
        }
        if r.params.is_empty() {
            b.cx.errors.push(Error::BadRuleParam { span: r.name.span, found: String::new() });
        }
        rule.body = b.stmts(&r.body);
        rule.locals = b.locals();
        if let Some(slot) = self.program.rules.get_mut(rid as usize) {
            *slot = rule;
        }
    }

    fn rule_attrs(&mut self, r: &ast::RuleDecl, rule: &mut hir::Rule) {
        for a in &r.attrs {
            let strings: Option<Vec<String>> = a.args.iter().map(const_str).collect();
            match (a.name.text.as_str(), strings) {
                ("id", Some(v)) if v.len() == 1 => rule.id = v.concat(),
                ("controls", Some(v)) => rule.controls = v,
                ("tags", Some(v)) => rule.tags = v,
                ("severity", _) => match a.args.as_slice() {
                    [ast::Expr { kind: ast::ExprKind::Name(n), .. }]
                        if Severity::parse(&n.text).is_some() =>
                    {
                        rule.severity = Severity::parse(&n.text).unwrap_or(Severity::Medium);
                    }
                    _ => self.errors.push(Error::BadAttribute {
                        span: a.span,
                        name: "severity".into(),
                        help: "write `@severity(critical)`, `high`, `medium`, `low` or `info`"
                            .into(),
                    }),
                },
                (name @ ("id" | "controls" | "tags"), _) => self.errors.push(Error::BadAttribute {
                    span: a.span,
                    name: name.into(),
                    help: format!("`@{name}` takes string literals, e.g. `@{name}(\"…\")`"),
                }),
                (name, _) => self.errors.push(Error::BadAttribute {
                    span: a.name.span,
                    name: name.into(),
                    help: "a rule takes `@id`, `@severity`, `@controls` and `@tags`".into(),
                }),
            }
        }
    }

    fn check_test(&mut self, scope: &FileScope, t: &ast::TestDecl) {
        let mut b = body::Body::new(self, scope, None);
        let body = b.stmts(&t.body);
        let locals = b.locals();
        self.program.tests.push(hir::Test {
            name: t.name.clone(),
            module: scope.module.clone(),
            locals,
            body,
            span: t.span,
        });
    }

    fn check_recursion(&mut self) {
        let mut graph: BTreeMap<u32, Vec<(u32, Span)>> = BTreeMap::new();
        for (from, to, span) in &self.calls {
            graph.entry(*from).or_default().push((*to, *span));
        }
        let names: HashMap<u32, String> = self
            .program
            .functions
            .iter()
            .enumerate()
            .map(|(i, f)| (i as u32, f.name.clone()))
            .collect();
        let mut reported = HashSet::new();
        for start in graph.keys() {
            if let Some((cycle, span)) = find_cycle(&graph, start)
                && reported.insert(cycle_key(&cycle))
            {
                let named: Vec<String> =
                    cycle.iter().map(|i| names.get(i).cloned().unwrap_or_default()).collect();
                let name = named.first().cloned().unwrap_or_default();
                self.errors.push(Error::Recursion { span, name, cycle: named.join(" → ") });
            }
        }
    }

    fn show(&self, t: &Ty) -> String {
        self.program.types.show(t).to_string()
    }
}

/// A cycle's nodes without regard to where it starts (`a → b → a` is `b → a → b`).
fn cycle_key<N: Ord + Copy>(cycle: &[N]) -> Vec<N> {
    let mut key = cycle.to_vec();
    key.sort();
    key.dedup();
    key
}

/// A cycle through `start`, as the list of nodes from `start` back to it, and the span of the
/// edge that closes it.
fn find_cycle<N: Ord + Copy>(
    graph: &BTreeMap<N, Vec<(N, Span)>>,
    start: &N,
) -> Option<(Vec<N>, Span)> {
    let mut stack: Vec<(N, usize)> = vec![(*start, 0)];
    let mut on_path: Vec<N> = vec![*start];
    let mut seen: Vec<N> = Vec::new();
    while let Some((node, i)) = stack.pop() {
        let edges = graph.get(&node).map(Vec::as_slice).unwrap_or(&[]);
        let Some((next, span)) = edges.get(i) else {
            on_path.pop();
            continue;
        };
        stack.push((node, i + 1));
        if next == start {
            let mut cycle = on_path.clone();
            cycle.push(*start);
            return Some((cycle, *span));
        }
        if !on_path.contains(next) && !seen.contains(next) {
            seen.push(*next);
            on_path.push(*next);
            stack.push((*next, 0));
        }
    }
    None
}

fn const_str(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ast::ExprKind::Str(segs) => segs
            .iter()
            .map(|s| match s {
                ast::StrSeg::Text(t) => Some(t.as_str()),
                ast::StrSeg::Expr(_) => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|v| v.concat()),
        _ => None,
    }
}

fn error_expr(span: Span) -> hir::Expr {
    hir::Expr { kind: hir::ExprKind::Error, ty: Ty::Never, span }
}

fn placeholder_rule(module: &str, r: &ast::RuleDecl) -> hir::Rule {
    hir::Rule {
        id: format!("{module}.{}", r.name.text),
        name: r.name.text.clone(),
        module: module.to_string(),
        severity: Severity::Medium,
        controls: Vec::new(),
        tags: Vec::new(),
        docs: r.docs.clone(),
        kinds: Vec::new(),
        doc: hir::Local(0),
        inputs: None,
        locals: 0,
        body: Vec::new(),
        span: r.span,
    }
}
