//! Ward's engine: documents with positions, compiled programs, evaluation and findings.
//!
//! The stages, in order: [`load`] reads inputs into [`doc`]uments; [`compile()`] turns a checked
//! program into closures; [`eval`] runs them over documents and yields [`eval::Finding`]s.
//! The core does no file I/O: callers hand it bytes or text.

pub mod builtins;
pub mod compile;
pub mod doc;
pub mod error;
pub mod eval;
pub mod load;
mod needs;
pub mod project;
mod statics;
pub mod value;

pub use compile::{Compiled, compile};
pub use error::{CompileError, EvalError};
pub use eval::{DocIdentity, Finding, Options, Outcome, Patch, PatchKind};
