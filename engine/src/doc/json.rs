//! Reading JSON and NDJSON into an arena, with positions.
//!
//! A hand-written byte-level reader: it records the position of every value, which
//! `serde_json::Value` cannot, and builds the arena directly without an intermediate tree.

use super::build::{BuildError, Builder, NO_KEY, SkimmedKey, Spare};
use super::{Key, NodeId, NodeKind, Pos, splat, zero_bytes};
use crate::project::Keep;

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
///
/// Values the builder's projection skips are read for errors (the same ones, at the same
/// places) but not built: no nodes, no keys, no copied strings.
pub fn read(src: &str, b: &mut Builder, many: bool) -> (Vec<NodeId>, Vec<JsonError>) {
    read_with(src, b, many, true)
}

/// [`read`] of one value (not NDJSON), without a vector for its root.
pub fn read_one(src: &str, b: &mut Builder) -> (Option<NodeId>, Vec<JsonError>) {
    read_one_with(src, b, true)
}

/// [`read`], skimming skipped values or not.
fn read_with(src: &str, b: &mut Builder, many: bool, skim: bool) -> (Vec<NodeId>, Vec<JsonError>) {
    // Positions are tracked as the reader goes (JSON strings cannot hold raw line breaks).
    if many {
        return read_lines(src, b, skim);
    }
    let (root, errors) = read_one_with(src, b, skim);
    (root.into_iter().collect(), errors)
}

/// [`read_one`], skimming skipped values or not.
fn read_one_with(src: &str, b: &mut Builder, skim: bool) -> (Option<NodeId>, Vec<JsonError>) {
    let mut r = Reader::new(src, b);
    r.skim = skim;
    r.ws();
    if r.pos >= r.src.len() {
        let e = r.err("empty input: expected a JSON value");
        r.done(b);
        return (None, vec![e]);
    }
    let read = if skim { r.value_fast(b) } else { r.value(b) };
    r.done(b);
    match read {
        Ok(id) => {
            r.ws();
            let errors = if r.pos < r.src.len() {
                vec![r.err("unexpected text after the JSON value")]
            } else {
                Vec::new()
            };
            (Some(id), errors)
        }
        Err(e) => {
            b.reset();
            (None, vec![e])
        }
    }
}

