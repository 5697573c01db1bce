//! The reference in `spec/` is executable: every example runs, `spec/builtins.md` is generated
//! from the builtin table, every error code is documented, and the grammar names every token.
//!
//! Examples are fenced blocks: ```` ```ward ```` holds a whole module that must build (with the
//! standard library) and whose `test` blocks must pass; ```` ```ward error=E0301 ```` a module
//! whose build fails with that code; ```` ```expr ```` lines `EXPR --> RESULT`, where `RESULT`
//! is a Ward expression of the same value or `error E0xxx`. Set `UPDATE_SPEC=1` to rewrite
//! `spec/builtins.md`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed assumption should fail the test loudly"
)]

mod common;

use std::fmt::Write as _;

fn spec_file(name: &str) -> String {
    std::fs::read_to_string(common::root().join("spec").join(name)).unwrap()
}

/// Fenced blocks of a Markdown text: (info string, body, line of the opening fence).
fn blocks(md: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut open: Option<(String, String, usize)> = None;
    for (i, line) in md.lines().enumerate() {
        match (&mut open, line.trim_start().strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim().to_string(), String::new(), i + 1)),
            (Some(_), Some(_)) => out.extend(open.take()),
            (Some((_, body, _)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// Checks one `EXPR --> RESULT` line.
fn check_example(expr: &str, result: &str) -> Result<(), String> {
    let got = ward::eval_expr(expr);
    if let Some(code) = result.strip_prefix("error ") {
        return match got {
            Err(d) if d.iter().any(|d| d.code == code) => Ok(()),
            Err(d) => Err(format!(
                "`{expr}`: expected {code}, got {:?}",
                d.iter().map(|d| d.code).collect::<Vec<_>>()
            )),
            Ok(v) => Err(format!("`{expr}`: expected {code}, got {v}")),
        };
    }
    let want = ward::eval_expr(result)
        .map_err(|d| format!("`{result}` does not evaluate: {}", d[0].message))?;
    match got {
        Ok(v) if v == want => Ok(()),
        Ok(v) => Err(format!("`{expr}`: expected {want}, got {v}")),
        Err(d) => Err(format!("`{expr}`: {} {}", d[0].code, d[0].message)),
    }
}

fn check_module(text: &str, want_error: Option<&str>) -> Result<(), String> {
    let built = ward::build(&[ward::Source { name: "example.ward".into(), text: text.into() }]);
    match (built, want_error) {
        (Ok(p), None) => {
            let failing: Vec<String> = p
                .compiled
                .run_tests()
                .into_iter()
                .filter(|t| !t.failures.is_empty())
                .map(|t| format!("{}: {:?}", t.name, t.failures))
                .collect();
            if failing.is_empty() { Ok(()) } else { Err(format!("failing tests: {failing:?}")) }
        }
        (Ok(_), Some(code)) => Err(format!("expected {code}, but it builds")),
        (Err(e), None) => {
            Err(format!("does not build: {} {}", e.diagnostics[0].code, e.diagnostics[0].message))
        }
        (Err(e), Some(code)) if e.diagnostics.iter().any(|d| d.code == code) => Ok(()),
        (Err(e), Some(code)) => Err(format!(
            "expected {code}, got {:?}",
            e.diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect::<Vec<_>>()
        )),
    }
}

#[test]
fn every_example_in_the_reference_runs() {
    let mut problems = Vec::new();
    let mut ran = 0;
    let dir = common::root().join("spec");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let md = std::fs::read_to_string(&path).unwrap();
        for (info, body, line) in blocks(&md) {
            let mut words = info.split_whitespace();
            let result = match words.next() {
                Some("ward") => {
                    ran += 1;
                    let code = words.next().and_then(|w| w.strip_prefix("error="));
                    check_module(&body, code)
                }
                Some("expr") => body.lines().filter(|l| !l.trim().is_empty()).try_for_each(|l| {
                    ran += 1;
                    match l.split_once(" --> ") {
                        Some((e, r)) => check_example(e.trim(), r.trim()),
                        None => Err(format!("`{l}` is not `EXPR --> RESULT`")),
                    }
                }),
                _ => Ok(()),
            };
            if let Err(e) = result {
                problems.push(format!("spec/{name}:{line}: {e}"));
            }
        }
    }
    println!("reference: {ran} examples run");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_builtin_example_holds() {
    let mut problems = Vec::new();
    for b in ward_engine::builtins::table() {
        for (expr, result) in b.examples {
            if let Err(e) = check_example(expr, result) {
                problems.push(format!("{}: {e}", b.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `spec/builtins.md`, as generated from the table.
fn builtins_md() -> String {
    let mut out = String::from(
        "# Builtins\n\n<!-- Generated from the builtin table (engine/src/builtins) by tests/spec.rs; \
         do not edit. Regenerate with `UPDATE_SPEC=1 cargo test --test spec`. -->\n\n\
         Every builtin can be called as a function, `len(xs)`, or as a method of its first \
         argument, `xs.len()`. A name with several signatures is overloaded on its first \
         argument. `T` and `U` stand for any type; `Kinds<T>` is a kind (or a union of kinds) \
         named as a value. The examples run as tests.\n\n",
    );
    let table = ward_engine::builtins::table();
    let mut names: Vec<&str> = Vec::new();
    for b in table {
        if !names.contains(&b.name) {
            names.push(b.name);
        }
    }
    let _ = writeln!(out, "| builtin | signatures |\n| --- | --- |");
    for n in &names {
        let sigs: Vec<String> =
            table.iter().filter(|b| b.name == *n).map(|b| format!("`{}`", b.sig)).collect();
        let _ = writeln!(out, "| [`{n}`](#{n}) | {} |", sigs.join("<br>"));
    }
    for n in &names {
        let _ = write!(out, "\n## {n}\n");
        for b in table.iter().filter(|b| b.name == *n) {
            let _ = write!(out, "\n`{} {}`\n\n{}\n", b.name, b.sig.trim_start_matches("fn"), b.doc);
            if !b.examples.is_empty() {
                out.push_str("\n```expr\n");
                for (e, r) in b.examples {
                    let _ = writeln!(out, "{e} --> {r}");
                }
                out.push_str("```\n");
            }
        }
    }
    out
}

#[test]
fn builtins_md_is_generated_from_the_table() {
    let path = common::root().join("spec/builtins.md");
    let want = builtins_md();
    if std::env::var_os("UPDATE_SPEC").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "spec/builtins.md is stale: run `UPDATE_SPEC=1 cargo test --test spec`");
}

use common::all_error_codes;

#[test]
fn every_error_code_is_documented_with_an_example() {
    let md = spec_file("errors.md");
    let mut problems = Vec::new();
    for code in all_error_codes() {
        let Some(start) = md.find(&format!("## {code}")) else {
            problems.push(format!("{code} has no section in spec/errors.md"));
            continue;
        };
        let section = md[start + 3..].split("\n## ").next().unwrap_or("");
        let example = section.contains(&format!("error={code}"))
            || section.contains(&format!("error {code}"));
        if !example && !section.contains("No program triggers it") {
            problems.push(format!("{code} has no example in spec/errors.md"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The grammar names every keyword and punctuation token the lexer knows.
#[test]
fn the_grammar_names_every_token() {
    let lex = std::fs::read_to_string(common::root().join("lang/src/lex.rs")).unwrap();
    let grammar = spec_file("grammar.md");
    let mut missing = Vec::new();
    for macro_name in ["keywords! {", "puncts! {"] {
        let start = lex.find(macro_name).unwrap();
        let body = &lex[start..start + lex[start..].find("\n}").unwrap()];
        for (i, _) in body.match_indices(" = \"") {
            let rest = &body[i + 4..];
            let token = &rest[..rest.find('"').unwrap()];
            if !grammar.contains(&format!("\"{token}\"")) {
                missing.push(token.to_string());
            }
        }
    }
    assert!(missing.is_empty(), "tokens missing from spec/grammar.md: {missing:?}");
}
