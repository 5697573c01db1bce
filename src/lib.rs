//! Ward: a typed policy language and engine for container security.
//!
//! This facade ties the stages together for hosts that embed Ward (the CLI is one): [`build`]
//! parses, checks and compiles policy sources together with the standard library; the returned
//! [`Policy`] evaluates documents loaded with [`Policy::load`]. Errors come back as data
//! ([`Diagnostic`]s with spans into [`Policy::sources`]); [`render`] turns them into text. The
//! [`embedding`] module is the guide, with examples that run as tests.

pub mod crd;
pub mod render;

#[doc = include_str!("../docs/embedding.md")]
pub mod embedding {}

use std::sync::Arc;

pub use ward_engine::doc::{Document, Limits, LoadError};
pub use ward_engine::eval::{
    DocIdentity, Finding, Options, Outcome, Patch, PatchKind, RuleError, TestResult,
};
pub use ward_engine::load::{Format, Loaded};
pub use ward_engine::project::Projection;
pub use ward_engine::value::Value;
pub use ward_engine::{Compiled, EvalError};
pub use ward_lang::ast::FindingKind;
pub use ward_lang::error::{Diagnostic, Label, Level};
pub use ward_lang::hir::Severity;
pub use ward_lang::{FileId, SourceMap, Span};

/// A policy source: a name (shown in diagnostics) and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// A path or label.
    pub name: String,
    /// The Ward text.
    pub text: String,
}

/// A compiled policy set, ready to evaluate.
pub struct Policy {
    /// The compiled program.
    pub compiled: Compiled,
    /// Every source file, the standard library's included.
    pub sources: SourceMap,
    /// Files that came from the user rather than the standard library.
    pub user_files: Vec<FileId>,
}

/// A build that failed: every diagnostic, and the sources they point into.
pub struct BuildError {
    /// Every source file.
    pub sources: SourceMap,
    /// Every error found, in file and position order.
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Debug for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&render::diagnostics(&self.sources, &self.diagnostics, false))
    }
}

/// Parses, checks and compiles `user` sources with the standard library.
pub fn build(user: &[Source]) -> Result<Policy, BuildError> {
    let stdlib = stdlib();
    let mut sources = stdlib.sources.clone();
    let user_files: Vec<FileId> =
        user.iter().map(|s| sources.add(s.name.clone(), s.text.clone())).collect();
    let mut diagnostics = stdlib.diagnostics.clone();
    let mut parsed = Vec::new();
    for id in &user_files {
        let Some(file) = sources.get(*id) else { continue };
        let p = ward_lang::parse::parse_file(*id, &file.text);
        diagnostics.extend(p.errors.iter().map(|e| e.diagnostic()));
        parsed.push((*id, p.file));
    }
    let sigs = match &stdlib.signatures {
        Ok(s) => s,
        Err(message) => {
            diagnostics.push(internal(message.clone()));
            return Err(BuildError { sources, diagnostics });
        }
    };
    let refs: Vec<(FileId, &ward_lang::ast::File)> =
        stdlib.parsed.iter().chain(parsed.iter()).map(|(id, f)| (*id, f)).collect();
    let checked = ward_lang::check(&refs, sigs);
    diagnostics.extend(checked.errors.iter().map(|e| e.diagnostic()));
    if !diagnostics.is_empty() {
        return Err(BuildError { sources, diagnostics });
    }
    match ward_engine::compile(checked.program) {
        Ok(compiled) => Ok(Policy { compiled, sources, user_files }),
        Err(errors) => {
            let diagnostics = errors.iter().map(compile_diagnostic).collect();
            Err(BuildError { sources, diagnostics })
        }
    }
}

/// The standard library, parsed once per process: its sources (file ids `0..`), trees,
/// syntax diagnostics (none, unless the library itself is broken) and the builtin signatures.
struct Stdlib {
    sources: SourceMap,
    parsed: Vec<(FileId, ward_lang::ast::File)>,
    diagnostics: Vec<Diagnostic>,
    signatures: Result<Vec<ward_lang::BuiltinSig>, String>,
}

