//! Dockerfile reading into Trivy's JSON shape.
//!
//! [`parse`] turns Dockerfile text into the structure Trivy hands to its
//! Dockerfile checks (`{"Stages":[{"Name":..,"Commands":[..]}]}`), following
//! buildkit's parser for how lines are joined and how arguments are split, and
//! Trivy's own conventions on top of it:
//!
//! - `Cmd` is the lower-cased instruction; `Original` is the instruction text
//!   as buildkit keeps it (continuations joined, leading blanks dropped).
//! - `Value` holds the arguments as buildkit splits them: one string for
//!   shell-form `RUN`/`CMD`/`ENTRYPOINT`/`SHELL`, the array elements with
//!   `"JSON": true` for exec form, whitespace-split words for
//!   `FROM`/`EXPOSE`/`COPY`/`ADD`/`VOLUME`, `(key, value, separator)`
//!   triples for `ENV`/`LABEL` (separator `"="`, or `""` for the legacy
//!   `ENV key value` form), raw words for `ARG`, and `[TYPE, command...]` for
//!   `HEALTHCHECK`.
//! - Stage `Name` is, as in Trivy, the `FROM` instruction's raw text after
//!   the keyword (flags and `AS alias` included, not substituted).
//! - Commands before the first `FROM` (global `ARG`s) form a leading stage
//!   with an empty name; the first `FROM` still has stage index 0.
//! - Heredoc commands get Trivy's treatment: `Original` gains the heredoc
//!   bodies, and `Value` is the body joined with `" ; "` for a lone
//!   `<<EOF`, or the argument text followed by the bodies otherwise.
//!
//! Beyond Trivy, global `ARG` defaults are substituted into `FROM` values and
//! flags (unresolved references stay as written), and every problem is
//! reported as a [`ParseError`] instead of stopping at the first one: unknown
//! instructions are reported and left out, other faulty instructions are
//! reported and kept. A line holding only the escape character is reported
//! and skipped, where docker would silently join it to the next line.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// Largest accepted input, in bytes (8 MiB).
pub const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;

/// Largest accepted number of lines.
pub const MAX_INPUT_LINES: usize = 100_000;

/// The `Path` given to commands by [`parse`].
pub const DEFAULT_PATH: &str = "Dockerfile";

/// Deepest nesting followed in JSON arrays and `${...}` expressions.
const MAX_NESTING: usize = 64;

/// A parsed Dockerfile in Trivy's shape.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Dockerfile {
    /// The build stages, in file order.
    #[serde(rename = "Stages")]
    pub stages: Vec<Stage>,
}

/// One build stage: a `FROM` and the commands after it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stage {
    /// The `FROM` text after the keyword (empty for the leading `ARG` stage).
    #[serde(rename = "Name")]
    pub name: String,
    /// The stage's commands, the `FROM` itself first.
    #[serde(rename = "Commands")]
    pub commands: Vec<Command>,
}

/// One Dockerfile instruction.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Command {
    /// The instruction, lower-cased (`"run"`).
    #[serde(rename = "Cmd")]
    pub cmd: String,
    /// For `ONBUILD`, the wrapped instruction as written (`"RUN"`).
    #[serde(rename = "SubCmd")]
    pub sub_cmd: String,
    /// The `--flag` words before the arguments, quotes removed.
    #[serde(rename = "Flags")]
    pub flags: Vec<String>,
    /// The arguments, split as buildkit does.
    #[serde(rename = "Value")]
    pub value: Vec<String>,
    /// The instruction's text (plus heredoc bodies).
    #[serde(rename = "Original")]
    pub original: String,
    /// Whether the arguments were in exec (JSON array) form.
    #[serde(rename = "JSON")]
    pub json: bool,
    /// Index of the stage the command belongs to.
    #[serde(rename = "Stage")]
    pub stage: usize,
    /// The file the command came from.
    #[serde(rename = "Path", default)]
    pub path: String,
    /// First line of the instruction (1-based).
    #[serde(rename = "StartLine")]
    pub start_line: usize,
    /// Last line of the instruction, heredoc delimiter included (1-based).
    #[serde(rename = "EndLine")]
    pub end_line: usize,
    /// Column of the instruction keyword on its first line (1-based); not part of Trivy's shape.
    #[serde(skip)]
    pub column: usize,
}

/// A problem found while reading a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Lower-case description, user text in backticks.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// What [`parse`] read, with every problem it met.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Parsed {
    /// Everything that could be read.
    pub dockerfile: Dockerfile,
    /// Every problem, ordered by position.
    pub errors: Vec<ParseError>,
}

/// Reads a Dockerfile, giving its commands the path `Dockerfile`.
pub fn parse(src: &str) -> Parsed {
    parse_with_path(src, DEFAULT_PATH)
}

/// Reads a Dockerfile, giving its commands the path `path`.
pub fn parse_with_path(src: &str, path: &str) -> Parsed {
    if let Some(error) = check_limits(src) {
        return Parsed { dockerfile: Dockerfile::default(), errors: vec![error] };
    }
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut reader = Reader::new(src);
    let mut builder = Builder::new(path);
    let mut count = 0;
    while let Some(instruction) = reader.next_instruction() {
        count += 1;
        builder.args.escape = reader.directives.escape;
        builder.errors.append(&mut reader.errors);
        builder.add(instruction);
    }
    builder.errors.append(&mut reader.errors);
    if count == 0 {
        let line = reader.lines.len().max(1);
        builder.error(line, 1, "file with no instructions".to_string());
    }
    builder.finish()
}

fn check_limits(src: &str) -> Option<ParseError> {
    let message = if src.len() > MAX_INPUT_BYTES {
        "input is larger than the 8 MiB limit".to_string()
    } else if src.split_inclusive('\n').count() > MAX_INPUT_LINES {
        format!("input has more than {MAX_INPUT_LINES} lines")
    } else {
        return None;
    };
    Some(ParseError { line: 1, column: 1, message })
}

// ---------------------------------------------------------------------------
// Small text helpers
// ---------------------------------------------------------------------------

/// buildkit's `[\t\v\f\r ]` separator class.
fn is_sep(c: char) -> bool {
    matches!(c, '\t' | '\u{0B}' | '\u{0C}' | '\r' | ' ')
}

/// Go regexp's `\s` class (`[\t\n\f\r ]`).
fn is_go_regex_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0C}' | '\r' | ' ')
}

fn trim_newline(line: &str) -> &str {
    line.trim_end_matches(['\r', '\n'])
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

fn char_count(s: &str) -> usize {
    s.chars().count()
}

/// Column (1-based, in characters) of `needle` in `haystack`.
fn column_of(haystack: &str, needle: &str) -> Option<usize> {
    let byte = haystack.find(needle)?;
    haystack.get(..byte).map(|before| char_count(before) + 1)
}

/// Removes a line-continuation escape, as buildkit's
/// `([^e])e[ \t]*$|^e[ \t]*$` does; the flag is true when the line ends the
/// instruction.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let body = line.trim_end_matches([' ', '\t']);
    let Some(before) = body.strip_suffix(escape) else {
        return (line, true);
    };
    match before.chars().next_back() {
        None => ("", false),
        Some(c) if c != escape => (before, false),
        Some(_) => (line, true),
    }
}

/// Splits `s` into shell words, honouring quotes and backslash escapes.
/// With `raw`, quotes and escapes stay in the words.
fn shell_words(s: &str, raw: bool) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            if in_word {
                words.push(std::mem::take(&mut word));
                in_word = false;
            }
            continue;
        }
        in_word = true;
        match c {
            '\'' => single_quoted(&mut chars, &mut word, raw),
            '"' => double_quoted(&mut chars, &mut word, raw),
            '\\' => {
                if raw {
                    word.push(c);
                }
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            _ => word.push(c),
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn single_quoted(chars: &mut std::str::Chars<'_>, word: &mut String, raw: bool) {
    if raw {
        word.push('\'');
    }
    for c in chars.by_ref() {
        if c == '\'' {
            if raw {
                word.push(c);
            }
            return;
        }
        word.push(c);
    }
}

fn double_quoted(chars: &mut std::str::Chars<'_>, word: &mut String, raw: bool) {
    if raw {
        word.push('"');
    }
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                if raw {
                    word.push(c);
                }
                return;
            }
            '\\' => {
                let next = chars.next();
                let special = matches!(next, Some('"' | '\\' | '$' | '`'));
                if raw || !special {
                    word.push(c);
                }
                if let Some(n) = next {
                    word.push(n);
                }
            }
            _ => word.push(c),
        }
    }
}

// ---------------------------------------------------------------------------
// Parser directives
// ---------------------------------------------------------------------------

struct Directives {
    escape: char,
    done: bool,
    seen: Vec<String>,
}

impl Directives {
    fn new() -> Self {
        Directives { escape: '\\', done: false, seen: Vec::new() }
    }

