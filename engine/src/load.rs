//! Loading inputs: bytes of a named file to documents, with format detection and limits.

use std::sync::Arc;

use crate::doc::build::Builder;
use crate::doc::{
    Arena, DocMeta, Document, Limits, LoadError, NodeId, NodeKind, Symbols, json, yaml,
};

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// YAML, possibly a multi-document stream.
    Yaml,
    /// One JSON value.
    Json,
    /// JSON values separated by newlines.
    Ndjson,
}

impl Format {
    /// The format named `s` (`yaml`, `json`, `ndjson`).
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "yaml" | "yml" => Format::Yaml,
            "json" => Format::Json,
            "ndjson" | "jsonl" => Format::Ndjson,
            _ => return None,
        })
    }

    /// The format's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
        }
    }
}

/// The format a file name suggests, if Ward reads such files.
pub fn detect(name: &str) -> Option<Format> {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
    Format::parse(ext)
}

/// Documents read from one input, and what could not be read.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Every document read, in stream order.
    pub docs: Vec<Document>,
    /// Every error, each with its position.
    pub errors: Vec<LoadError>,
}

/// Reads the input `bytes` named `name`. The format is `format`, or detected from the name
/// (YAML when nothing else fits). Keys are interned against `symbols`.
pub fn load(
    name: &str,
    bytes: &[u8],
    format: Option<Format>,
    symbols: &Arc<Symbols>,
    limits: &Limits,
) -> Loaded {
    let file: Arc<str> = name.into();
    let err =
        |line, column, message: String| LoadError { file: file.clone(), line, column, message };
    if bytes.len() > limits.max_bytes {
        let msg =
            format!("input is {} bytes, over the limit of {} bytes", bytes.len(), limits.max_bytes);
        return Loaded { docs: Vec::new(), errors: vec![err(0, 0, msg)] };
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = bytes.get(..e.valid_up_to()).unwrap_or(&[]);
            let line = good.iter().filter(|b| **b == b'\n').count() as u32 + 1;
            let col = good.iter().rev().take_while(|b| **b != b'\n').count() as u32 + 1;
            return Loaded {
                docs: Vec::new(),
                errors: vec![err(line, col, "input is not valid UTF-8".into())],
            };
        }
    };
    let (text, bom) = match text.strip_prefix('\u{feff}') {
        Some(t) => (t, 3u32),
        None => (text, 0),
    };
    let format = format.or_else(|| detect(name)).unwrap_or(Format::Yaml);
    let mut b = Builder::new(
        Arena::with_capacity(symbols.clone(), text.len()),
        limits.max_depth,
        limits.max_alias_nodes,
    );
    let mut errors = Vec::new();
    let roots = match format {
        Format::Yaml => {
            let (roots, errs) = yaml::read(text, &mut b);
            errors.extend(errs.into_iter().map(|e| err(e.pos.line, e.pos.col, e.message)));
            roots
        }
        Format::Json | Format::Ndjson => {
            let (roots, e) = json::read(text, &mut b, format == Format::Ndjson);
            if let Some(e) = e {
                let pos = crate::doc::LineIndex::new(text).pos(e.offset);
                errors.push(err(pos.line, pos.col, e.message));
            }
            roots
        }
    };
    let mut arena = b.arena;
    if bom > 0 {
        shift_offsets(&mut arena, bom);
    }
    let arena = Arc::new(arena);
    let docs = documents(&arena, &roots, &file, format);
    Loaded { docs, errors }
}

fn shift_offsets(arena: &mut Arena, by: u32) {
    for n in &mut arena.nodes {
        n.pos.offset += by;
    }
    for e in &mut arena.edges {
        e.pos.offset += by;
    }
}

/// Makes documents of the roots: empty documents are dropped, `kind: List` and `…List` kinds
/// expand into their items.
fn documents(
    arena: &Arc<Arena>,
    roots: &[NodeId],
    file: &Arc<str>,
    format: Format,
) -> Vec<Document> {
    let mut docs = Vec::new();
    for &root in roots {
        if matches!(arena.node(root).map(|n| n.kind), Some(NodeKind::Null) | None) {
            continue;
        }
        let index = docs.len() as u32;
        let doc = Document::new(
            arena.clone(),
            root,
            file.clone(),
            index,
            shape_format(arena, root, format).into(),
        );
        let items = list_items(arena, root, &doc.meta);
        match items {
            Some(items) => {
                for item in items {
                    let index = docs.len() as u32;
                    docs.push(Document::new(
                        arena.clone(),
                        item,
                        file.clone(),
                        index,
                        format.as_str().into(),
                    ));
                }
            }
            None => docs.push(doc),
        }
    }
    docs
}

