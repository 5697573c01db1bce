//! Glob patterns for image names and registries (`*`, `**`, `?`, `[a-z]`), matched in linear time.

use std::fmt;

/// A compiled glob pattern.
///
/// `*` matches any run of characters except `/`, `**` any run including `/`,
/// `?` one character other than `/`, `[abc]`, `[a-z]` and `[!x]` (or `[^x]`)
/// one character other than `/` in (or not in) the class, and `\` makes the next
/// character literal. For example `ghcr.io/acme/*` matches `ghcr.io/acme/api`
/// but not `ghcr.io/acme/team/api`, which `ghcr.io/acme/**` matches.
///
/// Matching simulates the pattern as an automaton, so it takes at most
/// `pattern length × input length` steps whatever the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
    tokens: Vec<Token>,
}

/// Why a pattern was rejected.
///
/// For example `compile("a[bc")` gives `UnclosedClass("a[bc")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobError {
    /// A `[` has no matching `]`.
    UnclosedClass(String),
    /// The pattern ends with a lone `\`.
    TrailingEscape(String),
    /// A class range runs backwards, e.g. `[z-a]`; holds the pattern and the range.
    InvalidRange {
        /// The whole pattern.
        pattern: String,
        /// The offending range, e.g. `z-a`.
        range: String,
    },
}

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnclosedClass(p) => write!(f, "unclosed character class in glob `{p}`"),
            Self::TrailingEscape(p) => write!(f, "glob `{p}` ends with a lone backslash"),
            Self::InvalidRange { pattern, range } => {
                write!(f, "invalid range `{range}` in glob `{pattern}`")
            }
        }
    }
}

impl std::error::Error for GlobError {}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    AnyChar,
    Star,
    DoubleStar,
    Class(Class),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        let inside = self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
        c != '/' && inside != self.negated
    }
}

impl Token {
    fn is_star(&self) -> bool {
        matches!(self, Token::Star | Token::DoubleStar)
    }
}

/// Compiles a glob such as `docker.io/library/*` or `*.example.com/**`.
///
/// Runs of two or more `*` mean `**`; a `]` right after `[` or `[!` is literal.
pub fn compile(pattern: &str) -> Result<Glob, GlobError> {
    let mut parser = Parser { pattern, chars: pattern.chars().peekable(), tokens: Vec::new() };
    parser.run()?;
    Ok(Glob { pattern: pattern.to_string(), tokens: parser.tokens })
}

struct Parser<'a> {
    pattern: &'a str,
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    tokens: Vec<Token>,
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), GlobError> {
        while let Some(c) = self.chars.next() {
            let token = match c {
                '\\' => Token::Literal(self.escaped()?),
                '*' => self.star(),
                '?' => Token::AnyChar,
                '[' => Token::Class(self.class()?),
                _ => Token::Literal(c),
            };
            self.push(token);
        }
        Ok(())
    }

    /// Adds a token, merging adjacent stars so `*` + `**` is one `**`.
    fn push(&mut self, token: Token) {
        match (self.tokens.last_mut(), &token) {
            (Some(last), Token::Star | Token::DoubleStar) if last.is_star() => {
                if token == Token::DoubleStar {
                    *last = Token::DoubleStar;
                }
            }
            _ => self.tokens.push(token),
        }
    }

    fn escaped(&mut self) -> Result<char, GlobError> {
        self.chars.next().ok_or_else(|| GlobError::TrailingEscape(self.pattern.to_string()))
    }

    fn star(&mut self) -> Token {
        let mut double = false;
        while self.chars.next_if_eq(&'*').is_some() {
            double = true;
        }
        if double { Token::DoubleStar } else { Token::Star }
    }

    fn class(&mut self) -> Result<Class, GlobError> {
        let negated = self.chars.next_if(|&c| c == '!' || c == '^').is_some();
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = self.class_char()?;
            if c == ']' && !first {
                return Ok(Class { negated, ranges });
            }
            first = false;
            let lo = if c == '\\' { self.class_char()? } else { c };
            ranges.push((lo, self.range_end(lo)?));
        }
    }

    fn class_char(&mut self) -> Result<char, GlobError> {
        self.chars.next().ok_or_else(|| GlobError::UnclosedClass(self.pattern.to_string()))
    }

    /// After `lo`, reads `-hi` if present; a `-` before `]` is literal.
    fn range_end(&mut self, lo: char) -> Result<char, GlobError> {
        let mut lookahead = self.chars.clone();
        if lookahead.next() != Some('-') || matches!(lookahead.peek(), Some(']') | None) {
            return Ok(lo);
        }
        self.chars.next();
        let c = self.class_char()?;
        let hi = if c == '\\' { self.class_char()? } else { c };
        if hi < lo {
            return Err(GlobError::InvalidRange {
                pattern: self.pattern.to_string(),
                range: format!("{lo}-{hi}"),
            });
        }
        Ok(hi)
    }
}

