//! Lexing: source text to tokens.
//!
//! The lexer is hand-written because strings nest: `"container {c.name}"` holds an expression,
//! which may itself hold strings. Interpolated parts are lexed recursively into nested token lists,
//! which the parser parses as expressions. Lexing never fails: bad input becomes
//! [`Tok::Error`] tokens plus an error each, and lexing goes on.

use crate::error::Error;
use crate::span::{FileId, Span};

/// Nesting limit for interpolations and brackets inside interpolations.
pub const MAX_INTERPOLATION_DEPTH: usize = 32;

/// A token with its span and whether a line break precedes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What the token is.
    pub tok: Tok,
    /// Where it is.
    pub span: Span,
    /// True when a line break separates this token from the previous one.
    pub newline_before: bool,
}

/// One part of a string literal.
#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    /// Literal text, escapes already decoded.
    Text(String),
    /// An interpolated expression `{…}`: its tokens and the span of the braces.
    Interp(Vec<Token>, Span),
}

/// The flavour of a string literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrKind {
    /// `"…"` or `"""…"""`: text with escapes and interpolation.
    Plain,
    /// `r"…"`: no escapes, no interpolation.
    Raw,
    /// `yaml"""…"""`: a YAML document literal.
    Yaml,
    /// `json"""…"""`: a JSON document literal.
    Json,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An identifier, e.g. `containers`.
    Ident(String),
    /// A keyword, e.g. `rule`.
    Kw(Kw),
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// A string literal.
    Str(StrKind, Vec<StrPart>),
    /// A `///` doc comment line, without the slashes.
    DocComment(String),
    /// A `//!` module doc comment line, without the marker.
    ModuleDoc(String),
    /// Punctuation or an operator.
    Punct(P),
    /// Something that is not a token; an error was reported for it.
    Error,
    /// End of input.
    Eof,
}

macro_rules! keywords {
    ($($name:ident = $text:literal),* $(,)?) => {
        /// Keywords.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Kw { $(#[doc = concat!("`", $text, "`")] $name),* }
        impl Kw {
            /// The keyword's text.
            pub fn as_str(self) -> &'static str { match self { $(Kw::$name => $text),* } }
            /// The keyword spelled `s`, if any.
            pub fn from_word(s: &str) -> Option<Kw> { match s { $($text => Some(Kw::$name),)* _ => None } }
        }
    };
}

keywords! {
    Module = "module", Use = "use", As = "as", Param = "param", Type = "type", Kind = "kind",
    Fn = "fn", Rule = "rule", Test = "test", For = "for", In = "in", Not = "not", Let = "let",
    If = "if", Else = "else", Deny = "deny", Warn = "warn", At = "at", Fix = "fix", Set = "set",
    Remove = "remove", Match = "match", True = "true", False = "false", Null = "null",
    Expect = "expect", No = "no",
}

macro_rules! puncts {
    ($($name:ident = $text:literal),* $(,)?) => {
        /// Punctuation and operators.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum P { $(#[doc = concat!("`", $text, "`")] $name),* }
        impl P {
            /// The punctuation's text.
            pub fn as_str(self) -> &'static str { match self { $(P::$name => $text),* } }
        }
    };
}

puncts! {
    LParen = "(", RParen = ")", LBracket = "[", RBracket = "]", LBrace = "{", RBrace = "}",
    Comma = ",", Colon = ":", Dot = ".", QDot = "?.", Question = "?", QQ = "??", Arrow = "->",
    FatArrow = "=>", Eq = "=", EqEq = "==", Ne = "!=", Lt = "<", Le = "<=", Gt = ">", Ge = ">=",
    Plus = "+", Minus = "-", Star = "*", Slash = "/", Percent = "%", Bang = "!", AndAnd = "&&",
    OrOr = "||", Pipe = "|", At = "@", Semi = ";",
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("identifier `{s}`"),
            Tok::Kw(k) => format!("keyword `{}`", k.as_str()),
            Tok::Int(_) | Tok::Float(_) => "number".into(),
            Tok::Str(..) => "string".into(),
            Tok::DocComment(_) => "doc comment".into(),
            Tok::ModuleDoc(_) => "module doc comment".into(),
            Tok::Punct(p) => format!("`{}`", p.as_str()),
            Tok::Error => "invalid token".into(),
            Tok::Eof => "end of file".into(),
        }
    }
}

