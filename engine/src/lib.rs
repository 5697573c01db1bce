//! Ward's engine: documents with positions, compiled programs, evaluation and findings.
//!
//! The stages, in order: [`load`] reads inputs into [`doc`]uments; [`compile`] turns a checked
//! program into closures; [`eval`] runs them over documents and yields [`finding::Finding`]s.
//! The core does no file I/O: callers hand it bytes.

pub mod doc;
pub mod load;
