//! Static calls: calls whose value is the same for every document of an evaluation.
//!
//! A function body sees only its parameters, host parameters, constants and document literals,
//! unless it asks the input index (`of`). So a call of a function that never does, directly or
//! through the functions it calls, with arguments built only from constants and host
//! parameters, has one value per evaluation: the engine computes it once and reuses it.

use ward_lang::hir::{self, ExprKind as H};

use crate::builtins::{Builtin, Impl};

/// Which functions never read the input index, directly or through the functions they call.
pub(crate) fn functions(program: &hir::Program, table: &[Builtin]) -> Vec<bool> {
    settle(program, true, |body, ok| !reads_inputs(body, ok, table))
}

/// Which functions are cheaper to run than to memoise: small bodies of field reads,
/// comparisons, constants and plain builtins, calling only other cheap functions. Looking a call
/// up in the memo (hashing its arguments, cloning string keys) costs more than running them.
pub(crate) fn cheap(program: &hir::Program, table: &[Builtin]) -> Vec<bool> {
    settle(program, false, |body, cheap| is_cheap(body, cheap, table, &mut 0))
}

/// A flag per function, starting at `start` and flipped for each function whose body no longer
/// `holds` given the others' flags, until nothing changes. Functions do not recurse, so this
/// terminates.
fn settle(
    program: &hir::Program,
    start: bool,
    holds: impl Fn(&hir::Expr, &[bool]) -> bool,
) -> Vec<bool> {
    let mut flags = vec![start; program.functions.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for (i, func) in program.functions.iter().enumerate() {
            if flags.get(i) == Some(&start) && holds(&func.body, &flags) != start {
                if let Some(x) = flags.get_mut(i) {
                    *x = !start;
                }
                changed = true;
            }
        }
    }
    flags
}

/// Expression nodes a cheap function body may have at most.
const CHEAP_SIZE: usize = 24;

fn is_cheap(e: &hir::Expr, cheap: &[bool], table: &[Builtin], size: &mut usize) -> bool {
    *size += 1;
    let head = match &e.kind {
        H::Const(_) | H::Local(_) | H::Param(_) | H::Field(..) | H::Index(..) => true,
        H::Unary(..) | H::Binary(..) | H::If(..) | H::Let(..) | H::OptChain(..) => true,
        H::Call(fid, _) => cheap.get(*fid as usize) == Some(&true),
        H::Builtin(id, _) => {
            table.get(*id as usize).is_some_and(|b| matches!(b.imp, Impl::Pure(_)))
        }
        _ => false,
    };
    head && *size <= CHEAP_SIZE && children(e).into_iter().all(|c| is_cheap(c, cheap, table, size))
}

/// Whether `e` calls `of` or a function not (yet) known to be free of it.
fn reads_inputs(e: &hir::Expr, ok: &[bool], table: &[Builtin]) -> bool {
    let bad = match &e.kind {
        H::Call(fid, _) => ok.get(*fid as usize) != Some(&true),
        H::Builtin(id, _) => table.get(*id as usize).is_none_or(|b| matches!(b.imp, Impl::Of)),
        _ => false,
    };
    bad || children(e).into_iter().any(|c| reads_inputs(c, ok, table))
}

/// Whether `e` has one value per evaluation: built from constants, host parameters, document
/// literals, pure builtins and calls of `functions` only.
pub(crate) fn is_static(e: &hir::Expr, functions: &[bool], table: &[Builtin]) -> bool {
    let head = match &e.kind {
        H::Const(_) | H::Param(_) | H::DocLit(..) | H::TypeRef(_) => true,
        H::Field(..) | H::Index(..) | H::Unary(..) | H::Binary(..) | H::List(_) | H::Map(_) => true,
        H::Interp(_) | H::If(..) => true,
        H::Call(fid, _) => functions.get(*fid as usize) == Some(&true),
        H::Builtin(id, _) => {
            table.get(*id as usize).is_some_and(|b| matches!(b.imp, Impl::Pure(_) | Impl::Regex))
        }
        H::Local(_) | H::Lambda(..) | H::Match(..) | H::Let(..) | H::OptChain(..) => false,
        H::Error => false,
    };
    head && children(e).into_iter().all(|c| is_static(c, functions, table))
}

/// The direct sub-expressions of `e`.
fn children(e: &hir::Expr) -> Vec<&hir::Expr> {
    match &e.kind {
        H::Const(_) | H::Local(_) | H::Param(_) | H::DocLit(..) | H::TypeRef(_) | H::Error => {
            Vec::new()
        }
        H::Field(b, _) | H::Unary(_, b) | H::Lambda(_, b) => vec![b],
        H::Index(a, b) | H::Binary(_, a, b) | H::Let(_, a, b) | H::OptChain(_, a, b) => {
            vec![a, b]
        }
        H::Call(_, xs) | H::Builtin(_, xs) | H::List(xs) | H::Interp(xs) => xs.iter().collect(),
        H::Map(kvs) => kvs.iter().flat_map(|(k, v)| [k, v]).collect(),
        H::Match(s, arms) => std::iter::once(&**s).chain(arms.iter().map(|a| &a.body)).collect(),
        H::If(c, a, b) => vec![c, a, b],
    }
}