/// A comment kept for the formatter: its span and text (with the `//`).
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// Where it is.
    pub span: Span,
    /// Its text, starting with `//`.
    pub text: String,
}

/// The result of lexing one file.
#[derive(Debug, Clone, Default)]
pub struct Lexed {
    /// The tokens, ending with [`Tok::Eof`].
    pub tokens: Vec<Token>,
    /// Plain comments, in order.
    pub comments: Vec<Comment>,
    /// Every lexical error.
    pub errors: Vec<Error>,
}

/// Lexes `src`, which belongs to `file`.
pub fn lex(file: FileId, src: &str) -> Lexed {
    let mut lx = Lexer { src, pos: 0, file, out: Lexed::default(), depth: 0 };
    lx.pos = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let tokens = lx.tokens_until(None);
    let mut out = lx.out;
    out.tokens = tokens;
    out
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    file: FileId,
    out: Lexed,
    depth: usize,
}

impl<'a> Lexer<'a> {
    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start as u32, self.pos as u32)
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn error(&mut self, err: Error) {
        self.out.errors.push(err);
    }

    /// Lexes tokens until end of input or, inside an interpolation (`close` is `Some`), the
    /// closing brace. With `close == Some(true)` (the interpolation of a single-line string) a
    /// line break also ends it: the brace is missing.
    fn tokens_until(&mut self, close: Option<bool>) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut newline = false;
        let mut braces = 0usize;
        loop {
            let line_end = self.pos;
            newline |= self.skip_trivia();
            if close == Some(true) && newline {
                self.pos = line_end;
                return tokens;
            }
            let start = self.pos;
            let Some(c) = self.peek() else {
                tokens.push(Token { tok: Tok::Eof, span: self.span(start), newline_before: true });
                return tokens;
            };
            if close.is_some() && c == '}' && braces == 0 {
                return tokens;
            }
            let tok = self.token(c);
            match tok {
                Tok::Punct(P::LBrace) => braces += 1,
                Tok::Punct(P::RBrace) => braces = braces.saturating_sub(1),
                _ => {}
            }
            tokens.push(Token { tok, span: self.span(start), newline_before: newline });
            newline = false;
        }
    }

    /// Skips spaces and comments; returns whether a line break was seen.
    fn skip_trivia(&mut self) -> bool {
        let mut newline = false;
        loop {
            match self.peek() {
                Some('\n') => {
                    newline = true;
                    self.pos += 1;
                }
                Some(c) if c.is_whitespace() => {
                    self.pos += c.len_utf8();
                }
                Some('/') if self.peek2() == Some('/') && !self.at_doc_comment() => {
                    let start = self.pos;
                    self.skip_line();
                    let text = self.src.get(start..self.pos).unwrap_or("").trim_end().to_string();
                    self.out.comments.push(Comment { span: self.span(start), text });
                }
                Some('/') if self.peek2() == Some('*') => self.block_comment(),
                _ => return newline,
            }
        }
    }

    fn at_doc_comment(&self) -> bool {
        let r = self.rest();
        (r.starts_with("///") && !r.starts_with("////")) || r.starts_with("//!")
    }

    fn skip_line(&mut self) {
        let len = self.rest().find('\n').unwrap_or(self.rest().len());
        self.pos += len;
    }

    fn block_comment(&mut self) {
        let start = self.pos;
        self.pos += 2;
        let mut depth = 1usize;
        while depth > 0 {
            let r = self.rest();
            if r.starts_with("*/") {
                depth -= 1;
                self.pos += 2;
            } else if r.starts_with("/*") {
                depth += 1;
                self.pos += 2;
            } else if self.bump().is_none() {
                self.error(Error::UnterminatedComment {
                    span: Span::new(self.file, start as u32, start as u32 + 2),
                });
                return;
            }
        }
        let text = self.src.get(start..self.pos).unwrap_or("").to_string();
        self.out.comments.push(Comment { span: self.span(start), text });
    }

    fn token(&mut self, c: char) -> Tok {
        match c {
            '/' if self.at_doc_comment() => self.doc_comment(),
            '"' => self.string(StrKind::Plain),
            'r' if self.peek2() == Some('"') => {
                self.pos += 1;
                self.string(StrKind::Raw)
            }
            c if c.is_ascii_digit() => self.number(),
            c if c == '_' || c.is_alphabetic() => self.ident(),
            _ => self.punct(c),
        }
    }

    fn doc_comment(&mut self) -> Tok {
        let module = self.rest().starts_with("//!");
        self.pos += 3;
        let start = self.pos;
        self.skip_line();
        let text = self.src.get(start..self.pos).unwrap_or("");
        let text = text.strip_prefix(' ').unwrap_or(text).trim_end().to_string();
        if module { Tok::ModuleDoc(text) } else { Tok::DocComment(text) }
    }

    fn ident(&mut self) -> Tok {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == '_' || c.is_alphanumeric() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        let word = self.src.get(start..self.pos).unwrap_or("");
        if (word == "yaml" || word == "json") && self.rest().starts_with("\"\"\"") {
            let kind = if word == "yaml" { StrKind::Yaml } else { StrKind::Json };
            return self.string(kind);
        }
        match Kw::from_word(word) {
            Some(kw) => Tok::Kw(kw),
            None => Tok::Ident(word.to_string()),
        }
    }

    fn number(&mut self) -> Tok {
        let start = self.pos;
        self.eat_digits();
        let mut float = false;
        if self.peek() == Some('.') && self.peek2().is_some_and(|c| c.is_ascii_digit()) {
            float = true;
            self.pos += 1;
            self.eat_digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                float = true;
                self.eat_digits();
            } else {
                self.pos = save;
            }
        }
        let text: String = self.src.get(start..self.pos).unwrap_or("").replace('_', "");
        let span = self.span(start);
        if float {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Tok::Float(f),
                _ => {
                    self.error(Error::BadNumber { span, text });
                    Tok::Error
                }
            }
        } else {
            match text.parse::<i64>() {
                Ok(i) => Tok::Int(i),
                Err(_) => {
                    self.error(Error::BadNumber { span, text });
                    Tok::Error
                }
            }
        }
    }

    fn eat_digits(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() || c == '_' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn punct(&mut self, c: char) -> Tok {
        const TWO: [(&str, P); 11] = [
            ("?.", P::QDot),
            ("??", P::QQ),
            ("->", P::Arrow),
            ("=>", P::FatArrow),
            ("==", P::EqEq),
            ("!=", P::Ne),
            ("<=", P::Le),
            (">=", P::Ge),
            ("&&", P::AndAnd),
            ("||", P::OrOr),
            ("..", P::Dot),
        ];
        let rest = self.rest();
        for (text, p) in TWO {
            if rest.starts_with(text) && text != ".." {
                self.pos += 2;
                return Tok::Punct(p);
            }
        }
        let p = match c {
            '(' => P::LParen,
            ')' => P::RParen,
            '[' => P::LBracket,
            ']' => P::RBracket,
            '{' => P::LBrace,
            '}' => P::RBrace,
            ',' => P::Comma,
            ':' => P::Colon,
            '.' => P::Dot,
            '?' => P::Question,
            '=' => P::Eq,
            '<' => P::Lt,
            '>' => P::Gt,
            '+' => P::Plus,
            '-' => P::Minus,
            '*' => P::Star,
            '/' => P::Slash,
            '%' => P::Percent,
            '!' => P::Bang,
            '|' => P::Pipe,
            '@' => P::At,
            ';' => P::Semi,
            _ => {
                let start = self.pos;
                self.bump();
                self.error(Error::UnexpectedChar { span: self.span(start), ch: c });
                return Tok::Error;
            }
        };
        self.pos += 1;
        Tok::Punct(p)
    }

    /// Lexes a string literal; `self.pos` is at its opening quote.
    fn string(&mut self, kind: StrKind) -> Tok {
        let start = self.pos;
        let triple = self.rest().starts_with("\"\"\"");
        self.pos += if triple { 3 } else { 1 };
        let mut parts = Vec::new();
        let mut text = String::new();
        loop {
            let r = self.rest();
            if triple && r.starts_with("\"\"\"") {
                self.pos += 3;
                break;
            }
            let Some(c) = self.peek() else {
                self.error(Error::UnterminatedString {
                    span: Span::new(self.file, start as u32, start as u32 + 1),
                });
                break;
            };
            if !triple && c == '"' {
                self.pos += 1;
                break;
            }
            if !triple && c == '\n' {
                self.error(Error::UnterminatedString {
                    span: Span::new(self.file, start as u32, start as u32 + 1),
                });
                break;
            }
            let interp = matches!(kind, StrKind::Plain);
            if interp && c == '\\' {
                self.escape(&mut text);
            } else if interp && c == '{' {
                if !text.is_empty() {
                    parts.push(StrPart::Text(std::mem::take(&mut text)));
                }
                let (part, closed) = self.interpolation(!triple);
                parts.push(part);
                if !closed && !triple {
                    // The rest of the line went to the interpolation: the string ends here too.
                    break;
                }
            } else {
                self.pos += c.len_utf8();
                text.push(c);
            }
        }
        if !text.is_empty() || parts.is_empty() {
            parts.push(StrPart::Text(text));
        }
        if triple {
            parts = dedent(parts);
        }
        Tok::Str(kind, parts)
    }

    fn escape(&mut self, text: &mut String) {
        let start = self.pos;
        self.pos += 1;
        let decoded = match self.bump() {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('0') => '\0',
            Some(c @ ('\\' | '"' | '{' | '}' | '\'')) => c,
            Some('u') => return self.unicode_escape(start, text),
            Some(_) | None => {
                self.error(Error::BadEscape { span: self.span(start) });
                return;
            }
        };
        text.push(decoded);
    }

    /// `\u{1F600}`.
    fn unicode_escape(&mut self, start: usize, text: &mut String) {
        let r = self.rest();
        let decoded = r
            .strip_prefix('{')
            .and_then(|r| r.split_once('}'))
            .filter(|(hex, _)| !hex.is_empty() && hex.len() <= 6)
            .and_then(|(hex, _)| {
                Some((hex.len(), char::from_u32(u32::from_str_radix(hex, 16).ok()?)?))
            });
        match decoded {
            Some((len, c)) => {
                self.pos += len + 2;
                text.push(c);
            }
            None => self.error(Error::BadEscape { span: self.span(start) }),
        }
    }

    /// Lexes `{…}` inside a string; returns the part and whether its closing brace was found.
    fn interpolation(&mut self, single_line: bool) -> (StrPart, bool) {
        let open = self.pos;
        self.pos += 1;
        if self.depth >= MAX_INTERPOLATION_DEPTH {
            self.error(Error::TooDeep { span: self.span(open) });
            let len = self.rest().find('}').map_or(self.rest().len(), |i| i + 1);
            self.pos += len;
            return (StrPart::Interp(Vec::new(), self.span(open)), true);
        }
        self.depth += 1;
        let mut tokens = self.tokens_until(Some(single_line));
        self.depth -= 1;
        let closed = self.peek() == Some('}');
        if closed {
            self.pos += 1;
        } else {
            self.error(Error::UnterminatedInterpolation {
                span: Span::new(self.file, open as u32, open as u32 + 1),
            });
        }
        if tokens.last().is_none_or(|t| t.tok != Tok::Eof) {
            tokens.push(Token { tok: Tok::Eof, span: self.span(self.pos), newline_before: false });
        }
        (StrPart::Interp(tokens, self.span(open)), closed)
    }
}

