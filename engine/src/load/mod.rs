//! Loading inputs: bytes of a named file to documents, with format detection and limits.
//!
//! Formats are chosen by the caller, else by file name ([`detect`]): YAML streams, JSON,
//! NDJSON, and Dockerfiles ([`dockerfile`], read into Trivy's JSON shape). Each root is then
//! recognised by shape (Trivy reports, CycloneDX, DSSE envelopes, in-toto statements, image
//! configs), which sets [`DocMeta::format`] for `@format("…")` kinds. A DSSE envelope whose
//! payload is an in-toto statement yields two documents: the envelope (format `dsse`) and the
//! decoded statement (format `in-toto`), whose nodes all point at the envelope's `payload`.

pub mod dockerfile;

use std::sync::Arc;

use crate::doc::build::Builder;
use crate::doc::{
    Arena, DocMeta, Document, IdentityNodes, Known, Limits, LoadError, NodeId, NodeKind, Symbols,
    json, yaml,
};
use crate::project::Projection;

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
    /// A Dockerfile, read into Trivy's JSON shape.
    Dockerfile,
}

impl Format {
    /// The format named `s` (`yaml`, `json`, `ndjson`).
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "yaml" | "yml" => Format::Yaml,
            "json" => Format::Json,
            "ndjson" | "jsonl" => Format::Ndjson,
            "dockerfile" | "containerfile" => Format::Dockerfile,
            _ => return None,
        })
    }

    /// The format's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Dockerfile => "dockerfile",
        }
    }
}

/// The format a file name (or path) suggests, if Ward reads such files: `.yaml`, `.yml`,
/// `.json`, `.ndjson`, `.jsonl`, and Dockerfiles by name (`Dockerfile`, `Dockerfile.*`,
/// `*.dockerfile`, `Containerfile`, `Containerfile.*`), case-insensitively.
pub fn detect(name: &str) -> Option<Format> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    let by_ext = lower.rsplit_once('.').and_then(|(_, e)| Format::parse(e));
    if matches!(by_ext, Some(Format::Yaml | Format::Json | Format::Ndjson)) {
        return by_ext;
    }
    let docker = ["dockerfile", "containerfile"]
        .iter()
        .any(|d| lower == *d || lower.strip_prefix(d).is_some_and(|r| r.starts_with('.')));
    (docker || lower.ends_with(".dockerfile") || lower.ends_with(".containerfile"))
        .then_some(Format::Dockerfile)
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
    load_projected(name, bytes, format, symbols, limits, None)
}

/// [`load`], building only what `projection` keeps (see [`crate::project`]) in JSON and NDJSON
/// input; other formats are read whole. The documents must then be evaluated only by the rules
/// the projection was computed for. Errors are the same as without projection.
pub fn load_projected(
    name: &str,
    bytes: &[u8],
    format: Option<Format>,
    symbols: &Arc<Symbols>,
    limits: &Limits,
    projection: Option<&Arc<Projection>>,
) -> Loaded {
    let file = crate::doc::shared_text(name);
    if let Some(failed) = over_limit(&file, bytes.len(), limits) {
        return failed;
    }
    let text = match utf8(bytes) {
        Ok(t) => t,
        Err(valid_up_to) => {
            // The text before the error is valid: its column counts characters, and a byte
            // order mark is not one, as with the readers' errors.
            let good = bytes.get(..valid_up_to).and_then(|g| std::str::from_utf8(g).ok());
            let good = good.unwrap_or_default();
            let good = good.strip_prefix('\u{feff}').unwrap_or(good);
            let line = good.bytes().filter(|b| *b == b'\n').count() as u32 + 1;
            let last = good.rsplit('\n').next().unwrap_or_default();
            let col = last.chars().count() as u32 + 1;
            return failure(file, line, col, "input is not valid UTF-8".into());
        }
    };
    read_text(file, name, text, format, symbols, limits, projection)
}

/// [`load`] of input already known to be text, such as a `&str` an embedder holds: the same
/// documents and errors as from its bytes, without checking again that it is UTF-8.
pub fn load_text(
    name: &str,
    text: &str,
    format: Option<Format>,
    symbols: &Arc<Symbols>,
    limits: &Limits,
) -> Loaded {
    load_text_projected(name, text, format, symbols, limits, None)
}

/// [`load_projected`] of input already known to be text (see [`load_text`]).
pub fn load_text_projected(
    name: &str,
    text: &str,
    format: Option<Format>,
    symbols: &Arc<Symbols>,
    limits: &Limits,
    projection: Option<&Arc<Projection>>,
) -> Loaded {
    let file = crate::doc::shared_text(name);
    if let Some(failed) = over_limit(&file, text.len(), limits) {
        return failed;
    }
    read_text(file, name, text, format, symbols, limits, projection)
}

/// The outcome of loading an input of `len` bytes named `file`, if that is over the limit.
fn over_limit(file: &Arc<str>, len: usize, limits: &Limits) -> Option<Loaded> {
    (len > limits.max_bytes).then(|| {
        let message = format!("input is {len} bytes, over the limit of {} bytes", limits.max_bytes);
        failure(file.clone(), 0, 0, message)
    })
}

