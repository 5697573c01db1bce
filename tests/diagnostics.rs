//! Snapshot tests of the checker's diagnostics, so that their wording is reviewed like code.
//!
//! Each `tests/diagnostics/*.ward` is a small policy that states its intent in its first comment
//! and fails to check; this test builds it with the standard library, renders every diagnostic
//! as plain text (`render::diagnostics(.., color = false)`) and compares the text with
//! `tests/diagnostics/snapshots/<name>.snap`. A case may hold several files: a line
//! `//# file: NAME.ward` starts the next one.
//!
//! To accept changed wording: `INSTA_UPDATE=always cargo test --test diagnostics` (or
//! `cargo insta review`), then review the diff of the `.snap` files.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests fail loudly"
)]

mod common;

use ward::{Source, build, render};

/// The sources of one case: split at `//# file: NAME` lines; the first file is named after the
/// case.
fn sources(name: &str, text: &str) -> Vec<Source> {
    let mut out = vec![Source { name: format!("{name}.ward"), text: String::new() }];
    for line in text.split_inclusive('\n') {
        if let Some(file) = line.trim().strip_prefix("//# file:") {
            out.push(Source { name: file.trim().to_string(), text: String::new() });
        } else {
            out.last_mut().unwrap().text.push_str(line);
        }
    }
    out
}

#[test]
fn diagnostics_render_as_reviewed() {
    let dir = common::root().join("tests/diagnostics");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ward"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "only {} diagnostic cases", cases.len());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir.join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let mut codes = std::collections::BTreeSet::new();
    for path in &cases {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.starts_with("//"), "{name}: start with a comment stating the intent");
        let err = match build(&sources(&name, &text)) {
            Ok(_) => panic!("{name}: expected a diagnostic, but the policy checks"),
            Err(e) => e,
        };
        for d in &err.diagnostics {
            assert!(
                !d.message.ends_with('.') && !d.message.starts_with(char::is_uppercase),
                "{name}: message style: {}",
                d.message
            );
            codes.insert(d.code);
        }
        let rendered = render::diagnostics(&err.sources, &err.diagnostics, false);
        settings.set_input_file(path);
        settings.bind(|| insta::assert_snapshot!(name.as_str(), rendered));
    }
    assert!(codes.len() >= 35, "only {} distinct codes: {codes:?}", codes.len());
}
