//! Kubernetes label selectors: matching plain label lists, validation, and the `app=web,env in (a,b)` string form.

use std::fmt;

/// Longest label name (the part after any prefix) and label value.
const NAME_MAX: usize = 63;
/// Longest label key prefix (a DNS subdomain).
const PREFIX_MAX: usize = 253;

/// A label selector, e.g. `matchLabels: {app: web}` plus `env In [prod, staging]`.
///
/// An empty selector matches every label set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    /// Labels that must be present with exactly these values, e.g. `("app", "web")`.
    pub match_labels: Vec<(String, String)>,
    /// Further requirements, all of which must hold.
    pub match_expressions: Vec<Requirement>,
}

/// One requirement on one label key, e.g. key `env`, operator `In`, values `[prod]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The label key, e.g. `app.kubernetes.io/name`.
    pub key: String,
    /// How the key's value is tested.
    pub operator: Op,
    /// The operand values; empty for `Exists` and `DoesNotExist`, one for `Equals`/`NotEquals`.
    pub values: Vec<String>,
}

/// A requirement operator.
///
/// For example `env notin (dev)` is `NotIn`, `!legacy` is `DoesNotExist`, `tier!=db` is `NotEquals`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// The label is present with one of the values.
    In,
    /// The label is absent or its value is none of the values.
    NotIn,
    /// The label is present, whatever its value.
    Exists,
    /// The label is absent.
    DoesNotExist,
    /// The label is present with this value (string form `=` or `==`).
    Equals,
    /// The label is absent or has another value (string form `!=`).
    NotEquals,
}

/// Why a selector is invalid.
///
/// For example `env in ()` gives `EmptyValues("env")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorError {
    /// `In`/`NotIn` with no values; holds the key.
    EmptyValues(String),
    /// `Exists`/`DoesNotExist` with values; holds the key.
    UnexpectedValues(String),
    /// `Equals`/`NotEquals` without exactly one value; holds the key.
    NotSingleValue(String),
    /// Not a valid label key, e.g. `-app` or an over-long name.
    InvalidKey(String),
    /// Not a valid label value, e.g. `has space`; holds the value.
    InvalidValue(String),
    /// The string form has an unexpected token.
    Syntax {
        /// What the parser wanted, e.g. `a label key`.
        expected: &'static str,
        /// What it found, e.g. `)`.
        found: String,
    },
    /// The string form ended early.
    UnexpectedEnd {
        /// What the parser wanted, e.g. `a value`.
        expected: &'static str,
    },
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyValues(k) => write!(f, "requirement on `{k}` needs at least one value"),
            Self::UnexpectedValues(k) => write!(f, "requirement on `{k}` takes no values"),
            Self::NotSingleValue(k) => write!(f, "requirement on `{k}` needs exactly one value"),
            Self::InvalidKey(k) => write!(f, "invalid label key `{k}`"),
            Self::InvalidValue(v) => write!(f, "invalid label value `{v}`"),
            Self::Syntax { expected, found } => write!(f, "expected {expected}, found `{found}`"),
            Self::UnexpectedEnd { expected } => {
                write!(f, "selector ended early, expected {expected}")
            }
        }
    }
}

impl std::error::Error for SelectorError {}

