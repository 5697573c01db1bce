//! Parsing: tokens to the syntax tree.
//!
//! A hand-written recursive-descent parser with precedence climbing for operators. It never
//! stops at the first error: a bad declaration or statement is reported, skipped to the next
//! synchronisation point, and parsing goes on, so one typo does not hide the rest.

use crate::ast::*;
use crate::error::Error;
use crate::lex::{self, Kw, P, StrKind, StrPart, Tok, Token};
use crate::span::{FileId, Span};

/// How deeply expressions, types and blocks may nest before the parser gives up on them.
pub const MAX_DEPTH: usize = 128;

/// How deep a syntax tree may grow through nesting plus chains of operators, field reads,
/// calls and `else if`s.
pub const MAX_CHAIN: usize = 256;

/// The result of parsing a file: a tree (possibly partial) and every error.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The syntax tree; erroneous parts are `Error` nodes.
    pub file: File,
    /// Lexical and syntax errors, in source order.
    pub errors: Vec<Error>,
    /// Plain comments, for the formatter.
    pub comments: Vec<lex::Comment>,
}

/// Parses one source file.
pub fn parse_file(file: FileId, src: &str) -> Parsed {
    let lexed = lex::lex(file, src);
    let mut p = Parser::new(&lexed.tokens);
    let tree = p.file();
    let mut errors = lexed.errors;
    errors.extend(p.errors);
    errors.sort_by_key(|e| e.span().start);
    Parsed { file: tree, errors, comments: lexed.comments }
}

/// Parses a single type expression, such as a builtin's signature type.
pub fn parse_type(file: FileId, src: &str) -> (Option<TypeExpr>, Vec<Error>) {
    let lexed = lex::lex(file, src);
    let mut p = Parser::new(&lexed.tokens);
    let t = p.ty().ok();
    if !p.at_eof() {
        p.expected("end of type");
    }
    let mut errors = lexed.errors;
    errors.extend(p.errors);
    (t, errors)
}

/// Parses a single expression (used for `--set` values and tests).
pub fn parse_expr(file: FileId, src: &str) -> (Expr, Vec<Error>) {
    let lexed = lex::lex(file, src);
    let mut p = Parser::new(&lexed.tokens);
    let e = p.expr();
    if !p.at_eof() {
        p.expected("end of expression");
    }
    let mut errors = lexed.errors;
    errors.extend(p.errors);
    (e, errors)
}

struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    errors: Vec<Error>,
    depth: usize,
    /// Whether `{` may start a record/map literal here (false in `if`/`for`/`match` heads).
    no_brace: bool,
}

type Res<T> = Result<T, ()>;

impl<'t> Parser<'t> {
    fn new(tokens: &'t [Token]) -> Self {
        Parser { tokens, pos: 0, errors: Vec::new(), depth: 0, no_brace: false }
    }

    // ---- token access

    fn tok(&self) -> &'t Tok {
        self.tokens.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn nth(&self, n: usize) -> &'t Tok {
        self.tokens.get(self.pos + n).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn span(&self) -> Span {
        self.tokens.get(self.pos).or(self.tokens.last()).map_or_else(Span::default, |t| t.span)
    }

    fn prev_span(&self) -> Span {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or_else(|| self.span(), |t| t.span)
    }

    fn newline_before(&self) -> bool {
        self.tokens.get(self.pos).is_none_or(|t| t.newline_before)
    }

    fn at_eof(&self) -> bool {
        matches!(self.tok(), Tok::Eof)
    }

    fn bump(&mut self) {
        if !self.at_eof() {
            self.pos += 1;
        }
    }

    fn is(&self, p: P) -> bool {
        *self.tok() == Tok::Punct(p)
    }

    fn is_kw(&self, k: Kw) -> bool {
        *self.tok() == Tok::Kw(k)
    }

    fn eat(&mut self, p: P) -> bool {
        let hit = self.is(p);
        if hit {
            self.bump();
        }
        hit
    }

    fn eat_kw(&mut self, k: Kw) -> bool {
        let hit = self.is_kw(k);
        if hit {
            self.bump();
        }
        hit
    }

    fn expected(&mut self, what: &str) {
        let found = self.tok().describe();
        self.errors.push(Error::Expected { span: self.span(), expected: what.to_string(), found });
    }

