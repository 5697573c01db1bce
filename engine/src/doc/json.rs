//! Reading JSON and NDJSON into an arena, with positions.
//!
//! A hand-written byte-level reader: it records the position of every value, which
//! `serde_json::Value` cannot, and builds the arena directly without an intermediate tree.

use super::build::{BuildError, Builder};
use super::{LineIndex, NodeId, NodeKind, Pos};

/// Why a JSON text could not be read, and the byte offset where that became clear.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    /// Byte offset.
    pub offset: usize,
    /// Lowercase reason.
    pub message: String,
}

/// Reads JSON values from `src` into `b`: one value, or with `many`, one value per non-blank
/// line (NDJSON). Returns the roots read and the errors. A single value stops at its first
/// error; with `many`, each line is read on its own, so one bad line does not hide the others.
pub fn read(src: &str, b: &mut Builder, many: bool) -> (Vec<NodeId>, Vec<JsonError>) {
    // Positions are tracked as the reader goes (JSON strings cannot hold raw line breaks);
    // only non-ASCII input needs the line index, to count columns in characters.
    let lines = (!src.is_ascii()).then(|| LineIndex::new(src));
    if many {
        return read_lines(src, b, lines.as_ref());
    }
    let mut r = Reader {
        src: src.as_bytes(),
        text: src,
        pos: 0,
        lines: lines.as_ref(),
        line: 1,
        line_start: 0,
    };
    r.ws();
    if r.pos >= r.src.len() {
        return (Vec::new(), vec![r.err("empty input: expected a JSON value")]);
    }
    match r.value(b) {
        Ok(id) => {
            r.ws();
            let errors = if r.pos < r.src.len() {
                vec![r.err("unexpected text after the JSON value")]
            } else {
                Vec::new()
            };
            (vec![id], errors)
        }
        Err(e) => {
            b.reset();
            (Vec::new(), vec![e])
        }
    }
}

fn read_lines(
    src: &str,
    b: &mut Builder,
    lines: Option<&LineIndex<'_>>,
) -> (Vec<NodeId>, Vec<JsonError>) {
    let bytes = src.as_bytes();
    let (mut roots, mut errors) = (Vec::new(), Vec::new());
    let mut start = 0;
    let mut line = 0u32;
    while start < bytes.len() {
        line += 1;
        let rest = bytes.get(start..).unwrap_or(&[]);
        let end = rest.iter().position(|c| *c == b'\n').map_or(bytes.len(), |i| start + i);
        let mut r = Reader {
            src: bytes.get(..end).unwrap_or(&[]),
            text: src.get(..end).unwrap_or(""),
            pos: start,
            lines,
            line,
            line_start: start,
        };
        r.ws();
        if r.pos < end {
            match r.value(b) {
                Ok(id) => {
                    r.ws();
                    if r.pos < end {
                        errors.push(r.err("unexpected text after the JSON value on this line"));
                    } else {
                        roots.push(id);
                    }
                }
                Err(e) => {
                    b.reset();
                    errors.push(e);
                }
            }
        }
        start = end + 1;
    }
    (roots, errors)
}