/// Removes the common leading indentation of a triple-quoted string, and its first and last
/// line when they are blank. A line break before the closing quotes is kept. Interpolations
/// take part: a line that starts with one has no indentation.
fn dedent(parts: Vec<StrPart>) -> Vec<StrPart> {
    let mut lines: Vec<Vec<StrPart>> = vec![Vec::new()];
    for p in parts {
        match p {
            StrPart::Text(t) => {
                for (i, seg) in t.split('\n').enumerate() {
                    if i > 0 {
                        lines.push(Vec::new());
                    }
                    if let Some(line) = lines.last_mut().filter(|_| !seg.is_empty()) {
                        line.push(StrPart::Text(seg.to_string()));
                    }
                }
            }
            interp => {
                if let Some(line) = lines.last_mut() {
                    line.push(interp);
                }
            }
        }
    }
    let blank =
        |l: &Vec<StrPart>| l.iter().all(|p| matches!(p, StrPart::Text(t) if t.trim().is_empty()));
    if lines.first().is_some_and(blank) {
        lines.remove(0);
    }
    let trailing_newline = lines.len() > 1 && lines.last().is_some_and(blank);
    if lines.last().is_some_and(blank) {
        lines.pop();
    }
    let indent_of = |l: &Vec<StrPart>| match l.first() {
        Some(StrPart::Text(t)) => t.len() - t.trim_start().len(),
        _ => 0,
    };
    let indent = lines.iter().filter(|l| !blank(l)).map(indent_of).min().unwrap_or(0);
    let mut out: Vec<StrPart> = Vec::new();
    let push_text = |out: &mut Vec<StrPart>, t: &str| match out.last_mut() {
        Some(StrPart::Text(prev)) => prev.push_str(t),
        _ => out.push(StrPart::Text(t.to_string())),
    };
    for (i, line) in lines.into_iter().enumerate() {
        if i > 0 {
            push_text(&mut out, "\n");
        }
        for (j, p) in line.into_iter().enumerate() {
            match p {
                StrPart::Text(t) if j == 0 => {
                    push_text(&mut out, t.get(indent..).unwrap_or(t.trim_start()));
                }
                StrPart::Text(t) => push_text(&mut out, &t),
                interp => out.push(interp),
            }
        }
    }
    if trailing_newline {
        push_text(&mut out, "\n");
    }
    if out.is_empty() {
        out.push(StrPart::Text(String::new()));
    }
    out
}