    /// Looks at one line while directives may still appear; returns an error
    /// message for a bad directive.
    fn check(&mut self, line: &str) -> Option<String> {
        if self.done {
            return None;
        }
        let Some((key, value)) = match_directive(line.trim_start()) else {
            self.done = true;
            return None;
        };
        if !matches!(key.as_str(), "escape" | "syntax" | "check") {
            self.done = true;
            return None;
        }
        if self.seen.contains(&key) {
            return Some(format!("only one `{key}` parser directive can be used"));
        }
        self.seen.push(key.clone());
        if key != "escape" {
            return None;
        }
        match value.as_str() {
            "\\" => self.escape = '\\',
            "`" => self.escape = '`',
            _ => {
                return Some(format!(
                    "invalid escape token `{value}`, expected a backslash or a backtick"
                ));
            }
        }
        None
    }
}

/// Matches buildkit's `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`.
fn match_directive(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix('#')?.trim_start_matches(is_go_regex_space);
    let first = rest.chars().next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let key_len = rest.chars().take_while(char::is_ascii_alphanumeric).count();
    let (key, after) = rest.split_at_checked(key_len)?;
    let after = after.trim_start_matches(is_go_regex_space).strip_prefix('=')?;
    let value = after.trim_matches(is_go_regex_space);
    if value.is_empty() {
        return None;
    }
    Some((key.to_ascii_lowercase(), value.to_string()))
}

// ---------------------------------------------------------------------------
// Instruction nodes (buildkit's line parsers)
// ---------------------------------------------------------------------------

/// One instruction as buildkit's parser sees it.
#[derive(Debug, Clone, Default)]
struct Node {
    /// The keyword as written.
    keyword: String,
    flags: Vec<String>,
    args: Vec<String>,
    json: bool,
    /// The wrapped instruction of an `ONBUILD`.
    sub: Option<Box<Node>>,
}

impl Node {
    fn lower(&self) -> String {
        self.keyword.to_lowercase()
    }

    /// buildkit's `canContainHeredoc`.
    fn can_contain_heredoc(&self) -> bool {
        let node = match (&self.sub, self.lower().as_str()) {
            (Some(sub), "onbuild") => sub.as_ref(),
            _ => self,
        };
        matches!(node.lower().as_str(), "add" | "copy" | "run") && !node.json
    }
}

const KNOWN_INSTRUCTIONS: [&str; 18] = [
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

fn is_known(lower: &str) -> bool {
    KNOWN_INSTRUCTIONS.contains(&lower)
}

/// Builds the node for one logical line; problems go to `issues`.
fn node_from_line(line: &str, escape: char, issues: &mut Vec<String>) -> Node {
    let trimmed = line.trim();
    let (keyword, rest) = match trimmed.split_once(is_sep) {
        Some((keyword, rest)) => (keyword, Some(rest.trim_start_matches(is_sep))),
        None => (trimmed, None),
    };
    let (args, flags) = rest.map(extract_builder_flags).unwrap_or_default();
    let args = args.trim();
    let mut node = Node { keyword: keyword.to_string(), flags, ..Node::default() };
    match node.lower().as_str() {
        "add" | "copy" | "volume" => (node.args, node.json) = maybe_json_to_list(args, issues),
        "cmd" | "entrypoint" | "run" | "shell" => (node.args, node.json) = maybe_json(args, issues),
        "arg" => node.args = parse_words(args, escape),
        "env" | "label" => node.args = name_values(args, keyword, escape, issues),
        "expose" | "from" => node.args = whitespace_words(args),
        "healthcheck" => (node.args, node.json) = health_config(args, issues),
        "maintainer" | "stopsignal" | "user" | "workdir" => node.args = single(args),
        "onbuild" if !args.is_empty() => {
            node.sub = Some(Box::new(node_from_line(args, escape, issues)));
        }
        _ => {}
    }
    node
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Spaces,
    Word,
    Quote,
}

/// Port of buildkit's `extractBuilderFlags`: returns the text after the
/// leading `--flag` words, and those words with quotes removed.
fn extract_builder_flags(line: &str) -> (String, Vec<String>) {
    let chars: Vec<char> = line.chars().collect();
    let rest_from = |pos: usize| -> String {
        chars.get(pos..).map(|tail| tail.iter().collect()).unwrap_or_default()
    };
    let mut words = Vec::new();
    let mut word = String::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut pos = 0;
    loop {
        let current = chars.get(pos).copied();
        if phase == Phase::Spaces {
            let Some(c) = current else { break };
            if c.is_whitespace() {
                pos += 1;
                continue;
            }
            if c != '-' || chars.get(pos + 1) != Some(&'-') {
                return (rest_from(pos), words);
            }
            phase = Phase::Word;
        }
        let Some(mut c) = current else {
            if word != "--" && (blank_ok || !word.is_empty()) {
                words.push(word);
            }
            break;
        };
        pos += 1;
        if phase == Phase::Word {
            if c.is_whitespace() {
                phase = Phase::Spaces;
                if word == "--" {
                    return (rest_from(pos - 1), words);
                }
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                blank_ok = false;
                continue;
            }
            if c == '\'' || c == '"' {
                quote = c;
                blank_ok = true;
                phase = Phase::Quote;
                continue;
            }
        } else if c == quote {
            phase = Phase::Word;
            continue;
        }
        if c == '\\' {
            let Some(next) = chars.get(pos).copied() else {
                phase = Phase::Word;
                continue;
            };
            c = next;
            pos += 1;
        }
        word.push(c);
    }
    (String::new(), words)
}

/// Port of buildkit's `parseWords`: whitespace-separated words that keep
/// their quotes and escapes.
fn parse_words(rest: &str, escape: char) -> Vec<String> {
    let chars: Vec<char> = rest.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut pos = 0;
    loop {
        let current = chars.get(pos).copied();
        if phase == Phase::Spaces {
            let Some(c) = current else { break };
            if c.is_whitespace() {
                pos += 1;
                continue;
            }
            phase = Phase::Word;
        }
        let Some(mut c) = current else {
            if blank_ok || !word.is_empty() {
                words.push(word);
            }
            break;
        };
        pos += 1;
        if phase == Phase::Word {
            if c.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                blank_ok = false;
                continue;
            }
            if c == '\'' || c == '"' {
                quote = c;
                blank_ok = true;
                phase = Phase::Quote;
            }
        } else if c == quote {
            phase = Phase::Word;
        }
        let escapes = phase == Phase::Word || quote != '\'';
        if c == escape && escapes {
            let Some(next) = chars.get(pos).copied() else {
                phase = Phase::Word;
                continue;
            };
            word.push(c);
            c = next;
            pos += 1;
        }
        word.push(c);
    }
    words
}

/// buildkit's `parseStringsWhitespaceDelimited`.
fn whitespace_words(rest: &str) -> Vec<String> {
    rest.split(is_sep).filter(|word| !word.is_empty()).map(str::to_string).collect()
}

/// buildkit's `parseString`.
fn single(rest: &str) -> Vec<String> {
    if rest.is_empty() { Vec::new() } else { vec![rest.to_string()] }
}

/// buildkit's `parseMaybeJSON`.
fn maybe_json(rest: &str, issues: &mut Vec<String>) -> (Vec<String>, bool) {
    if rest.is_empty() {
        return (Vec::new(), false);
    }
    match parse_json_array(rest) {
        JsonArray::Strings(items) => (items, true),
        JsonArray::NonString => {
            issues.push(NON_STRING_ARRAY.to_string());
            (vec![rest.to_string()], false)
        }
        JsonArray::NotJson => (vec![rest.to_string()], false),
    }
}

/// buildkit's `parseMaybeJSONToList`.
fn maybe_json_to_list(rest: &str, issues: &mut Vec<String>) -> (Vec<String>, bool) {
    match parse_json_array(rest) {
        JsonArray::Strings(items) => (items, true),
        JsonArray::NonString => {
            issues.push(NON_STRING_ARRAY.to_string());
            (whitespace_words(rest), false)
        }
        JsonArray::NotJson => (whitespace_words(rest), false),
    }
}

const NON_STRING_ARRAY: &str = "exec form arrays must contain only strings";

/// buildkit's `parseNameVal` for `ENV` and `LABEL`: `(key, value, separator)`
/// triples.
fn name_values(rest: &str, keyword: &str, escape: char, issues: &mut Vec<String>) -> Vec<String> {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else {
        return Vec::new();
    };
    if !first.contains('=') {
        return legacy_name_value(rest, keyword, issues);
    }
    let mut out = Vec::new();
    for word in &words {
        let Some((key, value)) = word.split_once('=') else {
            issues.push(format!("can't find `=` in `{word}`, expected the form name=value"));
            continue;
        };
        if key.is_empty() {
            issues.push(format!("`{keyword}` names can not be blank"));
        }
        out.extend([key.to_string(), value.to_string(), "=".to_string()]);
    }
    out
}

/// The legacy `ENV key value` form.
fn legacy_name_value(rest: &str, keyword: &str, issues: &mut Vec<String>) -> Vec<String> {
    match rest.split_once(is_sep) {
        Some((key, value)) => {
            vec![key.to_string(), value.trim_start_matches(is_sep).to_string(), String::new()]
        }
        None => {
            issues.push(format!("`{keyword}` must have two arguments"));
            vec![rest.to_string()]
        }
    }
}

