//! Formatting: a file's syntax tree printed back in the one canonical layout, every comment kept.
//!
//! The tree is turned into a layout document (`doc::Doc`) whose source tokens carry their
//! positions; a second pass puts the plain comments the lexer collected back next to the tokens
//! they were written beside (own-line comments before, end-of-line comments after), and the
//! renderer breaks the groups that do not fit in 100 columns. Literals are copied from the source
//! as written. Parentheses the tree does not keep are put back where precedence needs them.
//!
//! The layout: two-space indentation; one blank line between declarations, at most one where the
//! author left blank lines between statements; `//!` and `///` docs, then each attribute on its own
//! line; bodies of `fn`, `rule`, `test`, `for`, `if` and `match` always on their own lines; lists,
//! maps, records, arguments and parameters on one line when they fit, else one item per line with
//! a trailing comma; `at` and `fix` clauses of a finding on indented continuation lines when the
//! finding does not fit; long operator chains broken before the operator.

mod doc;
#[cfg(test)]
mod tests;

use doc::{Comments, Doc, group, text};

use crate::ast::*;
use crate::error::Error;
use crate::lex::{self, Kw, P, Tok, Token};
use crate::parse::parse_file;
use crate::span::{FileId, Span};

/// Formats one source file; a file with syntax errors is refused with its errors.
pub fn format(src: &str) -> Result<String, Vec<Error>> {
    let parsed = parse_file(FileId(0), src);
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    let lexed = lex::lex(FileId(0), src);
    let f = Fmt { src, tokens: &lexed.tokens, comments: &parsed.comments };
    let tree = f.file(&parsed.file);
    let mut doc = Comments::new(src, &parsed.comments).place(tree);
    doc::propagate(&mut doc, &mut false);
    Ok(doc::render(&doc))
}

/// Whether two files parse to the same tree, spans aside: formatting must keep the tree.
pub fn same_tree(a: &str, b: &str) -> bool {
    let (pa, pb) = (parse_file(FileId(0), a), parse_file(FileId(0), b));
    pa.errors.is_empty() && pb.errors.is_empty() && strip_spans(&pa.file) == strip_spans(&pb.file)
}

/// The tree's debug form with every span removed.
fn strip_spans(file: &File) -> String {
    let s = format!("{file:?}");
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(i) = rest.find("Span {") {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i..).unwrap_or("");
        let end = after.find('}').map_or(after.len(), |j| j + 1);
        rest = after.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Where a declaration starts (its attributes included).
fn item_start(item: &Item) -> u32 {
    match item {
        Item::Param(p) => p.span.start,
        Item::Type(t) => t.attrs.first().map_or(t.span.start, |a| a.span.start),
        Item::Fn(f) => f.span.start,
        Item::Rule(r) => r.attrs.first().map_or(r.span.start, |a| a.span.start),
        Item::Test(t) => t.span.start,
    }
}

/// Binding power of an expression's outermost operator (higher binds tighter). `if` and `match`
/// expressions count as loosest, so that they are parenthesised as operands.
fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Lambda(..) | ExprKind::If(..) | ExprKind::Match(..) => 0,
        ExprKind::Binary(op, ..) => op.precedence(),
        ExprKind::Unary(..) => 7,
        _ => 8,
    }
}

/// Whether the left operand of `op` needs parentheses.
fn lhs_parens(op: BinOp, l: &Expr) -> bool {
    let p = op.precedence();
    prec(l) < p || (prec(l) == p && (p == 1 || p == 4))
}

/// Whether the right operand of `op` needs parentheses.
fn rhs_parens(op: BinOp, r: &Expr) -> bool {
    let p = op.precedence();
    prec(r) < p || (prec(r) == p && p != 1)
}

fn is_match(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Match(_, arms) if !arms.is_empty())
}

/// Whether an expression, printed, starts with `-` (which would continue the line before).
fn starts_with_minus(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Unary(UnOp::Neg, _) => true,
        ExprKind::Binary(op, l, _) => !lhs_parens(*op, l) && starts_with_minus(l),
        _ => false,
    }
}

struct Fmt<'a> {
    src: &'a str,
    tokens: &'a [Token],
    comments: &'a [lex::Comment],
}

fn concat(docs: Vec<Doc>) -> Doc {
    Doc::Concat(docs)
}

fn parens(d: Doc) -> Doc {
    concat(vec![text("("), d, text(")")])
}

