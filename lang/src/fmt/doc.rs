//! The formatter's layout algebra: documents of text, line breaks, indentation and groups
//! (Wadler's "prettier printer"), the pass that puts comments back at their source positions,
//! and the renderer that fits groups into the line width.

use crate::lex::Comment;

/// The line width the renderer fits groups into.
pub const WIDTH: usize = 100;

/// One indentation level.
const INDENT: usize = 2;

/// A layout document.
#[derive(Debug, Clone)]
pub enum Doc {
    /// Text without line breaks (multi-line string literals excepted).
    Text(String),
    /// Text of a source token at `start..end`: comments are put back around it.
    Tok(String, u32, u32),
    /// Comments before `pos` not yet placed, as lines at the end of an indented block.
    Dangling(u32),
    /// A space, or a line break when the enclosing group breaks.
    Line,
    /// Nothing, or a line break when the enclosing group breaks.
    SoftLine,
    /// Always a line break.
    HardLine,
    /// The first document when the enclosing group breaks, else the second.
    IfBreak(Box<Doc>, Box<Doc>),
    /// The documents, one indentation level deeper after line breaks.
    Indent(Vec<Doc>),
    /// The documents in sequence.
    Concat(Vec<Doc>),
    /// The documents on one line if they fit (and nothing forces a break), else broken.
    Group(Vec<Doc>, bool),
    /// A trailing comment, written at the end of the current line.
    LineSuffix(String),
}

/// Plain text.
pub fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

/// A group.
pub fn group(docs: Vec<Doc>) -> Doc {
    Doc::Group(docs, false)
}

/// The source text the comment pass reads to tell trailing comments and blank lines.
pub struct Comments<'a> {
    src: &'a str,
    list: &'a [Comment],
    next: usize,
    last_end: Option<u32>,
    after_token: bool,
}

impl<'a> Comments<'a> {
    /// Comments of `src`, in source order.
    pub fn new(src: &'a str, list: &'a [Comment]) -> Self {
        Comments { src, list, next: 0, last_end: None, after_token: false }
    }

    fn between(&self, from: u32, to: u32) -> &'a str {
        self.src.get(from as usize..to as usize).unwrap_or("")
    }

    fn peek(&self) -> Option<&'a Comment> {
        self.list.get(self.next)
    }

    /// Rewrites `doc` with every comment placed; the comments left at the end are returned as a
    /// document to append.
    pub fn place(&mut self, doc: Doc) -> Doc {
        let mut doc = self.walk(doc);
        let rest = self.flush_dangling(u32::MAX);
        if let Doc::Concat(items) = &mut doc {
            items.push(rest);
        }
        doc
    }

    fn walk(&mut self, doc: Doc) -> Doc {
        match doc {
            Doc::Tok(s, start, end) => self.token(s, start, end),
            Doc::Dangling(pos) => self.flush_dangling(pos),
            Doc::Indent(v) => Doc::Indent(v.into_iter().map(|d| self.walk(d)).collect()),
            Doc::Concat(v) => Doc::Concat(v.into_iter().map(|d| self.walk(d)).collect()),
            Doc::Group(v, b) => Doc::Group(v.into_iter().map(|d| self.walk(d)).collect(), b),
            Doc::IfBreak(a, b) => Doc::IfBreak(Box::new(self.walk(*a)), Box::new(self.walk(*b))),
            other => other,
        }
    }

    /// A token with the comments before it (own-line or inline) and after it on its line.
    fn token(&mut self, s: String, start: u32, end: u32) -> Doc {
        let mut out = Vec::new();
        while let Some(c) = self.peek().filter(|c| c.span.start < start) {
            self.next += 1;
            if self.after_token && self.trails(c) {
                out.push(self.trailing(c));
            } else {
                out.push(text(c.text.clone()));
                let next =
                    self.peek().filter(|n| n.span.start < start).map_or(start, |n| n.span.start);
                if c.text.starts_with("//") || self.between(c.span.end, next).contains('\n') {
                    out.push(Doc::HardLine);
                    if blank_after(self.src, c.span.end, next) {
                        out.push(Doc::HardLine);
                    }
                } else {
                    out.push(text(" "));
                }
            }
            self.last_end = Some(c.span.end);
            self.after_token = false;
        }
        // Comments inside the token (in a string's interpolation) are part of its text.
        while self.peek().is_some_and(|c| c.span.start < end) {
            self.next += 1;
        }
        out.push(text(s));
        self.last_end = Some(end);
        self.after_token = true;
        while let Some(c) = self.peek().filter(|c| self.trails(c)) {
            self.next += 1;
            out.push(self.trailing(c));
            self.last_end = Some(c.span.end);
        }
        Doc::Concat(out)
    }

    /// Whether `c` follows the last placed token on its line, with only brackets and separators
    /// between.
    fn trails(&self, c: &Comment) -> bool {
        let Some(last) = self.last_end else { return false };
        // A line comment ends the line wherever it is; a block comment stays next to its token.
        let line = c.text.starts_with("//");
        last <= c.span.start
            && self.between(last, c.span.start).chars().all(|ch| {
                ch != '\n'
                    && (ch.is_whitespace()
                        || (line && matches!(ch, ',' | ';' | '(' | ')' | '[' | ']' | '{' | '}')))
            })
    }

    fn trailing(&self, c: &Comment) -> Doc {
        if c.text.starts_with("//") {
            Doc::LineSuffix(c.text.clone())
        } else {
            text(format!(" {}", c.text))
        }
    }

    /// The comments before `pos`, each on its own line.
    fn flush_dangling(&mut self, pos: u32) -> Doc {
        let mut out = Vec::new();
        while let Some(c) = self.peek().filter(|c| c.span.start < pos) {
            self.next += 1;
            if self.trails(c) {
                out.push(self.trailing(c));
            } else {
                out.push(Doc::HardLine);
                if self.last_end.is_some_and(|l| blank_after(self.src, l, c.span.start)) {
                    out.push(Doc::HardLine);
                }
                out.push(text(c.text.clone()));
            }
            self.last_end = Some(c.span.end);
            self.after_token = false;
        }
        Doc::Concat(out)
    }
}