/// The outcome of an input that could not be read at all: no documents, one error.
fn failure(file: Arc<str>, line: u32, column: u32, message: String) -> Loaded {
    Loaded { docs: Vec::new(), errors: vec![LoadError { file, line, column, message }] }
}

/// Reads the text of input `name` (the file name `file`, shared), within its size limit.
fn read_text(
    file: Arc<str>,
    name: &str,
    text: &str,
    format: Option<Format>,
    symbols: &Arc<Symbols>,
    limits: &Limits,
    projection: Option<&Arc<Projection>>,
) -> Loaded {
    let err =
        |line, column, message: String| LoadError { file: file.clone(), line, column, message };
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
    if matches!(format, Format::Json | Format::Ndjson) {
        b.set_projection(projection.cloned());
    }
    let mut errors = Vec::new();
    // The root of a JSON value, kept out of a vector.
    let mut one = None;
    let many = match format {
        Format::Yaml => {
            let (roots, errs) = yaml::read(text, &mut b);
            errors.extend(errs.into_iter().map(|e| err(e.pos.line, e.pos.col, e.message)));
            roots
        }
        Format::Json | Format::Ndjson => {
            let (roots, errs) = if format == Format::Json {
                let (root, errs) = json::read_one(text, &mut b);
                one = root;
                (Vec::new(), errs)
            } else {
                json::read(text, &mut b, true)
            };
            if !errs.is_empty() {
                let index = crate::doc::LineIndex::new(text);
                for e in errs {
                    let pos = index.pos(e.offset);
                    errors.push(err(pos.line, pos.col, e.message));
                }
            }
            roots
        }
        Format::Dockerfile => {
            let parsed = dockerfile::parse_with_path(text, name);
            errors.extend(
                parsed
                    .errors
                    .iter()
                    .map(|e| err(e.line as u32, e.column as u32, e.message.clone())),
            );
            if parsed.dockerfile.stages.is_empty() {
                Vec::new()
            } else {
                vec![dockerfile_arena(&parsed.dockerfile, text, &mut b)]
            }
        }
    };
    let mut arena = b.finish();
    if bom > 0 {
        shift_offsets(&mut arena, bom);
    }
    let arena = Arc::new(arena);
    let roots = match &one {
        Some(root) => std::slice::from_ref(root),
        None => &many[..],
    };
    let (mut docs, dsse) = documents(&arena, roots, &file, format);
    if dsse {
        let mut with = Vec::with_capacity(docs.len() + 1);
        for doc in docs {
            let statement = match &*doc.meta.format {
                "dsse" => dsse_statement(&doc, symbols, limits),
                _ => Ok(None),
            };
            with.push(doc);
            match statement {
                Ok(Some(s)) => with.push(s),
                Ok(None) => {}
                Err((pos, message)) => errors.push(err(pos.line, pos.col, message)),
            }
        }
        docs = with;
    }
    for (i, d) in docs.iter_mut().enumerate() {
        d.meta.index = i as u32;
    }
    Loaded { docs, errors }
}

/// `bytes` as text, or the length of its longest valid UTF-8 prefix. Vectorised validation
/// ([`simdutf8`]) says only whether the whole is valid; the standard library's, run only on
/// failure, says where it stops.
fn utf8(bytes: &[u8]) -> Result<&str, usize> {
    simdutf8::basic::from_utf8(bytes)
        .or_else(|_| std::str::from_utf8(bytes))
        .map_err(|e| e.valid_up_to())
}