impl Glob {
    /// Whether the whole of `s` matches: `*.io` matches `ghcr.io` but not `a/b.io`.
    pub fn is_match(&self, s: &str) -> bool {
        let mut states = vec![false; self.tokens.len() + 1];
        if let Some(start) = states.first_mut() {
            *start = true;
        }
        self.close(&mut states);
        let mut next = vec![false; states.len()];
        for c in s.chars() {
            next.iter_mut().for_each(|b| *b = false);
            if !self.step(&states, &mut next, c) {
                return false;
            }
            self.close(&mut next);
            std::mem::swap(&mut states, &mut next);
        }
        states.last().copied().unwrap_or(false)
    }

    /// The pattern as written, e.g. `docker.io/*`.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern has no wildcards, so it matches only its own text,
    /// e.g. true for `nginx` and false for `ngin?`.
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Literal(_)))
    }

    /// Lets a state before a star also stand after it (the star matches nothing).
    fn close(&self, states: &mut [bool]) {
        for (i, token) in self.tokens.iter().enumerate() {
            if token.is_star() && states.get(i) == Some(&true) {
                set(states, i + 1);
            }
        }
    }

    /// Advances every live state over `c`; false when none survives.
    fn step(&self, states: &[bool], next: &mut [bool], c: char) -> bool {
        let mut alive = false;
        let live = states.iter().zip(&self.tokens).enumerate();
        for (i, (_, token)) in live.filter(|(_, (on, _))| **on) {
            let target = match token {
                Token::Literal(l) if *l == c => Some(i + 1),
                Token::AnyChar if c != '/' => Some(i + 1),
                Token::Class(class) if class.matches(c) => Some(i + 1),
                Token::Star if c != '/' => Some(i),
                Token::DoubleStar => Some(i),
                _ => None,
            };
            if let Some(t) = target {
                set(next, t);
                alive = true;
            }
        }
        alive
    }
}

fn set(states: &mut [bool], i: usize) {
    if let Some(s) = states.get_mut(i) {
        *s = true;
    }
}