fn stdlib() -> &'static Stdlib {
    static STDLIB: std::sync::OnceLock<Stdlib> = std::sync::OnceLock::new();
    STDLIB.get_or_init(|| {
        let mut sources = SourceMap::new();
        for (name, text) in ward_stdlib::FILES {
            sources.add(format!("<stdlib>/{name}"), *text);
        }
        let mut diagnostics = Vec::new();
        let mut parsed = Vec::new();
        for (id, file) in sources.iter() {
            let p = ward_lang::parse::parse_file(id, &file.text);
            diagnostics.extend(p.errors.iter().map(|e| e.diagnostic()));
            parsed.push((id, p.file));
        }
        Stdlib { sources, parsed, diagnostics, signatures: ward_engine::builtins::signatures() }
    })
}

fn internal(message: String) -> Diagnostic {
    plain("E0499", message, Span::default())
}

fn compile_diagnostic(e: &ward_engine::CompileError) -> Diagnostic {
    plain(e.code(), e.to_string(), e.span())
}

/// A diagnostic with a code, a message and a span, and nothing else.
fn plain(code: &'static str, message: String, span: Span) -> Diagnostic {
    Diagnostic {
        code,
        level: Level::Error,
        message,
        span,
        label: String::new(),
        labels: Vec::new(),
        help: None,
    }
}

impl Policy {
    /// Loads one input against this policy's key table.
    pub fn load(
        &self,
        name: &str,
        bytes: &[u8],
        format: Option<Format>,
        limits: &Limits,
    ) -> ward_engine::load::Loaded {
        ward_engine::load::load(name, bytes, format, &self.compiled.symbols, limits)
    }

    /// Loads one input building only what `projection` keeps (from
    /// [`Compiled::projection`]); the documents must be evaluated only by the rules the
    /// projection was computed for.
    pub fn load_projected(
        &self,
        name: &str,
        bytes: &[u8],
        format: Option<Format>,
        limits: &Limits,
        projection: Option<&std::sync::Arc<Projection>>,
    ) -> ward_engine::load::Loaded {
        ward_engine::load::load_projected(
            name,
            bytes,
            format,
            &self.compiled.symbols,
            limits,
            projection,
        )
    }

    /// [`Policy::load`] of input already known to be text (a `&str`): the same documents and
    /// errors, without checking again that it is UTF-8.
    pub fn load_text(
        &self,
        name: &str,
        text: &str,
        format: Option<Format>,
        limits: &Limits,
    ) -> ward_engine::load::Loaded {
        ward_engine::load::load_text(name, text, format, &self.compiled.symbols, limits)
    }

    /// [`Policy::load_projected`] of input already known to be text (see
    /// [`Policy::load_text`]).
    pub fn load_text_projected(
        &self,
        name: &str,
        text: &str,
        format: Option<Format>,
        limits: &Limits,
        projection: Option<&std::sync::Arc<Projection>>,
    ) -> ward_engine::load::Loaded {
        ward_engine::load::load_text_projected(
            name,
            text,
            format,
            &self.compiled.symbols,
            limits,
            projection,
        )
    }

    /// Indices of the rules declared in user files.
    pub fn user_rules(&self) -> Vec<u32> {
        let user: std::collections::HashSet<FileId> = self.user_files.iter().copied().collect();
        self.compiled
            .program
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| user.contains(&r.span.file))
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// Indices of the rules tagged `tag`.
    pub fn tagged(&self, tag: &str) -> Vec<u32> {
        self.compiled
            .program
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.tags.iter().any(|t| t == tag))
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// Sets a parameter from command-line text: a Ward literal when it parses as one that fits,
    /// otherwise the text itself as a string.
    pub fn set_param_text(&mut self, name: &str, text: &str) -> Result<(), String> {
        let literal = parse_literal(text);
        match literal {
            Some(v) if self.compiled.set_param(name, v.clone()).is_ok() => Ok(()),
            _ => self.compiled.set_param(name, Value::Str(text.into())).map_err(|e| e.to_string()),
        }
    }
}

/// The module and function that [`eval_expr`] wraps an expression in.
const EXPR_PREFIX: &str = "module expr\nfn value() {\n";
const EXPR_SUFFIX: &str = "\n}\n";