struct Reader<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    lines: Option<&'a LineIndex<'a>>,
    line: u32,
    line_start: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, message: &str) -> JsonError {
        JsonError { offset: self.pos, message: message.to_string() }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(c @ (b' ' | b'\t' | b'\n' | b'\r')) = self.peek() {
            self.pos += 1;
            if c == b'\n' {
                self.line += 1;
                self.line_start = self.pos;
            }
        }
    }

    /// The position of the reader.
    fn here(&self) -> Pos {
        match self.lines {
            Some(l) => l.pos(self.pos),
            None => Pos {
                line: self.line,
                col: (self.pos - self.line_start) as u32 + 1,
                offset: self.pos as u32,
            },
        }
    }

    fn build(&self, e: BuildError) -> JsonError {
        match e {
            BuildError::TooDeep => self.err("nesting is deeper than the limit"),
            BuildError::DuplicateKey(k, at) => {
                JsonError { offset: at.offset as usize, message: format!("duplicate key `{k}`") }
            }
            BuildError::AliasBudget => self.err("input too large"),
        }
    }

    /// Reads one value; containers are read iteratively so depth costs no stack.
    fn value(&mut self, b: &mut Builder) -> Result<NodeId, JsonError> {
        let mut depth = 0usize;
        let mut root = None;
        loop {
            self.ws();
            let pos = self.here();
            // A value is expected here.
            match self.peek() {
                Some(b'{') => {
                    let id = b.open(true, pos).map_err(|e| self.build(e))?;
                    self.pos += 1;
                    root.get_or_insert(id);
                    depth += 1;
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        b.close().map_err(|e| self.build(e))?;
                        depth -= 1;
                    } else {
                        self.member_key(b)?;
                        continue;
                    }
                }
                Some(b'[') => {
                    let id = b.open(false, pos).map_err(|e| self.build(e))?;
                    self.pos += 1;
                    root.get_or_insert(id);
                    depth += 1;
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        b.close().map_err(|e| self.build(e))?;
                        depth -= 1;
                    } else {
                        continue;
                    }
                }
                _ => {
                    let id = self.scalar(b)?;
                    root.get_or_insert(id);
                }
            }
            // After a value: close containers or move to the next element.
            loop {
                if depth == 0 {
                    return root.ok_or_else(|| self.err("expected a JSON value"));
                }
                self.ws();
                let in_map = b.in_map();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if in_map {
                            self.ws();
                            self.member_key(b)?;
                        }
                        break;
                    }
                    Some(b'}') if in_map => {
                        self.pos += 1;
                        b.close().map_err(|e| self.build(e))?;
                        depth -= 1;
                    }
                    Some(b']') if !in_map => {
                        self.pos += 1;
                        b.close().map_err(|e| self.build(e))?;
                        depth -= 1;
                    }
                    None => return Err(self.err("unexpected end of input")),
                    Some(_) => {
                        return Err(self.err(if in_map {
                            "expected `,` or `}`"
                        } else {
                            "expected `,` or `]`"
                        }));
                    }
                }
            }
        }
    }

    fn member_key(&mut self, b: &mut Builder) -> Result<(), JsonError> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.err("expected a string key"));
        }
        let pos = self.here();
        let key = self.string()?;
        b.key(&key, pos);
        self.ws();
        if self.peek() != Some(b':') {
            return Err(self.err("expected `:` after the key"));
        }
        self.pos += 1;
        Ok(())
    }

    fn scalar(&mut self, b: &mut Builder) -> Result<NodeId, JsonError> {
        let pos = self.here();
        match self.peek() {
            Some(b'"') => {
                let s = self.string()?;
                Ok(b.string(&s, pos))
            }
            Some(b't') => self.word("true", NodeKind::Bool(true), b),
            Some(b'f') => self.word("false", NodeKind::Bool(false), b),
            Some(b'n') => self.word("null", NodeKind::Null, b),
            Some(b'-' | b'0'..=b'9') => {
                let kind = self.number()?;
                Ok(b.scalar(kind, pos))
            }
            None => Err(self.err("unexpected end of input")),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    fn word(&mut self, w: &str, kind: NodeKind, b: &mut Builder) -> Result<NodeId, JsonError> {
        let pos = self.here();
        if self.src.get(self.pos..self.pos + w.len()) == Some(w.as_bytes()) {
            self.pos += w.len();
            Ok(b.scalar(kind, pos))
        } else {
            Err(self.err("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<NodeKind, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = |r: &mut Self| {
            let s = r.pos;
            while let Some(b'0'..=b'9') = r.peek() {
                r.pos += 1;
            }
            r.pos > s
        };
        let int_start = self.pos;
        if !digits(self) {
            return Err(self.err("invalid number"));
        }
        if self.pos - int_start > 1 && self.src.get(int_start) == Some(&b'0') {
            return Err(JsonError {
                offset: int_start,
                message: "a number cannot have leading zeros".into(),
            });
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            float = true;
            if !digits(self) {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            float = true;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.err("invalid number"));
            }
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
        if !float && let Ok(i) = text.parse::<i64>() {
            return Ok(NodeKind::Int(i));
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(NodeKind::Float(f)),
            _ => Err(JsonError {
                offset: start,
                message: format!("number `{text}` is out of range"),
            }),
        }
    }

    /// Reads a string; borrows from the input when it holds no escapes.
    fn string(&mut self) -> Result<std::borrow::Cow<'a, str>, JsonError> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == b'"' {
                let s = self.text.get(start..self.pos).unwrap_or("");
                self.pos += 1;
                return Ok(std::borrow::Cow::Borrowed(s));
            }
            if c == b'\\' || c < 0x20 {
                break;
            }
            self.pos += 1;
        }
        self.pos = start;
        self.string_escaped(open).map(std::borrow::Cow::Owned)
    }

    fn string_escaped(&mut self, open: usize) -> Result<String, JsonError> {
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(start..self.pos).unwrap_or(""));
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => return Err(self.err("control character in a string")),
                None => {
                    return Err(JsonError { offset: open, message: "unterminated string".into() });
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        self.pos += 1;
        let c = self.peek().ok_or_else(|| self.err("unterminated string"))?;
        self.pos += 1;
        let ch = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode(out),
            _ => return Err(self.err("invalid escape in a string")),
        };
        out.push(ch);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.err("invalid unicode escape"))?;
        let v = u32::from_str_radix(hex, 16).map_err(|_| self.err("invalid unicode escape"))?;
        self.pos += 4;
        Ok(v)
    }

    fn unicode(&mut self, out: &mut String) -> Result<(), JsonError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if self.src.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return Err(self.err("unpaired surrogate in a unicode escape"));
            }
            self.pos += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("unpaired surrogate in a unicode escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        out.push(char::from_u32(code).ok_or_else(|| self.err("invalid unicode escape"))?);
        Ok(())
    }
}
