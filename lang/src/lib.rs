//! Ward's front end: source text to a checked, typed program.
//!
//! The stages, in order: [`lex`] → [`parse`] (syntax tree in [`ast`]) → [`mod@check`] (names resolved,
//! types checked, typed IR in [`hir`]). Errors are data ([`error::Error`]); rendering them is the
//! job of the edges. This crate does no I/O.

pub mod ast;
pub mod error;
pub mod lex;
pub mod parse;
pub mod span;

pub use error::{Diagnostic, Error};
pub use span::{FileId, SourceMap, Span};
pub mod check;
pub mod hir;
pub mod types;

pub use check::{BuiltinSig, Checked, check};
pub mod fmt;
