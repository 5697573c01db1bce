//! The syntax tree: what the parser builds, with a span on every node.

use crate::lex::StrKind;
use crate::span::Span;

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    /// The text.
    pub text: String,
    /// Where it is.
    pub span: Span,
}

/// A dotted path such as `k8s.runtime`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// The segments, at least one.
    pub segments: Vec<Name>,
    /// The whole path's span.
    pub span: Span,
}

impl Path {
    /// The path joined with dots.
    pub fn dotted(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(".")
    }
}

/// One parsed file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    /// `//!` lines.
    pub docs: Vec<String>,
    /// The `module` declaration; a file without one is an error reported by the parser.
    pub module: Option<Path>,
    /// `use` declarations.
    pub uses: Vec<Use>,
    /// Every other declaration, in order.
    pub items: Vec<Item>,
}

/// `use k8s.{Workload, Container as C}` or `use k8s.runtime as rt`.
#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    /// The module path.
    pub module: Path,
    /// Names imported from it; `None` imports the module itself.
    pub names: Option<Vec<UseName>>,
    /// `as` alias for a module import.
    pub alias: Option<Name>,
    /// The whole declaration.
    pub span: Span,
}

/// One imported name, optionally renamed.
#[derive(Debug, Clone, PartialEq)]
pub struct UseName {
    /// The name in the module.
    pub name: Name,
    /// The local name, when renamed with `as`.
    pub alias: Option<Name>,
}

/// A top-level declaration.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `param`.
    Param(ParamDecl),
    /// `type` or `kind`.
    Type(TypeDecl),
    /// `fn`.
    Fn(FnDecl),
    /// `rule`.
    Rule(RuleDecl),
    /// `test`.
    Test(TestDecl),
}

/// `@name(args)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    /// The attribute's name.
    pub name: Name,
    /// Its arguments.
    pub args: Vec<Expr>,
    /// The whole attribute.
    pub span: Span,
}

/// `param name: T = default`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The parameter's name.
    pub name: Name,
    /// Its declared type.
    pub ty: TypeExpr,
    /// Its default value.
    pub default: Option<Expr>,
    /// The whole declaration.
    pub span: Span,
}

/// `type Name = T` or `kind Name = { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// Attributes.
    pub attrs: Vec<Attr>,
    /// True for a document kind.
    pub is_kind: bool,
    /// The declared name.
    pub name: Name,
    /// The definition.
    pub ty: TypeExpr,
    /// The whole declaration.
    pub span: Span,
}

/// A type as written.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    /// What it is.
    pub kind: TypeExprKind,
    /// Where it is.
    pub span: Span,
}

/// Type expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExprKind {
    /// A named type: `string`, `Container`, `k8s.Pod`.
    Named(Path),
    /// `list<T>`, `map<K, V>`.
    Generic(Name, Vec<TypeExpr>),
    /// `T?`.
    Optional(Box<TypeExpr>),
    /// `A | B`.
    Union(Vec<TypeExpr>),
    /// `{ a: T, b?: U }`.
    Record(Vec<FieldDecl>),
    /// `"Always"`.
    StrLit(String),
    /// `fn(A, B) -> R`.
    Fn(Vec<TypeExpr>, Box<TypeExpr>),
    /// A type that did not parse.
    Error,
}

/// One field of a record type.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The field's name.
    pub name: Name,
    /// True when written `name?:`.
    pub optional: bool,
    /// Its type.
    pub ty: TypeExpr,
}

/// A parameter of a `fn` or `rule`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: Name,
    /// Its type.
    pub ty: TypeExpr,
}

/// `fn name(params) -> T { body }`.
#[derive(Debug, Clone, PartialEq)]
pub struct FnDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The function's name.
    pub name: Name,
    /// Its parameters.
    pub params: Vec<Param>,
    /// Its declared result type.
    pub ret: Option<TypeExpr>,
    /// Its body: an expression, possibly a block with `let`s.
    pub body: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `rule name(params) { statements }`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// Attributes: `@id`, `@severity`, `@controls`, `@tags`.
    pub attrs: Vec<Attr>,
    /// The rule's name.
    pub name: Name,
    /// Its parameters: the document, and optionally `Inputs`.
    pub params: Vec<Param>,
    /// Its body.
    pub body: Vec<Stmt>,
    /// The whole declaration.
    pub span: Span,
}