impl fmt::Display for Glob {
    /// Writes the pattern as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        compile(p).unwrap_or_else(|e| panic!("{p}: {e}")).is_match(s)
    }

    #[test]
    fn literal() {
        assert!(m("nginx", "nginx"));
        assert!(!m("nginx", "nginx2"));
        assert!(!m("nginx", "ngin"));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(compile("docker.io/nginx").unwrap().is_literal());
    }

    #[test]
    fn single_star_stops_at_slash() {
        assert!(m("ghcr.io/acme/*", "ghcr.io/acme/api"));
        assert!(m("ghcr.io/acme/*", "ghcr.io/acme/"));
        assert!(!m("ghcr.io/acme/*", "ghcr.io/acme/team/api"));
        assert!(m("*.example.com", "registry.example.com"));
        assert!(!m("*.example.com", "a/b.example.com"));
    }

    #[test]
    fn double_star_crosses_slash() {
        assert!(m("ghcr.io/acme/**", "ghcr.io/acme/team/api"));
        assert!(m("**/nginx", "docker.io/library/nginx"));
        assert!(m("**", ""));
        assert!(m("**", "a/b/c"));
        assert!(m("a/**/z", "a/b/c/z"));
        assert!(!m("a/**/z", "a/z"));
        assert!(m("a***b", "a/x/b"));
    }

    #[test]
    fn question_mark() {
        assert!(m("nginx:1.2?", "nginx:1.25"));
        assert!(!m("nginx:1.2?", "nginx:1.2"));
        assert!(!m("a?b", "a/b"));
        assert!(m("???", "日本語"));
    }

    #[test]
    fn classes() {
        assert!(m("[abc]x", "bx"));
        assert!(!m("[abc]x", "dx"));
        assert!(m("v[0-9]", "v7"));
        assert!(!m("v[0-9]", "vx"));
        assert!(m("[!x]", "y"));
        assert!(!m("[!x]", "x"));
        assert!(m("[^x]", "y"));
        assert!(!m("[!x]", "/"));
        assert!(m("[a-cx-z]", "y"));
        assert!(m("[]]", "]"));
        assert!(m("[!]]", "a"));
        assert!(m("[a-]", "-"));
        assert!(m("[\\]]", "]"));
        assert!(m("[\\--\\/]", "."));
    }

    #[test]
    fn escapes() {
        assert!(m("a\\*b", "a*b"));
        assert!(!m("a\\*b", "axb"));
        assert!(m("\\[x\\]", "[x]"));
        assert!(m("\\?", "?"));
    }

    #[test]
    fn registries_and_tags() {
        assert!(m("*.dkr.ecr.*.amazonaws.com/**", "1234.dkr.ecr.us-east-1.amazonaws.com/team/app"));
        assert!(m("docker.io/library/*:*", "docker.io/library/nginx:1.25"));
        assert!(!m("docker.io/library/*:*", "docker.io/library/nginx"));
    }

    #[test]
    fn star_backtracking_cases() {
        assert!(m("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!m("*a*b*c*", "xxaxxcxxbxx"));
        assert!(m("a*b*", "ab"));
        assert!(m("*ab", "aab"));
        assert!(!m("*ab", "aba"));
    }

    #[test]
    fn pathological_is_linear() {
        let input = "a".repeat(100_000);
        assert!(!m("a*a*a*a*a*a*a*a*b", &input));
        assert!(!m("**a**a**a**a**b", &input));
        let ok = format!("{input}b");
        assert!(m("a*a*a*a*a*a*a*a*b", &ok));
    }

    #[test]
    fn errors() {
        assert_eq!(compile("a[bc"), Err(GlobError::UnclosedClass("a[bc".into())));
        assert_eq!(compile("a\\"), Err(GlobError::TrailingEscape("a\\".into())));
        assert!(matches!(compile("[z-a]"), Err(GlobError::InvalidRange { .. })));
        assert!(compile("[").is_err());
        assert!(compile("[]").is_err());
        assert!(compile("[!").is_err());
        assert!(compile("[a-").is_err());
        assert!(compile("[a\\").is_err());
        assert_eq!(
            compile("[z-a]").unwrap_err().to_string(),
            "invalid range `z-a` in glob `[z-a]`"
        );
    }

    #[test]
    fn display_and_pattern() {
        let g = compile("ghcr.io/*").unwrap();
        assert_eq!(g.pattern(), "ghcr.io/*");
        assert_eq!(g.to_string(), "ghcr.io/*");
        assert!(!g.is_literal());
    }

    #[test]
    fn garbage_never_panics() {
        let weird = "[[[!]]]\\\\**?*[--]é\u{0}";
        let _ = compile(weird).map(|g| g.is_match(weird));
        let long = "*?".repeat(1_000);
        let g = compile(&long).unwrap();
        assert!(!g.is_match(&"x".repeat(999)));
        assert!(g.is_match(&"x".repeat(1_500)));
    }
    #[test]
    fn unicode_literals() {
        assert!(m("régistry.io/*", "régistry.io/app"));
        assert!(m("[à-ä]", "â"));
        assert!(!m("[à-ä]", "a"));
    }

    #[test]
    fn stars_on_empty_input() {
        assert!(m("*", ""));
        assert!(m("**", ""));
        assert!(!m("?", ""));
        assert!(!m("[a]", ""));
        assert!(!m("*", "/"));
        assert!(m("**", "/"));
    }

    #[test]
    fn classes_never_match_slash() {
        assert!(!m("a[/]b", "a/b"));
        assert!(!m("a[!x]b", "a/b"));
        assert!(!m("a[.-0]b", "a/b"));
    }
}