/// Builds Trivy's Dockerfile shape in the arena, every node at its instruction's position
/// (arguments at their own column when they appear verbatim on the first line). Returns the
/// root.
fn dockerfile_arena(df: &dockerfile::Dockerfile, text: &str, b: &mut Builder) -> NodeId {
    use crate::doc::Pos;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut line_starts = Vec::with_capacity(lines.len());
    let mut acc = 0u32;
    for l in &lines {
        line_starts.push(acc);
        acc += l.len() as u32;
    }
    // The position of character column `col` (1-based) on line `line` (1-based).
    let pos_at = |line: usize, col: usize| -> Pos {
        let start = line_starts.get(line.wrapping_sub(1)).copied().unwrap_or(acc);
        let text = lines.get(line.wrapping_sub(1)).copied().unwrap_or("");
        let bytes: usize = text.chars().take(col.saturating_sub(1)).map(char::len_utf8).sum();
        Pos { line: line as u32, col: col.max(1) as u32, offset: start + bytes as u32 }
    };
    let top = Pos { line: 1, col: 1, offset: 0 };
    // Every push below happens at depth ≤ 4, far under any depth limit worth having; should a
    // limit be smaller, the open fails and the structure is simply truncated.
    let root = b.open(true, top).unwrap_or(0);
    b.key("Stages", top);
    let _ = b.open(false, top);
    for stage in &df.stages {
        let first = stage.commands.first();
        let spos = first.map_or(top, |c| pos_at(c.start_line, c.column));
        let _ = b.open(true, spos);
        b.key("Name", spos);
        b.string(&stage.name, spos);
        b.key("Commands", spos);
        let _ = b.open(false, spos);
        for c in &stage.commands {
            let cpos = pos_at(c.start_line, c.column);
            let line = lines.get(c.start_line.wrapping_sub(1)).copied().unwrap_or("");
            let _ = b.open(true, cpos);
            let field = |b: &mut Builder, k: &str| b.key(k, cpos);
            field(b, "Cmd");
            b.string(&c.cmd, cpos);
            field(b, "SubCmd");
            b.string(&c.sub_cmd, cpos);
            // Arguments are searched for after the keyword, in order, on the first line.
            let mut cursor = c.column.saturating_sub(1) + c.cmd.chars().count();
            for (name, items) in [("Flags", &c.flags), ("Value", &c.value)] {
                field(b, name);
                let _ = b.open(false, cpos);
                for item in items {
                    let found = column_after(line, item, cursor);
                    let ipos = match found {
                        Some(col) => {
                            cursor = col - 1 + item.chars().count();
                            pos_at(c.start_line, col)
                        }
                        None => cpos,
                    };
                    b.string(item, ipos);
                }
                let _ = b.close();
            }
            field(b, "Original");
            b.string(&c.original, cpos);
            field(b, "JSON");
            b.scalar(NodeKind::Bool(c.json), cpos);
            field(b, "Stage");
            b.scalar(NodeKind::Int(c.stage as i64), cpos);
            field(b, "Path");
            b.string(&c.path, cpos);
            field(b, "StartLine");
            b.scalar(NodeKind::Int(c.start_line as i64), cpos);
            field(b, "EndLine");
            b.scalar(NodeKind::Int(c.end_line as i64), cpos);
            let _ = b.close();
        }
        let _ = b.close();
        let _ = b.close();
    }
    let _ = b.close();
    let _ = b.close();
    root
}

/// The 1-based character column where `needle` first occurs in `line` at or after character
/// `from` (0-based), if it does and is not empty.
fn column_after(line: &str, needle: &str, from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let skip: usize = line.chars().take(from).map(char::len_utf8).sum();
    let rest = line.get(skip..)?;
    let at = rest.find(needle)?;
    Some(from + rest.get(..at)?.chars().count() + 1)
}