/// `test "name" { statements }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    /// The test's name.
    pub name: String,
    /// Its body.
    pub body: Vec<Stmt>,
    /// The whole declaration.
    pub span: Span,
}

/// A statement in a rule or test body.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// What it is.
    pub kind: StmtKind,
    /// Where it is.
    pub span: Span,
}

/// Statement forms.
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `let x = e`.
    Let(Name, Expr),
    /// `for a in xs, b in ys { … }`.
    For(Vec<(Name, Expr)>, Vec<Stmt>),
    /// `if c { … } else { … }`; an `else if` is an `If` alone in the else block.
    If(Expr, Vec<Stmt>, Option<Vec<Stmt>>),
    /// `deny`/`warn` with message, location and fixes.
    Finding(Finding),
    /// `expect …` in a test.
    Expect(Expect),
    /// A statement that did not parse.
    Error,
}

/// Whether a finding denies or warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// `deny`.
    Deny,
    /// `warn`.
    Warn,
}

/// `deny "msg" at path fix …`.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Deny or warn.
    pub kind: FindingKind,
    /// The message expression (usually an interpolated string).
    pub message: Expr,
    /// The location path.
    pub at: Option<Expr>,
    /// Fixes.
    pub fixes: Vec<Fix>,
}

/// A machine-applicable fix.
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    /// `fix set path = value`.
    Set(Expr, Expr),
    /// `fix remove path`.
    Remove(Expr),
}

/// `expect …` forms in tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// `expect e`: a boolean that must hold.
    True(Expr),
    /// `expect deny rule(args) [at "pointer"]`, or with `no` for the absence of a finding.
    Finding {
        /// False for `expect no deny`.
        present: bool,
        /// The rule application.
        call: Expr,
        /// The expected pointer.
        at: Option<Expr>,
    },
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `!`.
    Not,
    /// `-`.
    Neg,
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `??`
    Default,
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `not in`
    NotIn,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

impl BinOp {
    /// Binding strength, from `??` (1, weakest) to `*`, `/`, `%` (6); documented in
    /// `spec/grammar.md`.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Default => 1,
            BinOp::Or => 2,
            BinOp::And => 3,
            op if op.is_comparison() => 4,
            BinOp::Add | BinOp::Sub => 5,
            _ => 6,
        }
    }

    /// Whether it compares (`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in`): such operators
    /// do not chain and always give a `bool`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge
                | BinOp::In
                | BinOp::NotIn
        )
    }

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Default => "??",
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

/// One segment of an interpolated string.
#[derive(Debug, Clone, PartialEq)]
pub enum StrSeg {
    /// Literal text.
    Text(String),
    /// `{expr}`.
    Expr(Expr),
}

/// A `match` arm.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    /// The pattern.
    pub pattern: Pattern,
    /// The arm's value.
    pub body: Expr,
    /// The whole arm.
    pub span: Span,
}

/// A `match` pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// `_`.
    Wildcard(Span),
    /// A literal: string, number, bool or null.
    Literal(Expr),
    /// A kind or type name: `Pod`, narrowing the scrutinee.
    Type(Path),
    /// `p: Pod`, binding the narrowed value.
    Bind(Name, Path),
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `42`.
    Int(i64),
    /// `1.5`.
    Float(f64),
    /// A string, possibly interpolated.
    Str(Vec<StrSeg>),
    /// `true`, `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `yaml"""…"""` or `json"""…"""`.
    DocLit(StrKind, String),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{ "k": v }` or `{ k: v }`.
    Map(Vec<(Expr, Expr)>),
    /// A name.
    Name(Name),
    /// `a.b` or, with `optional`, `a?.b`.
    Field(Box<Expr>, Name, bool),
    /// `a[i]` or `a?[i]`.
    Index(Box<Expr>, Box<Expr>, bool),
    /// `f(args)`.
    Call(Name, Vec<Expr>),
    /// `a.f(args)` or `a?.f(args)`.
    Method(Box<Expr>, Name, Vec<Expr>, bool),
    /// `!a`, `-a`.
    Unary(UnOp, Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x => e` or `(x, y) => e`.
    Lambda(Vec<Name>, Box<Expr>),
    /// `match e { arms }`.
    Match(Box<Expr>, Vec<Arm>),
    /// `if c { a } else { b }` as an expression.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `{ let x = e … value }`.
    Block(Vec<(Name, Expr)>, Box<Expr>),
    /// An expression that did not parse.
    Error,
}
