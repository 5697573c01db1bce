//! Errors of the front end, as data: each variant holds its span and the facts needed to explain
//! it. [`Error::diagnostic`] turns one into a [`Diagnostic`] (code, message, labels, help) that the
//! edges render; nothing here formats source snippets.

use serde::Serialize;

use crate::span::Span;

/// An error found while lexing, parsing, resolving or checking a program.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
#[expect(
    missing_docs,
    reason = "variant fields are named for what they hold; each variant's doc gives an input that triggers it"
)]
pub enum Error {
    // ---- lexical (E00xx)
    /// `§` outside a string.
    #[error("unexpected character `{ch}`")]
    UnexpectedChar { span: Span, ch: char },
    /// `"abc` at the end of a line.
    #[error("unterminated string")]
    UnterminatedString { span: Span },
    /// `/* …` with no `*/`.
    #[error("unterminated block comment")]
    UnterminatedComment { span: Span },
    /// `"\q"`.
    #[error("invalid escape sequence")]
    BadEscape { span: Span },
    /// `99999999999999999999`.
    #[error("invalid number `{text}`")]
    BadNumber { span: Span, text: String },
    /// `"{a"`.
    #[error("unterminated interpolation")]
    UnterminatedInterpolation { span: Span },
    // ---- syntax (E01xx)
    /// `rule r( {`.
    #[error("expected {expected}, found {found}")]
    Expected { span: Span, expected: String, found: String },
    /// 10,000 nested parentheses.
    #[error("nesting is too deep")]
    TooDeep { span: Span },
    /// A file without `module`.
    #[error("missing `module` declaration")]
    MissingModule { span: Span },
    /// `@severity(fatal)`.
    #[error("invalid attribute `@{name}`")]
    BadAttribute { span: Span, name: String, help: String },
    // ---- names (E02xx)
    /// `contaners` where `containers` is meant.
    #[error("cannot find `{name}` in this scope")]
    UnknownName { span: Span, name: String, suggestion: Option<String> },
    /// `Contaner` as a type.
    #[error("cannot find type `{name}`")]
    UnknownType { span: Span, name: String, suggestion: Option<String> },
    /// `use k8s.nope`.
    #[error("cannot find module `{name}`")]
    UnknownModule { span: Span, name: String, suggestion: Option<String> },
    /// `use k8s.{Nope}`.
    #[error("module `{module}` has no declaration `{name}`")]
    UnknownImport { span: Span, module: String, name: String, suggestion: Option<String> },
    /// Two declarations named `x` in one module.
    #[error("`{name}` is declared twice")]
    Duplicate { span: Span, name: String, first: Span },
    /// Module `a` uses `b`, which uses `a`.
    #[error("import cycle: {cycle}")]
    ImportCycle { span: Span, cycle: String },
    /// A function that calls itself, directly or not.
    #[error("function `{name}` is recursive: {cycle}")]
    Recursion { span: Span, name: String, cycle: String },
    // ---- types (E03xx)
    /// `c.imgae` on a `Container`.
    #[error("no field `{field}` on type `{ty}`")]
    UnknownField {
        span: Span,
        field: String,
        ty: String,
        suggestion: Option<String>,
        fields: Vec<String>,
    },
    /// `c.securityContext.privileged` where `securityContext` may be absent. `what` is the path
    /// as written (`c.securityContext`), empty when the value is not a path.
    #[error("{} may be absent", quoted_or(what, "this value"))]
    MaybeAbsent { span: Span, what: String, ty: String },
    /// `1 + "a"`.
    #[error("mismatched types: expected `{expected}`, found `{found}`")]
    Mismatch { span: Span, expected: String, found: String, context: String },
    /// `if x` where `x: bool?`; `what` is the path as written, empty when not a path.
    #[error("condition has optional type `{found}`")]
    OptionalCondition { span: Span, what: String, found: String },
    /// `"a" < 1`; for a unary operator (`-"a"`), `right` is empty.
    #[error("operator `{op}` cannot be applied to {}", operands(left, right))]
    BadOperands { span: Span, op: String, left: String, right: String },
    /// `f(1, 2)` for `fn f(x: int)`.
    #[error("`{name}` takes {expected} argument{plural}, but {found} {verb} given", plural = if *expected == 1 { "" } else { "s" }, verb = if *found == 1 { "was" } else { "were" })]
    Arity { span: Span, name: String, expected: usize, found: usize },
    /// `xs.any((a, b) => a == b)`: the builtin passes one argument to its function.
    #[error("the lambda takes {found} parameter{plural}, but `{callee}` passes {expected}", plural = if *found == 1 { "" } else { "s" })]
    LambdaArity { span: Span, callee: String, expected: usize, found: usize },
    /// `5.lower()`: functions named `lower` exist, but none takes an `int`. `takes` is the type
    /// the first parameter of one of them wants.
    #[error("no function `{name}` applies to `{ty}`")]
    NoMethod { span: Span, name: String, ty: String, takes: String },
    /// `x.f` where `x: int`.
    #[error("type `{ty}` has no fields")]
    NotARecord { span: Span, ty: String },
    /// `for x in 5`.
    #[error("cannot iterate over `{ty}`")]
    NotIterable { span: Span, ty: String },
    /// `x[0]` where `x: int`.
    #[error("cannot index into `{ty}`")]
    NotIndexable { span: Span, ty: String },
    /// `p == "Alwayz"` where `p: "Always" | "Never"`.
    #[error("comparison is always {always}: `{value:?}` is not one of {allowed}")]
    ImpossibleLiteral {
        span: Span,
        value: String,
        allowed: String,
        always: bool,
        suggestion: Option<String>,
    },
    /// `rule r(x: int)`; `found` is the type given, empty when the rule has no parameter.
    #[error("a rule's first parameter must be a document kind, found {}", quoted_or(found, "none"))]
    BadRuleParam { span: Span, found: String },
    /// `match w { Pod => … }` missing `Deployment`.
    #[error("`match` does not cover {missing}")]
    NonExhaustive { span: Span, missing: String },
    /// A `match` arm that can never be reached.
    #[error("unreachable `match` arm")]
    UnreachableArm { span: Span },
    /// `at 1 + 2`.
    #[error("`at` and `fix` need a path into a document")]
    NotAPath { span: Span },
    /// `base(p)` where `base` is a rule.
    #[error("`{name}` is a rule, not a function")]
    NotAFunction { span: Span, name: String },
    /// `let f = x => x`: lambdas exist only as arguments of builtins.
    #[error("a lambda can only be the argument of a builtin that takes a function")]
    MisplacedLambda { span: Span },
    /// `match w { Container => … }`: a pattern names a type that is not a document kind.
    #[error("`{name}` is not a document kind")]
    PatternNotAKind { span: Span, name: String },
    /// `x?.f` where `x` is not optional.
    #[error("`?.` on `{ty}`, which is never absent")]
    NeedlessOptional { span: Span, ty: String },
    /// `param p: int = "a"`; also a host setting of the wrong type.
    #[error("parameter `{name}` expects `{expected}`, found {found}")]
    BadParamValue { span: Span, name: String, expected: String, found: String },
    /// `yaml"""a: [""""`.
    #[error("invalid document literal: {reason}")]
    BadDocLiteral { span: Span, reason: String },
    /// `let c = Container`, `let f = helper`: a type (that is not a kind), a function or a rule
    /// named where a value is needed; `what` is `type`, `function` or `rule`.
    #[error("`{name}` is a {what}, not a value")]
    TypeAsValue { span: Span, name: String, what: String },
    /// A declared kind without a literal discriminator.
    #[error("kind `{name}` has no discriminator")]
    NoDiscriminator { span: Span, name: String },
    /// `expect deny f(x)` where `f` is not a rule.
    #[error("`{name}` is not a rule")]
    NotARule { span: Span, name: String },
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Stops the program from running.
    Error,
    /// Worth a look; the program still runs.
    Warning,
}

