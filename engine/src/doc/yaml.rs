//! Reading YAML streams into an arena, with positions, as Kubernetes reads them.
//!
//! Events come from `saphyr-parser`. Plain scalars are resolved with YAML 1.1 rules, as `kubectl`
//! does (`yes`, `no`, `on`, `off` are booleans; `0777` is octal); `<<` merge keys are applied;
//! aliases are expanded into copies under a node budget. A syntax error ends its document only:
//! reading resumes at the next `---` line, so later documents are still read.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan};

use super::build::{BuildError, Builder};
use super::{LineIndex, NodeId, NodeKind, Pos};

/// A YAML error: where and why.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    /// Position of the error.
    pub pos: Pos,
    /// Lowercase reason.
    pub message: String,
}

/// Reads every document of the stream `src` into `b`. Returns the document roots (an empty
/// document gives no root) and every error; a document with an error gives no root.
pub fn read(src: &str, b: &mut Builder) -> (Vec<NodeId>, Vec<YamlError>) {
    let mut roots = Vec::new();
    let mut errors = Vec::new();
    let mut base = 0usize;
    let lines = LineIndex::new(src);
    while base < src.len() {
        let Some(rest) = src.get(base..) else { break };
        let (mut found, err) = read_from(rest, base, &lines, b);
        roots.append(&mut found);
        let Some(e) = err else { break };
        let line_start =
            src.get(..e.pos.offset as usize).and_then(|s| s.rfind('\n')).map_or(0, |i| i + 1);
        let resume = next_document(src, line_start)
            .filter(|n| *n > base)
            .or_else(|| next_document(src, (e.pos.offset as usize).max(base + 1)));
        errors.push(e);
        b.reset();
        match resume {
            Some(next) if next > base => base = next,
            _ => break,
        }
    }
    (roots, errors)
}

/// The byte offset of the first `---` document marker line after `offset`.
fn next_document(src: &str, offset: usize) -> Option<usize> {
    let mut at = offset;
    loop {
        let line = src.get(at..)?;
        if line.starts_with("---")
            && line.get(3..4).is_none_or(|c| c == " " || c == "\n" || c == "\r" || c == "\t")
        {
            return Some(at);
        }
        at += line.find('\n')? + 1;
    }
}

struct Reader<'a> {
    /// Character index → byte offset, for non-ASCII input (saphyr counts characters).
    char_bytes: Option<Vec<u32>>,
    base: usize,
    lines: &'a LineIndex<'a>,
    anchors: HashMap<usize, NodeId>,
}