/// Whether a blank line follows the line of `from`, before `to`.
pub fn blank_after(src: &str, from: u32, to: u32) -> bool {
    let Some(rest) = src.get(from as usize..) else { return false };
    let Some(nl) = rest.find('\n') else { return false };
    let mut newlines = 0;
    for (i, ch) in rest.char_indices().skip_while(|&(i, _)| i < nl) {
        if from as usize + i >= to as usize {
            return false;
        }
        match ch {
            '\n' => newlines += 1,
            c if c.is_whitespace() => {}
            _ => return false,
        }
        if newlines >= 2 {
            return true;
        }
    }
    false
}

/// Marks every group that must break: one holding a hard line, or a trailing comment followed
/// by another source token. Returns whether `doc` forces its enclosing groups to break, and
/// updates `pending` (a trailing comment waits for a line break).
pub fn propagate(doc: &mut Doc, pending: &mut bool) -> bool {
    match doc {
        Doc::Tok(..) | Doc::Text(_) => {
            let tok = matches!(doc, Doc::Tok(..)) || matches!(doc, Doc::Text(t) if is_token(t));
            let hit = *pending && tok;
            if hit {
                *pending = false;
            }
            hit
        }
        Doc::HardLine => {
            *pending = false;
            true
        }
        Doc::LineSuffix(_) => {
            *pending = true;
            false
        }
        Doc::Indent(v) | Doc::Concat(v) => {
            let mut brk = false;
            for d in v {
                brk |= propagate(d, pending);
            }
            brk
        }
        Doc::Group(v, broken) => {
            let mut brk = false;
            for d in v {
                brk |= propagate(d, pending);
            }
            *broken |= brk;
            brk
        }
        Doc::IfBreak(a, _) => propagate(a, pending),
        Doc::Line | Doc::SoftLine | Doc::Dangling(_) => false,
    }
}