/// buildkit's `parseHealthConfig`: the type word, then the command.
fn health_config(rest: &str, issues: &mut Vec<String>) -> (Vec<String>, bool) {
    let (kind, command) = match rest.split_once(char::is_whitespace) {
        Some((kind, command)) => (kind, command.trim_start()),
        None => (rest, ""),
    };
    if kind.is_empty() {
        return (Vec::new(), false);
    }
    let (mut args, json) = maybe_json(command, issues);
    args.insert(0, kind.to_string());
    (args, json)
}

// ---------------------------------------------------------------------------
// JSON arrays (exec form)
// ---------------------------------------------------------------------------

enum JsonArray {
    NotJson,
    NonString,
    Strings(Vec<String>),
}

enum JsonValue {
    Str(String),
    Other,
}

/// Parses `rest` as a whole JSON array, as Go's `json.Unmarshal` would.
fn parse_json_array(rest: &str) -> JsonArray {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return JsonArray::NotJson;
    }
    let mut cursor = Json { chars: rest.chars().peekable() };
    let Some(items) = cursor.array(0) else {
        return JsonArray::NotJson;
    };
    cursor.skip_ws();
    if cursor.chars.peek().is_some() {
        return JsonArray::NotJson;
    }
    let mut strings = Vec::new();
    for item in items {
        match item {
            JsonValue::Str(s) => strings.push(s),
            JsonValue::Other => return JsonArray::NonString,
        }
    }
    JsonArray::Strings(strings)
}

struct Json<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Json<'_> {
    fn skip_ws(&mut self) {
        while self.chars.next_if(|c| matches!(c, ' ' | '\t' | '\n' | '\r')).is_some() {}
    }

    fn eat(&mut self, expected: char) -> Option<()> {
        self.chars.next_if_eq(&expected).map(|_| ())
    }

    fn value(&mut self, depth: usize) -> Option<JsonValue> {
        self.skip_ws();
        match self.chars.peek().copied()? {
            '"' => self.string().map(JsonValue::Str),
            '[' => self.array(depth + 1).map(|_| JsonValue::Other),
            '{' => self.object(depth + 1).map(|_| JsonValue::Other),
            't' => self.literal("true"),
            'f' => self.literal("false"),
            'n' => self.literal("null"),
            '-' | '0'..='9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str) -> Option<JsonValue> {
        for expected in word.chars() {
            self.eat(expected)?;
        }
        Some(JsonValue::Other)
    }

    fn digits(&mut self) -> usize {
        let mut count = 0;
        while self.chars.next_if(char::is_ascii_digit).is_some() {
            count += 1;
        }
        count
    }

    fn number(&mut self) -> Option<JsonValue> {
        let _ = self.eat('-');
        if self.eat('0').is_none() && self.digits() == 0 {
            return None;
        }
        if self.eat('.').is_some() && self.digits() == 0 {
            return None;
        }
        if self.chars.next_if(|c| matches!(c, 'e' | 'E')).is_some() {
            let _ = self.chars.next_if(|c| matches!(c, '+' | '-'));
            if self.digits() == 0 {
                return None;
            }
        }
        Some(JsonValue::Other)
    }

    fn array(&mut self, depth: usize) -> Option<Vec<JsonValue>> {
        if depth > MAX_NESTING {
            return None;
        }
        self.eat('[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.eat(']').is_some() {
            return Some(items);
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.chars.next()? {
                ',' => {}
                ']' => return Some(items),
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_NESTING {
            return None;
        }
        self.eat('{')?;
        self.skip_ws();
        if self.eat('}').is_some() {
            return Some(());
        }
        loop {
            self.skip_ws();
            self.string()?;
            self.skip_ws();
            self.eat(':')?;
            self.value(depth)?;
            self.skip_ws();
            match self.chars.next()? {
                ',' => {}
                '}' => return Some(()),
                _ => return None,
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        self.eat('"')?;
        let mut out = String::new();
        loop {
            match self.chars.next()? {
                '"' => return Some(out),
                '\\' => self.escape(&mut out)?,
                c if u32::from(c) < 0x20 => return None,
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Option<()> {
        let c = match self.chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => self.unicode_escape()?,
            _ => return None,
        };
        out.push(c);
        Some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut code = 0;
        for _ in 0..4 {
            code = code * 16 + self.chars.next()?.to_digit(16)?;
        }
        Some(code)
    }

    fn unicode_escape(&mut self) -> Option<char> {
        let high = self.hex4()?;
        if !(0xD800..0xDC00).contains(&high) {
            return Some(char::from_u32(high).unwrap_or('\u{FFFD}'));
        }
        let mut probe = self.chars.clone();
        if probe.next() != Some('\\') || probe.next() != Some('u') {
            return Some('\u{FFFD}');
        }
        let mut ahead = Json { chars: probe };
        match ahead.hex4() {
            Some(low) if (0xDC00..0xE000).contains(&low) => {
                self.chars = ahead.chars;
                let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                Some(char::from_u32(code).unwrap_or('\u{FFFD}'))
            }
            _ => Some('\u{FFFD}'),
        }
    }
}

// ---------------------------------------------------------------------------
// Heredocs
// ---------------------------------------------------------------------------

/// A heredoc announced on an instruction line.
#[derive(Debug, Clone)]
struct HeredocSpec {
    /// The word as written (`<<-"EOF"`).
    word: String,
    /// The delimiter, unquoted.
    name: String,
    /// `<<-`: leading tabs are stripped.
    chomp: bool,
}

/// A heredoc with its body.
#[derive(Debug, Clone)]
struct Heredoc {
    name: String,
    chomp: bool,
    /// The body lines with their line endings.
    content: String,
}

/// buildkit's `ParseHeredoc`: `^(\d*)<<(-?)([^<]*)$` with a single-word rest.
fn parse_heredoc_word(word: &str) -> Option<HeredocSpec> {
    let rest = word.trim_start_matches(|c: char| c.is_ascii_digit()).strip_prefix("<<")?;
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    if rest.is_empty() || rest.contains('<') {
        return None;
    }
    let mut words = shell_words(rest, false).into_iter();
    let name = words.next()?;
    if words.next().is_some() {
        return None;
    }
    Some(HeredocSpec { word: word.to_string(), name, chomp })
}

/// buildkit's `heredocsFromLine`.
fn heredocs_from_line(line: &str) -> Vec<HeredocSpec> {
    shell_words(line, true).iter().filter_map(|word| parse_heredoc_word(word)).collect()
}

/// Trivy's `originalFromHeredoc`.
fn original_with_heredocs(original: &str, heredocs: &[Heredoc]) -> String {
    let bodies: Vec<String> = heredocs.iter().map(|h| format!("{}{}", h.content, h.name)).collect();
    format!("{original}\n{}", bodies.join("\n"))
}

/// Trivy's `processHeredoc`.
fn heredoc_value(first_arg: &str, heredocs: &[Heredoc]) -> String {
    let Some(first) = heredocs.first() else {
        return first_arg.to_string();
    };
    if parse_heredoc_word(first_arg).is_none() || first.content.starts_with("#!") {
        let mut out = first_arg.to_string();
        for heredoc in heredocs {
            out.push('\n');
            out.push_str(&heredoc.content);
            out.push_str(&heredoc.name);
        }
        return out;
    }
    let content = if first.chomp { chomp_tabs(&first.content) } else { first.content.clone() };
    let content = content.replace("\r\n", "\n");
    let content = content.strip_suffix('\n').unwrap_or(&content);
    content.split('\n').collect::<Vec<_>>().join(" ; ")
}

/// buildkit's `ChompHeredocContent`: leading tabs off every line.
fn chomp_tabs(content: &str) -> String {
    content.split_inclusive('\n').map(|line| line.trim_start_matches('\t')).collect()
}

// ---------------------------------------------------------------------------
// Reading lines into instructions
// ---------------------------------------------------------------------------

/// One instruction with where it came from.
struct Instruction {
    /// The joined instruction text (buildkit's `Original`).
    text: String,
    start: usize,
    end: usize,
    /// Column of the keyword on the start line.
    column: usize,
    node: Node,
    /// Problems found while building the node.
    issues: Vec<String>,
    heredocs: Vec<Heredoc>,
}

struct Reader<'a> {
    /// Physical lines with their endings.
    lines: Vec<&'a str>,
    pos: usize,
    directives: Directives,
    errors: Vec<ParseError>,
}

impl<'a> Reader<'a> {
    fn new(src: &'a str) -> Self {
        Reader {
            lines: src.split_inclusive('\n').collect(),
            pos: 0,
            directives: Directives::new(),
            errors: Vec::new(),
        }
    }

    /// The next physical line and its 1-based number.
    fn next_line(&mut self) -> Option<(usize, &'a str)> {
        let line = self.lines.get(self.pos).copied()?;
        self.pos += 1;
        Some((self.pos, line))
    }

    fn error(&mut self, line: usize, column: usize, message: String) {
        self.errors.push(ParseError { line, column, message });
    }

    fn next_instruction(&mut self) -> Option<Instruction> {
        loop {
            let (number, full) = self.next_line()?;
            let raw = trim_newline(full);
            if let Some(message) = self.directives.check(raw) {
                self.error(number, 1, message);
            }
            if is_comment(raw) {
                continue;
            }
            let stripped = raw.trim_start();
            let column = char_count(raw) - char_count(stripped) + 1;
            let (first, ends) = trim_continuation(stripped, self.directives.escape);
            if first.is_empty() {
                if !ends {
                    let escape = match self.directives.escape {
                        '`' => "`` ` ``".to_string(),
                        other => format!("`{other}`"),
                    };
                    let message = format!("line contains only the escape character {escape}");
                    self.error(number, column, message);
                }
                continue;
            }
            let mut text = first.to_string();
            let end = if ends { number } else { self.continuation(&mut text, number) };
            return Some(self.finish_instruction(text, number, end, column, stripped));
        }
    }

    /// Appends continuation lines to `text`; returns the last line read.
    fn continuation(&mut self, text: &mut String, start: usize) -> usize {
        let mut end = start;
        while let Some((number, full)) = self.next_line() {
            end = number;
            let raw = trim_newline(full);
            if is_comment(raw) || raw.trim_start().is_empty() {
                continue;
            }
            let (piece, ends) = trim_continuation(raw, self.directives.escape);
            text.push_str(piece);
            if ends {
                break;
            }
        }
        end
    }

    fn finish_instruction(
        &mut self,
        text: String,
        start: usize,
        end: usize,
        column: usize,
        first_line: &str,
    ) -> Instruction {
        let mut issues = Vec::new();
        let node = node_from_line(&text, self.directives.escape, &mut issues);
        let mut instruction =
            Instruction { text, start, end, column, node, issues, heredocs: Vec::new() };
        if instruction.node.can_contain_heredoc() {
            for spec in heredocs_from_line(&instruction.text) {
                if !self.read_heredoc(&mut instruction, spec, first_line) {
                    break;
                }
            }
        }
        instruction
    }

    /// Reads one heredoc body; false when the input ended first.
    fn read_heredoc(
        &mut self,
        instruction: &mut Instruction,
        spec: HeredocSpec,
        first_line: &str,
    ) -> bool {
        let mut content = String::new();
        let mut terminated = false;
        while let Some((number, full)) = self.next_line() {
            instruction.end = number;
            let mut candidate = trim_newline(full);
            if spec.chomp {
                candidate = candidate.trim_start_matches('\t');
            }
            if candidate == spec.name {
                terminated = true;
                break;
            }
            content.push_str(full);
        }
        if !terminated {
            let column = instruction.column;
            let at = column_of(first_line, &spec.word).map_or(column, |c| c + column - 1);
            let message = format!("unterminated heredoc `{}`", spec.name);
            self.error(instruction.start, at, message);
        }
        instruction.heredocs.push(Heredoc { name: spec.name, chomp: spec.chomp, content });
        terminated
    }
}

// ---------------------------------------------------------------------------
// Global ARG substitution in FROM
// ---------------------------------------------------------------------------

/// ARGs declared before the first `FROM`, with their defaults.
struct GlobalArgs {
    vars: HashMap<String, Option<String>>,
    escape: char,
}

impl GlobalArgs {
    fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).and_then(Option::as_deref)
    }

    /// Records the words of one `ARG` instruction.
    fn declare(&mut self, words: &[String]) {
        for word in words {
            match word.split_once('=') {
                Some((name, default)) => {
                    let expanded = self.expand(default);
                    let value = shell_words(&expanded, false).concat();
                    self.vars.insert(name.to_string(), Some(value));
                }
                None => {
                    self.vars.entry(word.clone()).or_insert(None);
                }
            }
        }
    }

    /// Substitutes `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:+x}` and
    /// `${VAR+x}`; unresolved references stay as written.
    fn expand(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let braces = match_braces(&chars);
        let mut out = String::new();
        self.expand_range(&chars, &braces, 0, chars.len(), 0, &mut out);
        out
    }

    fn expand_range(
        &self,
        chars: &[char],
        braces: &[Option<usize>],
        start: usize,
        end: usize,
        depth: usize,
        out: &mut String,
    ) {
        let mut i = start;
        while i < end {
            let Some(&c) = chars.get(i) else { return };
            if c == self.escape && i + 1 < end {
                out.extend(chars.get(i..i + 2).unwrap_or_default());
                i += 2;
                continue;
            }
            if c == '$'
                && depth < MAX_NESTING
                && let Some(next) = self.variable(chars, braces, i, end, depth, out)
            {
                i = next;
                continue;
            }
            out.push(c);
            i += 1;
        }
    }

    /// Expands the reference at `chars[at] == '$'` into `out`; returns the
    /// index after it, or `None` when it is not a reference.
    fn variable(
        &self,
        chars: &[char],
        braces: &[Option<usize>],
        at: usize,
        end: usize,
        depth: usize,
        out: &mut String,
    ) -> Option<usize> {
        if chars.get(at + 1) != Some(&'{') {
            let len = name_len(chars, at + 1, end);
            let name: String = chars.get(at + 1..at + 1 + len)?.iter().collect();
            if name.is_empty() {
                return None;
            }
            match self.get(&name) {
                Some(value) => out.push_str(value),
                None => out.push_str(&format!("${name}")),
            }
            return Some(at + 1 + len);
        }
        let close = (*braces.get(at + 1)?).filter(|close| *close < end)?;
        let len = name_len(chars, at + 2, close);
        let name: String = chars.get(at + 2..at + 2 + len)?.iter().collect();
        if name.is_empty() {
            return None;
        }
        let raw = chars.get(at..=close)?;
        let modifier = chars.get(at + 2 + len..close)?;
        let value = self.get(&name);
        let (colon, kind) = match modifier {
            [] => {
                match value {
                    Some(v) => out.push_str(v),
                    None => out.extend(raw),
                }
                return Some(close + 1);
            }
            [':', kind, ..] => (true, *kind),
            [kind, ..] => (false, *kind),
        };
        let word_start = at + 2 + len + usize::from(colon) + 1;
        let set = value.is_some_and(|v| !colon || !v.is_empty());
        match (kind, set) {
            ('-', true) => out.push_str(value.unwrap_or_default()),
            ('-', false) | ('+', true) => {
                self.expand_range(chars, braces, word_start, close, depth + 1, out);
            }
            ('+', false) => {}
            _ => out.extend(raw),
        }
        Some(close + 1)
    }
}

/// Length of the variable name starting at `chars[from]`.
fn name_len(chars: &[char], from: usize, end: usize) -> usize {
    let tail = chars.get(from..end).unwrap_or_default();
    match tail.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
            tail.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').count()
        }
        _ => 0,
    }
}