impl Requirement {
    /// Builds a requirement, e.g. `Requirement::new("env", Op::In, &["prod"])`.
    pub fn new(key: &str, operator: Op, values: &[&str]) -> Self {
        Self {
            key: key.to_string(),
            operator,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    /// Whether the labels satisfy this requirement: `env In [prod]` holds for `env=prod`.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let value = lookup(labels, &self.key);
        let listed = |v: &str| self.values.iter().any(|x| x == v);
        match self.operator {
            Op::In | Op::Equals => value.is_some_and(listed),
            Op::NotIn | Op::NotEquals => !value.is_some_and(listed),
            Op::Exists => value.is_some(),
            Op::DoesNotExist => value.is_none(),
        }
    }

    /// Checks the key, the values and their count for the operator, e.g.
    /// `In` with no values is an error.
    pub fn validate(&self) -> Result<(), SelectorError> {
        validate_key(&self.key)?;
        let count_ok = match self.operator {
            Op::In | Op::NotIn => !self.values.is_empty(),
            Op::Exists | Op::DoesNotExist => self.values.is_empty(),
            Op::Equals | Op::NotEquals => self.values.len() == 1,
        };
        if !count_ok {
            let key = self.key.clone();
            return Err(match self.operator {
                Op::In | Op::NotIn => SelectorError::EmptyValues(key),
                Op::Exists | Op::DoesNotExist => SelectorError::UnexpectedValues(key),
                Op::Equals | Op::NotEquals => SelectorError::NotSingleValue(key),
            });
        }
        self.values.iter().try_for_each(|v| validate_value(v))
    }
}

impl LabelSelector {
    /// Whether the labels satisfy every match label and expression; see [`matches()`].
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        matches(self, labels)
    }

    /// Checks every key, value and operator, e.g. `env In []` is an error.
    pub fn validate(&self) -> Result<(), SelectorError> {
        for (k, v) in &self.match_labels {
            validate_key(k)?;
            validate_value(v)?;
        }
        self.match_expressions.iter().try_for_each(Requirement::validate)
    }

    /// Whether the selector has no requirements and so matches everything.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
}

/// Whether `labels` satisfy `sel` with Kubernetes semantics: `app=web` needs the
/// label `app` with value `web`; `NotIn` also holds when the label is absent;
/// the empty selector matches everything. Duplicate label keys use the first.
///
/// Call [`LabelSelector::validate`] first to reject selectors Kubernetes refuses.
pub fn matches(sel: &LabelSelector, labels: &[(String, String)]) -> bool {
    let labels_ok = sel.match_labels.iter().all(|(k, v)| lookup(labels, k) == Some(v.as_str()));
    labels_ok && sel.match_expressions.iter().all(|r| r.matches(labels))
}

fn lookup<'a>(labels: &'a [(String, String)], key: &str) -> Option<&'a str> {
    labels.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Checks `[prefix/]name`: prefix a DNS subdomain, name at most 63 of
/// `[A-Za-z0-9._-]` starting and ending alphanumeric, e.g. `app.kubernetes.io/name`.
fn validate_key(key: &str) -> Result<(), SelectorError> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(valid_dns_subdomain);
    if prefix_ok && !name.is_empty() && valid_name(name) {
        Ok(())
    } else {
        Err(SelectorError::InvalidKey(key.to_string()))
    }
}

/// Checks a label value: empty, or like a key's name part.
fn validate_value(value: &str) -> Result<(), SelectorError> {
    if value.is_empty() || valid_name(value) {
        Ok(())
    } else {
        Err(SelectorError::InvalidValue(value.to_string()))
    }
}

fn valid_name(s: &str) -> bool {
    let inner = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    s.len() <= NAME_MAX && edges_alphanumeric(s) && s.chars().all(inner)
}

fn valid_dns_subdomain(s: &str) -> bool {
    let inner = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.');
    let lower_edges =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    s.len() <= PREFIX_MAX
        && lower_edges(s.chars().next())
        && lower_edges(s.chars().last())
        && s.chars().all(inner)
}

fn edges_alphanumeric(s: &str) -> bool {
    let ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    ok(s.chars().next()) && ok(s.chars().last())
}

/// A token of the string form.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Not,
    NotEq,
    Eq,
    Open,
    Close,
    Comma,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) => f.write_str(w),
            Token::Not => f.write_str("!"),
            Token::NotEq => f.write_str("!="),
            Token::Eq => f.write_str("="),
            Token::Open => f.write_str("("),
            Token::Close => f.write_str(")"),
            Token::Comma => f.write_str(","),
        }
    }
}