/// Evaluates one Ward expression (which may start with `let` bindings) with the standard library
/// in scope and no documents, and returns its value as JSON.
///
/// On failure, every diagnostic is returned; spans that point into the expression are byte
/// offsets into `text` (their `file` is meaningless), so `1 +` reports at offset 3. A run-time
/// error comes back as one diagnostic with the error's code (`E05xx`).
pub fn eval_expr(text: &str) -> Result<serde_json::Value, Vec<Diagnostic>> {
    let source =
        Source { name: "<expr>".into(), text: format!("{EXPR_PREFIX}{text}{EXPR_SUFFIX}") };
    let (file, len) = (FileId(ward_stdlib::FILES.len() as u32), text.len() as u32);
    let relocate = |mut span: Span| {
        if span.file == file {
            let shift = |o: u32| o.saturating_sub(EXPR_PREFIX.len() as u32).min(len);
            span = Span::new(file, shift(span.start), shift(span.end));
        }
        span
    };
    let relocate_all = |mut d: Diagnostic| {
        d.span = relocate(d.span);
        for l in &mut d.labels {
            l.span = relocate(l.span);
        }
        d
    };
    let policy = build(&[source])
        .map_err(|e| e.diagnostics.into_iter().map(relocate_all).collect::<Vec<_>>())?;
    match policy.compiled.call_function("expr.value", &[]) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(vec![relocate_all(eval_diagnostic(&e))]),
        None => Err(vec![internal("the expression's function is missing".into())]),
    }
}

/// A run-time error as a diagnostic.
pub fn eval_diagnostic(e: &EvalError) -> Diagnostic {
    plain(e.code(), e.to_string(), e.span())
}

/// Diagnostics as JSON, each with its file, 1-based line and column (start and end), code,
/// level, message, label, secondary labels and help: what embedders and `--format json` show.
pub fn diagnostics_json(sources: &SourceMap, diags: &[Diagnostic]) -> serde_json::Value {
    let at = |span: Span| {
        let file = sources.get(span.file);
        let (line, column) = file.map_or((0, 0), |f| f.line_col(span.start));
        let (end_line, end_column) = file.map_or((0, 0), |f| f.line_col(span.end));
        let name = file.map_or(String::new(), |f| f.name.clone());
        serde_json::json!({ "file": name, "line": line, "column": column, "end_line": end_line, "end_column": end_column })
    };
    serde_json::Value::Array(
        diags
            .iter()
            .map(|d| {
                let mut v = at(d.span);
                if let serde_json::Value::Object(m) = &mut v {
                    m.insert("code".into(), d.code.into());
                    m.insert("level".into(), serde_json::to_value(d.level).unwrap_or_default());
                    m.insert("message".into(), d.message.clone().into());
                    m.insert("label".into(), d.label.clone().into());
                    m.insert("help".into(), d.help.clone().into());
                    let labels: Vec<serde_json::Value> = d
                        .labels
                        .iter()
                        .map(|l| {
                            let mut lv = at(l.span);
                            if let serde_json::Value::Object(lm) = &mut lv {
                                lm.insert("message".into(), l.message.clone().into());
                            }
                            lv
                        })
                        .collect();
                    m.insert("labels".into(), labels.into());
                }
                v
            })
            .collect(),
    )
}

/// Parses a JSON literal (numbers, booleans, quoted strings, lists, maps).
fn parse_literal(text: &str) -> Option<Value> {
    serde_json::from_str::<serde_json::Value>(text).ok().map(|j| Value::from_json(&j))
}

/// Shared empty key table for loading without a policy.
pub fn empty_symbols() -> Arc<ward_engine::doc::Symbols> {
    Arc::new(ward_engine::doc::Symbols::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_expr_computes_values() {
        assert_eq!(eval_expr("1 + 2").unwrap(), serde_json::json!(3));
        assert_eq!(
            eval_expr("let x = [1, 2]\nx.map(i => i * 2)").unwrap(),
            serde_json::json!([2, 4])
        );
        assert_eq!(eval_expr("upper(\"a\") + \"b\"").unwrap(), serde_json::json!("Ab"));
    }

    #[test]
    fn eval_expr_reports_errors_relative_to_the_text() {
        let errs = eval_expr("1 + \"a\"").unwrap_err();
        assert_eq!(errs[0].code, "E0305");
        assert_eq!((errs[0].span.start, errs[0].span.end), (0, 7));
        let errs = eval_expr("nope").unwrap_err();
        assert_eq!((errs[0].code, errs[0].span.start, errs[0].span.end), ("E0201", 0, 4));
    }

    #[test]
    fn eval_expr_reports_run_time_errors() {
        let errs = eval_expr("let z = 0\n1 / z").unwrap_err();
        assert_eq!(errs[0].code, "E0504");
        assert_eq!(errs[0].span.start, 10);
    }
}
