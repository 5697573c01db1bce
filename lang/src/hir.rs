//! The typed IR: what the checker produces and the engine compiles. Every name is resolved to
//! an index (local slot, function, builtin, parameter, type) and every expression has its type.

use std::sync::Arc;

use crate::ast::{BinOp, FindingKind, UnOp};
use crate::lex::StrKind;
use crate::span::Span;
use crate::types::{Ty, TypeId, TypeTable};

/// A slot in the frame of a rule, function or test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Local(pub u32);

/// A constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    /// `null`.
    Null,
    /// `true`, `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Arc<str>),
}

/// A typed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it does.
    pub kind: ExprKind,
    /// Its type.
    pub ty: Ty,
    /// Where it came from.
    pub span: Span,
}

/// How a `match` arm selects.
#[derive(Debug, Clone, PartialEq)]
pub enum Pat {
    /// Always.
    Wild,
    /// The value equals a constant.
    Const(Const),
    /// The value is a document of one of these kinds.
    Kinds(Vec<TypeId>),
}

/// A `match` arm.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    /// What it matches.
    pub pat: Pat,
    /// Slot bound to the matched value, for `p: Pod =>` and narrowing.
    pub bind: Option<Local>,
    /// Its value.
    pub body: Expr,
}

/// A segment of a location path.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    /// `.name`.
    Field(Arc<str>),
    /// `[index]`.
    Index(Expr),
}

/// A location for `at` and `fix`: a root value (which must be a document node) and the
/// segments below it, which may go through absent nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct PathExpr {
    /// The root value.
    pub root: Box<Expr>,
    /// The segments below the root.
    pub segs: Vec<Seg>,
    /// The whole path.
    pub span: Span,
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A constant.
    Const(Const),
    /// A local slot.
    Local(Local),
    /// A host-set parameter.
    Param(u32),
    /// A field read; absent when the base is absent.
    Field(Box<Expr>, Arc<str>),
    /// An index into a list or map; absent when out of range or the base is absent.
    Index(Box<Expr>, Box<Expr>),
    /// Call of a user function.
    Call(u32, Vec<Expr>),
    /// Call of a builtin by its index in the builtin table.
    Builtin(u32, Vec<Expr>),
    /// A lambda: the slots its parameters bind, and its body.
    Lambda(Vec<Local>, Box<Expr>),
    /// A unary operator.
    Unary(UnOp, Box<Expr>),
    /// A binary operator (`&&`, `||` and `??` short-circuit).
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{ k: v }`.
    Map(Vec<(Expr, Expr)>),
    /// An interpolated string: its parts, converted to text and joined.
    Interp(Vec<Expr>),
    /// `match`.
    Match(Box<Expr>, Vec<Arm>),
    /// `if c { a } else { b }`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `let slot = value` in `body`.
    Let(Local, Box<Expr>, Box<Expr>),
    /// A document literal; the engine parses it when it compiles.
    DocLit(StrKind, Arc<str>),
    /// A type used as a value, e.g. in `all.of(NetworkPolicy)`.
    TypeRef(Vec<TypeId>),
    /// `e?.rest`: evaluates `e` into the slot; absent if it is absent, else `rest`.
    OptChain(Local, Box<Expr>, Box<Expr>),
    /// An expression that failed to check; never compiled.
    Error,
}

/// A fix.
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    /// Set the node at the path to a value.
    Set(PathExpr, Expr),
    /// Remove the node at the path.
    Remove(PathExpr),
}

/// A typed statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `let`.
    Let(Local, Expr),
    /// `for`, possibly over several bindings (nested loops).
    For(Vec<(Local, Expr)>, Vec<Stmt>),
    /// `if`.
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `deny` or `warn`.
    Finding {
        /// Deny or warn.
        kind: FindingKind,
        /// The message, a string.
        message: Expr,
        /// The location.
        at: Option<PathExpr>,
        /// Fixes.
        fixes: Vec<Fix>,
        /// The statement.
        span: Span,
    },
    /// `expect cond`.
    ExpectTrue(Expr, Span),
    /// `expect [no] deny rule(args) [at pointer]`.
    ExpectFinding {
        /// False for `expect no …`.
        present: bool,
        /// The rule.
        rule: u32,
        /// The document argument.
        doc: Expr,
        /// The expected pointer.
        at: Option<Expr>,
        /// The statement.
        span: Span,
    },
}

/// Severity of a rule.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// The severity named `s`.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    /// The severity's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A checked rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Stable id from `@id`, or `module.name`.
    pub id: String,
    /// The rule's name.
    pub name: String,
    /// Its module.
    pub module: String,
    /// Its severity.
    pub severity: Severity,
    /// Control ids, e.g. `PSS:baseline:privileged`.
    pub controls: Vec<String>,
    /// Tags, e.g. profile names.
    pub tags: Vec<String>,
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The document kinds it applies to.
    pub kinds: Vec<TypeId>,
    /// The slot holding the document.
    pub doc: Local,
    /// The slot holding `Inputs`, for cross-document rules.
    pub inputs: Option<Local>,
    /// Number of slots in its frame.
    pub locals: u32,
    /// Its body.
    pub body: Vec<Stmt>,
    /// The declaration.
    pub span: Span,
}

/// A checked function.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Its name.
    pub name: String,
    /// Its module.
    pub module: String,
    /// Slots of its parameters, in order.
    pub params: Vec<Local>,
    /// Number of slots in its frame.
    pub locals: u32,
    /// Its body.
    pub body: Expr,
    /// Doc comment lines.
    pub docs: Vec<String>,
}

/// A host-set parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// `module.name`, the key hosts set it by.
    pub qualified: String,
    /// Its type.
    pub ty: Ty,
    /// Its default value.
    pub default: Option<Expr>,
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The declaration.
    pub span: Span,
}

/// A checked test.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    /// Its name.
    pub name: String,
    /// Its module.
    pub module: String,
    /// Number of slots in its frame.
    pub locals: u32,
    /// Its body.
    pub body: Vec<Stmt>,
    /// The declaration.
    pub span: Span,
}

/// A whole checked program.
#[derive(Debug, Clone, Default)]
pub struct Program {
    /// Every declared type.
    pub types: TypeTable,
    /// Rules, in declaration order (modules sorted by name).
    pub rules: Vec<Rule>,
    /// Functions.
    pub functions: Vec<Function>,
    /// Parameters.
    pub params: Vec<Param>,
    /// Tests.
    pub tests: Vec<Test>,
}
