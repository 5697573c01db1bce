//! The conformance suite: runs every case of `spec/conformance/*.yaml`.
//!
//! Each file covers one area of the language, split into sections of cases. A case is an `expr`
//! (evaluated with [`ward::eval_expr`]) or a `policy` (a whole module, built with the standard
//! library), and expects exactly one outcome:
//!
//! - `value`: the expression's value; for a policy, the value of its function `main()`;
//! - `findings`: the exact list of findings of the policy's rules over `input` (each listed
//!   field must match; fields left out are not compared). The policy's `test` blocks run too:
//!   the ones that fail must be exactly `failing_tests` (none by default);
//! - `error`: some diagnostic (build error, `--set` error or run-time error) has `code` and,
//!   when given, starts at `line`/`column` of the expression or policy text, and contains
//!   `message`.
//!
//! `modules` adds more Ward files beside `policy` (positions are always in `policy`).
//! `set` gives parameters as `--set` does (`module.name: text`); `max_steps` sets the evaluation
//! budget per rule and document. The files are read with Ward's
//! own loader, into structs that reject unknown fields. Known failures are listed, one
//! `area / section / case` a line, in `spec/conformance/known-failures.txt`: a listed case that
//! passes fails the suite, so the list only shrinks.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed assumption should fail the test loudly"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value as J;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    area: String,
    #[serde(default)]
    doc: Option<String>,
    sections: Vec<Section>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    name: String,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    expr: Option<String>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    modules: Vec<String>,
    #[serde(default)]
    input: Option<String>,
    #[serde(default)]
    set: BTreeMap<String, J>,
    #[serde(default, deserialize_with = "present")]
    value: Option<J>,
    #[serde(default)]
    findings: Option<Vec<FindingSpec>>,
    #[serde(default)]
    error: Option<ErrorSpec>,
    #[serde(default)]
    failing_tests: Vec<String>,
    #[serde(default)]
    max_steps: Option<u64>,
}

/// Deserializes a field that is present, even when it is `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<J>, D::Error> {
    J::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct FindingSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    controls: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    fix: Option<J>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct ErrorSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// A diagnostic reduced to what a case can compare.
#[derive(Debug)]
struct Got {
    code: String,
    message: String,
    /// Line and column in the case's own text, when the span points there.
    at: Option<(u32, u32)>,
}