/// For every `{`, the index of its matching `}`.
fn match_braces(chars: &[char]) -> Vec<Option<usize>> {
    let mut matches = vec![None; chars.len()];
    let mut open = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '{' => open.push(i),
            '}' => {
                if let Some(slot) = open.pop().and_then(|o| matches.get_mut(o)) {
                    *slot = Some(i);
                }
            }
            _ => {}
        }
    }
    matches
}

// ---------------------------------------------------------------------------
// Checks buildkit's instruction layer makes
// ---------------------------------------------------------------------------

/// Problems with an instruction's arguments.
fn validate(node: &Node) -> Vec<String> {
    let keyword = &node.keyword;
    let lower = node.lower();
    let empty = node.args.is_empty();
    let mut issues = Vec::new();
    match lower.as_str() {
        "from" => issues.extend(validate_from(node)),
        "copy" | "add" if node.args.len() < 2 => {
            issues.push(format!("`{keyword}` requires at least two arguments"));
        }
        "arg" | "env" | "label" | "expose" | "volume" if empty => {
            issues.push(format!("`{keyword}` requires at least one argument"));
        }
        "maintainer" | "stopsignal" | "user" | "workdir" if empty => {
            issues.push(format!("`{keyword}` requires exactly one argument"));
        }
        "shell" if empty => {
            issues.push(format!("`{keyword}` requires at least one argument"));
        }
        "shell" if !node.json => {
            issues.push(format!("`{keyword}` requires the arguments to be in JSON form"));
        }
        "healthcheck" => issues.extend(validate_healthcheck(node)),
        "onbuild" => issues.extend(validate_onbuild(node)),
        _ => {}
    }
    issues
}