/// The in-toto statement inside a DSSE envelope, as its own document whose nodes all sit at
/// the envelope's `payload`. `None` when the payload is not an in-toto statement (other
/// payload types are left alone); an error when it should be one but cannot be decoded.
fn dsse_statement(
    env: &Document,
    symbols: &Arc<Symbols>,
    limits: &Limits,
) -> Result<Option<Document>, (crate::doc::Pos, String)> {
    let a = &env.arena;
    let Some(payload) = a.get_str(env.root, "payload") else { return Ok(None) };
    let at = a.location(payload);
    let ptype = a.get_str(env.root, "payloadType").and_then(|n| a.str(n)).unwrap_or("");
    if !ptype.contains("in-toto") {
        return Ok(None);
    }
    let text = a.str(payload).ok_or((at, "DSSE `payload` is not a string".to_string()))?;
    let bytes = crate::builtins::base64_decode(text)
        .ok_or((at, "DSSE `payload` is not valid base64".to_string()))?;
    let json = String::from_utf8(bytes)
        .map_err(|_| (at, "DSSE `payload` does not decode to UTF-8 text".to_string()))?;
    if json.len() > limits.max_bytes {
        return Err((at, "DSSE `payload` is over the input size limit".to_string()));
    }
    let mut b = Builder::new(Arena::new(symbols.clone()), limits.max_depth, limits.max_alias_nodes);
    let (roots, errs) = json::read(&json, &mut b, false);
    if let Some(e) = errs.first() {
        let p = crate::doc::LineIndex::new(&json).pos(e.offset);
        let msg = format!(
            "DSSE `payload` is not a JSON statement: {} (decoded line {}, column {})",
            e.message, p.line, p.col
        );
        return Err((at, msg));
    }
    let Some(&root) = roots.first() else { return Ok(None) };
    let mut arena = b.finish();
    for n in &mut arena.nodes {
        n.pos = at;
    }
    for e in &mut arena.edges {
        e.pos = at;
    }
    let arena = Arc::new(arena);
    let format = shape_format(&arena, root, Format::Json);
    Ok(Some(Document::new(
        arena,
        root,
        env.meta.file.clone(),
        env.meta.index + 1,
        format_name(format),
    )))
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
/// expand into their items. Also says whether any is a DSSE envelope.
fn documents(
    arena: &Arc<Arena>,
    roots: &[NodeId],
    file: &Arc<str>,
    format: Format,
) -> (Vec<Document>, bool) {
    let mut docs = Vec::with_capacity(roots.len());
    let mut dsse = false;
    // Where the edges of the next tree start at the latest: the builder appends a container's
    // edges as it closes, so the edges of a tree come after those of the trees read before it
    // and end with its root's own. That holds for the documents of a stream and for the items
    // of one list, read one after another. A window may start early, with edges of nothing
    // (which only adds fields to look at), never late.
    let mut from = 0;
    let mut window = |node: NodeId| {
        let end = match arena.node(node).map(|n| n.kind) {
            Some(NodeKind::Map { start, len } | NodeKind::List { start, len }) => start + len,
            _ => from,
        };
        let w = (from, end.max(from));
        from = w.1;
        Some(w)
    };
    for &root in roots {
        if matches!(arena.node(root).map(|n| n.kind), Some(NodeKind::Null) | None) {
            continue;
        }
        let (mut doc, shape) = document(arena, root, file, docs.len() as u32, format);
        let items = list_items(arena, root, &doc.meta).or_else(|| inspect_items(arena, root));
        match items {
            Some(items) => {
                for item in items {
                    let (mut doc, shape) = document(arena, item, file, docs.len() as u32, format);
                    doc.window = window(item);
                    dsse |= shape == Shape::Dsse;
                    docs.push(doc);
                }
                // The list's own edges, and those of its other fields.
                window(root);
            }
            None => {
                doc.window = window(root);
                dsse |= shape == Shape::Dsse;
                docs.push(doc);
            }
        }
    }
    (docs, dsse)
}

/// The document of node `root`, its format recognised by shape.
fn document(
    arena: &Arc<Arena>,
    root: NodeId,
    file: &Arc<str>,
    index: u32,
    format: Format,
) -> (Document, Shape) {
    let ids = IdentityNodes::of(arena, root);
    // A Kubernetes object is recognised by its `apiVersion` and `kind`, never by shape: the
    // first test of [`shape_format`], answered by the identity fields already found.
    let shape = if ids.api_version.is_some() && ids.kind.is_some() {
        Shape::of(format)
    } else {
        shape_format(arena, root, format)
    };
    let name = format_name(shape);
    (Document::with_identity(arena.clone(), root, ids, file.clone(), index, name), shape)
}

fn list_items(arena: &Arena, root: NodeId, meta: &DocMeta) -> Option<Vec<NodeId>> {
    let kind = meta.kind.as_deref()?;
    if !kind.ends_with("List") || meta.api_version.is_none() {
        return None;
    }
    let items = arena.get_known(root, Known::Items)?;
    matches!(arena.node(items)?.kind, NodeKind::List { .. })
        .then(|| arena.children(items).iter().map(|e| e.node).collect())
}

/// The images of `docker inspect` output: a list whose items are all image objects.
fn inspect_items(arena: &Arena, root: NodeId) -> Option<Vec<NodeId>> {
    let items = arena.children(root);
    let is_list = matches!(arena.node(root)?.kind, NodeKind::List { .. });
    (is_list
        && !items.is_empty()
        && items.iter().all(|e| shape_format(arena, e.node, Format::Json) == Shape::DockerInspect))
    .then(|| items.iter().map(|e| e.node).collect())
}

/// What a document is, by loader format or recognised shape: its [`DocMeta::format`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Yaml,
    Json,
    Ndjson,
    Dockerfile,
    Trivy,
    CycloneDx,
    Dsse,
    InToto,
    ImageConfig,
    DockerInspect,
}

/// The names of the [`Shape`]s, in order.
const SHAPE_NAMES: [&str; 10] = [
    "yaml",
    "json",
    "ndjson",
    "dockerfile",
    "trivy",
    "cyclonedx",
    "dsse",
    "in-toto",
    "image-config",
    "docker-inspect",
];

impl Shape {
    /// A document of `format` not recognised by shape.
    fn of(format: Format) -> Shape {
        match format {
            Format::Yaml => Shape::Yaml,
            Format::Json => Shape::Json,
            Format::Ndjson => Shape::Ndjson,
            Format::Dockerfile => Shape::Dockerfile,
        }
    }
}

/// The name of `shape` as shared text: allocated once per thread, not per document.
fn format_name(shape: Shape) -> Arc<str> {
    use std::cell::OnceCell;
    thread_local! {
        static NAMES: [OnceCell<Arc<str>>; SHAPE_NAMES.len()] =
            const { [const { OnceCell::new() }; SHAPE_NAMES.len()] };
    }
    let name = SHAPE_NAMES.get(shape as usize).copied().unwrap_or("");
    NAMES
        .try_with(|names| match names.get(shape as usize) {
            Some(cell) => cell.get_or_init(|| name.into()).clone(),
            None => name.into(),
        })
        .unwrap_or_else(|_| name.into())
}