fn list_items(arena: &Arena, root: NodeId, meta: &DocMeta) -> Option<Vec<NodeId>> {
    let kind = meta.kind.as_deref()?;
    if !kind.ends_with("List") || meta.api_version.is_none() {
        return None;
    }
    let items = arena.get_str(root, "items")?;
    matches!(arena.node(items)?.kind, NodeKind::List { .. })
        .then(|| arena.children(items).iter().map(|e| e.node).collect())
}

/// Recognises well-known JSON report shapes; otherwise the format's own name.
fn shape_format(arena: &Arena, root: NodeId, format: Format) -> &'static str {
    let has = |k: &str| arena.get_str(root, k).is_some();
    let str_is = |k: &str, v: &str| arena.get_str(root, k).and_then(|n| arena.str(n)) == Some(v);
    if has("SchemaVersion") && has("ArtifactName") {
        "trivy"
    } else if str_is("bomFormat", "CycloneDX") {
        "cyclonedx"
    } else if has("payloadType") && has("payload") {
        "dsse"
    } else if arena
        .get_str(root, "_type")
        .and_then(|n| arena.str(n))
        .is_some_and(|t| t.starts_with("https://in-toto.io/Statement"))
    {
        "in-toto"
    } else if has("rootfs") && has("config") {
        "image-config"
    } else {
        format.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(name: &str, s: &str) -> Loaded {
        load(name, s.as_bytes(), None, &Arc::new(Symbols::default()), &Limits::default())
    }

    #[test]
    fn yaml_stream_with_positions() {
        let l = load_str(
            "a.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n---\nkind: Service\n",
        );
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(l.docs.len(), 2);
        let d = &l.docs[0];
        assert_eq!(d.meta.name.as_deref(), Some("p"));
        let meta = d.arena.get_str(d.root, "metadata").unwrap();
        let name = d.arena.get_str(meta, "name").unwrap();
        assert_eq!(d.arena.pointer(d.root, name), "/metadata/name");
        assert_eq!(d.arena.location(name).line, 4);
        assert_eq!(d.arena.location(name).col, 3);
    }

    #[test]
    fn error_in_one_document_keeps_the_others() {
        let l = load_str("a.yaml", "a: 1\n---\nb: [1, 2\n---\nc: 3\n");
        assert_eq!(l.docs.len(), 2, "{:?}", l.errors);
        assert_eq!(l.errors.len(), 1);
    }

    #[test]
    fn json_positions_and_errors() {
        let l = load_str("a.json", "{\n  \"a\": [1, {\"b\": true}]\n}");
        assert!(l.errors.is_empty());
        assert_eq!(l.docs[0].to_json(), serde_json::json!({"a": [1, {"b": true}]}));
        let bad = load_str("a.json", "{\"a\": [1,]}");
        assert_eq!(bad.errors.len(), 1);
        assert_eq!(bad.errors[0].column, 10);
    }

    #[test]
    fn merge_keys_and_aliases() {
        let l = load_str("a.yaml", "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n");
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(
            l.docs[0].to_json(),
            serde_json::json!({"base": {"x": 1, "y": 2}, "d": {"y": 3, "x": 1}})
        );
    }

    #[test]
    fn alias_bomb_is_an_error() {
        let mut s = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 { "a".to_string() } else { format!("l{}", i - 1) };
            s.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let l = load_str("bomb.yaml", &s);
        assert_eq!(l.errors.len(), 1);
        assert!(l.errors[0].message.contains("budget"));
    }

    #[test]
    fn kind_list_expands() {
        let l = load_str(
            "l.yaml",
            "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  apiVersion: v1\n- kind: Service\n  apiVersion: v1\n",
        );
        assert_eq!(l.docs.len(), 2);
        assert_eq!(l.docs[1].meta.kind.as_deref(), Some("Service"));
    }
}