fn validate_from(node: &Node) -> Option<String> {
    let keyword = &node.keyword;
    match node.args.as_slice() {
        [] => Some(format!("`{keyword}` requires an image")),
        [_] => None,
        [_, as_word, name] if as_word.eq_ignore_ascii_case("as") => {
            let valid = name.to_lowercase().chars().enumerate().all(|(i, c)| {
                c.is_ascii_lowercase()
                    || i > 0 && (c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
            });
            (!valid).then(|| {
                format!("invalid stage name `{name}`, it must start with a letter and contain only letters, digits, `-`, `_` and `.`")
            })
        }
        _ => Some(format!("`{keyword}` requires either one or three arguments")),
    }
}

fn validate_healthcheck(node: &Node) -> Option<String> {
    let keyword = &node.keyword;
    let Some(kind) = node.args.first() else {
        return Some(format!("`{keyword}` requires at least one argument"));
    };
    match kind.to_uppercase().as_str() {
        "NONE" if node.args.len() > 1 => Some(format!("`{keyword} {kind}` takes no arguments")),
        "NONE" => None,
        "CMD" if node.args.len() < 2 => Some(format!("missing command after `{keyword} {kind}`")),
        "CMD" => None,
        _ => Some(format!("unknown type `{kind}` in `{keyword}`, expected `CMD` or `NONE`")),
    }
}

fn validate_onbuild(node: &Node) -> Vec<String> {
    let keyword = &node.keyword;
    let Some(sub) = &node.sub else {
        return vec![format!("`{keyword}` requires at least one argument")];
    };
    let inner = sub.lower();
    let inner_keyword = &sub.keyword;
    match inner.as_str() {
        "onbuild" => {
            vec![format!("chaining `{keyword}` via `{keyword} {inner_keyword}` is not allowed")]
        }
        "from" | "maintainer" => {
            vec![format!("`{inner_keyword}` is not allowed as an `{keyword}` trigger")]
        }
        _ if !is_known(&inner) => vec![format!("unknown instruction `{inner_keyword}`")],
        _ => validate(sub),
    }
}

// ---------------------------------------------------------------------------
// Assembling Trivy's stages
// ---------------------------------------------------------------------------

struct Builder {
    path: String,
    stages: Vec<Stage>,
    current: Stage,
    stage_index: usize,
    seen_from: bool,
    args: GlobalArgs,
    errors: Vec<ParseError>,
}

impl Builder {
    fn new(path: &str) -> Self {
        Builder {
            path: path.to_string(),
            stages: Vec::new(),
            current: Stage::default(),
            stage_index: 0,
            seen_from: false,
            args: GlobalArgs { vars: HashMap::new(), escape: '\\' },
            errors: Vec::new(),
        }
    }

    fn error(&mut self, line: usize, column: usize, message: String) {
        self.errors.push(ParseError { line, column, message });
    }

    fn add(&mut self, instruction: Instruction) {
        let (line, column) = (instruction.start, instruction.column);
        for issue in &instruction.issues {
            self.error(line, column, issue.clone());
        }
        let lower = instruction.node.lower();
        if !is_known(&lower) {
            let message = format!("unknown instruction `{}`", instruction.node.keyword);
            self.error(line, column, message);
            return;
        }
        for issue in validate(&instruction.node) {
            self.error(line, column, issue);
        }
        if !self.seen_from && lower != "from" && lower != "arg" {
            let message = format!(
                "instruction `{}` appears before the first `FROM`",
                instruction.node.keyword
            );
            self.error(line, column, message);
        }
        if !self.seen_from && lower == "arg" {
            self.args.declare(&instruction.node.args);
        }
        let mut command = self.command(instruction);
        if lower == "from" {
            self.start_stage(&mut command);
        }
        command.stage = self.stage_index;
        self.current.commands.push(command);
    }

    /// Applies global ARGs to a `FROM` and opens its stage, as Trivy does.
    fn start_stage(&mut self, command: &mut Command) {
        for item in command.value.iter_mut().chain(command.flags.iter_mut()) {
            *item = self.args.expand(item);
        }
        let finished = std::mem::take(&mut self.current);
        if !finished.commands.is_empty() {
            self.stages.push(finished);
        }
        if self.seen_from {
            self.stage_index += 1;
        }
        self.seen_from = true;
        self.current.name = stage_name(&command.original);
    }

    /// Trivy's mapping of a node to a command.
    fn command(&self, instruction: Instruction) -> Command {
        let Instruction { text, start, end, column, node, heredocs, .. } = instruction;
        let mut command = Command {
            cmd: node.lower(),
            flags: node.flags,
            original: text,
            path: self.path.clone(),
            start_line: start,
            end_line: end,
            column,
            ..Command::default()
        };
        let has_sub = node.sub.is_some();
        let target = match node.sub {
            Some(sub) => {
                command.sub_cmd = sub.keyword.clone();
                *sub
            }
            None => Node { args: node.args, json: node.json, ..Node::default() },
        };
        command.json = target.json;
        let first_arg = (!has_sub && !heredocs.is_empty()).then(|| target.args.first()).flatten();
        match first_arg {
            Some(first) => {
                command.value = vec![heredoc_value(first, &heredocs)];
                command.original = original_with_heredocs(&command.original, &heredocs);
            }
            None => command.value = target.args,
        }
        command
    }

    fn finish(mut self) -> Parsed {
        let last = std::mem::take(&mut self.current);
        if !last.commands.is_empty() {
            self.stages.push(last);
        }
        self.errors.sort_by_key(|e| (e.line, e.column));
        Parsed { dockerfile: Dockerfile { stages: self.stages }, errors: self.errors }
    }
}

/// Trivy's stage name: the `FROM` text after the keyword.
fn stage_name(original: &str) -> String {
    let trimmed = original.trim_start();
    let after = trimmed.split_once(is_sep).map_or("", |(_, rest)| rest);
    after.trim().to_string()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// Every command of `src`, flattened across stages, as JSON.
    fn commands(src: &str) -> Vec<Value> {
        let parsed = parse(src);
        parsed
            .dockerfile
            .stages
            .iter()
            .flat_map(|s| s.commands.iter())
            .map(|c| serde_json::to_value(c).unwrap())
            .collect()
    }

    /// Asserts `src` parses without errors and that its commands carry the
    /// keys given in `expected` (one partial object per command).
    fn check(src: &str, expected: Value) {
        let parsed = parse(src);
        assert!(parsed.errors.is_empty(), "{src:?}: {:?}", parsed.errors);
        let actual = commands(src);
        let expected = expected.as_array().unwrap();
        assert_eq!(actual.len(), expected.len(), "{src:?}: {actual:#?}");
        for (got, want) in actual.iter().zip(expected) {
            for (key, value) in want.as_object().unwrap() {
                assert_eq!(&got[key], value, "{src:?}: key {key} in {got:#}");
            }
        }
    }

    /// Runs `check` over a table.
    fn check_table(cases: &[(&str, Value)]) {
        for (src, expected) in cases {
            check(src, expected.clone());
        }
    }

    /// The errors of `src` as `(line, column, message)`.
    fn errors(src: &str) -> Vec<(usize, usize, String)> {
        parse(src).errors.into_iter().map(|e| (e.line, e.column, e.message)).collect()
    }

    fn err(line: usize, column: usize, message: &str) -> (usize, usize, String) {
        (line, column, message.to_string())
    }

    #[test]
    fn whole_document_matches_trivy_shape() {
        let src = "ARG TAG=3.19\nFROM alpine:${TAG}\nRUN apk add curl\n\nFROM scratch AS final\nCOPY --from=0 /x /x\n";
        let got = serde_json::to_value(parse(src).dockerfile).unwrap();
        let cmd =
            |cmd: &str, flags: Value, value: Value, original: &str, stage: usize, line: usize| {
                json!({"Cmd": cmd, "SubCmd": "", "Flags": flags, "Value": value,
                   "Original": original, "JSON": false, "Stage": stage,
                   "Path": "Dockerfile", "StartLine": line, "EndLine": line})
            };
        let want = json!({"Stages": [
            {"Name": "", "Commands": [
                cmd("arg", json!([]), json!(["TAG=3.19"]), "ARG TAG=3.19", 0, 1)]},
            {"Name": "alpine:${TAG}", "Commands": [
                cmd("from", json!([]), json!(["alpine:3.19"]), "FROM alpine:${TAG}", 0, 2),
                cmd("run", json!([]), json!(["apk add curl"]), "RUN apk add curl", 0, 3)]},
            {"Name": "scratch AS final", "Commands": [
                cmd("from", json!([]), json!(["scratch", "AS", "final"]), "FROM scratch AS final", 1, 5),
                cmd("copy", json!(["--from=0"]), json!(["/x", "/x"]), "COPY --from=0 /x /x", 1, 6)]}
        ]});
        assert_eq!(got, want);
    }

    #[test]
    fn from_with_platform_and_alias() {
        let src = "FROM --platform=linux/amd64 golang:1.22 AS build";
        check(
            src,
            json!([{"Cmd": "from", "Flags": ["--platform=linux/amd64"],
                    "Value": ["golang:1.22", "AS", "build"], "Original": src,
                    "JSON": false, "Stage": 0, "StartLine": 1, "EndLine": 1}]),
        );
        let parsed = parse(src);
        assert_eq!(parsed.dockerfile.stages[0].name, "--platform=linux/amd64 golang:1.22 AS build");
    }

    #[test]
    fn comments_blank_lines_and_indentation() {
        let src = "# leading comment\n\n   FROM alpine\n\t# indented comment\n\n    RUN echo hi # not a comment\n";
        check(
            src,
            json!([
                {"Cmd": "from", "Original": "FROM alpine", "StartLine": 3},
                {"Cmd": "run", "Value": ["echo hi # not a comment"], "StartLine": 6, "EndLine": 6}
            ]),
        );
    }

    #[test]
    fn instructions_are_case_insensitive() {
        check(
            "from alpine as Base\nRun echo hi\nworkDir /app\nFROM base",
            json!([
                {"Cmd": "from", "Value": ["alpine", "as", "Base"], "Stage": 0},
                {"Cmd": "run", "Original": "Run echo hi"},
                {"Cmd": "workdir", "Value": ["/app"]},
                {"Cmd": "from", "Stage": 1}
            ]),
        );
        assert_eq!(parse("from alpine").dockerfile.stages[0].name, "alpine");
    }

    #[test]
    fn shell_and_exec_forms() {
        check_table(&[
            (
                "FROM a\nRUN echo  hi  there",
                json!([{}, {"Value": ["echo  hi  there"], "JSON": false}]),
            ),
            (
                "FROM a\nRUN [\"echo\", \"hi\"]",
                json!([{}, {"Value": ["echo", "hi"], "JSON": true}]),
            ),
            ("FROM a\nCMD [ \"a b\" ]", json!([{}, {"Value": ["a b"], "JSON": true}])),
            (
                "FROM a\nENTRYPOINT [\"/bin/sh\",\"-c\"]",
                json!([{}, {"Value": ["/bin/sh", "-c"], "JSON": true}]),
            ),
            (
                "FROM a\nSHELL [\"pwsh\", \"-Command\"]",
                json!([{}, {"Value": ["pwsh", "-Command"], "JSON": true}]),
            ),
            ("FROM a\nCMD []", json!([{}, {"Value": [], "JSON": true}])),
            (
                "FROM a\nCMD [\"\\u00e9\\n\\\"q\\\"\"]",
                json!([{}, {"Value": ["é\n\"q\""], "JSON": true}]),
            ),
            ("FROM a\nCMD [\"\\ud83d\\ude00\"]", json!([{}, {"Value": ["😀"], "JSON": true}])),
        ]);
    }

    #[test]
    fn malformed_json_falls_back_to_shell_form() {
        check_table(&[
            ("FROM a\nCMD [\"a\"", json!([{}, {"Value": ["[\"a\""], "JSON": false}])),
            ("FROM a\nCMD [\"a\",]", json!([{}, {"Value": ["[\"a\",]"], "JSON": false}])),
            ("FROM a\nCMD ['a']", json!([{}, {"Value": ["['a']"], "JSON": false}])),
            ("FROM a\nCMD [\"a\"] extra", json!([{}, {"Value": ["[\"a\"] extra"], "JSON": false}])),
            (
                "FROM a\nRUN [ -f x ] && echo",
                json!([{}, {"Value": ["[ -f x ] && echo"], "JSON": false}]),
            ),
            ("FROM a\nCOPY [\"a\" b", json!([{}, {"Value": ["[\"a\"", "b"], "JSON": false}])),
        ]);
    }

    #[test]
    fn non_string_json_array_is_an_error() {
        let src = "FROM a\nCMD [\"a\", 1]";
        assert_eq!(errors(src), vec![err(2, 1, "exec form arrays must contain only strings")]);
        assert_eq!(commands(src)[1]["Value"], json!(["[\"a\", 1]"]));
    }

    #[test]
    fn env_and_label_give_key_value_separator_triples() {
        check_table(&[
            ("FROM a\nENV A=1", json!([{}, {"Value": ["A", "1", "="]}])),
            (
                "FROM a\nENV A=1 B=\"two words\" C=",
                json!([{}, {"Value": ["A", "1", "=", "B", "\"two words\"", "=", "C", "", "="]}]),
            ),
            ("FROM a\nENV KEY some value", json!([{}, {"Value": ["KEY", "some value", ""]}])),
            (
                "FROM a\nLABEL org.opencontainers.image.title=\"x y\" v=1",
                json!([{}, {"Value": ["org.opencontainers.image.title", "\"x y\"", "=", "v", "1", "="]}]),
            ),
            ("FROM a\nENV A=x\\ y", json!([{}, {"Value": ["A", "x\\ y", "="]}])),
        ]);
    }

    #[test]
    fn env_errors() {
        assert_eq!(errors("FROM a\nENV FOO"), vec![err(2, 1, "`ENV` must have two arguments")]);
        assert_eq!(
            errors("FROM a\nENV A=1 B"),
            vec![err(2, 1, "can't find `=` in `B`, expected the form name=value")]
        );
        assert_eq!(
            errors("FROM a\nLABEL"),
            vec![err(2, 1, "`LABEL` requires at least one argument")]
        );
    }

    #[test]
    fn arg_keeps_raw_words() {
        check(
            "ARG A=1 B=\"x y\" C\nFROM a\nARG D",
            json!([
                {"Cmd": "arg", "Value": ["A=1", "B=\"x y\"", "C"], "Stage": 0},
                {"Cmd": "from", "Stage": 0},
                {"Cmd": "arg", "Value": ["D"], "Stage": 0}
            ]),
        );
    }

    #[test]
    fn copy_and_add_flags() {
        check_table(&[
            (
                "FROM a\nCOPY --from=build --chown=app:app --chmod=755 --link src/ /app/",
                json!([{}, {"Cmd": "copy", "Flags": ["--from=build", "--chown=app:app", "--chmod=755", "--link"], "Value": ["src/", "/app/"]}]),
            ),
            (
                "FROM a\nADD --checksum=sha256:abc https://x/y.tgz /y.tgz",
                json!([{}, {"Cmd": "add", "Flags": ["--checksum=sha256:abc"], "Value": ["https://x/y.tgz", "/y.tgz"]}]),
            ),
            (
                "FROM a\nCOPY a b c /d/",
                json!([{}, {"Flags": [], "Value": ["a", "b", "c", "/d/"], "JSON": false}]),
            ),
            ("FROM a\nCOPY [\"a b\", \"/d\"]", json!([{}, {"Value": ["a b", "/d"], "JSON": true}])),
            (
                "FROM a\nCOPY --chown=\"1 2\" a b",
                json!([{}, {"Flags": ["--chown=1 2"], "Value": ["a", "b"]}]),
            ),
            ("FROM a\nCOPY -- --odd /d", json!([{}, {"Flags": [], "Value": ["--odd", "/d"]}])),
        ]);
        assert_eq!(
            errors("FROM a\nCOPY only"),
            vec![err(2, 1, "`COPY` requires at least two arguments")]
        );
    }

    #[test]
    fn run_flags() {
        check(
            "FROM a\nRUN --mount=type=cache,target=/root/.cache --network=none --security=insecure pip install x",
            json!([{}, {"Flags": ["--mount=type=cache,target=/root/.cache", "--network=none", "--security=insecure"], "Value": ["pip install x"]}]),
        );
    }

    #[test]
    fn healthcheck_forms() {
        check_table(&[
            ("FROM a\nHEALTHCHECK NONE", json!([{}, {"Value": ["NONE"], "JSON": false}])),
            (
                "FROM a\nHEALTHCHECK --interval=5s --retries=3 CMD curl -f http://localhost/",
                json!([{}, {"Flags": ["--interval=5s", "--retries=3"], "Value": ["CMD", "curl -f http://localhost/"], "JSON": false}]),
            ),
            (
                "FROM a\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://x/\"]",
                json!([{}, {"Value": ["CMD", "curl", "-f", "http://x/"], "JSON": true}]),
            ),
        ]);
        assert_eq!(
            errors("FROM a\nHEALTHCHECK NONE x"),
            vec![err(2, 1, "`HEALTHCHECK NONE` takes no arguments")]
        );
        assert_eq!(
            errors("FROM a\nHEALTHCHECK PING x"),
            vec![err(2, 1, "unknown type `PING` in `HEALTHCHECK`, expected `CMD` or `NONE`")]
        );
    }

    #[test]
    fn onbuild_wraps_an_instruction() {
        check_table(&[
            (
                "FROM a\nONBUILD RUN echo hi",
                json!([{}, {"Cmd": "onbuild", "SubCmd": "RUN", "Value": ["echo hi"], "Original": "ONBUILD RUN echo hi"}]),
            ),
            (
                "FROM a\nonbuild copy [\"a\", \"b\"]",
                json!([{}, {"Cmd": "onbuild", "SubCmd": "copy", "Value": ["a", "b"], "JSON": true}]),
            ),
            ("FROM a\nONBUILD ENV A=1", json!([{}, {"SubCmd": "ENV", "Value": ["A", "1", "="]}])),
        ]);
        assert_eq!(
            errors("FROM a\nONBUILD FROM b\nONBUILD ONBUILD RUN x\nONBUILD BOGUS x"),
            vec![
                err(2, 1, "`FROM` is not allowed as an `ONBUILD` trigger"),
                err(3, 1, "chaining `ONBUILD` via `ONBUILD ONBUILD` is not allowed"),
                err(4, 1, "unknown instruction `BOGUS`"),
            ]
        );
    }

    #[test]
    fn simple_instructions() {
        check_table(&[
            (
                "FROM a\nEXPOSE 80/tcp  443",
                json!([{}, {"Cmd": "expose", "Value": ["80/tcp", "443"]}]),
            ),
            (
                "FROM a\nVOLUME /data /logs",
                json!([{}, {"Cmd": "volume", "Value": ["/data", "/logs"]}]),
            ),
            ("FROM a\nVOLUME [\"/data\"]", json!([{}, {"Value": ["/data"], "JSON": true}])),
            ("FROM a\nUSER app:app", json!([{}, {"Cmd": "user", "Value": ["app:app"]}])),
            ("FROM a\nWORKDIR /my dir", json!([{}, {"Value": ["/my dir"]}])),
            (
                "FROM a\nSTOPSIGNAL SIGTERM",
                json!([{}, {"Cmd": "stopsignal", "Value": ["SIGTERM"]}]),
            ),
            (
                "FROM a\nMAINTAINER Jane <j@x.io>",
                json!([{}, {"Cmd": "maintainer", "Value": ["Jane <j@x.io>"]}]),
            ),
        ]);
        assert_eq!(
            errors("FROM a\nSHELL /bin/sh -c\nUSER"),
            vec![
                err(2, 1, "`SHELL` requires the arguments to be in JSON form"),
                err(3, 1, "`USER` requires exactly one argument"),
            ]
        );
    }

    #[test]
    fn line_continuations_join_and_span_lines() {
        check_table(&[
            (
                "FROM a\nRUN apt-get update && \\\n    apt-get install -y curl",
                json!([{}, {"Value": ["apt-get update &&     apt-get install -y curl"], "Original": "RUN apt-get update &&     apt-get install -y curl", "StartLine": 2, "EndLine": 3}]),
            ),
            // Trailing whitespace after the backslash.
            (
                "FROM a\nRUN a \\   \t\n  b",
                json!([{}, {"Value": ["a   b"], "StartLine": 2, "EndLine": 3}]),
            ),
            // Comment and blank lines inside the instruction are skipped.
            (
                "FROM a\nRUN a \\\n  # note\n\n  b \\\n  # more\n  c\nUSER x",
                json!([{}, {"Value": ["a   b   c"], "StartLine": 2, "EndLine": 7}, {"Cmd": "user", "StartLine": 8}]),
            ),
            // A continued FROM.
            (
                "FROM \\\n  alpine \\\n  AS base",
                json!([{"Value": ["alpine", "AS", "base"], "StartLine": 1, "EndLine": 3}]),
            ),
            // An escaped backslash at the end is not a continuation.
            (
                "FROM a\nRUN echo \\\\\nUSER x",
                json!([{}, {"Value": ["echo \\\\"], "EndLine": 2}, {"Cmd": "user"}]),
            ),
        ]);
    }

    #[test]
    fn trailing_continuation_at_eof_is_accepted() {
        check(
            "FROM a\nRUN echo hi \\",
            json!([{}, {"Value": ["echo hi"], "StartLine": 2, "EndLine": 2}]),
        );
        check("FROM a\nRUN echo hi \\\n\n", json!([{}, {"Value": ["echo hi"], "EndLine": 3}]));
    }

    #[test]
    fn escape_directive_switches_to_backtick() {
        let src = "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN dir c:\\ `\n    /s\nWORKDIR c:\\app\\";
        check(
            src,
            json!([
                {"Cmd": "from", "StartLine": 2},
                {"Cmd": "run", "Value": ["dir c:\\     /s"], "StartLine": 3, "EndLine": 4},
                {"Cmd": "workdir", "Value": ["c:\\app\\"], "StartLine": 5, "EndLine": 5}
            ]),
        );
    }

    #[test]
    fn directives_stop_at_first_other_line() {
        // After a plain comment, `# escape=` is just a comment.
        check("# hello\n# escape=`\nFROM a\nRUN x \\\n y", json!([{}, {"Value": ["x  y"]}]));
        // After a blank line too.
        check("\n# escape=`\nFROM a\nRUN x `", json!([{}, {"Value": ["x `"]}]));
        // syntax and check are directives, so escape may follow them.
        check(
            "# syntax=docker/dockerfile:1\n#check=skip=all\n#  ESCAPE = `\nFROM a\nRUN x `\n y",
            json!([{"StartLine": 4}, {"Value": ["x  y"], "EndLine": 6}]),
        );
    }

    #[test]
    fn directive_errors() {
        assert_eq!(
            errors("# escape=\\\n# escape=`\nFROM a"),
            vec![err(2, 1, "only one `escape` parser directive can be used")]
        );
        assert_eq!(
            errors("# escape=x\nFROM a"),
            vec![err(1, 1, "invalid escape token `x`, expected a backslash or a backtick")]
        );
    }

    #[test]
    fn heredoc_single_script_joins_lines() {
        check(
            "FROM a\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nUSER x",
            json!([{}, {"Cmd": "run", "Value": ["apt-get update ; apt-get install -y curl"],
                       "Original": "RUN <<EOF\napt-get update\napt-get install -y curl\nEOF",
                       "JSON": false, "StartLine": 2, "EndLine": 5},
                   {"Cmd": "user", "StartLine": 6}]),
        );
    }

    #[test]
    fn heredoc_chomp_strips_leading_tabs() {
        check(
            "FROM a\nRUN <<-EOT\n\techo a\n\t\techo b\n\tEOT\n",
            json!([{}, {"Value": ["echo a ; echo b"],
                       "Original": "RUN <<-EOT\n\techo a\n\t\techo b\nEOT", "EndLine": 5}]),
        );
    }

    #[test]
    fn heredoc_quoted_delimiters() {
        check_table(&[
            (
                "FROM a\nRUN <<\"EOF\"\necho $HOME\nEOF",
                json!([{}, {"Value": ["echo $HOME"], "EndLine": 4}]),
            ),
            (
                "FROM a\nRUN <<'END'\necho hi\nEND",
                json!([{}, {"Value": ["echo hi"], "Original": "RUN <<'END'\necho hi\nEND"}]),
            ),
        ]);
    }

    #[test]
    fn heredoc_with_command_keeps_body() {
        check(
            "FROM a\nRUN python3 <<EOF\nprint(1)\nEOF",
            json!([{}, {"Value": ["python3 <<EOF\nprint(1)\nEOF"], "Original": "RUN python3 <<EOF\nprint(1)\nEOF", "EndLine": 4}]),
        );
        check(
            "FROM a\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF",
            json!([{}, {"Value": ["<<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF"]}]),
        );
    }

    #[test]
    fn multiple_heredocs_on_one_line() {
        check(
            "FROM a\nRUN <<FILE1 cat > /f1 && <<FILE2 cat > /f2\none\nFILE1\ntwo\nFILE2\nUSER x",
            json!([{}, {
                "Value": ["<<FILE1 cat > /f1 && <<FILE2 cat > /f2\none\nFILE1\ntwo\nFILE2"],
                "Original": "RUN <<FILE1 cat > /f1 && <<FILE2 cat > /f2\none\nFILE1\ntwo\nFILE2",
                "StartLine": 2, "EndLine": 6}, {"Cmd": "user", "StartLine": 7}]),
        );
    }

    #[test]
    fn copy_heredoc() {
        check(
            "FROM a\nCOPY <<EOF /etc/app.conf\nkey=value\nEOF\nCOPY --chmod=644 <<-X /x\n\tdata\n\tX",
            json!([{},
                {"Cmd": "copy", "Value": ["key=value"], "Original": "COPY <<EOF /etc/app.conf\nkey=value\nEOF", "StartLine": 2, "EndLine": 4},
                {"Cmd": "copy", "Flags": ["--chmod=644"], "Value": ["data"], "StartLine": 5, "EndLine": 7}]),
        );
    }

    #[test]
    fn heredoc_not_read_for_exec_form_or_other_instructions() {
        check(
            "FROM a\nCMD <<EOF\nRUN [\"cat\", \"<<EOF\"]\nUSER x",
            json!([{}, {"Cmd": "cmd", "Value": ["<<EOF"]}, {"Cmd": "run", "JSON": true}, {"Cmd": "user"}]),
        );
    }

    #[test]
    fn unterminated_heredoc_is_reported() {
        let src = "FROM a\nRUN echo && <<EOF cat\nline\n";
        assert_eq!(errors(src), vec![err(2, 13, "unterminated heredoc `EOF`")]);
        let cmds = commands(src);
        assert_eq!(cmds[1]["EndLine"], json!(3));
        assert_eq!(cmds[1]["Value"], json!(["echo && <<EOF cat\nline\nEOF"]));
    }

    #[test]
    fn stage_indices_follow_trivy() {
        let parsed = parse("ARG V\nFROM a AS one\nRUN x\nFROM b\nFROM one\nUSER y");
        let names: Vec<_> = parsed.dockerfile.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["", "a AS one", "b", "one"]);
        let indices: Vec<Vec<usize>> = parsed
            .dockerfile
            .stages
            .iter()
            .map(|s| s.commands.iter().map(|c| c.stage).collect())
            .collect();
        assert_eq!(indices, vec![vec![0], vec![0, 0], vec![1], vec![2, 2]]);
    }

    #[test]
    fn global_args_substitute_into_from() {
        let table = [
            ("ARG IMG=alpine\nFROM $IMG", "FROM $IMG", json!(["alpine"])),
            ("ARG T=3.19\nFROM alpine:${T}", "FROM alpine:${T}", json!(["alpine:3.19"])),
            (
                "ARG T\nFROM alpine:${T:-latest}",
                "FROM alpine:${T:-latest}",
                json!(["alpine:latest"]),
            ),
            (
                "ARG T=\nFROM alpine:${T:-latest}",
                "FROM alpine:${T:-latest}",
                json!(["alpine:latest"]),
            ),
            ("ARG T=\nFROM alpine${T-:x}", "FROM alpine${T-:x}", json!(["alpine"])),
            ("ARG R=my.reg\nFROM ${R:+$R/}app", "FROM ${R:+$R/}app", json!(["my.reg/app"])),
            ("ARG R\nFROM ${R:+$R/}app", "FROM ${R:+$R/}app", json!(["app"])),
            ("ARG T\nFROM alpine:$T", "FROM alpine:$T", json!(["alpine:$T"])),
            ("FROM alpine:${NOPE}", "FROM alpine:${NOPE}", json!(["alpine:${NOPE}"])),
            (
                "ARG A=1\nARG B=v${A}.0\nFROM x:$B AS s",
                "FROM x:$B AS s",
                json!(["x:v1.0", "AS", "s"]),
            ),
            ("ARG Q=\"3.19\"\nFROM alpine:$Q", "FROM alpine:$Q", json!(["alpine:3.19"])),
            ("ARG T=1\nFROM a:\\$T", "FROM a:\\$T", json!(["a:\\$T"])),
            ("ARG T=1\nFROM a:${T#x}", "FROM a:${T#x}", json!(["a:${T#x}"])),
        ];
        for (src, original, value) in table {
            let cmds = commands(src);
            let from = cmds.iter().find(|c| c["Cmd"] == "from").unwrap();
            assert_eq!(from["Value"], value, "{src:?}");
            assert_eq!(from["Original"], json!(original), "{src:?}");
            assert!(parse(src).errors.is_empty(), "{src:?}");
        }
    }

    #[test]
    fn only_global_args_and_only_from_are_substituted() {
        check(
            "ARG P=linux/arm64\nFROM --platform=$P a\nARG T=9\nFROM b:$T\nRUN echo $P",
            json!([{}, {"Flags": ["--platform=linux/arm64"]}, {"Value": ["T=9"]}, {"Value": ["b:$T"]}, {"Value": ["echo $P"]}]),
        );
    }

    #[test]
    fn crlf_bom_and_tabs() {
        check(
            "\u{feff}FROM\talpine\r\nRUN a \\\r\n  b\r\nRUN <<EOF\r\nx\r\ny\r\nEOF\r\n",
            json!([
                {"Cmd": "from", "Value": ["alpine"], "Original": "FROM\talpine", "StartLine": 1},
                {"Value": ["a   b"], "Original": "RUN a   b", "StartLine": 2, "EndLine": 3},
                {"Value": ["x ; y"], "Original": "RUN <<EOF\nx\r\ny\r\nEOF", "EndLine": 7}
            ]),
        );
        assert_eq!(parse("\u{feff}FROM a").dockerfile.stages[0].name, "a");
        assert_eq!(errors("\u{feff}  BOGUS"), vec![err(1, 3, "unknown instruction `BOGUS`")]);
    }

    #[test]
    fn unknown_instruction_is_reported_and_skipped() {
        let src = "FROM a\n  FOO bar\nRUN x";
        assert_eq!(errors(src), vec![err(2, 3, "unknown instruction `FOO`")]);
        check_cmds_only(src, &["from", "run"]);
    }

    fn check_cmds_only(src: &str, expected: &[&str]) {
        let got: Vec<String> =
            commands(src).iter().map(|c| c["Cmd"].as_str().unwrap().to_string()).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn instruction_before_first_from() {
        assert_eq!(
            errors("ARG A\nRUN x\nFROM a"),
            vec![err(2, 1, "instruction `RUN` appears before the first `FROM`")]
        );
        check_cmds_only("ARG A\nRUN x\nFROM a", &["arg", "run", "from"]);
    }

    #[test]
    fn from_errors() {
        assert_eq!(errors("FROM"), vec![err(1, 1, "`FROM` requires an image")]);
        assert_eq!(
            errors("FROM a b"),
            vec![err(1, 1, "`FROM` requires either one or three arguments")]
        );
        assert_eq!(
            errors("FROM a AS 1st"),
            vec![err(
                1,
                1,
                "invalid stage name `1st`, it must start with a letter and contain only letters, digits, `-`, `_` and `.`"
            )]
        );
        check("FROM a AS Build-1.x_y", json!([{"Value": ["a", "AS", "Build-1.x_y"]}]));
    }

    #[test]
    fn lone_escape_line_is_reported() {
        let src = "FROM a\n  \\\nRUN x";
        assert_eq!(errors(src), vec![err(2, 3, "line contains only the escape character `\\`")]);
        check_cmds_only(src, &["from", "run"]);
        assert_eq!(
            errors("# escape=`\nFROM a\n`\nRUN x"),
            vec![err(3, 1, "line contains only the escape character `` ` ``")]
        );
    }

    #[test]
    fn every_error_is_reported_in_order() {
        let src = "RUN early\nFROM\nBAD one\nFROM a\nCOPY x\nWORKDIR\nNOPE";
        assert_eq!(
            errors(src),
            vec![
                err(1, 1, "instruction `RUN` appears before the first `FROM`"),
                err(2, 1, "`FROM` requires an image"),
                err(3, 1, "unknown instruction `BAD`"),
                err(5, 1, "`COPY` requires at least two arguments"),
                err(6, 1, "`WORKDIR` requires exactly one argument"),
                err(7, 1, "unknown instruction `NOPE`"),
            ]
        );
        check_cmds_only(src, &["run", "from", "from", "copy", "workdir"]);
    }

    #[test]
    fn empty_file_is_an_error() {
        assert_eq!(errors(""), vec![err(1, 1, "file with no instructions")]);
        assert_eq!(errors("# only\n\n"), vec![err(2, 1, "file with no instructions")]);
    }

    #[test]
    fn limits_give_one_error() {
        let big = "#".repeat(MAX_INPUT_BYTES + 1);
        let parsed = parse(&big);
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.dockerfile.stages.is_empty());
        let many = "\n".repeat(MAX_INPUT_LINES + 1);
        assert_eq!(errors(&many), vec![err(1, 1, "input has more than 100000 lines")]);
        let exactly = format!("FROM a{}", "\n".repeat(MAX_INPUT_LINES - 1));
        assert!(parse(&exactly).errors.is_empty());
    }

    #[test]
    fn never_panics_on_odd_input() {
        let nasty = [
            "\\",
            "`",
            "#",
            "# escape=",
            "FROM a\nRUN <<",
            "FROM a\nRUN <<-",
            "FROM a\nRUN <<''\n\n",
            "FROM a\nRUN 0<<EOF\n",
            "FROM ${",
            "FROM ${A:-${B:-${C",
            "FROM $",
            "FROM ${}",
            "FROM ${A:}",
            "FROM a\nCMD [",
            "FROM a\nCMD [\"\\u12\"]",
            "FROM a\nCMD [\"\\ud800\"]",
            "FROM a\nENV =",
            "FROM a\nCOPY --",
            "FROM a\nCOPY --\"",
            "FROM a\nRUN --x=\"y",
            "\u{feff}",
            "\r\n\r\n",
            "FROM a\nONBUILD",
            "FROM a\nONBUILD ONBUILD",
            "FROM a\nHEALTHCHECK",
            "FROM é\u{a0}x",
            "FROM a\nRUN x \\\n",
            "FROM a\nRUN 'unterminated <<EOF",
            "FROM a\nCOPY <<\"EOF /x\n",
        ];
        for src in nasty {
            let _ = parse(src);
        }
        let deep = format!("FROM a\nCMD {}", "[".repeat(10_000));
        assert_eq!(commands(&deep)[1]["JSON"], json!(false));
        let nested = format!("ARG A=1\nFROM {}x{}", "${A:-".repeat(5_000), "}".repeat(5_000));
        let _ = parse(&nested);
        let full = "# escape=\\\nARG V=1\nFROM --platform=$P a:${V} AS b\nRUN <<-EOF x \\\n  && y\n\tz\n\tEOF\nCOPY [\"a\", \"b\"]\nENV K=v\n";
        for end in 0..=full.len() {
            if let Some(prefix) = full.get(..end) {
                let _ = parse(prefix);
            }
        }
    }

    #[test]
    fn parse_error_display_and_error_trait() {
        let error =
            ParseError { line: 3, column: 7, message: "unknown instruction `FOO`".to_string() };
        assert_eq!(error.to_string(), "3:7: unknown instruction `FOO`");
        let boxed: Box<dyn std::error::Error> = Box::new(error);
        assert!(boxed.source().is_none());
    }

    #[test]
    fn serde_round_trip_and_custom_path() {
        let parsed = parse_with_path("FROM a\nRUN [\"x\"]", "sub/Containerfile");
        let text = serde_json::to_string(&parsed.dockerfile).unwrap();
        assert!(text.contains("\"Path\":\"sub/Containerfile\""));
        assert!(text.contains("\"JSON\":true"));
        // `column` is not part of Trivy's shape, so compare what serialises.
        let back: Dockerfile = serde_json::from_str(&text).unwrap();
        assert_eq!(
            serde_json::to_value(back).unwrap(),
            serde_json::to_value(&parsed.dockerfile).unwrap()
        );
        let parsed_back: Parsed =
            serde_json::from_str(&serde_json::to_string(&parsed).unwrap()).unwrap();
        assert_eq!(
            serde_json::to_value(parsed_back).unwrap(),
            serde_json::to_value(&parsed).unwrap()
        );
    }
}
