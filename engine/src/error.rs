//! Errors of compiling and evaluating, as data with spans.

use serde::Serialize;
use ward_lang::Span;

/// A program that checked but cannot be compiled: a constant that is invalid at run time.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[non_exhaustive]
#[expect(
    missing_docs,
    reason = "variant fields are named for what they hold; each variant's doc gives an input that triggers it"
)]
pub enum CompileError {
    /// `matches(s, "[")`.
    #[error("invalid regular expression: {message}")]
    Regex { span: Span, message: String },
    /// `yaml"""a: [""""`.
    #[error("invalid document literal: {message}")]
    DocLiteral { span: Span, message: String },
    /// A builtin table entry whose signature does not parse (a bug in Ward itself).
    #[error("internal error: {message}")]
    Internal { span: Span, message: String },
}

impl CompileError {
    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            CompileError::Regex { span, .. }
            | CompileError::DocLiteral { span, .. }
            | CompileError::Internal { span, .. } => *span,
        }
    }

    /// Its stable code.
    pub fn code(&self) -> &'static str {
        match self {
            CompileError::Regex { .. } => "E0401",
            CompileError::DocLiteral { .. } => "E0402",
            CompileError::Internal { .. } => "E0499",
        }
    }
}

/// An error while evaluating one rule over one document. The rule's other documents, and the
/// other rules, are still evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[expect(
    missing_docs,
    reason = "variant fields are named for what they hold; each variant's doc gives an input that triggers it"
)]
pub enum EvalError {
    /// A rule loops over a huge input with a small `max_steps`.
    #[error("evaluation budget of {limit} steps exceeded")]
    Budget { limit: u64, span: Span },
    /// The evaluation ran past its deadline.
    #[error("evaluation deadline exceeded")]
    Deadline { span: Span },
    /// `privileged: "yes please"` where the schema says `bool`.
    #[error("the document does not match its schema: expected {expected}, found {found}")]
    Mismatch { expected: String, found: String, span: Span },
    /// `10 / 0`.
    #[error("division by zero")]
    DivisionByZero { span: Span },
    /// A builtin refused its input, e.g. a regular expression too large.
    #[error("`{name}`: {message}")]
    Builtin { name: String, message: String, span: Span },
    /// `9223372036854775807 + 1`.
    #[error("integer overflow")]
    Overflow { span: Span },
}

impl EvalError {
    /// Where in the policy it happened.
    pub fn span(&self) -> Span {
        match self {
            EvalError::Budget { span, .. }
            | EvalError::Deadline { span }
            | EvalError::Mismatch { span, .. }
            | EvalError::DivisionByZero { span }
            | EvalError::Builtin { span, .. }
            | EvalError::Overflow { span } => *span,
        }
    }

    /// Its stable code.
    pub fn code(&self) -> &'static str {
        match self {
            EvalError::Budget { .. } => "E0501",
            EvalError::Deadline { .. } => "E0502",
            EvalError::Mismatch { .. } => "E0503",
            EvalError::DivisionByZero { .. } => "E0504",
            EvalError::Builtin { .. } => "E0505",
            EvalError::Overflow { .. } => "E0506",
        }
    }
}