fn read_from(
    src: &str,
    base: usize,
    lines: &LineIndex<'_>,
    b: &mut Builder,
) -> (Vec<NodeId>, Option<YamlError>) {
    let char_bytes = (!src.is_ascii()).then(|| {
        src.char_indices().map(|(i, _)| i as u32).chain(std::iter::once(src.len() as u32)).collect()
    });
    let mut r = Reader { char_bytes, base, lines, anchors: HashMap::new() };
    let mut parser = Parser::new_from_str(src);
    let mut roots = Vec::new();
    let mut doc_root: Option<NodeId> = None;
    // Whether the open map expects a key next (per open container).
    let mut expect_key: Vec<bool> = Vec::new();
    while let Some(next) = parser.next_event() {
        let (ev, span) = match next {
            Ok(x) => x,
            Err(e) => {
                let m = e.marker();
                let pos = r.pos_of(m.index());
                return (roots, Some(YamlError { pos, message: e.info().to_string() }));
            }
        };
        let pos = r.pos(&span);
        let is_key = expect_key.last().copied().unwrap_or(false);
        let result = match ev {
            Event::DocumentStart(_) => {
                doc_root = None;
                r.anchors.clear();
                Ok(None)
            }
            Event::DocumentEnd => {
                if let Some(root) = doc_root.take() {
                    roots.push(root);
                }
                Ok(None)
            }
            Event::Scalar(value, ..) if is_key => {
                b.key(&value, pos);
                if let Some(k) = expect_key.last_mut() {
                    *k = false;
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(|t| t.suffix.clone());
                let kind = resolve(&value, style, tag.as_deref());
                let id = match kind {
                    Some(k) => b.scalar(k, pos),
                    None => b.string(&value, pos),
                };
                if anchor > 0 {
                    r.anchors.insert(anchor, id);
                }
                Ok(Some(id))
            }
            Event::Alias(anchor) if is_key => {
                return (
                    roots,
                    Some(YamlError {
                        pos,
                        message: format!("alias used as a map key (anchor {anchor})"),
                    }),
                );
            }
            Event::Alias(anchor) => match r.anchors.get(&anchor) {
                Some(src) => b.alias(*src).map(Some),
                None => {
                    return (
                        roots,
                        Some(YamlError { pos, message: "alias to an unknown anchor".into() }),
                    );
                }
            },
            Event::MappingStart(..) | Event::SequenceStart(..) if is_key => {
                return (
                    roots,
                    Some(YamlError { pos, message: "complex map keys are not supported".into() }),
                );
            }
            Event::MappingStart(anchor, _) => {
                let id = b.open(true, pos);
                if let Ok(id) = id
                    && anchor > 0
                {
                    r.anchors.insert(anchor, id);
                }
                expect_key.push(true);
                id.map(Some).map(|_| None)
            }
            Event::SequenceStart(anchor, _) => {
                let id = b.open(false, pos);
                if let Ok(id) = id
                    && anchor > 0
                {
                    r.anchors.insert(anchor, id);
                }
                expect_key.push(false);
                id.map(Some).map(|_| None)
            }
            Event::MappingEnd | Event::SequenceEnd => {
                expect_key.pop();
                b.close()
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => Ok(None),
        };
        match result {
            Ok(Some(id)) => {
                if let Some(k) = expect_key.last_mut() {
                    *k = b.in_map();
                }
                if b.at_top() {
                    doc_root = Some(id);
                }
            }
            Ok(None) => {}
            Err(e) => {
                let pos = match &e {
                    BuildError::DuplicateKey(_, at) => *at,
                    _ => pos,
                };
                return (roots, Some(YamlError { pos, message: build_message(e) }));
            }
        }
    }
    (roots, None)
}

fn build_message(e: BuildError) -> String {
    match e {
        BuildError::TooDeep => "nesting is deeper than the limit".into(),
        BuildError::DuplicateKey(k, _) => format!("duplicate key `{k}`"),
        BuildError::AliasBudget => "alias expansion exceeds its budget (a YAML alias bomb?)".into(),
    }
}

impl Reader<'_> {
    fn pos_of(&self, char_index: usize) -> Pos {
        let byte = match &self.char_bytes {
            Some(map) => map.get(char_index).copied().unwrap_or(0) as usize,
            None => char_index,
        };
        self.lines.pos(self.base + byte)
    }

    fn pos(&self, span: &YSpan) -> Pos {
        self.pos_of(span.start.index())
    }
}

/// Resolves a scalar as YAML 1.1 (Kubernetes' reading); `None` means a string.
fn resolve(v: &str, style: ScalarStyle, tag: Option<&str>) -> Option<NodeKind> {
    match tag {
        Some("str") => return None,
        Some("bool") => return bool11(v).map(NodeKind::Bool),
        Some("int") => return int11(v).map(NodeKind::Int),
        Some("float") => return float11(v).map(NodeKind::Float),
        Some("null") => return Some(NodeKind::Null),
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return None;
    }
    if matches!(v, "" | "~" | "null" | "Null" | "NULL") {
        return Some(NodeKind::Null);
    }
    if let Some(b) = bool11(v) {
        return Some(NodeKind::Bool(b));
    }
    if let Some(i) = int11(v) {
        return Some(NodeKind::Int(i));
    }
    float11(v).map(NodeKind::Float)
}

fn bool11(v: &str) -> Option<bool> {
    match v {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn int11(v: &str) -> Option<i64> {
    let (neg, body) = match v.as_bytes().first()? {
        b'-' => (true, v.get(1..)?),
        b'+' => (false, v.get(1..)?),
        _ => (false, v),
    };
    let body = body.replace('_', "");
    let magnitude = if let Some(hex) = body.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(bin) = body.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()?
    } else if let Some(oct) = body.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        i64::from_str_radix(body.get(1..)?, 8).ok()?
    } else if !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit()) {
        body.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -magnitude } else { magnitude })
}

fn float11(v: &str) -> Option<f64> {
    match v {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let ok = v
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'))
        && v.bytes().any(|c| c.is_ascii_digit())
        && v.contains(['.', 'e', 'E']);
    if !ok {
        return None;
    }
    v.replace('_', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_scalars() {
        assert_eq!(resolve("yes", ScalarStyle::Plain, None), Some(NodeKind::Bool(true)));
        assert_eq!(resolve("off", ScalarStyle::Plain, None), Some(NodeKind::Bool(false)));
        assert_eq!(resolve("yes", ScalarStyle::DoubleQuoted, None), None);
        assert_eq!(resolve("0777", ScalarStyle::Plain, None), Some(NodeKind::Int(511)));
        assert_eq!(resolve("1.5", ScalarStyle::Plain, None), Some(NodeKind::Float(1.5)));
        assert_eq!(resolve("1.2.3", ScalarStyle::Plain, None), None);
        assert_eq!(resolve("~", ScalarStyle::Plain, None), Some(NodeKind::Null));
        assert_eq!(resolve("v1", ScalarStyle::Plain, None), None);
    }
}