/// Removes the common leading indentation of `text`, and its first and last line when they are
/// blank, as the text of a triple-quoted string is dedented.
pub fn dedent_text(text: &str) -> String {
    match dedent(vec![StrPart::Text(text.to_string())]).as_slice() {
        [StrPart::Text(t)] => t.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(FileId(0), src).tokens.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn lexes_operators_and_keywords() {
        let toks = kinds("rule r(x: int) { x ?? 1 }");
        assert!(matches!(toks[0], Tok::Kw(Kw::Rule)));
        assert!(toks.contains(&Tok::Punct(P::QQ)));
    }

    #[test]
    fn interpolation_nests() {
        let toks = kinds(r#""a {b + "c{d}"} e""#);
        let Tok::Str(_, parts) = &toks[0] else { panic!() };
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn unterminated_string_reports() {
        let lexed = lex(FileId(0), "\"abc");
        assert_eq!(lexed.errors.len(), 1);
    }

    #[test]
    fn dedents_yaml() {
        let toks = kinds("yaml\"\"\"\n    a: 1\n    b:\n      c: 2\n  \"\"\"");
        assert_eq!(
            toks[0],
            Tok::Str(StrKind::Yaml, vec![StrPart::Text("a: 1\nb:\n  c: 2\n".into())])
        );
    }

    #[test]
    fn dedents_interpolated_strings_and_keeps_one_line_ones() {
        let toks = kinds("\"\"\"\n    n is {n}\n      more\n    \"\"\"");
        let Tok::Str(_, parts) = &toks[0] else { panic!() };
        assert_eq!(parts.first(), Some(&StrPart::Text("n is ".into())));
        assert_eq!(parts.last(), Some(&StrPart::Text("\n  more\n".into())));
        assert_eq!(
            kinds("\"\"\"a \"b\"\"\"\"")[0],
            Tok::Str(StrKind::Plain, vec![StrPart::Text("a \"b".into())])
        );
    }

    #[test]
    fn an_interpolation_ends_at_the_end_of_its_line() {
        let lexed = lex(FileId(0), "\"{a\nb");
        assert!(
            matches!(lexed.errors.as_slice(), [Error::UnterminatedInterpolation { span }] if span.start == 1)
        );
        assert!(lexed.tokens.iter().any(|t| t.tok == Tok::Ident("b".into())));
    }
}
