//! Rendering diagnostics and findings as text, with source snippets (`codespan-reporting`).

use codespan_reporting::diagnostic::{Diagnostic as CDiag, Label as CLabel, Severity as CSeverity};
use codespan_reporting::files::{Files, SimpleFiles};
use codespan_reporting::term::termcolor::{Ansi, NoColor, WriteColor};
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
pub fn findings(inputs: Vec<(String, String)>, findings: &[Finding], color: bool) -> String {
    let mut files = SimpleFiles::new();
    let ids: std::collections::HashMap<String, usize> =
        inputs.into_iter().map(|(n, t)| (n.clone(), files.add(n, t))).collect();
    let mut out = String::new();
    for f in findings {
        let severity = match (f.level(), f.severity()) {
            (ward_lang::ast::FindingKind::Warn, _) => CSeverity::Warning,
            (_, ward_lang::hir::Severity::Info | ward_lang::hir::Severity::Low) => {
                CSeverity::Warning
            }
            _ => CSeverity::Error,
        };
        let mut diag = CDiag::new(severity).with_code(f.rule()).with_message(format!(
            "{} [{}]",
            f.message(),
            f.severity().as_str()
        ));
        let mut notes = Vec::new();
        if !f.pointer().is_empty() {
            notes.push(format!("at {}", f.pointer()));
        }
        if !f.controls().is_empty() {
            notes.push(format!("controls: {}", f.controls().join(", ")));
        }
        let id = ids.get(&*f.doc().file).copied();
        let place = format!("in {}:{}:{}", f.doc().file, f.line(), f.column());
        match id.and_then(|id| Some((id, snippet(&files, id, f.line(), f.column())?))) {
            Some((id, Snippet::Token(range))) => {
                diag = diag.with_labels(vec![CLabel::primary(id, range)]);
            }
            Some((_, Snippet::Excerpt(text))) => {
                notes.insert(0, place);
                notes.insert(1, format!("near: {text}"));
            }
            None => notes.insert(0, place),
        }
        diag = diag.with_notes(notes);
        out.push_str(&render_one(&files, &diag, color));
    }
    out
}

fn render_one(files: &SimpleFiles<String, String>, diag: &CDiag<usize>, color: bool) -> String {
    fn emit<W: WriteColor>(
        mut w: W,
        files: &SimpleFiles<String, String>,
        diag: &CDiag<usize>,
    ) -> W {
        let _ = term::emit_to_write_style(&mut w, &Config::default(), files, diag);
        w
    }
    let bytes = if color {
        emit(Ansi::new(Vec::new()), files, diag).into_inner()
    } else {
        emit(NoColor::new(Vec::new()), files, diag).into_inner()
    };
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Lines longer than this many characters (minified JSON, NDJSON) are not shown whole: a
/// finding on one shows where it is and an excerpt around that place.
const SNIPPET_WIDTH: usize = 160;

/// Characters of a long line shown before and after the place of a finding.
const EXCERPT_BEFORE: usize = 40;
const EXCERPT_AFTER: usize = 60;

/// How a finding's place in its file is shown.
enum Snippet {
    /// Labelled in the source: the byte range from the place to the end of its line's text.
    Token(std::ops::Range<usize>),
    /// On a line too long to show: the text around the place, cut ends marked `…`.
    Excerpt(String),
}

/// How to show (line, column), both from 1, in file `id`; `None` when the file has no such
/// line. Uses the file's line index (no scan of the text).
fn snippet(
    files: &SimpleFiles<String, String>,
    id: usize,
    line: u32,
    column: u32,
) -> Option<Snippet> {
    let line_index = (line as usize).checked_sub(1)?;
    let lines = files.line_range(id, line_index).ok()?;
    let source = files.source(id).ok()?;
    let line_text = source.get(lines.clone())?;
    let line_text = line_text.strip_suffix('\n').unwrap_or(line_text);
    let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
    let column = column.saturating_sub(1) as usize;
    if line_text.chars().nth(SNIPPET_WIDTH).is_some() {
        let from = column.saturating_sub(EXCERPT_BEFORE);
        let mut text: String =
            line_text.chars().skip(from).take(column - from + EXCERPT_AFTER).collect();
        if from > 0 {
            text.insert(0, '…');
        }
        if line_text.chars().nth(column + EXCERPT_AFTER).is_some() {
            text.push('…');
        }
        return Some(Snippet::Excerpt(text));
    }
    let col_byte = line_text.char_indices().nth(column).map_or(line_text.len(), |(i, _)| i);
    let len = line_text.get(col_byte..).unwrap_or("").trim_end().len().max(1);
    let end = (lines.start + col_byte + len).min(source.len());
    Some(Snippet::Token((lines.start + col_byte).min(end)..end))
}

#[cfg(test)]
mod tests {
    use codespan_reporting::files::SimpleFiles;

    use super::{Snippet, snippet};

    #[test]
    fn long_lines_show_an_excerpt_with_cut_ends_marked() {
        let mut files = SimpleFiles::new();
        let long = format!("{}é<{}\n", "a".repeat(100), "b".repeat(100));
        let id = files.add("f".to_string(), format!("short line\n{long}"));
        let Some(Snippet::Excerpt(text)) = snippet(&files, id, 2, 101) else { panic!("excerpt") };
        assert_eq!(text, format!("…{}é<{}…", "a".repeat(40), "b".repeat(58)));
        let Some(Snippet::Excerpt(text)) = snippet(&files, id, 2, 3) else { panic!("excerpt") };
        assert_eq!(text, format!("{}…", "a".repeat(62)));
        let Some(Snippet::Token(range)) = snippet(&files, id, 1, 7) else { panic!("token") };
        assert_eq!(range, 6..10);
        assert!(snippet(&files, id, 9, 1).is_none());
    }
}