fn tokenize(s: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let token = match c {
            _ if c.is_whitespace() => continue,
            '!' if chars.next_if_eq(&'=').is_some() => Token::NotEq,
            '!' => Token::Not,
            '=' => {
                chars.next_if_eq(&'=');
                Token::Eq
            }
            '(' => Token::Open,
            ')' => Token::Close,
            ',' => Token::Comma,
            _ => {
                let mut word = c.to_string();
                while let Some(w) = chars.next_if(|&c| !c.is_whitespace() && !"!=(),".contains(c)) {
                    word.push(w);
                }
                Token::Word(word)
            }
        };
        tokens.push(token);
    }
    tokens
}

/// Parses the string form such as `app=web,tier!=db,env in (a,b),!legacy,canary`.
///
/// Every requirement lands in `match_expressions` (`=`/`==` as `Equals`, `!=`
/// as `NotEquals`, a bare key as `Exists`, `!key` as `DoesNotExist`); the result
/// is validated. The empty string is the empty selector, which matches everything.
pub fn parse_selector(s: &str) -> Result<LabelSelector, SelectorError> {
    let mut tokens = tokenize(s).into_iter().peekable();
    let mut selector = LabelSelector::default();
    if tokens.peek().is_none() {
        return Ok(selector);
    }
    loop {
        selector.match_expressions.push(parse_requirement(&mut tokens)?);
        match tokens.next() {
            None => break,
            Some(Token::Comma) => {}
            Some(t) => return Err(syntax("`,` or the end", &t)),
        }
    }
    selector.validate()?;
    Ok(selector)
}

type Tokens = std::iter::Peekable<std::vec::IntoIter<Token>>;

fn syntax(expected: &'static str, found: &Token) -> SelectorError {
    SelectorError::Syntax { expected, found: found.to_string() }
}

fn expect_word(tokens: &mut Tokens, expected: &'static str) -> Result<String, SelectorError> {
    match tokens.next() {
        Some(Token::Word(w)) => Ok(w),
        Some(t) => Err(syntax(expected, &t)),
        None => Err(SelectorError::UnexpectedEnd { expected }),
    }
}

fn parse_requirement(tokens: &mut Tokens) -> Result<Requirement, SelectorError> {
    if tokens.next_if_eq(&Token::Not).is_some() {
        let key = expect_word(tokens, "a label key")?;
        return Ok(requirement(key, Op::DoesNotExist, Vec::new()));
    }
    let key = expect_word(tokens, "a label key")?;
    let (operator, values) = match tokens.peek() {
        None | Some(Token::Comma) => (Op::Exists, Vec::new()),
        Some(Token::Eq) => (Op::Equals, exact_value(tokens)),
        Some(Token::NotEq) => (Op::NotEquals, exact_value(tokens)),
        Some(Token::Word(w)) if w == "in" => (Op::In, value_set(tokens)?),
        Some(Token::Word(w)) if w == "notin" => (Op::NotIn, value_set(tokens)?),
        Some(t) => return Err(syntax("an operator", t)),
    };
    Ok(requirement(key, operator, values))
}

fn requirement(key: String, operator: Op, values: Vec<String>) -> Requirement {
    Requirement { key, operator, values }
}

/// After `=` or `!=`: one value, empty when the next token is `,` or the end.
fn exact_value(tokens: &mut Tokens) -> Vec<String> {
    tokens.next();
    match tokens.next_if(|t| matches!(t, Token::Word(_))) {
        Some(Token::Word(w)) => vec![w],
        _ => vec![String::new()],
    }
}

