//! Narrowing: what a condition proves about the values it tests.
//!
//! After `if exists(x)`, `if x != null` or `if x?.f == "v"`, the path `x` is known to be
//! present in the branch where the condition holds. Paths are keyed by their text (`c.securityContext`),
//! which is sound because rule bodies never mutate.

use crate::ast::{BinOp, Expr, ExprKind, UnOp};

/// The key of a path expression: a local name followed by field names.
pub fn key(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.text.clone()),
        ExprKind::Field(base, name, _) => Some(format!("{}.{}", key(base)?, name.text)),
        _ => None,
    }
}

/// A path expression as written (`c.securityContext?.privileged`), for messages.
pub fn text(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.text.clone()),
        ExprKind::Field(base, name, optional) => {
            Some(format!("{}{}{}", text(base)?, if *optional { "?." } else { "." }, name.text))
        }
        _ => None,
    }
}

/// Every prefix of a path key, shortest first, including the key itself.
fn prefixes(k: &str) -> impl Iterator<Item = String> + '_ {
    k.match_indices('.')
        .map(|(i, _)| k.get(..i).unwrap_or_default().to_string())
        .chain(std::iter::once(k.to_string()))
}

/// Path keys that are known present when `cond` evaluates to `truth`.
pub fn facts(cond: &Expr, truth: bool) -> Vec<String> {
    let mut out = Vec::new();
    collect(cond, truth, &mut out);
    out
}

fn collect(cond: &Expr, truth: bool, out: &mut Vec<String>) {
    match &cond.kind {
        ExprKind::Unary(UnOp::Not, inner) => collect(inner, !truth, out),
        ExprKind::Binary(BinOp::And, a, b) if truth => {
            collect(a, true, out);
            collect(b, true, out);
        }
        ExprKind::Binary(BinOp::Or, a, b) if !truth => {
            collect(a, false, out);
            collect(b, false, out);
        }
        ExprKind::Call(name, args) if name.text == "exists" && truth => {
            if let [arg] = args.as_slice() {
                present(arg, out);
            }
        }
        ExprKind::Method(recv, name, args, _)
            if name.text == "exists" && truth && args.is_empty() =>
        {
            present(recv, out)
        }
        ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b) => {
            let (path, other) = if is_null(b) {
                (a, b)
            } else if is_null(a) {
                (b, a)
            } else {
                (a, b)
            };
            let proves_present = match (op, is_null(other)) {
                (BinOp::Ne, true) => truth,
                (BinOp::Eq, true) => !truth,
                (BinOp::Eq, false) => truth && is_literal(other),
                _ => false,
            };
            if proves_present {
                present(path, out);
            }
        }
        _ => {}
    }
}

fn present(e: &Expr, out: &mut Vec<String>) {
    if let Some(k) = key(e) {
        out.extend(prefixes(&k));
    }
}

fn is_null(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Null)
}

fn is_literal(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Str(_))
}