impl std::fmt::Display for Got {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.at {
            Some((l, c)) => write!(f, "{} at {l}:{c}: {}", self.code, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

/// Reads a case file with Ward's own loader.
fn read_case_file(path: &Path) -> Result<CaseFile, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let name = path.display().to_string();
    let loaded = ward_engine::load::load(
        &name,
        &bytes,
        Some(ward::Format::Yaml),
        &ward::empty_symbols(),
        &ward::Limits::default(),
    );
    if let Some(e) = loaded.errors.first() {
        return Err(format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message));
    }
    let [doc] = loaded.docs.as_slice() else {
        return Err("a case file holds exactly one YAML document".into());
    };
    serde_json::from_value(doc.to_json()).map_err(|e| e.to_string())
}

/// Every case file, sorted by name.
pub fn case_files() -> Vec<std::path::PathBuf> {
    let dir = common::root().join("spec/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn line_col(text: &str, offset: u32) -> (u32, u32) {
    let f = ward_lang::span::SourceFile::new("", text);
    f.line_col(offset)
}

/// Runs one case; `Err` holds what went wrong.
fn run_case(case: &Case) -> Result<(), String> {
    let outcomes = usize::from(case.value.is_some())
        + usize::from(case.findings.is_some())
        + usize::from(case.error.is_some());
    if outcomes != 1 {
        return Err("a case expects exactly one of `value`, `findings` and `error`".into());
    }
    match (&case.expr, &case.policy) {
        (Some(e), None) => {
            if case.input.is_some()
                || !case.set.is_empty()
                || case.findings.is_some()
                || !case.modules.is_empty()
            {
                return Err(
                    "an `expr` case takes no `input`, `set`, `modules` or `findings`".into()
                );
            }
            run_expr(case, e)
        }
        (None, Some(p)) => run_policy(case, p),
        _ => Err("a case has exactly one of `expr` and `policy`".into()),
    }
}

fn run_expr(case: &Case, text: &str) -> Result<(), String> {
    match ward::eval_expr(text) {
        Ok(v) => match (&case.value, &case.error) {
            (Some(want), _) if *want == v => Ok(()),
            (Some(want), _) => Err(format!("value: expected {want}, got {v}")),
            (_, Some(e)) => Err(format!("expected error {}, got value {v}", json(e))),
            _ => Err(format!("got value {v}")),
        },
        Err(diags) => {
            let got: Vec<Got> = diags
                .iter()
                .map(|d| Got {
                    code: d.code.into(),
                    message: d.message.clone(),
                    at: Some(line_col(text, d.span.start)),
                })
                .collect();
            expect_error(case, &got)
        }
    }
}

fn expect_error(case: &Case, got: &[Got]) -> Result<(), String> {
    let list = || got.iter().map(|g| format!("\n    {g}")).collect::<String>();
    let Some(want) = &case.error else {
        return Err(format!("unexpected errors:{}", list()));
    };
    let hit = got.iter().any(|g| {
        want.code.as_ref().is_none_or(|c| *c == g.code)
            && want.message.as_ref().is_none_or(|m| g.message.contains(m.as_str()))
            && want.line.is_none_or(|l| g.at.is_some_and(|(gl, _)| gl == l))
            && want.column.is_none_or(|c| g.at.is_some_and(|(_, gc)| gc == c))
    });
    if hit { Ok(()) } else { Err(format!("expected error {}, got:{}", json(want), list())) }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}

fn run_policy(case: &Case, text: &str) -> Result<(), String> {
    let mut sources = vec![ward::Source { name: "policy.ward".into(), text: text.into() }];
    for (i, m) in case.modules.iter().enumerate() {
        sources.push(ward::Source { name: format!("module{i}.ward"), text: m.clone() });
    }
    let mut policy = match ward::build(&sources) {
        Ok(p) => p,
        Err(e) => {
            let user = e.sources.iter().find(|(_, f)| f.name == "policy.ward").map(|(id, _)| id);
            let got: Vec<Got> = e
                .diagnostics
                .iter()
                .map(|d| Got {
                    code: d.code.into(),
                    message: d.message.clone(),
                    at: (Some(d.span.file) == user).then(|| line_col(text, d.span.start)),
                })
                .collect();
            return expect_error(case, &got);
        }
    };
    for (k, v) in &case.set {
        let text = match v {
            J::String(s) => s.clone(),
            other => other.to_string(),
        };
        if let Err(message) = policy.set_param_text(k, &text) {
            let code = if message.starts_with("unknown") { "" } else { "E0318" };
            return expect_error(case, &[Got { code: code.into(), message, at: None }]);
        }
    }
    let module = ward_lang::parse::parse_file(ward::FileId(0), text)
        .file
        .module
        .map(|m| m.dotted())
        .unwrap_or_default();
    let at = |span: ward::Span| {
        (policy.user_files.first() == Some(&span.file)).then(|| line_col(text, span.start))
    };
    if let Some(want) = &case.value {
        return match policy.compiled.call_function(&format!("{module}.main"), &[]) {
            None => Err("a `policy` case with a `value` needs `fn main()`".into()),
            Some(Ok(v)) if v == *want => Ok(()),
            Some(Ok(v)) => Err(format!("value: expected {want}, got {v}")),
            Some(Err(e)) => Err(format!("run-time error: {} {e}", e.code())),
        };
    }
    let docs = match &case.input {
        Some(input) => {
            let loaded =
                policy.load("input.yaml", input.as_bytes(), None, &ward::Limits::default());
            if let Some(e) = loaded.errors.first() {
                return Err(format!("input:{}:{}: {}", e.line, e.column, e.message));
            }
            loaded.docs
        }
        None => Vec::new(),
    };
    let opts = ward::Options {
        rules: Some(policy.user_rules()),
        sequential: true,
        max_steps: case.max_steps,
        ..ward::Options::default()
    };
    let outcome = policy.compiled.evaluate(&docs, &opts);
    if !outcome.errors.is_empty() {
        let got: Vec<Got> = outcome
            .errors
            .iter()
            .map(|e| Got {
                code: e.error.code().into(),
                message: e.error.to_string(),
                at: at(e.error.span()),
            })
            .collect();
        return expect_error(case, &got);
    }
    let Some(want) = &case.findings else {
        return Err(format!(
            "expected error {}, got findings {}",
            json(&case.error),
            json(&outcome.findings)
        ));
    };
    compare_findings(want, &outcome.findings)?;
    let results = policy.compiled.run_tests();
    let failing: BTreeSet<&str> =
        results.iter().filter(|r| !r.failures.is_empty()).map(|r| r.name.as_str()).collect();
    let expected: BTreeSet<&str> = case.failing_tests.iter().map(String::as_str).collect();
    if failing != expected {
        let detail: String = results
            .iter()
            .filter(|r| !r.failures.is_empty())
            .flat_map(|r| r.failures.iter().map(move |(_, m)| format!("\n    {}: {m}", r.name)))
            .collect();
        return Err(format!("failing tests: expected {expected:?}, got {failing:?}{detail}"));
    }
    Ok(())
}

fn compare_findings(want: &[FindingSpec], got: &[ward::Finding]) -> Result<(), String> {
    let mut diff = String::new();
    for i in 0..want.len().max(got.len()) {
        match (want.get(i), got.get(i)) {
            (Some(w), Some(g)) => {
                let gj = serde_json::to_value(g).unwrap();
                let wj = serde_json::to_value(w).unwrap();
                for (k, v) in wj.as_object().unwrap() {
                    let actual = gj.get(k).cloned().unwrap_or(J::Null);
                    if actual != *v {
                        let _ = write!(diff, "\n    finding {i}: `{k}` expected {v}, got {actual}");
                    }
                }
            }
            (Some(w), None) => {
                let _ = write!(diff, "\n    finding {i}: missing, expected {}", json(w));
            }
            (None, Some(g)) => {
                let _ = write!(
                    diff,
                    "\n    finding {i}: unexpected: {} {} at {} ({}:{})",
                    g.rule(),
                    g.message(),
                    g.pointer(),
                    g.line(),
                    g.column()
                );
            }
            (None, None) => {}
        }
    }
    if diff.is_empty() { Ok(()) } else { Err(format!("findings differ:{diff}")) }
}

fn known_failures() -> BTreeSet<String> {
    let path = common::root().join("spec/conformance/known-failures.txt");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[test]
fn conformance() {
    let known = known_failures();
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    let mut ran = 0usize;
    let mut known_failed = 0usize;
    for path in case_files() {
        let file_name = path.file_name().unwrap().to_string_lossy().to_string();
        let file = match read_case_file(&path) {
            Ok(f) => f,
            Err(e) => {
                problems.push(format!("{file_name}: cannot read: {e}"));
                continue;
            }
        };
        if file.doc.as_ref().is_some_and(|d| d.trim().is_empty()) {
            problems.push(format!("{file_name}: empty `doc`"));
        }
        if file_name != format!("{}.yaml", file.area) {
            problems.push(format!("{file_name}: holds area `{}`", file.area));
        }
        for section in &file.sections {
            for case in &section.cases {
                let id = format!("{} / {} / {}", file.area, section.name, case.name);
                if !seen.insert(id.clone()) {
                    problems.push(format!("{file_name}: duplicate case `{id}`"));
                }
                ran += 1;
                let result = run_case(case);
                match (result, known.contains(&id)) {
                    (Ok(()), false) => {}
                    (Ok(()), true) => problems.push(format!(
                        "{file_name}: `{id}` passes: remove it from known-failures.txt"
                    )),
                    (Err(_), true) => known_failed += 1,
                    (Err(e), false) => problems.push(format!("{file_name}: `{id}`: {e}")),
                }
            }
        }
    }
    for k in known.difference(&seen) {
        problems.push(format!("known-failures.txt lists `{k}`, which is not a case"));
    }
    println!("conformance: {ran} cases run, {known_failed} known failures");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    assert!(ran >= 300, "the suite should hold at least 300 cases, found {ran}");
}

/// Every error code of the front end and the engine has a conformance case.
#[test]
fn every_error_code_has_a_case() {
    let mut covered = BTreeSet::new();
    for path in case_files() {
        let file = read_case_file(&path).unwrap();
        for s in &file.sections {
            for c in &s.cases {
                if let Some(code) = c.error.as_ref().and_then(|e| e.code.clone()) {
                    covered.insert(code);
                }
            }
        }
    }
    let missing: Vec<String> = all_error_codes()
        .into_iter()
        .filter(|c| !covered.contains(c) && !UNREACHABLE_CODES.contains(&c.as_str()))
        .collect();
    assert!(missing.is_empty(), "error codes without a conformance case: {missing:?}");
}

/// Codes that no program can trigger: they flag bugs in Ward itself.
/// (`E0319` is reserved: invalid document literals are found by the compiler, as `E0402`;
/// `E0502` needs a deadline, which no host sets yet.)
pub const UNREACHABLE_CODES: &[&str] = &["E0319", "E0499", "E0502"];

use common::all_error_codes;