/// After `in`/`notin`: `(v1, v2, ...)`; `()` gives no values (rejected by validation).
fn value_set(tokens: &mut Tokens) -> Result<Vec<String>, SelectorError> {
    tokens.next();
    match tokens.next() {
        Some(Token::Open) => {}
        Some(t) => return Err(syntax("`(`", &t)),
        None => return Err(SelectorError::UnexpectedEnd { expected: "`(`" }),
    }
    let mut values = Vec::new();
    if tokens.next_if_eq(&Token::Close).is_some() {
        return Ok(values);
    }
    loop {
        values.push(expect_word(tokens, "a value")?);
        match tokens.next() {
            Some(Token::Comma) => {}
            Some(Token::Close) => return Ok(values),
            Some(t) => return Err(syntax("`,` or `)`", &t)),
            None => return Err(SelectorError::UnexpectedEnd { expected: "`)`" }),
        }
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

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn sel(s: &str) -> LabelSelector {
        parse_selector(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn empty_selector_matches_everything() {
        let s = LabelSelector::default();
        assert!(s.is_empty());
        assert!(matches(&s, &[]));
        assert!(matches(&s, &labels(&[("a", "b")])));
        assert!(sel("").is_empty());
        assert!(sel("   ").matches(&labels(&[("x", "y")])));
    }

    #[test]
    fn match_labels() {
        let s = LabelSelector {
            match_labels: labels(&[("app", "web"), ("tier", "front")]),
            match_expressions: vec![],
        };
        assert!(s.matches(&labels(&[("tier", "front"), ("app", "web"), ("x", "y")])));
        assert!(!s.matches(&labels(&[("app", "web")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "back")])));
    }

    #[test]
    fn in_and_not_in() {
        let r = Requirement::new("env", Op::In, &["prod", "staging"]);
        assert!(r.matches(&labels(&[("env", "prod")])));
        assert!(!r.matches(&labels(&[("env", "dev")])));
        assert!(!r.matches(&[]));
        let r = Requirement::new("env", Op::NotIn, &["dev"]);
        assert!(r.matches(&labels(&[("env", "prod")])));
        assert!(r.matches(&[]));
        assert!(!r.matches(&labels(&[("env", "dev")])));
    }

    #[test]
    fn exists_and_does_not_exist() {
        let e = Requirement::new("canary", Op::Exists, &[]);
        let d = Requirement::new("canary", Op::DoesNotExist, &[]);
        let with = labels(&[("canary", "")]);
        assert!(e.matches(&with) && !d.matches(&with));
        assert!(!e.matches(&[]) && d.matches(&[]));
    }

    #[test]
    fn validate_operator_arity() {
        assert_eq!(
            Requirement::new("env", Op::In, &[]).validate(),
            Err(SelectorError::EmptyValues("env".into()))
        );
        assert_eq!(
            Requirement::new("env", Op::Exists, &["x"]).validate(),
            Err(SelectorError::UnexpectedValues("env".into()))
        );
        assert_eq!(
            Requirement::new("env", Op::Equals, &["a", "b"]).validate(),
            Err(SelectorError::NotSingleValue("env".into()))
        );
        assert!(Requirement::new("env", Op::NotIn, &["a"]).validate().is_ok());
    }

    #[test]
    fn validate_keys_and_values() {
        for k in ["app", "app.kubernetes.io/name", "a_b-c.d", "x/y", "A1"] {
            assert!(validate_key(k).is_ok(), "{k}");
        }
        let long = "a".repeat(64);
        for k in ["", "-app", "app-", "a/b/c", "/x", "Ex.com/x", "a b", long.as_str()] {
            assert!(validate_key(k).is_err(), "{k}");
        }
        assert!(validate_value("").is_ok());
        assert!(validate_value("v1.2_3-x").is_ok());
        assert!(validate_value("has space").is_err());
        let s = LabelSelector {
            match_labels: labels(&[("app", "bad value")]),
            match_expressions: vec![],
        };
        assert_eq!(s.validate(), Err(SelectorError::InvalidValue("bad value".into())));
    }

    #[test]
    fn parse_full_example() {
        let s = sel("app=web,tier!=db,env in (a,b),!legacy");
        assert_eq!(
            s.match_expressions,
            vec![
                Requirement::new("app", Op::Equals, &["web"]),
                Requirement::new("tier", Op::NotEquals, &["db"]),
                Requirement::new("env", Op::In, &["a", "b"]),
                Requirement::new("legacy", Op::DoesNotExist, &[]),
            ]
        );
        assert!(s.matches(&labels(&[("app", "web"), ("env", "a")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("env", "a"), ("legacy", "1")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("env", "a"), ("tier", "db")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("env", "c")])));
    }

    #[test]
    fn parse_spacing_and_double_equals() {
        let s = sel("  app == web ,  env notin ( dev , test ) , canary ");
        assert_eq!(
            s.match_expressions,
            vec![
                Requirement::new("app", Op::Equals, &["web"]),
                Requirement::new("env", Op::NotIn, &["dev", "test"]),
                Requirement::new("canary", Op::Exists, &[]),
            ]
        );
    }

    #[test]
    fn parse_empty_value() {
        let s = sel("app=,x!=");
        assert_eq!(s.match_expressions[0].values, vec![String::new()]);
        assert!(s.matches(&labels(&[("app", ""), ("x", "1")])));
    }

    #[test]
    fn parse_prefixed_keys() {
        let s = sel("app.kubernetes.io/name in (nginx),!example.com/skip");
        assert!(s.matches(&labels(&[("app.kubernetes.io/name", "nginx")])));
    }

    #[test]
    fn parse_errors() {
        assert_eq!(parse_selector("env in ()"), Err(SelectorError::EmptyValues("env".into())));
        assert!(matches!(parse_selector("app=web,"), Err(SelectorError::UnexpectedEnd { .. })));
        assert!(matches!(parse_selector(",app"), Err(SelectorError::Syntax { .. })));
        assert!(matches!(parse_selector("env in (a,b"), Err(SelectorError::UnexpectedEnd { .. })));
        assert!(matches!(parse_selector("env in a"), Err(SelectorError::Syntax { .. })));
        assert!(matches!(parse_selector("env in (a b)"), Err(SelectorError::Syntax { .. })));
        assert!(matches!(parse_selector("app web"), Err(SelectorError::Syntax { .. })));
        assert!(matches!(parse_selector("!"), Err(SelectorError::UnexpectedEnd { .. })));
        assert!(matches!(parse_selector("app=a=b"), Err(SelectorError::Syntax { .. })));
        assert!(matches!(parse_selector("-bad=x"), Err(SelectorError::InvalidKey(_))));
        assert_eq!(
            parse_selector("app web").unwrap_err().to_string(),
            "expected an operator, found `web`"
        );
    }

    #[test]
    fn duplicate_labels_use_first() {
        let s = sel("a=1");
        assert!(s.matches(&labels(&[("a", "1"), ("a", "2")])));
        assert!(!s.matches(&labels(&[("a", "2"), ("a", "1")])));
    }

    #[test]
    fn garbage_never_panics() {
        for s in ["((((", "!=!=", "=,=,", "in", "a in in", "é=ü", "\u{0}", "a notin (", ")"] {
            let _ = parse_selector(s);
        }
        let big = "a=b,".repeat(50_000) + "c";
        assert_eq!(sel(&big).match_expressions.len(), 50_001);
    }
    #[test]
    fn labels_and_expressions_combined() {
        let s = LabelSelector {
            match_labels: labels(&[("app", "web")]),
            match_expressions: vec![Requirement::new("env", Op::NotIn, &["dev"])],
        };
        assert!(s.validate().is_ok());
        assert!(s.matches(&labels(&[("app", "web")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("env", "dev")])));
        assert!(!s.matches(&labels(&[("env", "prod")])));
    }

    #[test]
    fn not_equals_matches_absent() {
        let s = sel("tier!=db");
        assert!(s.matches(&[]));
        assert!(s.matches(&labels(&[("tier", "web")])));
        assert!(!s.matches(&labels(&[("tier", "db")])));
    }
}