    fn expect(&mut self, p: P) -> Res<()> {
        if self.eat(p) {
            Ok(())
        } else {
            self.expected(&format!("`{}`", p.as_str()));
            Err(())
        }
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.errors.push(Error::TooDeep { span: self.span() });
            // Skip everything: the rest of this nest cannot be parsed sensibly.
            self.pos = self.tokens.len().saturating_sub(1);
            return Err(());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Counts one more link of a chain that deepens the tree without nesting in the text
    /// (`a + b + …`, `a.b.c…`): the later stages recurse on the tree, so its depth is bounded
    /// like nesting is.
    fn link(&mut self, chain: &mut usize) -> Res<()> {
        *chain += 1;
        if self.depth + *chain > MAX_CHAIN {
            self.errors.push(Error::TooDeep { span: self.span() });
            self.pos = self.tokens.len().saturating_sub(1);
            return Err(());
        }
        Ok(())
    }

    // ---- names

    /// An identifier (not a keyword).
    fn ident(&mut self, what: &str) -> Res<Name> {
        match self.tok() {
            Tok::Ident(s) => {
                let name = Name { text: s.clone(), span: self.span() };
                self.bump();
                Ok(name)
            }
            _ => {
                self.expected(what);
                Err(())
            }
        }
    }

    /// A field name: identifiers, keywords and quoted strings are all accepted.
    fn field_name(&mut self) -> Res<Name> {
        let span = self.span();
        let text = match self.tok() {
            Tok::Ident(s) => s.clone(),
            Tok::Kw(k) => k.as_str().to_string(),
            Tok::Str(StrKind::Plain | StrKind::Raw, parts) => match parts.as_slice() {
                [StrPart::Text(t)] => t.clone(),
                _ => {
                    self.expected("a field name");
                    return Err(());
                }
            },
            _ => {
                self.expected("a field name");
                return Err(());
            }
        };
        self.bump();
        Ok(Name { text, span })
    }

    fn path(&mut self, what: &str) -> Res<Path> {
        let first = self.ident(what)?;
        let mut segments = vec![first];
        while self.is(P::Dot) && matches!(self.nth(1), Tok::Ident(_)) {
            self.bump();
            segments.push(self.ident(what)?);
        }
        let span = segments.first().map_or_else(Span::default, |f| f.span).to(self.prev_span());
        Ok(Path { segments, span })
    }

    // ---- file and declarations

    fn file(&mut self) -> File {
        let mut file = File::default();
        while let Tok::ModuleDoc(text) = self.tok() {
            file.docs.push(text.clone());
            self.bump();
        }
        if self.eat_kw(Kw::Module) {
            file.module = self.path("a module name").ok();
        } else {
            self.errors.push(Error::MissingModule { span: self.span() });
        }
        while !self.at_eof() {
            let start = self.pos;
            if self.is_kw(Kw::Use) {
                if let Ok(u) = self.use_decl() {
                    file.uses.push(u);
                } else {
                    self.sync_item();
                }
            } else {
                match self.item() {
                    Ok(item) => file.items.push(item),
                    Err(()) => self.sync_item(),
                }
            }
            if self.pos == start {
                self.bump();
            }
        }
        file
    }

    /// Skips to the next token that can start a declaration at the start of a line.
    fn sync_item(&mut self) {
        loop {
            self.bump();
            if self.at_eof() {
                return;
            }
            let starts = matches!(
                self.tok(),
                Tok::Kw(Kw::Use | Kw::Param | Kw::Type | Kw::Kind | Kw::Fn | Kw::Rule | Kw::Test)
                    | Tok::DocComment(_)
                    | Tok::Punct(P::At)
            );
            if starts && self.newline_before() {
                return;
            }
        }
    }

    fn use_decl(&mut self) -> Res<Use> {
        let start = self.span();
        self.bump();
        let first = self.ident("a module name")?;
        let mut segments = vec![first];
        let mut names = None;
        while self.eat(P::Dot) {
            if self.is(P::LBrace) {
                names = Some(self.use_names()?);
                break;
            }
            segments.push(self.ident("a module or declaration name")?);
        }
        let span = segments
            .first()
            .map_or(start, |s| s.span)
            .to(segments.last().map_or(start, |s| s.span));
        let module = Path { segments, span };
        let alias = if self.eat_kw(Kw::As) { Some(self.ident("an alias")?) } else { None };
        Ok(Use { module, names, alias, span: start.to(self.prev_span()) })
    }

    fn use_names(&mut self) -> Res<Vec<UseName>> {
        self.expect(P::LBrace)?;
        let mut names = Vec::new();
        while !self.is(P::RBrace) && !self.at_eof() {
            let name = self.ident("a name to import")?;
            let alias = if self.eat_kw(Kw::As) { Some(self.ident("an alias")?) } else { None };
            names.push(UseName { name, alias });
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(P::RBrace)?;
        Ok(names)
    }

    fn docs(&mut self) -> Vec<String> {
        let mut docs = Vec::new();
        while let Tok::DocComment(text) = self.tok() {
            docs.push(text.clone());
            self.bump();
        }
        docs
    }

    fn attrs(&mut self) -> Res<Vec<Attr>> {
        let mut attrs = Vec::new();
        while self.is(P::At) {
            let start = self.span();
            self.bump();
            let name = self.ident("an attribute name")?;
            let mut args = Vec::new();
            if self.eat(P::LParen) {
                args = self.comma_list(P::RParen, |p| Ok(p.expr()))?;
            }
            attrs.push(Attr { name, args, span: start.to(self.prev_span()) });
            // Doc comments may sit between attributes.
            while matches!(self.tok(), Tok::DocComment(_)) {
                self.bump();
            }
        }
        Ok(attrs)
    }

    fn item(&mut self) -> Res<Item> {
        let mut docs = self.docs();
        let attrs = self.attrs()?;
        docs.extend(self.docs());
        let start = self.span();
        match self.tok() {
            Tok::Kw(Kw::Param) => self.param_decl(docs, start).map(Item::Param),
            Tok::Kw(Kw::Type | Kw::Kind) => self.type_decl(docs, attrs, start).map(Item::Type),
            Tok::Kw(Kw::Fn) => self.fn_decl(docs, start).map(Item::Fn),
            Tok::Kw(Kw::Rule) => self.rule_decl(docs, attrs, start).map(Item::Rule),
            Tok::Kw(Kw::Test) => self.test_decl(start).map(Item::Test),
            _ => {
                self.expected("a declaration (`param`, `type`, `kind`, `fn`, `rule` or `test`)");
                Err(())
            }
        }
    }

    fn param_decl(&mut self, docs: Vec<String>, start: Span) -> Res<ParamDecl> {
        self.bump();
        let name = self.ident("a parameter name")?;
        self.expect(P::Colon)?;
        let ty = self.ty()?;
        let default = if self.eat(P::Eq) { Some(self.expr()) } else { None };
        Ok(ParamDecl { docs, name, ty, default, span: start.to(self.prev_span()) })
    }

    fn type_decl(&mut self, docs: Vec<String>, attrs: Vec<Attr>, start: Span) -> Res<TypeDecl> {
        let is_kind = self.is_kw(Kw::Kind);
        self.bump();
        let name = self.ident("a type name")?;
        self.expect(P::Eq)?;
        let ty = self.ty()?;
        Ok(TypeDecl { docs, attrs, is_kind, name, ty, span: start.to(self.prev_span()) })
    }

    fn params(&mut self) -> Res<Vec<Param>> {
        self.expect(P::LParen)?;
        self.comma_list(P::RParen, |p| {
            let name = p.ident("a parameter name")?;
            p.expect(P::Colon)?;
            let ty = p.ty()?;
            Ok(Param { name, ty })
        })
    }

    fn fn_decl(&mut self, docs: Vec<String>, start: Span) -> Res<FnDecl> {
        self.bump();
        let name = self.ident("a function name")?;
        let params = self.params()?;
        let ret = if self.eat(P::Arrow) { Some(self.ty()?) } else { None };
        let body = self.block_expr()?;
        Ok(FnDecl { docs, name, params, ret, body, span: start.to(self.prev_span()) })
    }

    fn rule_decl(&mut self, docs: Vec<String>, attrs: Vec<Attr>, start: Span) -> Res<RuleDecl> {
        self.bump();
        let name = self.ident("a rule name")?;
        let params = self.params()?;
        let body = self.block()?;
        Ok(RuleDecl { docs, attrs, name, params, body, span: start.to(self.prev_span()) })
    }

    fn test_decl(&mut self, start: Span) -> Res<TestDecl> {
        self.bump();
        let name = match self.tok() {
            Tok::Str(_, parts) => parts
                .iter()
                .map(|p| match p {
                    StrPart::Text(t) => t.clone(),
                    StrPart::Interp(..) => String::new(),
                })
                .collect(),
            _ => {
                self.expected("the test's name, as a string");
                return Err(());
            }
        };
        self.bump();
        let body = self.block()?;
        Ok(TestDecl { name, body, span: start.to(self.prev_span()) })
    }

    fn comma_list<T>(
        &mut self,
        close: P,
        mut each: impl FnMut(&mut Self) -> Res<T>,
    ) -> Res<Vec<T>> {
        let mut out = Vec::new();
        while !self.is(close) && !self.at_eof() {
            out.push(each(self)?);
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(close)?;
        Ok(out)
    }

    // ---- types

    fn ty(&mut self) -> Res<TypeExpr> {
        self.enter()?;
        let r = self.ty_union();
        self.leave();
        r
    }

    fn ty_union(&mut self) -> Res<TypeExpr> {
        let start = self.span();
        self.eat(P::Pipe);
        let first = self.ty_postfix()?;
        if !self.is(P::Pipe) {
            return Ok(first);
        }
        let mut alts = vec![first];
        while self.eat(P::Pipe) {
            alts.push(self.ty_postfix()?);
        }
        Ok(TypeExpr { kind: TypeExprKind::Union(alts), span: start.to(self.prev_span()) })
    }

    fn ty_postfix(&mut self) -> Res<TypeExpr> {
        let mut t = self.ty_atom()?;
        while self.is(P::Question) {
            self.bump();
            t = TypeExpr {
                span: t.span.to(self.prev_span()),
                kind: TypeExprKind::Optional(Box::new(t)),
            };
        }
        Ok(t)
    }

    fn ty_atom(&mut self) -> Res<TypeExpr> {
        let start = self.span();
        let kind = match self.tok() {
            Tok::Str(_, parts) => {
                let text = match parts.as_slice() {
                    [StrPart::Text(t)] => t.clone(),
                    _ => String::new(),
                };
                self.bump();
                TypeExprKind::StrLit(text)
            }
            Tok::Punct(P::LBrace) => TypeExprKind::Record(self.record_fields()?),
            Tok::Punct(P::LParen) => {
                self.bump();
                let t = self.ty()?;
                self.expect(P::RParen)?;
                return Ok(t);
            }
            Tok::Kw(Kw::Fn) => {
                self.bump();
                self.expect(P::LParen)?;
                let params = self.comma_list(P::RParen, |p| p.ty())?;
                self.expect(P::Arrow)?;
                TypeExprKind::Fn(params, Box::new(self.ty()?))
            }
            Tok::Ident(_) => {
                let path = self.path("a type")?;
                if self.is(P::Lt) && path.segments.len() == 1 {
                    self.bump();
                    let args = self.comma_list(P::Gt, |p| p.ty())?;
                    let name = path.segments.into_iter().next().ok_or(())?;
                    TypeExprKind::Generic(name, args)
                } else {
                    TypeExprKind::Named(path)
                }
            }
            _ => {
                self.expected("a type");
                return Err(());
            }
        };
        Ok(TypeExpr { kind, span: start.to(self.prev_span()) })
    }

    fn record_fields(&mut self) -> Res<Vec<FieldDecl>> {
        self.expect(P::LBrace)?;
        let mut fields = Vec::new();
        loop {
            let docs = self.docs();
            if self.is(P::RBrace) || self.at_eof() {
                break;
            }
            let name = self.field_name()?;
            let optional = self.eat(P::Question);
            self.expect(P::Colon)?;
            let ty = self.ty()?;
            fields.push(FieldDecl { docs, name, optional, ty });
            if !self.eat(P::Comma) {
                let _ = self.docs();
                break;
            }
        }
        self.expect(P::RBrace)?;
        Ok(fields)
    }

    // ---- statements

    fn block(&mut self) -> Res<Vec<Stmt>> {
        self.expect(P::LBrace)?;
        self.enter()?;
        let mut stmts = Vec::new();
        while !self.is(P::RBrace) && !self.at_eof() {
            let start = self.pos;
            match self.stmt() {
                Ok(s) => stmts.push(s),
                Err(()) => {
                    stmts.push(Stmt { kind: StmtKind::Error, span: self.span() });
                    self.sync_stmt();
                }
            }
            self.eat(P::Semi);
            if self.pos == start {
                self.bump();
            }
        }
        self.leave();
        self.expect(P::RBrace)?;
        Ok(stmts)
    }

    /// Skips to the next statement start on a new line, or the end of the block.
    fn sync_stmt(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.tok() {
                Tok::Eof => return,
                Tok::Punct(P::LBrace) => depth += 1,
                Tok::Punct(P::RBrace) if depth == 0 => return,
                Tok::Punct(P::RBrace) => depth -= 1,
                Tok::Kw(Kw::Let | Kw::For | Kw::If | Kw::Deny | Kw::Warn | Kw::Expect)
                    if depth == 0 && self.newline_before() =>
                {
                    return;
                }
                _ => {}
            }
            self.bump();
        }
    }

    fn stmt(&mut self) -> Res<Stmt> {
        let start = self.span();
        let kind = match self.tok() {
            Tok::Kw(Kw::Let) => {
                self.bump();
                let name = self.ident("a variable name")?;
                self.expect(P::Eq)?;
                StmtKind::Let(name, self.expr())
            }
            Tok::Kw(Kw::For) => self.for_stmt()?,
            Tok::Kw(Kw::If) => self.if_stmt()?,
            Tok::Kw(Kw::Deny) => self.finding(FindingKind::Deny)?,
            Tok::Kw(Kw::Warn) => self.finding(FindingKind::Warn)?,
            Tok::Kw(Kw::Expect) => self.expect_stmt()?,
            _ => {
                self.expected("a statement (`let`, `for`, `if`, `deny`, `warn` or `expect`)");
                return Err(());
            }
        };
        Ok(Stmt { kind, span: start.to(self.prev_span()) })
    }

    fn head_expr(&mut self) -> Expr {
        let saved = std::mem::replace(&mut self.no_brace, true);
        let e = self.expr();
        self.no_brace = saved;
        e
    }

    fn for_stmt(&mut self) -> Res<StmtKind> {
        self.bump();
        let mut bindings = Vec::new();
        loop {
            let name = self.ident("a loop variable")?;
            if !self.eat_kw(Kw::In) {
                self.expected("`in`");
                return Err(());
            }
            bindings.push((name, self.head_expr()));
            if !self.eat(P::Comma) {
                break;
            }
        }
        Ok(StmtKind::For(bindings, self.block()?))
    }

    fn if_stmt(&mut self) -> Res<StmtKind> {
        self.bump();
        let cond = self.head_expr();
        let then = self.block()?;
        let els = if self.eat_kw(Kw::Else) {
            if self.is_kw(Kw::If) {
                let start = self.span();
                self.enter()?;
                let nested = self.if_stmt();
                self.leave();
                let nested = nested?;
                Some(vec![Stmt { kind: nested, span: start.to(self.prev_span()) }])
            } else {
                Some(self.block()?)
            }
        } else {
            None
        };
        Ok(StmtKind::If(cond, then, els))
    }

    fn finding(&mut self, kind: FindingKind) -> Res<StmtKind> {
        self.bump();
        let message = self.expr();
        let at = if self.eat_kw(Kw::At) { Some(self.expr()) } else { None };
        let mut fixes = Vec::new();
        while self.eat_kw(Kw::Fix) {
            if self.eat_kw(Kw::Set) {
                let path = self.expr_bp(BinOp::Default.precedence() + 1);
                self.expect(P::Eq)?;
                fixes.push(Fix::Set(path, self.expr()));
            } else if self.eat_kw(Kw::Remove) {
                fixes.push(Fix::Remove(self.expr()));
            } else {
                self.expected("`set` or `remove`");
                return Err(());
            }
        }
        Ok(StmtKind::Finding(Finding { kind, message, at, fixes }))
    }

    fn expect_stmt(&mut self) -> Res<StmtKind> {
        self.bump();
        let present = !self.eat_kw(Kw::No);
        if self.eat_kw(Kw::Deny) || self.eat_kw(Kw::Warn) {
            let call = self.expr();
            let at = if self.eat_kw(Kw::At) { Some(self.expr()) } else { None };
            return Ok(StmtKind::Expect(Expect::Finding { present, call, at }));
        }
        if !present {
            self.expected("`deny` or `warn`");
            return Err(());
        }
        Ok(StmtKind::Expect(Expect::True(self.expr())))
    }

    // ---- expressions

    /// `{ let x = e … value }` or a plain expression.
    fn block_expr(&mut self) -> Res<Expr> {
        let start = self.span();
        self.expect(P::LBrace)?;
        self.enter()?;
        let mut lets = Vec::new();
        while self.eat_kw(Kw::Let) {
            let name = self.ident("a variable name")?;
            self.expect(P::Eq)?;
            lets.push((name, self.expr()));
            self.eat(P::Semi);
        }
        let value = self.expr();
        self.leave();
        self.expect(P::RBrace)?;
        let span = start.to(self.prev_span());
        if lets.is_empty() {
            return Ok(value);
        }
        Ok(Expr { kind: ExprKind::Block(lets, Box::new(value)), span })
    }

    /// Parses an expression; on error returns an `Error` node (the error is recorded).
    pub fn expr(&mut self) -> Expr {
        self.expr_bp(0)
    }

    fn expr_bp(&mut self, min: u8) -> Expr {
        let start = self.span();
        if self.enter().is_err() {
            return Expr { kind: ExprKind::Error, span: start };
        }
        let e = self
            .binary(min)
            .unwrap_or(Expr { kind: ExprKind::Error, span: start.to(self.prev_span()) });
        self.leave();
        e
    }

    fn binary(&mut self, min: u8) -> Res<Expr> {
        if let Some(lambda) = self.try_lambda()? {
            return Ok(lambda);
        }
        let mut lhs = self.unary()?;
        let mut chain = 0;
        while let Some((op, prec, len)) = self.binop() {
            if prec < min {
                break;
            }
            self.link(&mut chain)?;
            self.pos += len;
            // `??` is right-associative; everything else is left-associative.
            let next = if op == BinOp::Default { prec } else { prec + 1 };
            let rhs = self.expr_bp(next);
            let span = lhs.span.to(rhs.span);
            lhs = Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span };
            if op.is_comparison() && self.binop().is_some_and(|(o, _, _)| o.is_comparison()) {
                self.expected("an operator other than a comparison (comparisons do not chain)");
                return Err(());
            }
        }
        Ok(lhs)
    }

    fn binop(&self) -> Option<(BinOp, u8, usize)> {
        let (op, len) = match self.tok() {
            Tok::Punct(P::QQ) => (BinOp::Default, 1),
            Tok::Punct(P::OrOr) => (BinOp::Or, 1),
            Tok::Punct(P::AndAnd) => (BinOp::And, 1),
            Tok::Punct(P::EqEq) => (BinOp::Eq, 1),
            Tok::Punct(P::Ne) => (BinOp::Ne, 1),
            Tok::Punct(P::Lt) => (BinOp::Lt, 1),
            Tok::Punct(P::Le) => (BinOp::Le, 1),
            Tok::Punct(P::Gt) => (BinOp::Gt, 1),
            Tok::Punct(P::Ge) => (BinOp::Ge, 1),
            Tok::Kw(Kw::In) => (BinOp::In, 1),
            Tok::Kw(Kw::Not) if *self.nth(1) == Tok::Kw(Kw::In) => (BinOp::NotIn, 2),
            Tok::Punct(P::Plus) => (BinOp::Add, 1),
            Tok::Punct(P::Minus) => (BinOp::Sub, 1),
            Tok::Punct(P::Star) => (BinOp::Mul, 1),
            Tok::Punct(P::Slash) => (BinOp::Div, 1),
            Tok::Punct(P::Percent) => (BinOp::Rem, 1),
            _ => return None,
        };
        Some((op, op.precedence(), len))
    }

    /// `x => e` or `(a, b) => e`, recognised by looking ahead for `=>`.
    fn try_lambda(&mut self) -> Res<Option<Expr>> {
        let start = self.span();
        let params = match (self.tok(), self.nth(1)) {
            (Tok::Ident(_), Tok::Punct(P::FatArrow)) => {
                let name = self.ident("a parameter")?;
                vec![name]
            }
            (Tok::Punct(P::LParen), _) if self.paren_lambda_ahead() => {
                self.bump();
                self.comma_list(P::RParen, |p| p.ident("a parameter"))?
            }
            _ => return Ok(None),
        };
        self.expect(P::FatArrow)?;
        let body = self.expr();
        let span = start.to(body.span);
        Ok(Some(Expr { kind: ExprKind::Lambda(params, Box::new(body)), span }))
    }

    fn paren_lambda_ahead(&self) -> bool {
        let mut i = 1;
        loop {
            match self.nth(i) {
                Tok::Ident(_) | Tok::Punct(P::Comma) => i += 1,
                Tok::Punct(P::RParen) => return *self.nth(i + 1) == Tok::Punct(P::FatArrow),
                _ => return false,
            }
        }
    }

    fn unary(&mut self) -> Res<Expr> {
        let start = self.span();
        let op = match self.tok() {
            Tok::Punct(P::Bang) => UnOp::Not,
            Tok::Punct(P::Minus) => UnOp::Neg,
            _ => return self.postfix(),
        };
        self.bump();
        self.enter()?;
        let operand = self.unary();
        self.leave();
        let operand = operand?;
        let span = start.to(operand.span);
        Ok(Expr { kind: ExprKind::Unary(op, Box::new(operand)), span })
    }

    fn postfix(&mut self) -> Res<Expr> {
        let mut e = self.primary()?;
        let mut chain = 0;
        loop {
            if self.is(P::Dot) || self.is(P::QDot) || self.is(P::LBracket) {
                self.link(&mut chain)?;
            }
            let optional = self.is(P::QDot);
            if self.is(P::Dot) || optional {
                self.bump();
                let name = self.field_name()?;
                if self.is(P::LParen) && !self.newline_before() {
                    self.bump();
                    let args = self.call_args()?;
                    let span = e.span.to(self.prev_span());
                    e = Expr { kind: ExprKind::Method(Box::new(e), name, args, optional), span };
                } else {
                    let span = e.span.to(name.span);
                    e = Expr { kind: ExprKind::Field(Box::new(e), name, optional), span };
                }
            } else if (self.is(P::LBracket)
                || (self.is(P::Question) && *self.nth(1) == Tok::Punct(P::LBracket)))
                && !self.newline_before()
            {
                let optional = self.eat(P::Question);
                self.bump();
                let saved = std::mem::replace(&mut self.no_brace, false);
                let index = self.expr();
                self.no_brace = saved;
                self.expect(P::RBracket)?;
                let span = e.span.to(self.prev_span());
                e = Expr { kind: ExprKind::Index(Box::new(e), Box::new(index), optional), span };
            } else {
                return Ok(e);
            }
        }
    }

    /// The arguments of a call, after its `(`: map literals are allowed there even in the head
    /// of a `for`, `if` or `match`, because the parentheses delimit them.
    fn call_args(&mut self) -> Res<Vec<Expr>> {
        let saved = std::mem::replace(&mut self.no_brace, false);
        let args = self.comma_list(P::RParen, |p| Ok(p.expr()));
        self.no_brace = saved;
        args
    }

    fn primary(&mut self) -> Res<Expr> {
        let start = self.span();
        let kind = match self.tok().clone() {
            Tok::Int(i) => {
                self.bump();
                ExprKind::Int(i)
            }
            Tok::Float(f) => {
                self.bump();
                ExprKind::Float(f)
            }
            Tok::Kw(Kw::True) => {
                self.bump();
                ExprKind::Bool(true)
            }
            Tok::Kw(Kw::False) => {
                self.bump();
                ExprKind::Bool(false)
            }
            Tok::Kw(Kw::Null) => {
                self.bump();
                ExprKind::Null
            }
            Tok::Str(kind, parts) => {
                self.bump();
                self.string(kind, parts)
            }
            Tok::Ident(text) => {
                self.bump();
                let name = Name { text, span: start };
                if self.is(P::LParen) && !self.newline_before() {
                    self.bump();
                    let args = self.call_args()?;
                    ExprKind::Call(name, args)
                } else {
                    ExprKind::Name(name)
                }
            }
            Tok::Punct(P::LParen) => {
                self.bump();
                let saved = std::mem::replace(&mut self.no_brace, false);
                let e = self.expr();
                self.no_brace = saved;
                self.expect(P::RParen)?;
                return Ok(Expr { kind: e.kind, span: start.to(self.prev_span()) });
            }
            Tok::Punct(P::LBracket) => {
                self.bump();
                let saved = std::mem::replace(&mut self.no_brace, false);
                let items = self.comma_list(P::RBracket, |p| Ok(p.expr()));
                self.no_brace = saved;
                ExprKind::List(items?)
            }
            Tok::Punct(P::LBrace) if !self.no_brace => self.map_literal()?,
            Tok::Kw(Kw::Match) => self.match_expr()?,
            Tok::Kw(Kw::If) => self.if_expr()?,
            _ => {
                self.expected("an expression");
                return Err(());
            }
        };
        Ok(Expr { kind, span: start.to(self.prev_span()) })
    }

    fn string(&mut self, kind: StrKind, parts: Vec<StrPart>) -> ExprKind {
        match kind {
            StrKind::Yaml | StrKind::Json => {
                let text = parts
                    .into_iter()
                    .map(|p| match p {
                        StrPart::Text(t) => t,
                        StrPart::Interp(..) => String::new(),
                    })
                    .collect();
                ExprKind::DocLit(kind, text)
            }
            StrKind::Plain | StrKind::Raw => {
                let segs = parts
                    .into_iter()
                    .map(|p| match p {
                        StrPart::Text(t) => StrSeg::Text(t),
                        StrPart::Interp(tokens, span) => {
                            StrSeg::Expr(self.interpolated(&tokens, span))
                        }
                    })
                    .collect();
                ExprKind::Str(segs)
            }
        }
    }

    fn interpolated(&mut self, tokens: &[Token], span: Span) -> Expr {
        let mut sub = Parser::new(tokens);
        sub.depth = self.depth;
        let e = if sub.at_eof() {
            sub.errors.push(Error::Expected {
                span,
                expected: "an expression".into(),
                found: "`}`".into(),
            });
            Expr { kind: ExprKind::Error, span }
        } else {
            sub.expr()
        };
        if !sub.at_eof() {
            sub.expected("`}` closing the interpolation");
        }
        self.errors.extend(sub.errors);
        e
    }

    fn map_literal(&mut self) -> Res<ExprKind> {
        self.bump();
        let entries = self.comma_list(P::RBrace, |p| {
            let key = match p.tok() {
                Tok::Ident(_) | Tok::Kw(_) => {
                    let name = p.field_name()?;
                    Expr { span: name.span, kind: ExprKind::Str(vec![StrSeg::Text(name.text)]) }
                }
                _ => p.expr(),
            };
            p.expect(P::Colon)?;
            Ok((key, p.expr()))
        })?;
        Ok(ExprKind::Map(entries))
    }

    fn match_expr(&mut self) -> Res<ExprKind> {
        self.bump();
        let scrutinee = self.head_expr();
        self.expect(P::LBrace)?;
        let saved = std::mem::replace(&mut self.no_brace, false);
        let arms = self.comma_list(P::RBrace, |p| {
            let start = p.span();
            let pattern = p.pattern()?;
            p.expect(P::FatArrow)?;
            let body = p.expr();
            Ok(Arm { pattern, span: start.to(body.span), body })
        });
        self.no_brace = saved;
        Ok(ExprKind::Match(Box::new(scrutinee), arms?))
    }

    fn pattern(&mut self) -> Res<Pattern> {
        match self.tok() {
            Tok::Ident(s) if s == "_" => {
                let span = self.span();
                self.bump();
                Ok(Pattern::Wildcard(span))
            }
            Tok::Ident(_) if *self.nth(1) == Tok::Punct(P::Colon) => {
                let name = self.ident("a binding")?;
                self.bump();
                Ok(Pattern::Bind(name, self.path("a kind or type")?))
            }
            Tok::Ident(_) => Ok(Pattern::Type(self.path("a kind or type")?)),
            _ => {
                let e = self.unary()?;
                Ok(Pattern::Literal(e))
            }
        }
    }

    fn if_expr(&mut self) -> Res<ExprKind> {
        self.bump();
        let cond = self.head_expr();
        let then = self.block_expr()?;
        if !self.eat_kw(Kw::Else) {
            self.expected("`else` (an `if` expression needs both branches)");
            return Err(());
        }
        let els = if self.is_kw(Kw::If) {
            let start = self.span();
            self.enter()?;
            let kind = self.if_expr();
            self.leave();
            let kind = kind?;
            Expr { kind, span: start.to(self.prev_span()) }
        } else {
            self.block_expr()?
        };
        Ok(ExprKind::If(Box::new(cond), Box::new(then), Box::new(els)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Parsed {
        parse_file(FileId(0), src)
    }

    #[test]
    fn parses_a_rule() {
        let p = parse(
            r#"module m
@id("X") @severity(high)
rule r(w: Pod) {
  for c in w.spec?.containers ?? [], d in [1] {
    if c.securityContext?.privileged == true {
      deny "container `{c.name}` runs privileged" at c.securityContext.privileged fix remove c.securityContext.privileged
    }
  }
}"#,
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.file.items.len(), 1);
    }

    #[test]
    fn reports_several_errors() {
        let p = parse("module m\nrule a(x: Pod) { deny }\nrule b(x: Pod) { let = 1 }\nfn c( {\n");
        assert!(p.errors.len() >= 3, "{:?}", p.errors);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("module m\nparam p: int = {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let p = parse(&src);
        assert!(p.errors.iter().any(|e| matches!(e, Error::TooDeep { .. })));
    }

    #[test]
    fn map_literals_in_call_arguments_of_a_for_head() {
        let p = parse(
            "module m\nrule r(w: Pod) {\n  for k in keys(w.metadata?.labels ?? {}), v in w.f(x[{}]) {\n    deny \"x\"\n  }\n}",
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
    }

    #[test]
    fn lambdas_and_methods() {
        let (e, errs) = parse_expr(FileId(0), "xs.filter(x => x > 1).map((a) => a * 2)");
        assert!(errs.is_empty(), "{errs:?}");
        assert!(matches!(e.kind, ExprKind::Method(..)));
    }
}
