//! Rendering diagnostics and findings as text, with source snippets (`codespan-reporting`).

use codespan_reporting::diagnostic::{Diagnostic as CDiag, Label as CLabel, Severity as CSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::{Ansi, NoColor};
use codespan_reporting::term::{self, Config};

use crate::{Diagnostic, Finding, Level, SourceMap};

fn files(sources: &SourceMap) -> SimpleFiles<String, String> {
    let mut files = SimpleFiles::new();
    for (_, f) in sources.iter() {
        files.add(f.name.clone(), f.text.clone());
    }
    files
}

/// Renders policy diagnostics; `color` adds ANSI colours.
pub fn diagnostics(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let files = files(sources);
    let mut out = Vec::new();
    for d in diags {
        let severity = match d.level {
            Level::Error => CSeverity::Error,
            Level::Warning => CSeverity::Warning,
        };
        let file = d.span.file.0 as usize;
        let mut labels = vec![
            CLabel::primary(file, d.span.start as usize..d.span.end as usize)
                .with_message(d.label.clone()),
        ];
        labels.extend(d.labels.iter().map(|l| {
            CLabel::secondary(l.span.file.0 as usize, l.span.start as usize..l.span.end as usize)
                .with_message(l.message.clone())
        }));
        let mut diag = CDiag::new(severity)
            .with_code(d.code)
            .with_message(d.message.clone())
            .with_labels(labels);
        if let Some(h) = &d.help {
            diag = diag.with_notes(vec![format!("help: {h}")]);
        }
        out.push(render_one(&files, &diag, color));
    }
    out.concat()
}

/// Renders findings against the manifests they came from (`(name, text)` pairs).
pub fn findings(inputs: &[(String, String)], findings: &[Finding], color: bool) -> String {
    let mut files = SimpleFiles::new();
    let ids: Vec<usize> = inputs.iter().map(|(n, t)| files.add(n.clone(), t.clone())).collect();
    let mut out = String::new();
    for f in findings {
        let file =
            inputs.iter().position(|(n, _)| **n == *f.file).and_then(|i| ids.get(i).copied());
        let severity = match (f.level, f.severity) {
            (ward_lang::ast::FindingKind::Warn, _) => CSeverity::Warning,
            (_, ward_lang::hir::Severity::Info | ward_lang::hir::Severity::Low) => {
                CSeverity::Warning
            }
            _ => CSeverity::Error,
        };
        let mut diag = CDiag::new(severity).with_code(f.rule.clone()).with_message(format!(
            "{} [{}]",
            f.message,
            f.severity.as_str()
        ));
        let mut notes = Vec::new();
        if !f.pointer.is_empty() {
            notes.push(format!("at {}", f.pointer));
        }
        if !f.controls.is_empty() {
            notes.push(format!("controls: {}", f.controls.join(", ")));
        }
        match file.and_then(|id| files.get(id).ok().map(|src| (id, src.source().clone()))) {
            Some((id, text)) if f.line > 0 => {
                let range = line_range(&text, f.line, f.column);
                diag = diag.with_labels(vec![CLabel::primary(id, range)]);
            }
            _ => notes.insert(0, format!("in {}:{}:{}", f.file, f.line, f.column)),
        }
        diag = diag.with_notes(notes);
        out.push_str(&render_one(&files, &diag, color));
    }
    out
}

fn render_one(files: &SimpleFiles<String, String>, diag: &CDiag<usize>, color: bool) -> String {
    let config = Config::default();
    if color {
        let mut w = Ansi::new(Vec::new());
        let _ = term::emit_to_write_style(&mut w, &config, files, diag);
        String::from_utf8_lossy(&w.into_inner()).into_owned()
    } else {
        let mut w = NoColor::new(Vec::new());
        let _ = term::emit_to_write_style(&mut w, &config, files, diag);
        String::from_utf8_lossy(&w.into_inner()).into_owned()
    }
}

/// The byte range from (line, column) to the end of the token there.
fn line_range(text: &str, line: u32, column: u32) -> std::ops::Range<usize> {
    let start_of_line: usize =
        text.split_inclusive('\n').take(line.saturating_sub(1) as usize).map(str::len).sum();
    let line_text = text.get(start_of_line..).and_then(|r| r.split('\n').next()).unwrap_or("");
    let col_byte = line_text
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(line_text.len(), |(i, _)| i);
    let rest = line_text.get(col_byte..).unwrap_or("");
    let len = rest.trim_end().len().max(1);
    let start = start_of_line + col_byte;
    start..(start + len).min(text.len())
}