fn read_lines(src: &str, b: &mut Builder, skim: bool) -> (Vec<NodeId>, Vec<JsonError>) {
    let bytes = src.as_bytes();
    let (mut roots, mut errors) = (Vec::new(), Vec::new());
    let mut start = 0;
    let mut line = 0u32;
    let mut r = Reader::new(src, b);
    r.skim = skim;
    while start < bytes.len() {
        line += 1;
        let rest = bytes.get(start..).unwrap_or(&[]);
        let end = memchr::memchr(b'\n', rest).map_or(bytes.len(), |i| start + i);
        r.src = bytes.get(..end).unwrap_or(&[]);
        r.text = src.get(..end).unwrap_or("");
        r.pos = start;
        r.line = line;
        r.col_base = start.wrapping_sub(1);
        r.ws();
        if r.pos < end {
            let read = if skim { r.value_fast(b) } else { r.value(b) };
            match read {
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
    r.done(b);
    (roots, errors)
}

/// A mask with the high bit set in the first byte of `w` (little-endian) that ends a plain run
/// of string text (a quote, a backslash or a control character); bytes after it may be flagged too.
#[inline]
fn special(w: u64) -> u64 {
    // Flipping bit 1 maps a quote (0x22) to 0x20 and control characters among themselves, and
    // nothing else below 0x21: one comparison finds both.
    let qc = w ^ splat(0x02);
    (qc.wrapping_sub(splat(0x21)) & !qc & splat(0x80)) | zero_bytes(w ^ splat(b'\\'))
}

/// A mask with the high bit set in the first byte of `w` (little-endian) that is a quote, a
/// backslash, a control character or not ASCII; bytes after it may be flagged too.
#[inline(always)]
fn stop(w: u64) -> u64 {
    // As in [`special`], but without masking out bytes at 0x80 or above: each keeps its high
    // bit in one of the two differences (the first loses it only below 0xA4, the second only
    // at 0xDC).
    ((w ^ splat(0x02)).wrapping_sub(splat(0x21)) | (w ^ splat(b'\\')).wrapping_sub(splat(0x01)))
        & splat(0x80)
}

/// Where the ASCII string text starting at `i` ends: the index of the next quote, backslash,
/// control character or non-ASCII byte, or the length of `src`.
#[inline(always)]
fn ascii_end(src: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = src.get(i..i + 8).and_then(|s| <[u8; 8]>::try_from(s).ok()) {
        let m = stop(u64::from_le_bytes(chunk));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = src.get(i) {
        if c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c) {
            break;
        }
        i += 1;
    }
    i
}

/// Where the plain string text starting at `i` ends: the index of the next quote, backslash or
/// control character, or the length of `src`.
#[inline(always)]
fn plain_end(src: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = src.get(i..).and_then(|s| s.first_chunk::<8>()) {
        let m = special(u64::from_le_bytes(*chunk));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = src.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

struct Reader<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    /// The offset of the line's start, less one, plus the bytes between the line's start and
    /// `pos` that continue a character (columns count characters, from 1): the column at `pos`
    /// is `pos - col_base`. Non-ASCII text is read by [`Reader::string`] and
    /// [`Reader::skip_string`] only, which count its bytes.
    col_base: usize,
    /// The builder's spare storage, whose `skimming` and `keys` [`Reader::skip`] uses.
    spare: Spare,
    /// Decoded text of skipped strings with escapes (checked, then dropped).
    scratch: String,
    /// Whether skipped values are read past here rather than given to the builder to skip
    /// (always, but for tests comparing the two).
    skim: bool,
}

impl<'a> Reader<'a> {
    /// A reader of `text`, borrowing storage from `b` until [`Reader::done`].
    fn new(text: &'a str, b: &mut Builder) -> Self {
        Reader {
            src: text.as_bytes(),
            text,
            pos: 0,
            line: 1,
            col_base: usize::MAX,
            spare: std::mem::take(&mut b.skim),
            scratch: String::new(),
            skim: true,
        }
    }

    /// Gives the borrowed storage back to `b`.
    fn done(&mut self, b: &mut Builder) {
        b.skim = std::mem::take(&mut self.spare);
    }

    fn err(&self, message: &str) -> JsonError {
        JsonError { offset: self.pos, message: message.to_string() }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    #[inline]
    fn ws(&mut self) {
        if self.peek().is_none_or(|c| c > b' ') {
            return;
        }
        self.ws_slow();
    }

    /// [`Reader::ws`] at a byte that may be whitespace.
    #[inline(never)]
    fn ws_slow(&mut self) {
        while let Some(c @ (b' ' | b'\t' | b'\n' | b'\r')) = self.peek() {
            self.pos += 1;
            if c == b'\n' {
                self.line += 1;
                self.col_base = self.pos.wrapping_sub(1);
            }
        }
    }

    /// The position of the reader.
    #[inline]
    fn here(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.pos.wrapping_sub(self.col_base) as u32,
            offset: self.pos as u32,
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
            if self.skim && b.skip_next() {
                // Under a key the projection skips: a placeholder, then read past the value.
                b.scalar(NodeKind::Null, pos);
                self.skip(b.depth(), b.max_depth())?;
            } else {
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

    /// [`Reader::value`] keeping the key of the next value itself rather than in the builder,
    /// and skimming what the projection skips.
    fn value_fast(&mut self, b: &mut Builder) -> Result<NodeId, JsonError> {
        let mut root = None;
        // The key of the value expected next (`NO_KEY` for list items and roots), where it is
        // written, and what the projection does with its value.
        let (mut key, mut kpos, mut keep) = (NO_KEY, Pos::default(), Keep::Read);
        loop {
            self.ws();
            let pos = self.here();
            // A value is expected here.
            match self.peek() {
                _ if keep == Keep::Skip => {
                    // A placeholder, then read past the value.
                    b.entry_node(NodeKind::Null, pos, key, kpos);
                    self.skip(b.depth(), b.max_depth())?;
                }
                Some(b'"') => {
                    let start = self.pos + 1;
                    let end = ascii_end(self.src, start);
                    let id = if self.src.get(end) == Some(&b'"') {
                        self.pos = end + 1;
                        let s = self.text.get(start..end).unwrap_or("");
                        b.entry_string(s, pos, key, kpos)
                    } else {
                        let s = self.string()?;
                        b.entry_string(&s, pos, key, kpos)
                    };
                    root.get_or_insert(id);
                }
                Some(c @ (b'{' | b'[')) => {
                    let map = c == b'{';
                    let id = b
                        .entry_open(map, pos, key, kpos, keep == Keep::Whole)
                        .map_err(|e| self.build(e))?;
                    self.pos += 1;
                    root.get_or_insert(id);
                    self.ws();
                    if self.peek() == Some(if map { b'}' } else { b']' }) {
                        self.pos += 1;
                        b.entry_close().map_err(|e| self.build(e))?;
                    } else {
                        if map {
                            (key, kpos, keep) = self.entry_key(b)?;
                        } else {
                            (key, keep) = (NO_KEY, Keep::Read);
                        }
                        continue;
                    }
                }
                _ => {
                    let kind = self.scalar_kind()?;
                    let id = b.entry_node(kind, pos, key, kpos);
                    root.get_or_insert(id);
                }
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(in_map) = b.top_map() else {
                    return root.ok_or_else(|| self.err("expected a JSON value"));
                };
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if in_map {
                            (key, kpos, keep) = self.entry_key(b)?;
                        } else {
                            (key, keep) = (NO_KEY, Keep::Read);
                        }
                        break;
                    }
                    Some(b'}') if in_map => {
                        self.pos += 1;
                        b.entry_close().map_err(|e| self.build(e))?;
                    }
                    Some(b']') if !in_map => {
                        self.pos += 1;
                        b.entry_close().map_err(|e| self.build(e))?;
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

    /// Reads a map key and its colon: [`Reader::member_key`] for [`Reader::value_fast`].
    #[inline(always)]
    fn entry_key(&mut self, b: &mut Builder) -> Result<(Key, Pos, Keep), JsonError> {
        let (pos, start, end) = self.key_start()?;
        let k = match self.src.get(end..).and_then(|s| s.first_chunk::<2>()) {
            // The common case: the colon right after the closing quote.
            Some(b"\":") => {
                self.pos = end + 2;
                let k = self.known_key(b, start, end);
                return Ok((k, pos, b.keep_of(k)));
            }
            Some([b'"', _]) => {
                self.pos = end + 1;
                self.known_key(b, start, end)
            }
            _ => self.entry_key_escaped(b)?,
        };
        if self.peek() != Some(b':') {
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected `:` after the key"));
            }
        }
        self.pos += 1;
        Ok((k, pos, b.keep_of(k)))
    }

    /// Moves to a map key's opening quote: its position, where its text starts and where its
    /// plain ASCII run ends (the closing quote, when the key holds no escapes).
    #[inline(always)]
    fn key_start(&mut self) -> Result<(Pos, usize, usize), JsonError> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.err("expected a string key"));
        }
        let pos = self.here();
        let start = self.pos + 1;
        Ok((pos, start, ascii_end(self.src, start)))
    }

    /// The key of the plain key text `start..end`.
    #[inline(always)]
    fn known_key(&self, b: &mut Builder, start: usize, end: usize) -> Key {
        match b.arena.symbols.get_within(self.src, start, end) {
            Some(k) => k,
            None => b.arena.entry_key_known(self.text.get(start..end).unwrap_or(""), None),
        }
    }

    /// The key of a key string holding escapes (or unterminated).
    #[inline(never)]
    fn entry_key_escaped(&mut self, b: &mut Builder) -> Result<Key, JsonError> {
        let key = self.string()?;
        Ok(b.arena.entry_key(&key))
    }

    /// The scalar at the reader, moving past it.
    #[inline]
    fn scalar_kind(&mut self) -> Result<NodeKind, JsonError> {
        match self.peek() {
            Some(b't') => self.word_kind("true", NodeKind::Bool(true)),
            Some(b'f') => self.word_kind("false", NodeKind::Bool(false)),
            Some(b'n') => self.word_kind("null", NodeKind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            None => Err(self.err("unexpected end of input")),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    fn word_kind(&mut self, w: &str, kind: NodeKind) -> Result<NodeKind, JsonError> {
        if self.src.get(self.pos..self.pos + w.len()) == Some(w.as_bytes()) {
            self.pos += w.len();
            Ok(kind)
        } else {
            Err(self.err("expected a JSON value"))
        }
    }

    fn member_key(&mut self, b: &mut Builder) -> Result<(), JsonError> {
        let (pos, start, end) = self.key_start()?;
        if self.src.get(end) == Some(&b'"') {
            self.pos = end + 1;
            let known = b.arena.symbols.get_within(self.src, start, end);
            b.entry_known(self.text.get(start..end).unwrap_or(""), known, pos);
        } else {
            let key = self.string()?;
            b.entry(&key, pos);
        }
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
        let (start, float) = self.number_text()?;
        self.number_value(start, float)
    }

    /// Moves past a number, checking its syntax; returns where it starts and whether it has a
    /// fraction or an exponent.
    fn number_text(&mut self) -> Result<(usize, bool), JsonError> {
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
        Ok((start, float))
    }

    /// The value of the number read from `start`.
    fn number_value(&self, start: usize, float: bool) -> Result<NodeKind, JsonError> {
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
        let start = open + 1;
        self.pos = plain_end(self.src, start);
        if self.peek() == Some(b'"') {
            let s = self.text.get(start..self.pos).unwrap_or("");
            self.pos += 1;
            self.widen(open);
            return Ok(std::borrow::Cow::Borrowed(s));
        }
        let mut out = String::from(self.text.get(start..self.pos).unwrap_or(""));
        self.string_escaped(open, &mut out)?;
        self.widen(open);
        Ok(std::borrow::Cow::Owned(out))
    }

    /// Counts the bytes of the string read from `open` that continue a character.
    fn widen(&mut self, open: usize) {
        let s = self.src.get(open..self.pos).unwrap_or(&[]);
        let wide = s.iter().filter(|b| (**b as i8) < -0x40).count();
        self.col_base = self.col_base.wrapping_add(wide);
    }

    /// Moves past plain string text: up to the next quote, backslash or control character, or
    /// the end of the input.
    #[inline]
    fn plain(&mut self) {
        self.pos = plain_end(self.src, self.pos);
    }

    /// Reads the rest of a string that holds escapes into `out`.
    fn string_escaped(&mut self, open: usize, out: &mut String) -> Result<(), JsonError> {
        loop {
            let start = self.pos;
            self.plain();
            out.push_str(self.text.get(start..self.pos).unwrap_or(""));
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => self.escape(out)?,
                Some(_) => return Err(self.err("control character in a string")),
                None => {
                    return Err(JsonError { offset: open, message: "unterminated string".into() });
                }
            }
        }
    }

    /// Reads past one value without building it, reporting the errors reading it would: the
    /// same syntax errors, nesting deeper than `max_depth` (counting the `depth` containers
    /// already open), duplicate keys.
    ///
    /// The common case (plain strings, no whitespace) runs on local state: the open
    /// containers are bits of a word (whether each is a map, innermost lowest, above a marker
    /// bit; `spare.skimming` holds the outer words past 63 levels), and `spare.keys` holds the
    /// keys of the open maps, the first of each map marked. Anything else goes through the
    /// general methods.
    #[inline(never)]
    fn skip(&mut self, depth: usize, max_depth: usize) -> Result<(), JsonError> {
        self.spare.skimming.clear();
        self.spare.keys.clear();
        let src = self.src;
        let mut i = self.pos;
        // The open containers, and how many more may open.
        let (mut maps, mut room) = (1u64, max_depth.saturating_sub(depth));
        // The byte at `n`; 0 past the end (which, like a real 0, is no token).
        macro_rules! at {
            ($n:expr) => {
                src.get($n).copied().unwrap_or(0)
            };
        }
        // Moves past whitespace (counting lines).
        macro_rules! ws {
            () => {{
                self.pos = i;
                self.ws();
                i = self.pos;
            }};
        }
        // Fails with `msg` at `i`.
        macro_rules! fail {
            ($msg:expr) => {{
                self.pos = i;
                return Err(self.err($msg));
            }};
        }
        // Moves past the string at `i`; evaluates to whether it holds escapes.
        macro_rules! string {
            () => {{
                let end = ascii_end(src, i + 1);
                if at!(end) == b'"' {
                    i = end + 1;
                    false
                } else {
                    self.pos = i;
                    let escaped = self.skip_string()?;
                    i = self.pos;
                    escaped
                }
            }};
        }
        // Moves past a key of a skipped map (the first one with `first`), noting it, and past
        // its colon.
        macro_rules! key {
            ($first:expr) => {{
                if at!(i) != b'"' {
                    ws!();
                    if at!(i) != b'"' {
                        fail!("expected a string key");
                    }
                }
                let open = i;
                let end = ascii_end(src, i + 1);
                if src.get(end..).and_then(|s| s.first_chunk::<2>()) == Some(b"\":") {
                    i = end + 2;
                    self.spare.keys.push(SkimmedKey::plain(open, end, $first));
                } else {
                    let escaped = string!();
                    self.spare.keys.push(SkimmedKey::new(open, i - 1, $first, escaped));
                    if at!(i) != b':' {
                        ws!();
                        if at!(i) != b':' {
                            fail!("expected `:` after the key");
                        }
                    }
                    i += 1;
                }
            }};
        }
        loop {
            // A value is expected here.
            match at!(i) {
                b'"' => {
                    string!();
                }
                c @ (b'{' | b'[') => {
                    if room == 0 {
                        fail!("nesting is deeper than the limit");
                    }
                    room -= 1;
                    if maps >> 63 != 0 {
                        self.spare.skimming.push(maps);
                        maps = 1;
                    }
                    let map = c == b'{';
                    maps = maps << 1 | u64::from(map);
                    i += 1;
                    let mut c = at!(i);
                    if c <= b' ' {
                        ws!();
                        c = at!(i);
                    }
                    if c != if map { b'}' } else { b']' } {
                        if map {
                            key!(true);
                        }
                        continue;
                    }
                    // An empty container, closed at once: no keys to drop.
                    i += 1;
                    room += 1;
                    maps >>= 1;
                    if maps == 1
                        && let Some(outer) = self.spare.skimming.pop()
                    {
                        maps = outer;
                    }
                }
                b' ' | b'\t' | b'\n' | b'\r' => {
                    ws!();
                    continue;
                }
                _ => {
                    self.pos = i;
                    self.skip_scalar()?;
                    i = self.pos;
                }
            }
            // After a value: close containers or move to the next element.
            loop {
                if maps == 1 {
                    self.pos = i;
                    return Ok(());
                }
                let c = at!(i);
                let map = maps & 1 != 0;
                if c == b',' {
                    i += 1;
                    if map {
                        key!(false);
                    }
                    break;
                }
                if c == if map { b'}' } else { b']' } {
                    i += 1;
                    if map {
                        self.pos = i;
                        self.skimmed_map_closes()?;
                    }
                    room += 1;
                    maps >>= 1;
                    if maps == 1
                        && let Some(outer) = self.spare.skimming.pop()
                    {
                        maps = outer;
                    }
                    continue;
                }
                if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                    ws!();
                    continue;
                }
                if i >= src.len() {
                    fail!("unexpected end of input");
                }
                fail!(if map { "expected `,` or `}`" } else { "expected `,` or `]`" });
            }
        }
    }

    /// Drops the keys of the innermost skimmed map as it closes, failing on the first that
    /// repeats an earlier one, as [`Builder::close`] does for maps it builds.
    #[inline(always)]
    fn skimmed_map_closes(&mut self) -> Result<(), JsonError> {
        let keys = &self.spare.keys;
        let n = keys.len();
        let start = match keys.get(n.wrapping_sub(2)..) {
            _ if keys.last().is_some_and(|k| k.first) => n - 1,
            // The common case, two plain keys, compares them here.
            Some(&[a, b])
                if a.first
                    && !a.escaped
                    && !b.escaped
                    && (a.close - a.open != b.close - b.open
                        || self.src.get(a.open as usize..a.close as usize)
                            != self.src.get(b.open as usize..b.close as usize)) =>
            {
                n - 2
            }
            _ => {
                let start = keys.iter().rposition(|k| k.first).unwrap_or(0);
                self.skimmed_duplicates_slow(start)?;
                start
            }
        };
        self.spare.keys.truncate(start);
        Ok(())
    }

    /// [`Reader::scalar`] in a skipped value.
    fn skip_scalar(&mut self) -> Result<(), JsonError> {
        let word = |r: &mut Self, w: &[u8]| {
            if r.src.get(r.pos..r.pos + w.len()) == Some(w) {
                r.pos += w.len();
                Ok(())
            } else {
                Err(r.err("expected a JSON value"))
            }
        };
        match self.peek() {
            Some(b'"') => self.skip_string().map(|_| ()),
            Some(b't') => word(self, b"true"),
            Some(b'f') => word(self, b"false"),
            Some(b'n') => word(self, b"null"),
            Some(b'-' | b'0'..=b'9') => {
                let (start, float) = self.number_text()?;
                // Up to 18 digits always fit an `i64`; anything else may be out of range.
                if float || self.pos - start > 18 {
                    self.number_value(start, float)?;
                }
                Ok(())
            }
            None => Err(self.err("unexpected end of input")),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    /// Moves past a string, checking it; returns whether it holds escapes.
    fn skip_string(&mut self) -> Result<bool, JsonError> {
        let open = self.pos;
        self.pos += 1;
        self.plain();
        if self.peek() == Some(b'"') {
            self.pos += 1;
            self.widen(open);
            return Ok(false);
        }
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let r = self.string_escaped(open, &mut out);
        self.scratch = out;
        r?;
        self.widen(open);
        Ok(true)
    }

    /// The text of a skipped key.
    fn skipped_key(&self, k: SkimmedKey) -> std::borrow::Cow<'a, str> {
        if k.escaped {
            let mut r = Reader {
                src: self.src,
                text: self.text,
                pos: k.open as usize,
                line: 1,
                col_base: usize::MAX,
                spare: Spare::default(),
                scratch: String::new(),
                skim: true,
            };
            r.string().unwrap_or_default()
        } else {
            std::borrow::Cow::Borrowed(
                self.text.get(k.open as usize + 1..k.close as usize).unwrap_or(""),
            )
        }
    }

    /// Fails on the first of the keys of a skimmed map, from `from` in `spare.keys`, that
    /// repeats an earlier one.
    #[inline(never)]
    fn skimmed_duplicates_slow(&self, from: usize) -> Result<(), JsonError> {
        let keys = self.spare.keys.get(from..).unwrap_or(&[]);
        let raw = |k: &SkimmedKey| self.src.get(k.open as usize..k.close as usize).unwrap_or(&[]);
        let same = |a: &SkimmedKey, b: &SkimmedKey| {
            if a.escaped || b.escaped {
                self.skipped_key(*a) == self.skipped_key(*b)
            } else {
                raw(a) == raw(b)
            }
        };
        let dup = if keys.len() <= 16 {
            keys.iter().enumerate().find(|(i, k)| keys.iter().take(*i).any(|p| same(p, k)))
        } else {
            let mut seen = rustc_hash::FxHashSet::default();
            keys.iter().enumerate().find(|(_, k)| !seen.insert(self.skipped_key(**k)))
        };
        match dup {
            Some((_, k)) => Err(JsonError {
                offset: k.open as usize,
                message: format!("duplicate key `{}`", self.skipped_key(*k)),
            }),
            None => Ok(()),
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

#[cfg(test)]
mod tests {
    use std::fmt::Write;
    use std::sync::Arc;

    use super::*;
    use crate::doc::{Arena, Symbols};
    use crate::project::{Keep, Projection};

    /// The tree under `id`: every node's kind, position and pointer, every key's text and
    /// position, checked against what the arena derives (parents, slots, locations).
    fn dump(a: &Arena, root: NodeId, id: NodeId, path: &str, out: &mut String) {
        let n = a.node(id).unwrap();
        assert_eq!(a.pointer(root, id), path);
        let kind = match n.kind {
            NodeKind::Str { .. } => format!("{:?}", a.str(id).unwrap()),
            NodeKind::List { .. } => "list".into(),
            NodeKind::Map { .. } => "map".into(),
            k => format!("{k:?}"),
        };
        let _ = writeln!(out, "{path} {kind} {:?}", n.pos);
        for (i, e) in a.children(id).iter().enumerate() {
            let seg = match n.kind {
                NodeKind::Map { .. } => {
                    let _ = writeln!(out, "  key {:?} {:?}", a.key_str(e.key), e.pos);
                    assert_eq!(a.location(e.node), e.pos);
                    crate::doc::escape_pointer(a.key_str(e.key))
                }
                _ => i.to_string(),
            };
            dump(a, root, e.node, &format!("{path}/{seg}"), out);
        }
    }

    fn run(src: &str, many: bool, depth: usize, skim: bool) -> String {
        let mut symbols = Symbols::default();
        let names = ["a", "b", "keep", "whole", "x", "<<", "é"];
        for n in names {
            symbols.intern(n);
        }
        let keep = [Keep::Read, Keep::Skip, Keep::Read, Keep::Whole, Keep::Skip, Keep::Read];
        let projection = Projection::of(keep.to_vec());
        let mut b = Builder::new(Arena::new(Arc::new(symbols)), depth, 1000)
            .with_projection(Some(Arc::new(projection)));
        let (roots, errors) = read_with(src, &mut b, many, skim);
        let mut out = format!("{errors:?}\n");
        for r in roots {
            dump(&b.arena, r, r, "", &mut out);
        }
        out
    }

    const SEEDS: &[&str] = &[
        r#"{"a": {"b": [1, 2.5, -3e2, {"c": "d"}], "keep": "x\"y\u00e9\ud83d\ude00", "z": null}, "whole": {"q": [true, false]}}"#,
        r#"{"keep": {"keep": {"b": {"c": {"d": {"e": [[[[1]]]]}}}}, "x": {"y": 1, "\u0079": 2}}}"#,
        r#"{"b": {"k": 1, "k": 2}, "a": {"k\n": 1, "k\u000a": 2}}"#,
        r#"{"x": {"aaaaaaaaaaaaaaaaaaaa": 1, "b": "\t\\", "c": 123456789012345678901234, "d": 1e999}}"#,
        r#"{"é": {"ü": "ß", "keep": "€"}, "a": "€€€€€€€€€€", "b": ["ü", {"é": "é"}]}"#,
        r#"{"<<": {"a": 1}, "a": 2, "b": {"<<": 3}}"#,
        r#"[{"a": 1, "b": 2}, {"whole": {"b": {"b": 1}}}, {"b": {"0": 1, "1": 2, "2": 3, "3": 4, "4": 5, "5": 6, "6": 7, "7": 8, "8": 9, "9": 10, "10": 11, "11": 12, "12": 13, "13": 14, "14": 15, "15": 16, "16": 17, "1\u0036": 18}}]"#,
        "{\"a\": 1}\n{\"b\": {\"c\": [1, 2, \n{\"keep\": {\"b\": 01}}\n\n{\"x\": \"\\uD800\"}\n{\"x\": {\"y\": 1}} extra\n",
        "{\n  \"a\": {\n    \"zz\": 1,\n    \"b\": [1, {\"q\": \"r\"}],\n    \"zz\": 2\n  },\n  \"keep\": {\"keep\": true, \"keep\": false}\n}",
        r#"{"\u0061": {"keep": "v", "k\"q": null, "whole": {"a": {"a": 1}}}, "a": 1}"#,
        r#"{"keep": {"keep": {"keep": {"keep": 1}}}, "x": [[[[]]]], "b": [{}, [], {"a": []}]}"#,
        r#"{"b": [-0, 0, 12345678901234567, 123456789012345678, 1234567890123456789, -123456789012345678, 1.5e3, 0.1, true, false, null]}"#,
        r#"{"b": {"k": {"k": 1, "j": {}}, "j": [], "k": 2}, "x": {"a": {"b": {"c": 1}}, "a": 2}}"#,
        r#"{"x": [{"p": 1, "q": {"p": 2, "q": 3, "r": {"s": 4}}, "r": 5, "p": 6}], "b": {"\u0070": 1, "p": 2}}"#,
        // Skimmed keys whose colon does not follow the closing quote at once, or is missing.
        "{\"x\": {\"a\" : 1, \"bb\"\t:2, \"c\"\n: {\"d\" :3}}, \"b\": {\"é\" : \"ü\", \"k\"x: 1}}",
        "{\"x\": {\"a\":1, \"a\"",
        "{\"b\": [{\"aaaaaaaa\":1}, {\"aaaaaaa\":",
        // Columns after line breaks inside skimmed and kept values.
        "{\"x\": {\n\"é\": \"€\",\n  \"b\": [1,\n 2]},\n \"a\": {\"keep\": \"é\",\n \"q\": 01}}",
    ];

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
        }
    }

    /// Checks that `scan` stops at the first byte `stop` names, with two bytes set to every
    /// value at each pair of `places` in a run of `x`.
    fn check_scan(
        scan: fn(&[u8], usize) -> usize,
        stop: fn(u8) -> bool,
        places: &[(usize, usize)],
    ) {
        for &(i, j) in places {
            for a in 0..=255u8 {
                for b in 0..=255u8 {
                    let mut s = [b'x'; 11];
                    s[i] = a;
                    s[j] = b;
                    let want = (0..s.len()).find(|k| stop(s[*k])).unwrap_or(s.len());
                    assert_eq!(scan(&s, 0), want, "{s:?}");
                }
            }
        }
    }

    #[test]
    fn plain_text_ends_at_the_first_special_byte() {
        let special = |c: u8| c == b'"' || c == b'\\' || c < 0x20;
        check_scan(plain_end, special, &[(0, 1), (3, 7), (6, 7), (0, 7), (2, 4)]);
    }

    #[test]
    fn ascii_text_ends_at_the_first_special_or_non_ascii_byte() {
        let stop = |c: u8| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c);
        check_scan(ascii_end, stop, &[(0, 1), (3, 7), (6, 7), (0, 7), (2, 4), (7, 8), (9, 10)]);
    }

    /// Every position in the tree under `id` is where the line index puts its offset.
    fn check_positions(a: &Arena, id: NodeId, index: &crate::doc::LineIndex<'_>, src: &str) {
        let n = a.node(id).unwrap();
        assert_eq!(index.pos(n.pos.offset as usize), n.pos, "{src:?}");
        for e in a.children(id) {
            assert_eq!(index.pos(e.pos.offset as usize), e.pos, "{src:?}");
            check_positions(a, e.node, index, src);
        }
    }

    #[test]
    fn columns_count_characters() {
        let mut rng = Rng(0x7e57);
        let pieces = ["é", "€", "😀", "\\u00e9", "\n", " ", "\"a\":", "\"b\":"];
        for seed in SEEDS {
            let chars: Vec<char> = seed.chars().collect();
            for round in 0..200 {
                let mut s: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
                for _ in 0..(round % 4) {
                    let i = rng.below(s.len() + 1);
                    s.insert(i, pieces[rng.below(pieces.len())].to_string());
                }
                let src: String = s.concat();
                let index = crate::doc::LineIndex::new(&src);
                for many in [false, true] {
                    for skim in [false, true] {
                        let mut symbols = Symbols::default();
                        for n in ["a", "b", "keep", "whole", "x"] {
                            symbols.intern(n);
                        }
                        let keep = [Keep::Read, Keep::Skip, Keep::Read, Keep::Whole, Keep::Skip];
                        let projection = Projection::of(keep.to_vec());
                        let mut b = Builder::new(Arena::new(Arc::new(symbols)), 256, 1000)
                            .with_projection(Some(Arc::new(projection)));
                        let (roots, _) = read_with(&src, &mut b, many, skim);
                        for r in roots {
                            check_positions(&b.arena, r, &index, &src);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn skimmed_maps_find_repeated_keys_among_many() {
        // Maps compared pair by pair (up to 16 keys) and through a set (more), whose keys have
        // one length and differ only in the middle.
        let key = |i: usize| format!("prefix__{i:03}__suffix");
        for n in 3..=20 {
            for dup in [None, Some((0, n - 1)), Some((1, 2)), Some((n / 2, n - 1))] {
                let mut keys: Vec<String> = (0..n).map(key).collect();
                keys.extend(["a".into(), "ab".into(), String::new()]);
                if let Some((first, again)) = dup {
                    keys[again] = keys[first].clone();
                }
                let map: Vec<String> = keys.iter().map(|k| format!("\"{k}\": 1")).collect();
                // Under the skipped key `b`: skimmed, then built, with the same errors.
                let src = format!("{{\"b\": {{{}}}, \"a\": 1}}", map.join(", "));
                let skimmed = run(&src, false, 256, true);
                assert_eq!(skimmed, run(&src, false, 256, false), "{src}");
                assert_eq!(skimmed.contains("duplicate key"), dup.is_some(), "{src}: {skimmed}");
            }
        }
    }

    #[test]
    fn skimming_reads_as_building_would() {
        let pieces = [
            "{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "0", "9", "e", "-", ".", " ", "\n",
            "\t", "t", "null", "é", "\u{1}", "\"b\":", "\"a\":", "{\"b\":[", "1e999",
        ];
        let mut rng = Rng(0x5eed);
        // Skimmed values nested past the 64 levels the skimmer keeps in a word.
        let deep = |n: usize, open: &str, inner: &str, close: &str| {
            format!("{{\"x\": {}{inner}{}, \"b\": 2}}", open.repeat(n), close.repeat(n))
        };
        let mut seeds: Vec<String> = SEEDS.iter().map(|s| s.to_string()).collect();
        seeds.push(deep(70, "[{\"a\": ", "1", "}]"));
        seeds.push(deep(140, "[", "1", "]"));
        seeds.push(deep(65, "{\"k\": {\"a\": 0, \"b\": ", "1", "}}"));
        for n in [62, 63, 64] {
            seeds.push(deep(n, "[", "{}, [], {\"a\": 1, \"a\": 2}", "]"));
        }
        for seed in &seeds {
            let chars: Vec<char> = seed.chars().collect();
            for round in 0..400 {
                let mut s: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
                for _ in 0..(round % 4) {
                    let i = rng.below(s.len() + 1);
                    match rng.below(3) {
                        0 if i < s.len() => {
                            s.remove(i);
                        }
                        1 if i < s.len() => s[i] = pieces[rng.below(pieces.len())].to_string(),
                        _ => s.insert(i, pieces[rng.below(pieces.len())].to_string()),
                    }
                }
                let src: String = s.concat();
                for many in [false, true] {
                    for depth in [3, 66, 131, 256] {
                        assert_eq!(
                            run(&src, many, depth, true),
                            run(&src, many, depth, false),
                            "{src:?} many={many} depth={depth}"
                        );
                    }
                }
            }
        }
    }
}