impl Fmt<'_> {
    // ---- source access

    fn snip(&self, span: Span) -> &str {
        self.src.get(span.start as usize..span.end as usize).unwrap_or("")
    }

    /// A source token's text, anchored at its span.
    fn tok(&self, span: Span) -> Doc {
        Doc::Tok(self.snip(span).to_string(), span.start, span.end)
    }

    /// Fixed text anchored at a span (a keyword).
    fn tok_as(&self, s: &str, span: Span) -> Doc {
        Doc::Tok(s.to_string(), span.start, span.end)
    }

    fn name(&self, n: &Name) -> Doc {
        self.tok(n.span)
    }

    fn tok_index(&self, pos: u32) -> usize {
        self.tokens.partition_point(|t| t.span.start < pos)
    }

    /// The first token at or after `from` that satisfies `pred`.
    fn find(&self, from: u32, pred: impl Fn(&Tok) -> bool) -> Option<&Token> {
        self.tokens.get(self.tok_index(from)..)?.iter().find(|t| pred(&t.tok))
    }

    /// Text `s` anchored at the first `p` token at or after `from`, or plain when there is none.
    fn punct(&self, s: &str, p: P, from: u32) -> Doc {
        match self.find(from, |t| *t == Tok::Punct(p)) {
            Some(t) => self.tok_as(s, t.span),
            None => text(s),
        }
    }

    fn keyword(&self, k: Kw, from: u32) -> Doc {
        match self.find(from, |t| *t == Tok::Kw(k)) {
            Some(t) => self.tok_as(k.as_str(), t.span),
            None => text(k.as_str()),
        }
    }

    /// An expression's span without the parentheses written around it (the tree keeps them in
    /// the span only).
    fn inner(&self, span: Span) -> Span {
        let (mut i, mut j) = (self.tok_index(span.start), self.tok_index(span.end));
        while let (Some(open), Some(last)) = (self.tokens.get(i), j.checked_sub(1)) {
            let Some(close) = self.tokens.get(last) else { break };
            if open.tok != Tok::Punct(P::LParen) || close.tok != Tok::Punct(P::RParen) {
                break;
            }
            // The opening parenthesis must close at the last token, not earlier: `(a) + (b)`.
            let mut depth = 0usize;
            let closes_at_end = self.tokens.get(i..=last).is_some_and(|ts| {
                ts.iter().enumerate().all(|(k, t)| {
                    match t.tok {
                        Tok::Punct(P::LParen) => depth += 1,
                        Tok::Punct(P::RParen) => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    depth > 0 || i + k == last
                })
            });
            if !closes_at_end {
                break;
            }
            (i, j) = (i + 1, last);
        }
        match (self.tokens.get(i), j.checked_sub(1).and_then(|l| self.tokens.get(l))) {
            (Some(a), Some(b)) if i < j => a.span.to(b.span),
            _ => span,
        }
    }

    fn has_comments(&self, from: u32, to: u32) -> bool {
        self.comments.iter().any(|c| c.span.start >= from && c.span.start < to)
    }

    fn blank_after(&self, from: u32, to: u32) -> bool {
        doc::blank_after(self.src, from, to)
    }

    /// The literal token an expression spans (past any parentheses around it).
    fn lit(&self, span: Span) -> Doc {
        match self.find(span.start, |t| *t != Tok::Punct(P::LParen)) {
            Some(t) if t.span.end <= span.end => self.tok(t.span),
            _ => text(self.snip(span).to_string()),
        }
    }

    /// Doc comment lines (`prefix` is `///` or `//!`), each anchored at its token when the
    /// comments start at token `first`.
    fn docs(&self, prefix: &str, docs: &[String], first: Option<usize>) -> Vec<Doc> {
        let mut out = Vec::new();
        for (i, d) in docs.iter().enumerate() {
            let line = if d.is_empty() { prefix.to_string() } else { format!("{prefix} {d}") };
            let tok = first.and_then(|f| self.tokens.get(f + i));
            match tok {
                Some(t) if matches!(t.tok, Tok::DocComment(_) | Tok::ModuleDoc(_)) => {
                    out.push(Doc::Tok(line, t.span.start, t.span.end));
                }
                _ => out.push(text(line)),
            }
            out.push(Doc::HardLine);
        }
        out
    }

    /// Index of the first `///` token of the run that ends just before `pos`.
    fn docs_before(&self, pos: u32) -> Option<usize> {
        let mut i = self.tok_index(pos);
        while i > 0 && matches!(self.tokens.get(i - 1).map(|t| &t.tok), Some(Tok::DocComment(_))) {
            i -= 1;
        }
        (i < self.tok_index(pos)).then_some(i)
    }

    fn item_docs(&self, docs: &[String], start: u32) -> Vec<Doc> {
        if docs.is_empty() {
            return Vec::new();
        }
        self.docs("///", docs, self.docs_before(start))
    }

    // ---- file and declarations

    fn file(&self, f: &File) -> Doc {
        let mut out = Vec::new();
        let first = self.tokens.iter().position(|t| matches!(t.tok, Tok::ModuleDoc(_)));
        out.extend(self.docs("//!", &f.docs, first));
        let mut prev_end = 0;
        if let Some(m) = &f.module {
            out.push(self.keyword(Kw::Module, 0));
            out.push(text(" "));
            out.push(self.path(m));
            prev_end = m.span.end;
        }
        // Uses and declarations in source order, so that comments stay in order.
        let mut decls: Vec<(u32, Option<&Use>, Option<&Item>)> =
            f.uses.iter().map(|u| (u.span.start, Some(u), None)).collect();
        decls.extend(f.items.iter().map(|i| (item_start(i), None, Some(i))));
        decls.sort_by_key(|d| d.0);
        let mut prev_use = false;
        for (i, (start, u, item)) in decls.into_iter().enumerate() {
            out.push(Doc::HardLine);
            if i == 0 || !prev_use || u.is_none() || self.blank_after(prev_end, start) {
                out.push(Doc::HardLine);
            }
            if let Some(u) = u {
                out.push(self.use_decl(u));
                prev_end = u.span.end;
            }
            if let Some(item) = item {
                out.push(self.item(item));
            }
            prev_use = u.is_some();
        }
        concat(out)
    }

    fn path(&self, p: &Path) -> Doc {
        let mut out = Vec::new();
        for (i, s) in p.segments.iter().enumerate() {
            if i > 0 {
                out.push(text("."));
            }
            out.push(self.name(s));
        }
        concat(out)
    }

    fn use_decl(&self, u: &Use) -> Doc {
        let mut out = vec![self.keyword(Kw::Use, u.span.start), text(" "), self.path(&u.module)];
        if let Some(names) = &u.names {
            out.push(text("."));
            let items = names
                .iter()
                .map(|n| {
                    let mut d = vec![self.name(&n.name)];
                    if let Some(a) = &n.alias {
                        d.extend([text(" as "), self.name(a)]);
                    }
                    concat(d)
                })
                .collect();
            out.push(self.seq("{", items, "}", u.span.end, false));
        }
        if let Some(a) = &u.alias {
            out.extend([text(" as "), self.name(a)]);
        }
        concat(out)
    }

    fn attr(&self, a: &Attr) -> Vec<Doc> {
        let at = Span { end: a.span.start + 1, ..a.span };
        let mut out = vec![self.tok_as("@", at), self.name(&a.name)];
        if !a.args.is_empty() {
            out.push(self.args(&a.args, a.span.end));
        }
        out.push(Doc::HardLine);
        out
    }

    /// Doc comments and attributes of a declaration whose keyword is at `kw`: docs first, then
    /// one attribute per line; doc lines written between or after attributes stay there.
    fn docs_and_attrs(&self, docs: &[String], attrs: &[Attr], kw: u32) -> Vec<Doc> {
        let Some(first) = attrs.first() else { return self.item_docs(docs, kw) };
        let start = self.docs_before(first.span.start).unwrap_or(self.tok_index(first.span.start));
        let toks = self.tokens.get(start..self.tok_index(kw)).unwrap_or(&[]);
        let mut out = Vec::new();
        let mut attrs = attrs.iter().peekable();
        for t in toks {
            let Tok::DocComment(d) = &t.tok else { continue };
            while let Some(a) = attrs.next_if(|a| a.span.start < t.span.start) {
                out.extend(self.attr(a));
            }
            let line = if d.is_empty() { "///".to_string() } else { format!("/// {d}") };
            out.extend([self.tok_as(&line, t.span), Doc::HardLine]);
        }
        for a in attrs {
            out.extend(self.attr(a));
        }
        out
    }

    fn item(&self, item: &Item) -> Doc {
        match item {
            Item::Param(p) => self.param_decl(p),
            Item::Type(t) => self.type_decl(t),
            Item::Fn(f) => self.fn_decl(f),
            Item::Rule(r) => self.rule_decl(r),
            Item::Test(t) => self.test_decl(t),
        }
    }

    fn param_decl(&self, p: &ParamDecl) -> Doc {
        let mut out = self.item_docs(&p.docs, p.span.start);
        out.extend([
            self.keyword(Kw::Param, p.span.start),
            text(" "),
            self.name(&p.name),
            text(": "),
            self.ty(&p.ty),
        ]);
        if let Some(d) = &p.default {
            out.extend([text(" = "), self.expr(d, false)]);
        }
        concat(out)
    }

    fn type_decl(&self, t: &TypeDecl) -> Doc {
        let mut out = self.docs_and_attrs(&t.docs, &t.attrs, t.span.start);
        let kw = if t.is_kind { Kw::Kind } else { Kw::Type };
        out.extend([self.keyword(kw, t.span.start), text(" "), self.name(&t.name)]);
        out.push(self.ty_after(" =", &t.ty));
        concat(out)
    }

    fn fn_decl(&self, f: &FnDecl) -> Doc {
        let mut out = self.item_docs(&f.docs, f.span.start);
        out.extend([self.keyword(Kw::Fn, f.span.start), text(" "), self.name(&f.name)]);
        out.push(self.params(&f.params, f.name.span.end));
        let mut open_from = f.name.span.end;
        if let Some(r) = &f.ret {
            out.extend([text(" -> "), self.ty(r)]);
            open_from = r.span.end;
        }
        out.push(text(" "));
        out.push(self.punct("{", P::LBrace, open_from));
        let mut body = vec![Doc::HardLine];
        body.extend(self.block_body(&f.body));
        body.push(Doc::Dangling(f.span.end.saturating_sub(1)));
        out.extend([Doc::Indent(body), Doc::HardLine, self.close(f.span.end)]);
        concat(out)
    }

    /// The lines of a `{ let … value }` body.
    fn block_body(&self, body: &Expr) -> Vec<Doc> {
        let ExprKind::Block(lets, value) = &body.kind else {
            return vec![self.expr(body, false)];
        };
        let mut out = Vec::new();
        let mut prev_end = None;
        for (name, e) in lets {
            if let Some(p) = prev_end {
                out.push(Doc::HardLine);
                if self.blank_after(p, name.span.start) {
                    out.push(Doc::HardLine);
                }
            }
            let kw = self.kw_at(Kw::Let, name.span.start.saturating_sub(4));
            out.extend([kw, text(" "), self.name(name), text(" = "), self.expr(e, false)]);
            prev_end = Some(e.span.end);
        }
        if starts_with_minus(value) {
            out.push(text(";"));
        }
        out.push(Doc::HardLine);
        if prev_end.is_some_and(|p| self.blank_after(p, value.span.start)) {
            out.push(Doc::HardLine);
        }
        out.push(self.expr(value, false));
        out
    }

    /// The closing `}` that ends at `end`.
    fn close(&self, end: u32) -> Doc {
        self.closer("}", end)
    }

    /// A closing bracket `s` that ends at `end`, anchored when it is written there.
    fn closer(&self, s: &str, end: u32) -> Doc {
        let span = Span { file: FileId(0), start: end.saturating_sub(1), end };
        if self.snip(span) == s { self.tok_as(s, span) } else { text(s) }
    }

    fn rule_decl(&self, r: &RuleDecl) -> Doc {
        let mut out = self.docs_and_attrs(&r.docs, &r.attrs, r.span.start);
        out.extend([self.keyword(Kw::Rule, r.span.start), text(" "), self.name(&r.name)]);
        out.push(self.params(&r.params, r.name.span.end));
        out.push(text(" "));
        out.push(self.block(&r.body, r.name.span.end, r.span.end));
        concat(out)
    }

    fn test_decl(&self, t: &TestDecl) -> Doc {
        let mut out = vec![self.keyword(Kw::Test, t.span.start), text(" ")];
        let name = self.find(t.span.start, |t| matches!(t, Tok::Str(..)));
        let from = match name {
            Some(n) => {
                out.push(self.tok(n.span));
                n.span.end
            }
            None => {
                out.push(text(format!("{:?}", t.name)));
                t.span.start
            }
        };
        out.push(text(" "));
        out.push(self.block(&t.body, from, t.span.end));
        concat(out)
    }

    /// `(a: T, b: U)`.
    fn params(&self, params: &[Param], from: u32) -> Doc {
        let close = self.find(from, |t| *t == Tok::Punct(P::RParen)).map_or(from, |t| t.span.end);
        let items = params
            .iter()
            .map(|p| concat(vec![self.name(&p.name), text(": "), self.ty(&p.ty)]))
            .collect();
        self.seq("(", items, ")", close, false)
    }

    /// `open items close` on one line, or one item per line with a trailing comma; `spaced`
    /// puts spaces inside the brackets on one line. Comments before `end` stay inside.
    fn seq(&self, open: &str, items: Vec<Doc>, close: &str, end: u32, spaced: bool) -> Doc {
        let line = || if spaced { Doc::Line } else { Doc::SoftLine };
        if items.is_empty() {
            let inner = Doc::Indent(vec![Doc::Dangling(end)]);
            return group(vec![text(open), inner, Doc::SoftLine, self.closer(close, end)]);
        }
        let mut inner = vec![line()];
        let n = items.len();
        for (i, item) in items.into_iter().enumerate() {
            inner.push(item);
            if i + 1 < n {
                inner.extend([text(","), Doc::Line]);
            }
        }
        inner.push(Doc::IfBreak(Box::new(text(",")), Box::new(text(""))));
        inner.push(Doc::Dangling(end));
        group(vec![text(open), Doc::Indent(inner), line(), self.closer(close, end)])
    }

    // ---- types

    /// A type after `lead` (`" ="` or `":"`): unions that do not fit go one alternative per line.
    fn ty_after(&self, lead: &str, t: &TypeExpr) -> Doc {
        let TypeExprKind::Union(alts) = &t.kind else {
            return concat(vec![text(lead), text(" "), self.ty(t)]);
        };
        let mut inner = vec![Doc::Line, Doc::IfBreak(Box::new(text("| ")), Box::new(text("")))];
        for (i, a) in alts.iter().enumerate() {
            if i > 0 {
                inner.extend([Doc::Line, text("| ")]);
            }
            inner.push(self.union_alt(a));
        }
        group(vec![text(lead), Doc::Indent(inner)])
    }

    fn union_alt(&self, a: &TypeExpr) -> Doc {
        match a.kind {
            TypeExprKind::Union(_) | TypeExprKind::Fn(..) => parens(self.ty(a)),
            _ => self.ty(a),
        }
    }

    fn ty(&self, t: &TypeExpr) -> Doc {
        match &t.kind {
            TypeExprKind::Named(p) => self.path(p),
            TypeExprKind::Generic(name, args) => {
                let mut out = vec![self.name(name), text("<")];
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push(text(", "));
                    }
                    out.push(self.ty(a));
                }
                out.push(text(">"));
                concat(out)
            }
            TypeExprKind::Optional(inner) => concat(vec![self.union_alt(inner), text("?")]),
            TypeExprKind::Union(alts) => {
                let mut out = Vec::new();
                for (i, a) in alts.iter().enumerate() {
                    if i > 0 {
                        out.push(text(" | "));
                    }
                    out.push(self.union_alt(a));
                }
                concat(out)
            }
            TypeExprKind::Record(fields) => self.record(fields, t.span.end),
            TypeExprKind::StrLit(_) => self.tok(t.span),
            TypeExprKind::Fn(params, ret) => {
                let mut out = vec![text("fn(")];
                for (i, a) in params.iter().enumerate() {
                    if i > 0 {
                        out.push(text(", "));
                    }
                    out.push(self.ty(a));
                }
                out.extend([text(") -> "), self.ty(ret)]);
                concat(out)
            }
            TypeExprKind::Error => text(""),
        }
    }

    fn record(&self, fields: &[FieldDecl], end: u32) -> Doc {
        let items = fields
            .iter()
            .map(|f| {
                let mut out = self.item_docs(&f.docs, f.name.span.start);
                out.push(self.name(&f.name));
                if f.optional {
                    out.push(text("?"));
                }
                out.push(self.ty_after(":", &f.ty));
                concat(out)
            })
            .collect();
        self.seq("{", items, "}", end, true)
    }

    // ---- statements

    /// A `{ statements }` block whose `{` is the first at or after `from` and whose `}` ends at
    /// `end`.
    fn block(&self, stmts: &[Stmt], from: u32, end: u32) -> Doc {
        let open = self.punct("{", P::LBrace, from);
        let inner_from = match &open {
            Doc::Tok(_, _, e) => *e,
            _ => from,
        };
        if stmts.is_empty() && !self.has_comments(inner_from, end) {
            return concat(vec![open, self.close(end)]);
        }
        let mut body = Vec::new();
        let mut prev_end = None;
        for s in stmts {
            body.push(Doc::HardLine);
            if prev_end.is_some_and(|p| self.blank_after(p, s.span.start)) {
                body.push(Doc::HardLine);
            }
            body.push(self.stmt(s));
            prev_end = Some(s.span.end);
        }
        body.push(Doc::Dangling(end.saturating_sub(1)));
        concat(vec![open, Doc::Indent(body), Doc::HardLine, self.close(end)])
    }

    /// Keyword `k`, anchored at `pos` when it is written there.
    fn kw_at(&self, k: Kw, pos: u32) -> Doc {
        let s = k.as_str();
        let span = Span { file: FileId(0), start: pos, end: pos + s.len() as u32 };
        if self.snip(span) == s { self.tok_as(s, span) } else { text(s) }
    }

    fn stmt(&self, s: &Stmt) -> Doc {
        let start = s.span.start;
        match &s.kind {
            StmtKind::Let(name, e) => concat(vec![
                self.kw_at(Kw::Let, start),
                text(" "),
                self.name(name),
                text(" = "),
                self.expr(e, false),
            ]),
            StmtKind::For(bindings, body) => {
                let mut heads = Vec::new();
                for (i, (name, e)) in bindings.iter().enumerate() {
                    if i > 0 {
                        heads.extend([text(","), Doc::Line]);
                    }
                    heads.extend([self.name(name), text(" in "), self.expr(e, true)]);
                }
                let from = bindings.last().map_or(start, |(_, e)| e.span.end);
                concat(vec![
                    group(vec![self.kw_at(Kw::For, start), text(" "), Doc::Indent(heads)]),
                    text(" "),
                    self.block(body, from, s.span.end),
                ])
            }
            StmtKind::If(cond, then, els) => {
                self.if_stmt(start, cond, then, els.as_deref(), s.span.end)
            }
            StmtKind::Finding(f) => self.finding(start, f),
            StmtKind::Expect(e) => self.expect(start, e),
            StmtKind::Error => text(""),
        }
    }

    fn if_stmt(
        &self,
        start: u32,
        cond: &Expr,
        then: &[Stmt],
        els: Option<&[Stmt]>,
        end: u32,
    ) -> Doc {
        let mut out = vec![self.kw_at(Kw::If, start), text(" "), self.expr(cond, true), text(" ")];
        let Some(els) = els else {
            out.push(self.block(then, cond.span.end, end));
            return concat(out);
        };
        let open = self.find(cond.span.end, |t| *t == Tok::Punct(P::LBrace));
        let after_then = then.last().map(|s| s.span.end).or(open.map(|t| t.span.end));
        let then_end = after_then
            .and_then(|p| self.find(p, |t| *t == Tok::Punct(P::RBrace)))
            .map_or(end, |t| t.span.end);
        out.push(self.block(then, cond.span.end, then_end));
        out.push(text(" "));
        let else_kw = self.find(then_end, |t| *t == Tok::Kw(Kw::Else));
        out.push(match else_kw {
            Some(t) => self.tok_as("else", t.span),
            None => text("else"),
        });
        out.push(text(" "));
        match els {
            [Stmt { kind: StmtKind::If(c, t, e), span }] => {
                out.push(self.if_stmt(span.start, c, t, e.as_deref(), end));
            }
            _ => {
                let from = else_kw.map_or(then_end, |t| t.span.end);
                out.push(self.block(els, from, end));
            }
        }
        concat(out)
    }

    fn finding(&self, start: u32, f: &Finding) -> Doc {
        let kw = match f.kind {
            FindingKind::Deny => Kw::Deny,
            FindingKind::Warn => Kw::Warn,
        };
        let mut tail = Vec::new();
        if let Some(at) = &f.at {
            tail.extend([Doc::Line, text("at "), self.expr(at, false)]);
        }
        for fix in &f.fixes {
            tail.push(Doc::Line);
            match fix {
                Fix::Set(path, value) => {
                    let p = self.expr(path, false);
                    let p = if prec(path) <= 1 { parens(p) } else { p };
                    tail.extend([text("fix set "), p, text(" = "), self.expr(value, false)]);
                }
                Fix::Remove(path) => tail.extend([text("fix remove "), self.expr(path, false)]),
            }
        }
        group(vec![
            self.kw_at(kw, start),
            text(" "),
            self.expr(&f.message, false),
            Doc::Indent(tail),
        ])
    }

    fn expect(&self, start: u32, e: &Expect) -> Doc {
        let mut out = vec![self.kw_at(Kw::Expect, start), text(" ")];
        match e {
            Expect::True(x) => out.push(self.expr(x, false)),
            Expect::Finding { present, call, at } => {
                if !present {
                    out.push(self.keyword(Kw::No, start));
                    out.push(text(" "));
                }
                let kind = self.find(start + 6, |t| matches!(t, Tok::Kw(Kw::Deny | Kw::Warn)));
                out.push(match kind {
                    Some(t) => self.tok(t.span),
                    None => text("deny"),
                });
                out.extend([text(" "), self.expr(call, false)]);
                if let Some(at) = at {
                    out.push(Doc::Indent(vec![Doc::Line, text("at "), self.expr(at, false)]));
                }
            }
        }
        group(out)
    }

    // ---- expressions

    /// An expression; `nb` is true in the head of an `if`, `for` or `match`, where `{` opens the
    /// body, so a map literal needs parentheses.
    fn expr(&self, e: &Expr, nb: bool) -> Doc {
        let span = self.inner(e.span);
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::DocLit(..) => self.lit(span),
            ExprKind::List(items) => {
                let items = items.iter().map(|x| self.expr(x, false)).collect();
                self.seq("[", items, "]", span.end, false)
            }
            ExprKind::Map(entries) => {
                let items = entries
                    .iter()
                    .map(|(k, v)| {
                        concat(vec![self.expr(k, false), text(": "), self.expr(v, false)])
                    })
                    .collect();
                let d = self.seq("{", items, "}", span.end, true);
                if nb { parens(d) } else { d }
            }
            ExprKind::Name(n) => self.name(n),
            ExprKind::Field(recv, name, opt) => concat(vec![
                self.receiver(recv, nb),
                text(if *opt { "?." } else { "." }),
                self.name(name),
            ]),
            ExprKind::Index(recv, idx, opt) => concat(vec![
                self.receiver(recv, nb),
                text(if *opt { "?[" } else { "[" }),
                self.expr(idx, false),
                text("]"),
            ]),
            ExprKind::Call(name, args) => concat(vec![self.name(name), self.args(args, span.end)]),
            ExprKind::Method(recv, name, args, opt) => concat(vec![
                self.receiver(recv, nb),
                text(if *opt { "?." } else { "." }),
                self.name(name),
                self.args(args, span.end),
            ]),
            ExprKind::Unary(op, x) => {
                let sign = text(if *op == UnOp::Not { "!" } else { "-" });
                let neg_neg = *op == UnOp::Neg && matches!(x.kind, ExprKind::Unary(UnOp::Neg, _));
                let x = if prec(x) < 7 || neg_neg {
                    parens(self.expr(x, false))
                } else {
                    self.expr(x, nb)
                };
                concat(vec![sign, x])
            }
            ExprKind::Binary(op, ..) => self.binary(*op, e, nb),
            ExprKind::Lambda(params, body) => {
                let head = match params.as_slice() {
                    [p] => self.name(p),
                    _ => {
                        let mut out = vec![text("(")];
                        for (i, p) in params.iter().enumerate() {
                            if i > 0 {
                                out.push(text(", "));
                            }
                            out.push(self.name(p));
                        }
                        out.push(text(")"));
                        concat(out)
                    }
                };
                concat(vec![head, text(" => "), self.expr(body, nb)])
            }
            ExprKind::Match(scrutinee, arms) => self.match_expr(span, scrutinee, arms),
            ExprKind::If(..) => self.if_expr(e, span, nb),
            ExprKind::Block(..) => {
                let mut body = vec![Doc::HardLine];
                body.extend(self.block_body(e));
                concat(vec![text("{"), Doc::Indent(body), Doc::HardLine, text("}")])
            }
            ExprKind::Error => text(""),
        }
    }

    fn receiver(&self, recv: &Expr, nb: bool) -> Doc {
        if prec(recv) < 8 { parens(self.expr(recv, false)) } else { self.expr(recv, nb) }
    }

    fn args(&self, args: &[Expr], end: u32) -> Doc {
        let items = args.iter().map(|a| self.expr(a, false)).collect();
        self.seq("(", items, ")", end, false)
    }

    /// A chain of operators of one precedence, broken before each operator when too long.
    fn binary(&self, op: BinOp, e: &Expr, nb: bool) -> Doc {
        let p = op.precedence();
        let mut operands: Vec<(Option<BinOp>, &Expr)> = Vec::new();
        if p == 1 {
            // `??` groups to the right: walk down the right operands.
            let mut cur = e;
            let mut before = None;
            while let ExprKind::Binary(o, l, r) = &cur.kind {
                if o.precedence() != 1 {
                    break;
                }
                operands.push((before, l));
                before = Some(*o);
                cur = r;
            }
            operands.push((before, cur));
        } else {
            let mut cur = e;
            let mut rights = Vec::new();
            while let ExprKind::Binary(o, l, r) = &cur.kind {
                if o.precedence() != p || (p == 4 && !std::ptr::eq(cur, e)) {
                    break;
                }
                rights.push((Some(*o), r.as_ref()));
                cur = l;
            }
            operands.push((None, cur));
            operands.extend(rights.into_iter().rev());
        }
        let n = operands.len();
        let mut first = None;
        let mut rest = Vec::new();
        let mut prev_match = false;
        for (i, (o, x)) in operands.into_iter().enumerate() {
            let needs = match o {
                None if p == 1 => i + 1 < n && prec(x) <= 1,
                None => lhs_parens(op, x),
                Some(_) if p == 1 => {
                    if i + 1 < n {
                        prec(x) <= 1
                    } else {
                        prec(x) < 1
                    }
                }
                Some(o) => rhs_parens(o, x),
            };
            let d = if needs { parens(self.expr(x, false)) } else { self.expr(x, nb) };
            // A `match` is always several lines: the operators next to it stay on its lines.
            let sep = if is_match(x) || prev_match { text(" ") } else { Doc::Line };
            prev_match = is_match(x);
            match (o, first.is_none()) {
                (_, true) => first = Some(d),
                (Some(o), false) => rest.extend([sep, text(format!("{} ", o.as_str())), d]),
                (None, false) => rest.push(d),
            }
        }
        let mut out = vec![first.unwrap_or_else(|| text(""))];
        out.push(Doc::Indent(rest));
        group(out)
    }

    fn match_expr(&self, span: Span, scrutinee: &Expr, arms: &[Arm]) -> Doc {
        let mut out =
            vec![self.kw_at(Kw::Match, span.start), text(" "), self.expr(scrutinee, true)];
        out.push(text(" "));
        out.push(self.punct("{", P::LBrace, scrutinee.span.end));
        let mut body = Vec::new();
        for arm in arms {
            body.push(Doc::HardLine);
            let pat = match &arm.pattern {
                Pattern::Wildcard(span) => self.tok(*span),
                Pattern::Literal(x) => self.expr(x, false),
                Pattern::Type(p) => self.path(p),
                Pattern::Bind(n, p) => concat(vec![self.name(n), text(": "), self.path(p)]),
            };
            body.extend([pat, text(" => "), self.expr(&arm.body, false), text(",")]);
        }
        body.push(Doc::Dangling(span.end.saturating_sub(1)));
        if arms.is_empty() && !self.has_comments(scrutinee.span.end, span.end) {
            out.push(self.close(span.end));
            return concat(out);
        }
        out.extend([Doc::Indent(body), Doc::HardLine, self.close(span.end)]);
        concat(out)
    }

    /// `if c { a } else if d { b } else { c }`, on one line when it fits and no branch has
    /// `let`s.
    fn if_expr(&self, e: &Expr, span: Span, nb: bool) -> Doc {
        let mut out = Vec::new();
        let mut cur = e;
        loop {
            let ExprKind::If(cond, then, els) = &cur.kind else {
                out.extend(self.branch(cur, nb));
                break;
            };
            let start = if std::ptr::eq(cur, e) { span.start } else { cur.span.start };
            out.extend([self.kw_at(Kw::If, start), text(" "), self.expr(cond, true)]);
            out.extend([text(" ")]);
            out.extend(self.branch(then, nb));
            out.push(text(" else "));
            cur = els;
        }
        group(out)
    }

    /// `{ value }` of an `if` expression's branch.
    fn branch(&self, b: &Expr, nb: bool) -> Vec<Doc> {
        let body = match &b.kind {
            ExprKind::Block(..) => self.block_body(b),
            _ => vec![self.expr(b, nb)],
        };
        let mut inner = vec![Doc::Line];
        inner.extend(body);
        vec![text("{"), Doc::Indent(inner), Doc::Line, text("}")]
    }
}