/// Whether placed text is a token a trailing comment must not move past (not a separator).
fn is_token(t: &str) -> bool {
    let t = t.trim();
    !t.is_empty()
        && !matches!(t, "," | ";" | "(" | ")" | "[" | "]" | "{" | "}")
        && !t.starts_with("//")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

/// Renders `doc` into text, fitting groups into [`WIDTH`] columns.
pub fn render(doc: &Doc) -> String {
    let mut r = Renderer { out: String::new(), col: 0, suffixes: Vec::new() };
    let mut stack: Vec<(usize, Mode, &Doc)> = vec![(0, Mode::Break, doc)];
    while let Some((ind, mode, d)) = stack.pop() {
        match d {
            Doc::Text(s) | Doc::Tok(s, ..) => {
                // A line comment written before this token on its line ends that line here.
                if !r.suffixes.is_empty() && is_token(s) {
                    r.newline(ind);
                }
                r.push(s);
            }
            Doc::Dangling(_) => {}
            Doc::LineSuffix(s) => r.suffixes.push(s.clone()),
            Doc::Line if mode == Mode::Flat => r.push(" "),
            Doc::SoftLine if mode == Mode::Flat => {}
            Doc::Line | Doc::SoftLine | Doc::HardLine => r.newline(ind),
            Doc::IfBreak(a, b) => stack.push((ind, mode, if mode == Mode::Break { a } else { b })),
            Doc::Indent(v) => stack.extend(v.iter().rev().map(|c| (ind + INDENT, mode, c))),
            Doc::Concat(v) => stack.extend(v.iter().rev().map(|c| (ind, mode, c))),
            Doc::Group(v, broken) => {
                let m = if mode == Mode::Flat
                    || (!broken && fits(v, &stack, WIDTH.saturating_sub(r.col)))
                {
                    Mode::Flat
                } else {
                    Mode::Break
                };
                stack.extend(v.iter().rev().map(|c| (ind, m, c)));
            }
        }
    }
    r.flush_suffixes();
    let mut out = r.out.trim_end().to_string();
    out.push('\n');
    out
}

struct Renderer {
    out: String,
    col: usize,
    suffixes: Vec<String>,
}

impl Renderer {
    fn push(&mut self, s: &str) {
        self.out.push_str(s);
        match s.rfind('\n') {
            Some(i) => self.col = s.get(i + 1..).map_or(0, |l| l.chars().count()),
            None => self.col += s.chars().count(),
        }
    }

    fn flush_suffixes(&mut self) {
        if !self.suffixes.is_empty() {
            let trimmed = self.out.trim_end_matches([' ', '\t']).len();
            self.out.truncate(trimmed);
        }
        for s in std::mem::take(&mut self.suffixes) {
            self.out.push(' ');
            self.out.push_str(&s);
        }
    }

    fn newline(&mut self, ind: usize) {
        self.flush_suffixes();
        let trimmed = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(trimmed);
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', ind));
        self.col = ind;
    }
}

/// Whether `docs` fit flat in `width` columns, followed by the rest of the line from `rest`.
fn fits(docs: &[Doc], rest: &[(usize, Mode, &Doc)], width: usize) -> bool {
    let mut width = width as isize;
    let mut stack: Vec<(Mode, &Doc)> = docs.iter().rev().map(|d| (Mode::Flat, d)).collect();
    let mut rest_idx = rest.len();
    loop {
        let (mode, d) = match stack.pop() {
            Some(x) => x,
            None => {
                let Some(i) = rest_idx.checked_sub(1) else { return true };
                rest_idx = i;
                match rest.get(i) {
                    Some(&(_, m, d)) => (m, d),
                    None => return true,
                }
            }
        };
        match d {
            Doc::Text(s) | Doc::Tok(s, ..) => {
                let first = s.split('\n').next().unwrap_or("");
                width -= first.chars().count() as isize;
                if width < 0 {
                    return false;
                }
                if s.contains('\n') {
                    return true;
                }
            }
            Doc::Line if mode == Mode::Flat => width -= 1,
            Doc::Line | Doc::SoftLine | Doc::HardLine if mode == Mode::Break => return true,
            Doc::HardLine => return true,
            Doc::IfBreak(a, b) => stack.push((mode, if mode == Mode::Break { a } else { b })),
            Doc::Indent(v) | Doc::Concat(v) => stack.extend(v.iter().rev().map(|c| (mode, c))),
            Doc::Group(v, broken) => {
                let m = if *broken { Mode::Break } else { mode };
                stack.extend(v.iter().rev().map(|c| (m, c)));
            }
            Doc::SoftLine | Doc::Line | Doc::Dangling(_) | Doc::LineSuffix(_) => {}
        }
        if width < 0 {
            return false;
        }
    }
}