/// A secondary labelled span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there.
    pub message: String,
}

/// An error ready for rendering: stable code, message, spans and help.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `E0301`; documented in `spec/errors.md`.
    pub code: &'static str,
    /// Error or warning.
    pub level: Level,
    /// One lowercase line.
    pub message: String,
    /// The primary span.
    pub span: Span,
    /// Text shown at the primary span.
    pub label: String,
    /// Secondary spans.
    pub labels: Vec<Label>,
    /// Advice.
    pub help: Option<String>,
}

fn did_you_mean(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| format!("did you mean `{s}`?"))
}

impl Error {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        use Error::*;
        match self {
            UnexpectedChar { .. } => "E0001",
            UnterminatedString { .. } => "E0002",
            UnterminatedComment { .. } => "E0003",
            BadEscape { .. } => "E0004",
            BadNumber { .. } => "E0005",
            UnterminatedInterpolation { .. } => "E0006",
            Expected { .. } => "E0101",
            TooDeep { .. } => "E0102",
            MissingModule { .. } => "E0103",
            BadAttribute { .. } => "E0104",
            UnknownName { .. } => "E0201",
            UnknownType { .. } => "E0202",
            UnknownModule { .. } => "E0203",
            UnknownImport { .. } => "E0204",
            Duplicate { .. } => "E0205",
            ImportCycle { .. } => "E0206",
            Recursion { .. } => "E0207",
            UnknownField { .. } => "E0301",
            MaybeAbsent { .. } => "E0302",
            Mismatch { .. } => "E0303",
            OptionalCondition { .. } => "E0304",
            BadOperands { .. } => "E0305",
            Arity { .. } => "E0306",
            NoMethod { .. } => "E0307",
            NotARecord { .. } => "E0308",
            NotIterable { .. } => "E0309",
            NotIndexable { .. } => "E0310",
            ImpossibleLiteral { .. } => "E0311",
            BadRuleParam { .. } => "E0312",
            NonExhaustive { .. } => "E0313",
            UnreachableArm { .. } => "E0314",
            NotAPath { .. } => "E0315",
            NotAFunction { .. } => "E0316",
            NeedlessOptional { .. } => "E0317",
            BadParamValue { .. } => "E0318",
            BadDocLiteral { .. } => "E0319",
            TypeAsValue { .. } => "E0320",
            NoDiscriminator { .. } => "E0321",
            NotARule { .. } => "E0322",
            LambdaArity { .. } => "E0323",
            MisplacedLambda { .. } => "E0324",
            PatternNotAKind { .. } => "E0325",
        }
    }

    /// The primary span.
    pub fn span(&self) -> Span {
        use Error::*;
        match self {
            UnexpectedChar { span, .. }
            | UnterminatedString { span }
            | UnterminatedComment { span }
            | BadEscape { span }
            | BadNumber { span, .. }
            | UnterminatedInterpolation { span }
            | Expected { span, .. }
            | TooDeep { span }
            | MissingModule { span }
            | BadAttribute { span, .. }
            | UnknownName { span, .. }
            | UnknownType { span, .. }
            | UnknownModule { span, .. }
            | UnknownImport { span, .. }
            | Duplicate { span, .. }
            | ImportCycle { span, .. }
            | Recursion { span, .. }
            | UnknownField { span, .. }
            | MaybeAbsent { span, .. }
            | Mismatch { span, .. }
            | OptionalCondition { span, .. }
            | BadOperands { span, .. }
            | Arity { span, .. }
            | NoMethod { span, .. }
            | NotARecord { span, .. }
            | NotIterable { span, .. }
            | NotIndexable { span, .. }
            | ImpossibleLiteral { span, .. }
            | BadRuleParam { span, .. }
            | NonExhaustive { span, .. }
            | UnreachableArm { span }
            | NotAPath { span }
            | NotAFunction { span, .. }
            | NeedlessOptional { span, .. }
            | BadParamValue { span, .. }
            | BadDocLiteral { span, .. }
            | TypeAsValue { span, .. }
            | NoDiscriminator { span, .. }
            | NotARule { span, .. }
            | LambdaArity { span, .. }
            | MisplacedLambda { span }
            | PatternNotAKind { span, .. } => *span,
        }
    }

    fn label(&self) -> String {
        use Error::*;
        match self {
            UnknownField { ty, .. } => format!("unknown field of `{ty}`"),
            MaybeAbsent { ty, .. } => format!("this has type `{ty}`, which may be absent"),
            Mismatch { found, context, .. } if context.is_empty() => format!("this is `{found}`"),
            Mismatch { context, .. } => context.clone(),
            OptionalCondition { .. } => "absent is neither true nor false".into(),
            UnknownName { .. } | UnknownType { .. } | UnknownModule { .. } => "not found".into(),
            Duplicate { .. } => "declared again here".into(),
            Expected { expected, .. } => format!("expected {expected}"),
            NeedlessOptional { .. } => "use `.` instead".into(),
            NotAPath { .. } => "not a path".into(),
            BadOperands { right, .. } if right.is_empty() => "this operand does not fit".into(),
            BadOperands { .. } => "these operands do not fit".into(),
            Arity { found, .. } => format!("{found} given here"),
            LambdaArity { expected, .. } => {
                format!(
                    "expected a lambda of {expected} parameter{}",
                    if *expected == 1 { "" } else { "s" }
                )
            }
            MisplacedLambda { .. } => "no function is expected here".into(),
            PatternNotAKind { .. } => "not a kind".into(),
            NotARule { .. } => "not a rule".into(),
            UnreachableArm { .. } => "never reached".into(),
            NonExhaustive { .. } => "some values match no arm".into(),
            NoMethod { .. } => "not applicable".into(),
            _ => String::new(),
        }
    }

    fn help(&self) -> Option<String> {
        use Error::*;
        match self {
            UnknownName { suggestion, .. }
            | UnknownType { suggestion, .. }
            | UnknownModule { suggestion, .. }
            | UnknownImport { suggestion, .. } => did_you_mean(suggestion),
            NoMethod { name, takes, .. } => {
                Some(format!("`{name}` applies to `{takes}`"))
            }
            ImpossibleLiteral { suggestion, .. } => {
                suggestion.as_ref().map(|s| format!("did you mean `{s:?}`?"))
            }
            UnknownField { suggestion: Some(s), .. } => Some(format!("did you mean `{s}`?")),
            UnknownField { fields, .. } if !fields.is_empty() && fields.len() <= 12 => {
                Some(format!("available fields: {}", fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")))
            }
            MaybeAbsent { what, ty, .. } => Some(absent_help(what, ty)),
            OptionalCondition { what, .. } => {
                let x = if what.is_empty() { "x" } else { what.as_str() };
                Some(format!(
                    "say what absence means: `{x} == true` (absent is false), `{x} ?? true` (absent is true), or test `exists({x})` first"
                ))
            }
            BadOperands { op, left, right, .. } if op == "+" && (is_stringish(left) || is_stringish(right)) => {
                Some("`+` joins two strings: convert with `to_string(…)`, or interpolate: `\"…{x}\"`".into())
            }
            BadRuleParam { found, .. } if found.is_empty() => {
                Some("declare the document the rule checks, e.g. `rule r(p: Pod)` or `rule r(w: Workload)`".into())
            }
            BadRuleParam { .. } => Some(
                "take a kind such as `Pod`, or a union of kinds such as `Workload`, and read the rest from it".into(),
            ),
            LambdaArity { expected, .. } => Some(format!(
                "write a lambda of {expected} parameter{}, e.g. `x => …`",
                if *expected == 1 { "" } else { "s" }
            )),
            MisplacedLambda { .. } => Some(
                "pass it directly, as in `xs.any(x => …)`, or declare a `fn` for reuse".into(),
            ),
            NotAFunction { .. } => Some(
                "rules are run by the host on documents; move the shared logic into a `fn` that both call".into(),
            ),
            PatternNotAKind { .. } => Some(
                "a `match` arm names a kind declared with `kind` (such as `Pod`), a literal, or `_`".into(),
            ),
            TypeAsValue { what, name, .. } if what == "function" => Some(format!("call it: `{name}(…)`")),
            TypeAsValue { what, .. } if what == "type" => Some(
                "only kinds can be used as values (as in `of(all, Pod)`); a `type` exists only in signatures".into(),
            ),
            NoDiscriminator { .. } => Some(
                "give a field a string literal type, e.g. `kind: \"Thing\"`, or add `@format(\"…\")`".into(),
            ),
            NotARule { .. } => Some("`expect deny` runs a rule on a document: `expect deny rule_name(doc)`".into()),
            UnreachableArm { .. } => Some("remove it, or move it before the arm that already matches its values".into()),
            ImportCycle { .. } => Some("move the declarations both modules need into a third module".into()),
            BadAttribute { help, .. } => Some(help.clone()),
            TooDeep { .. } => Some("split the expression with `let` bindings".into()),
            MissingModule { .. } => Some("start the file with `module name`".into()),
            NotAPath { .. } => Some("name a document node, such as `c.securityContext.privileged`".into()),
            NonExhaustive { .. } => Some("add the missing arms, or a `_ =>` arm".into()),
            Recursion { .. } => Some("Ward functions may not recurse: every program terminates".into()),
            _ => None,
        }
    }

    fn labels(&self) -> Vec<Label> {
        match self {
            Error::Duplicate { first, .. } => {
                vec![Label { span: *first, message: "first declared here".into() }]
            }
            _ => Vec::new(),
        }
    }

    /// This error as a renderable diagnostic.
    pub fn diagnostic(&self) -> Diagnostic {
        Diagnostic {
            code: self.code(),
            level: Level::Error,
            message: self.to_string(),
            span: self.span(),
            label: self.label(),
            labels: self.labels(),
            help: self.help(),
        }
    }
}

/// `` `what` `` when `what` is known, otherwise `fallback` as prose.
fn quoted_or(what: &str, fallback: &str) -> String {
    if what.is_empty() { fallback.to_string() } else { format!("`{what}`") }
}

fn operands(left: &str, right: &str) -> String {
    if right.is_empty() { format!("`{left}`") } else { format!("`{left}` and `{right}`") }
}

fn is_stringish(ty: &str) -> bool {
    ty == "string" || ty.starts_with('"')
}

/// The ways out of an optional value: in terms of `what` (the path as written) when known.
fn absent_help(what: &str, ty: &str) -> String {
    // `ty` is in the label already; here it only picks the ways out.
    let inner = ty.strip_suffix('?').unwrap_or(ty);
    let x = if what.is_empty() { "x" } else { what };
    let ways = match inner {
        "bool" => format!(
            "`{x} == true` (absent is false), `{x} ?? true` (absent is true), or test `exists({x})` first"
        ),
        _ if inner.starts_with("list<") => {
            format!("`{x} ?? []` (absent is empty), or test `exists({x})` first")
        }
        _ if inner.starts_with("map<") => {
            format!("`{x} ?? {{}}` (absent is empty), or test `exists({x})` first")
        }
        "string" | "int" | "float" | "any" => {
            format!("`{x} ?? <default>`, or test `exists({x})` first")
        }
        _ if inner.starts_with('"') || inner.contains(" | ") => {
            format!(
                "`{x} ?? <default>`, compare with `{x} == <literal>`, or test `exists({x})` first"
            )
        }
        _ => format!("read on with `{x}?.field`, or test `exists({x})` first"),
    };
    format!("say what absence means: {ways}")
}

/// The closest candidate to `name` by edit distance, if close enough to be a likely typo; failing
/// that, a candidate of at least four characters that `name` starts with or that starts with
/// `name` (`lowercase` → `lower`).
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = name.chars().count().div_ceil(3);
    let lower = name.to_lowercase();
    let candidates: Vec<&str> = candidates.into_iter().collect();
    candidates
        .iter()
        .map(|c| (levenshtein(&lower, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len(), *c))
        .or_else(|| {
            candidates
                .iter()
                .map(|c| (c.to_lowercase(), *c))
                .filter(|(l, _)| {
                    l.len().min(lower.len()) >= 4 && (lower.starts_with(l) || l.starts_with(&lower))
                })
                .min_by_key(|(l, c)| (l.len().abs_diff(lower.len()), *c))
                .map(|(_, c)| (0, c))
        })
        .map(|(_, c)| c.to_string())
}

/// Levenshtein distance between two strings, in characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(suggest("imgae", ["image", "name", "ports"]), Some("image".into()));
        assert_eq!(suggest("zzz", ["image", "name"]), None);
    }
}