/// Recognises well-known JSON report shapes; otherwise the format's own.
fn shape_format(arena: &Arena, root: NodeId, format: Format) -> Shape {
    use Known as K;
    let has = |k: Known| arena.get_known(root, k).is_some();
    let str_is = |k: Known, v: &str| arena.get_known(root, k).and_then(|n| arena.str(n)) == Some(v);
    if has(K::ApiVersion) && has(K::Kind) {
        // A Kubernetes object is recognised by its `apiVersion` and `kind`, never by shape.
        Shape::of(format)
    } else if has(K::SchemaVersion) && has(K::ArtifactName) {
        Shape::Trivy
    } else if str_is(K::BomFormat, "CycloneDX") {
        Shape::CycloneDx
    } else if has(K::PayloadType) && has(K::Payload) && has(K::Signatures) {
        Shape::Dsse
    } else if arena
        .get_known(root, K::Type)
        .and_then(|n| arena.str(n))
        .is_some_and(|t| t.starts_with("https://in-toto.io/Statement"))
    {
        Shape::InToto
    } else if has(K::Rootfs) && has(K::Config) {
        Shape::ImageConfig
    } else if has(K::Id) && has(K::RootFS) && has(K::ConfigUpper) {
        Shape::DockerInspect
    } else {
        Shape::of(format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Keep;

    fn load_str(name: &str, s: &str) -> Loaded {
        load(name, s.as_bytes(), None, &Arc::new(Symbols::default()), &Limits::default())
    }

    /// Line and column of the "not valid UTF-8" error loading `bytes` as `name`, projected or
    /// not, and the number of documents read.
    fn utf8_error(name: &str, bytes: &[u8]) -> Option<(u32, u32)> {
        let mut symbols = Symbols::default();
        for k in ["apiVersion", "kind", "metadata", "name", "spec"] {
            symbols.intern(k);
        }
        let symbols = Arc::new(symbols);
        // `spec` and unknown names are skipped.
        let projection = Arc::new(Projection::of(vec![Keep::Read; 4]));
        let mut out = Vec::new();
        for p in [None, Some(&projection)] {
            let l = load_projected(name, bytes, None, &symbols, &Limits::default(), p);
            let e = l.errors.iter().find(|e| e.message == "input is not valid UTF-8");
            if e.is_some() {
                assert!(l.docs.is_empty() && l.errors.len() == 1, "{name}: {:?}", l.errors);
            }
            out.push(e.map(|e| (e.line, e.column)));
        }
        assert_eq!(out[0], out[1], "{name}: projection changed the error");
        out[0]
    }

    /// A named input and the line and column of its UTF-8 error, if any.
    type Utf8Case = (String, Vec<u8>, Option<(u32, u32)>);

    /// Loading text gives what loading its bytes gives: the same documents (identity, tree,
    /// positions) and errors, for every format, projected or not, within the size limit or
    /// over it.
    #[test]
    fn text_loads_as_its_bytes_do() {
        let mut symbols = Symbols::default();
        let names = crate::doc::KNOWN.iter().chain(crate::project::LOADER_NAMES);
        for name in names.chain(&["spec", "containers", "image"]) {
            symbols.intern(name);
        }
        let symbols = Arc::new(symbols);
        let projection =
            Arc::new(Projection::keeping(&symbols, &["spec", "containers", "image"], &[]).unwrap());
        let inputs = [
            (
                "a.json",
                "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"é\"}, \"spec\": {\"containers\": [{\"image\": \"x\", \"env\": [1]}]}}",
            ),
            ("a.json", "{\"kind\": \"Pod\", \"spec\": {\"x\": tru}}"),
            ("a.ndjson", "{\"kind\": \"Pod\"}\n{bad\n[1, 2]\n\"s\"\n"),
            (
                "a.yaml",
                "\u{feff}kind: Pod\nmetadata: {name: a}\n---\nkind: List\napiVersion: v1\nitems:\n- kind: Pod\n---\n: :\n",
            ),
            ("a.yaml", "a: &x {b: 1}\nc: {<<: *x, d: 2}\n"),
            (
                "Dockerfile",
                "FROM alpine:3.19\nRUN apk add curl \\\n  && rm -rf /var/cache\nUSER app\n",
            ),
            ("a.json", ""),
        ];
        let render = |l: &Loaded| {
            let docs: Vec<String> = l
                .docs
                .iter()
                .map(|d| {
                    let places: Vec<crate::doc::Pos> =
                        (0..d.arena.nodes.len() as u32).map(|n| d.arena.location(n)).collect();
                    format!("{:?} {} {:?} {places:?}", d.meta, d.to_json(), d.root)
                })
                .collect();
            (docs, l.errors.clone())
        };
        for (name, text) in inputs {
            for p in [None, Some(&projection)] {
                let limits = Limits::default();
                let bytes = load_projected(name, text.as_bytes(), None, &symbols, &limits, p);
                let from_text = load_text_projected(name, text, None, &symbols, &limits, p);
                assert!(!bytes.docs.is_empty() || !bytes.errors.is_empty() || text.is_empty());
                assert_eq!(render(&from_text), render(&bytes), "{name}: {text:?}");
                let small = Limits { max_bytes: 4, ..Limits::default() };
                let (a, b) = (
                    load_projected(name, text.as_bytes(), None, &symbols, &small, p),
                    load_text_projected(name, text, None, &symbols, &small, p),
                );
                assert_eq!(render(&a), render(&b), "{name} over the limit");
            }
        }
        let plain = load_text("a.json", "{\"kind\": 1}", None, &symbols, &Limits::default());
        assert_eq!(plain.docs.len(), 1);
    }

    #[test]
    fn invalid_utf8_is_reported_where_it_starts() {
        let pad = "x".repeat(100);
        let cases: Vec<Utf8Case> = vec![
            ("first byte".into(), b"\xff{}".to_vec(), Some((1, 1))),
            ("empty".into(), Vec::new(), None),
            ("bom only".into(), b"\xef\xbb\xbf".to_vec(), None),
            ("bom then invalid".into(), b"\xef\xbb\xbf\xff".to_vec(), Some((1, 1))),
            ("broken bom".into(), b"\xef\xbb{}".to_vec(), Some((1, 1))),
            (
                "skipped string".into(),
                b"{\"kind\": \"Pod\",\n \"spec\": {\"x\": \"ab\xc3(\"}}".to_vec(),
                Some((2, 19)),
            ),
            (
                "kept string".into(),
                b"{\"metadata\": {\"name\": \"\xe2\x82\"}}".to_vec(),
                Some((1, 24)),
            ),
            ("key".into(), b"{\n\n  \"k\xf0\x9f\x98\": 1}".to_vec(), Some((3, 5))),
            ("end".into(), b"{\"a\": 1}\n\xc3".to_vec(), Some((2, 1))),
            (
                "after text that is not ASCII".into(),
                "{\"é\": \"ü\"}\n  ".bytes().chain([0x80]).collect(),
                Some((2, 3)),
            ),
            // Columns count characters, as the readers' do.
            ("after é on the line".into(), "\n é".bytes().chain([0xff]).collect(), Some((2, 3))),
            (
                "after a bom and é".into(),
                "\u{feff}{\"é\": \"".bytes().chain([0xff]).collect(),
                Some((1, 8)),
            ),
            (
                "surrogate".into(),
                format!("{{\"a\": \"{pad}").bytes().chain(*b"\xed\xa0\x80\"}").collect(),
                Some((1, 108)),
            ),
            (
                "overlong, past the first vector".into(),
                format!("{{\"a\": \"{pad}\n{pad}").bytes().chain(*b"\xc0\xaf\"}").collect(),
                Some((2, 101)),
            ),
            ("valid, long".into(), format!("{{\"a\": \"{pad}é{pad}\"}}").into_bytes(), None),
        ];
        for (what, bytes, want) in cases {
            for name in ["a.json", "a.ndjson", "a.yaml"] {
                assert_eq!(utf8_error(name, &bytes), want, "{what} ({name})");
            }
        }
    }

    #[test]
    fn utf8_check_agrees_with_the_standard_library() {
        // Every length across the vector widths, each byte position spoilt in turn.
        let text = "apiVersion: v1 é ü € 😀 kind: Pod\n".repeat(6);
        let bytes = text.as_bytes();
        for len in 0..bytes.len() {
            let mut b = bytes[..len].to_vec();
            let want = std::str::from_utf8(&b).map_err(|e| e.valid_up_to());
            assert_eq!(utf8(&b), want, "{len}");
            for at in (0..len).step_by(3) {
                for bad in [0x80, 0xff, 0xc0, 0xed] {
                    let old = std::mem::replace(&mut b[at], bad);
                    let want = std::str::from_utf8(&b).map_err(|e| e.valid_up_to());
                    assert_eq!(utf8(&b), want, "{len} {at} {bad:x}");
                    b[at] = old;
                }
            }
        }
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

    /// A merged map's values that are maps and lists themselves are copied whole, and the
    /// map holds its own entries only.
    #[test]
    fn merge_keys_of_nested_values() {
        let l = load_str(
            "a.yaml",
            "x: &x {deep: {inner: 1}, list: [{li: 1}]}\nc: {<<: *x, own: 2}\nd: {<<: [*x], deep: 3}\n",
        );
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        let inner = serde_json::json!({"deep": {"inner": 1}, "list": [{"li": 1}]});
        assert_eq!(
            l.docs[0].to_json(),
            serde_json::json!({"x": inner, "c": {"own": 2, "deep": {"inner": 1}, "list": [{"li": 1}]},
                               "d": {"deep": 3, "list": [{"li": 1}]}})
        );
        // The copies know where they are.
        let arena = &l.docs[0].arena;
        let c = arena.get_str(l.docs[0].root, "c").unwrap();
        let list = arena.get_str(c, "list").unwrap();
        let item = arena.children(list)[0].node;
        let mut pointer = String::new();
        arena.push_pointer(&mut pointer, l.docs[0].root, arena.get_str(item, "li").unwrap());
        assert_eq!(pointer, "/c/list/0/li");
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

    #[test]
    fn detects_formats_by_name() {
        for (name, want) in [
            ("Dockerfile", Some(Format::Dockerfile)),
            ("dir/Dockerfile.prod", Some(Format::Dockerfile)),
            ("api.dockerfile", Some(Format::Dockerfile)),
            ("Containerfile", Some(Format::Dockerfile)),
            ("a/b.yaml", Some(Format::Yaml)),
            ("Dockerfile.yaml", Some(Format::Yaml)),
            ("x.jsonl", Some(Format::Ndjson)),
            ("README.md", None),
            ("Dockerfiles", None),
        ] {
            assert_eq!(detect(name), want, "{name}");
        }
    }

    #[test]
    fn dockerfile_nodes_carry_positions() {
        let l = load_str(
            "Dockerfile",
            "FROM alpine:3.19 AS build\n\n  RUN --mount=type=cache,target=/c apk add \\\n    curl\nUSER root\n",
        );
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(l.docs.len(), 1);
        let d = &l.docs[0];
        assert_eq!(&*d.meta.format, "dockerfile");
        let j = d.to_json();
        assert_eq!(j["Stages"][0]["Commands"][1]["Cmd"], "run");
        assert_eq!(j["Stages"][0]["Commands"][1]["EndLine"], 4);
        let a = &d.arena;
        let cmds = a.get_str(a.children(a.get_str(d.root, "Stages").unwrap())[0].node, "Commands");
        let run = a.children(cmds.unwrap())[1].node;
        assert_eq!(a.location(run).line, 3);
        assert_eq!(a.location(run).col, 3);
        let flag = a.children(a.get_str(run, "Flags").unwrap())[0].node;
        assert_eq!((a.location(flag).line, a.location(flag).col), (3, 7));
        let user = a.children(cmds.unwrap())[2].node;
        let cmd = a.get_str(user, "Cmd").unwrap();
        assert_eq!(a.location(cmd).line, 5);
        let value = a.children(a.get_str(user, "Value").unwrap())[0].node;
        assert_eq!((a.location(value).line, a.location(value).col), (5, 6));
        assert_eq!(a.pointer(d.root, value), "/Stages/0/Commands/2/Value/0");
    }

    #[test]
    fn dockerfile_errors_keep_the_rest() {
        let l = load_str("x.dockerfile", "FROM alpine\nFROOM x\nUSER nobody\n");
        assert_eq!(l.errors.len(), 1);
        assert_eq!((l.errors[0].line, l.errors[0].column), (2, 1));
        assert!(l.errors[0].message.contains("unknown instruction"));
        let j = l.docs[0].to_json();
        assert_eq!(j["Stages"][0]["Commands"][1]["Cmd"], "user");
    }

    #[test]
    fn ndjson_bad_line_keeps_the_others() {
        let l = load_str("a.ndjson", "{\"a\": 1}\n{\"b\": \n{\"c\": 3}\n[1, 2}\n{\"d\": 4}\n");
        assert_eq!(l.docs.len(), 3, "{:?}", l.errors);
        assert_eq!(l.errors.len(), 2, "{:?}", l.errors);
        assert_eq!(l.errors[0].line, 2);
        assert_eq!(l.errors[1].line, 4);
    }

    #[test]
    fn dsse_envelope_yields_its_statement() {
        let statement = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"ab"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}"#;
        let payload = crate::builtins::base64_encode(statement.as_bytes());
        let env = format!(
            "{{\n  \"payloadType\": \"application/vnd.in-toto+json\",\n  \"payload\": \"{payload}\",\n  \"signatures\": []\n}}"
        );
        let l = load_str("e.json", &env);
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(l.docs.len(), 2);
        assert_eq!(&*l.docs[0].meta.format, "dsse");
        assert_eq!(&*l.docs[1].meta.format, "in-toto");
        let s = &l.docs[1];
        assert_eq!(s.to_json()["subject"][0]["name"], "x");
        assert_eq!(s.arena.location(s.root).line, 3);
        let bad = load_str(
            "e.json",
            r#"{"payloadType": "application/vnd.in-toto+json", "payload": "!!!", "signatures": []}"#,
        );
        assert_eq!(bad.docs.len(), 1);
        assert!(bad.errors[0].message.contains("base64"), "{:?}", bad.errors);
    }

    #[test]
    fn docker_inspect_array_expands() {
        let l = load_str(
            "inspect.json",
            r#"[{"Id": "sha256:1", "Config": {"User": ""}, "RootFS": {"Type": "layers"}},
                {"Id": "sha256:2", "Config": {}, "RootFS": {"Type": "layers"}}]"#,
        );
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(l.docs.len(), 2);
        assert!(l.docs.iter().all(|d| &*d.meta.format == "docker-inspect"));
        let one =
            load_str("c.json", r#"{"config": {}, "rootfs": {"type": "layers", "diff_ids": []}}"#);
        assert_eq!(&*one.docs[0].meta.format, "image-config");
    }

    /// The keys of the map entries in `doc`'s tree, found by walking it.
    fn tree_keys(doc: &Document) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let mut stack = vec![doc.root];
        while let Some(n) = stack.pop() {
            let map = matches!(doc.arena.node(n).map(|n| n.kind), Some(NodeKind::Map { .. }));
            for e in doc.arena.children(n) {
                if map {
                    out.insert(doc.arena.key_str(e.key).to_string());
                }
                stack.push(e.node);
            }
        }
        out
    }

    /// The keys of the map entries in the loader's window of `doc`'s edges.
    fn window_keys(doc: &Document) -> std::collections::BTreeSet<String> {
        let (a, b) = doc.window.unwrap_or_else(|| panic!("no window for {:?}", doc.meta));
        let edges = doc.arena.edges.get(a as usize..b as usize).unwrap_or(&[]);
        edges
            .iter()
            .filter(|e| e.key.0 != u32::MAX)
            .map(|e| doc.arena.key_str(e.key).into())
            .collect()
    }

    /// Each document's window holds every key of its tree, and none that only other documents
    /// of the stream have: whatever the format, anchors, aliases and merge keys, a document
    /// ended by a syntax error, list items.
    #[test]
    fn a_documents_window_holds_its_own_tree() {
        let inputs = [
            (
                "s.yaml",
                "a1: &x {deep: {inner: 1}, list: [{li: 1}]}\nb1: *x\nc1: {<<: *x, own: 2}\n---\n\
                 a2: [1, [2, {nested2: 3}]]\n---\nbad: [unclosed\n---\nafter: {k3: {}}\n---\n\
                 scalar\n---\n{}\n---\nlast: {k4: 1}\n",
            ),
            (
                "l.yaml",
                "apiVersion: v1\nkind: List\nmetadata: {listmeta: 1}\nitems:\n\
                 - {kind: Pod, apiVersion: v1, spec: {p1: {q: 1}}}\n- {kind: Pod, apiVersion: v1}\n\
                 - {kind: Pod, apiVersion: v1, spec: {p3: [{r: 1}]}}\n",
            ),
            ("n.ndjson", "{\"n1\": {\"x\": 1}}\n{\"bad\": \n{\"n3\": [{\"y\": 2}]}\n{}\n"),
            (
                "inspect.json",
                r#"[{"Id": "1", "Config": {"User": "", "i1": {}}, "RootFS": {"Type": "layers"}},
                    {"Id": "2", "Config": {"i2": [1]}, "RootFS": {"Type": "layers"}}]"#,
            ),
        ];
        for (name, text) in inputs {
            let l = load_str(name, text);
            assert!(l.docs.len() > 1, "{name}: {:?}", l.errors);
            for (i, doc) in l.docs.iter().enumerate() {
                let (tree, window) = (tree_keys(doc), window_keys(doc));
                assert!(tree.is_subset(&window), "{name} #{i}: {tree:?} not in {window:?}");
                // Keys of the other documents' own trees stay out.
                for (j, other) in l.docs.iter().enumerate().filter(|(j, _)| *j != i) {
                    for k in tree_keys(other).difference(&tree) {
                        let mine = !window.contains(k) || (name == "l.yaml" && i == 0);
                        assert!(mine, "{name} #{i}: key {k} of document #{j} in its window");
                    }
                }
            }
        }
    }

    /// The loader tells a document's shape and identity from the same fields whether or not a
    /// projection skips all that a program does not read: the values it reads are those of
    /// [`crate::project::LOADER_NAMES`], and the keys it only looks for stay as placeholders.
    #[test]
    fn shapes_and_identities_survive_the_narrowest_projection() {
        let mut symbols = Symbols::default();
        for name in crate::doc::KNOWN.iter().chain(crate::project::LOADER_NAMES) {
            symbols.intern(name);
        }
        let symbols = Arc::new(symbols);
        let narrowest = Arc::new(Projection::keeping(&symbols, &[], &[]).unwrap());
        let statement = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[]}"#;
        let payload = crate::builtins::base64_encode(statement.as_bytes());
        let dsse = format!(
            r#"{{"payloadType": "application/vnd.in-toto+json", "payload": "{payload}", "signatures": []}}"#
        );
        let inputs = [
            r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "n"}}"#,
            r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}}]}"#,
            r#"{"SchemaVersion": 2, "ArtifactName": "x", "Results": []}"#,
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}"#,
            &dsse,
            statement,
            r#"{"rootfs": {"type": "layers", "diff_ids": []}, "config": {"User": "0"}}"#,
            r#"[{"Id": "sha256:1", "Config": {}, "RootFS": {"Type": "layers"}}]"#,
        ];
        let seen = |l: &Loaded| -> Vec<String> {
            l.docs
                .iter()
                .map(|d| {
                    format!(
                        "{} {:?} {:?} {:?}",
                        d.meta.format, d.meta.kind, d.meta.name, d.meta.namespace
                    )
                })
                .collect()
        };
        for input in inputs {
            let limits = Limits::default();
            let full = load_projected("x.json", input.as_bytes(), None, &symbols, &limits, None);
            let narrow = load_projected(
                "x.json",
                input.as_bytes(),
                None,
                &symbols,
                &limits,
                Some(&narrowest),
            );
            assert!(full.errors.is_empty() && narrow.errors.is_empty(), "{input}");
            assert!(!full.docs.is_empty(), "{input}");
            assert_eq!(seen(&full), seen(&narrow), "{input}");
        }
    }
}
