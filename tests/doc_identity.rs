//! A document's identity (`DocMeta`: apiVersion, kind, namespace, name, format, index, file)
//! is what a plain reading of its arena says, however the loader finds it (the identity fields
//! found once and shared per thread, the shape recognised from them): checked over every input
//! the test suite has, with and without projection, with a program that knows the identity
//! names and with one that knows none, and over edge cases.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests fail loudly"
)]

mod common;
#[path = "../benches/common/mod.rs"]
mod generated;

use std::sync::Arc;

use ward::{Limits, build};
use ward_engine::doc::{Arena, Document, NodeId, Symbols};
use ward_engine::load::{self, Format};

/// The identity of `d` read plainly from its arena, field by field, as text.
type Meta = (Option<String>, Option<String>, Option<String>, Option<String>, String);

fn reference(d: &Document, format: &str) -> Meta {
    let a = &d.arena;
    let s = |n: Option<NodeId>| n.and_then(|n| a.str(n)).map(str::to_string);
    let meta = a.get_str(d.root, "metadata");
    (
        s(a.get_str(d.root, "apiVersion")),
        s(a.get_str(d.root, "kind")),
        s(meta.and_then(|m| a.get_str(m, "namespace"))),
        s(meta.and_then(|m| a.get_str(m, "name"))),
        reference_shape(a, d.root, format).to_string(),
    )
}

/// The format name of a document at `root`: recognised report shapes, else the loader's.
fn reference_shape<'a>(a: &Arena, root: NodeId, format: &'a str) -> &'a str {
    let has = |k: &str| a.get_str(root, k).is_some();
    let text = |k: &str| a.get_str(root, k).and_then(|n| a.str(n));
    if has("apiVersion") && has("kind") {
        format
    } else if has("SchemaVersion") && has("ArtifactName") {
        "trivy"
    } else if text("bomFormat") == Some("CycloneDX") {
        "cyclonedx"
    } else if has("payloadType") && has("payload") && has("signatures") {
        "dsse"
    } else if text("_type").is_some_and(|t| t.starts_with("https://in-toto.io/Statement")) {
        "in-toto"
    } else if has("rootfs") && has("config") {
        "image-config"
    } else if has("Id") && has("RootFS") && has("Config") {
        "docker-inspect"
    } else {
        format
    }
}

fn actual(d: &Document) -> Meta {
    let m = &d.meta;
    let s = |t: &Option<Arc<str>>| t.as_deref().map(str::to_string);
    (s(&m.api_version), s(&m.kind), s(&m.namespace), s(&m.name), m.format.to_string())
}

/// The programs documents are loaded for: the standard library's (its key table and its
/// projection), and one that knows no names.
fn programs() -> [(Arc<Symbols>, Option<Arc<ward::Projection>>); 2] {
    let policy = build(&[]).unwrap();
    [
        (policy.compiled.symbols.clone(), policy.compiled.projection(None)),
        (Arc::new(Symbols::default()), None),
    ]
}

/// Loads `bytes` every way; checks every document's identity; returns how many were checked.
fn check(
    programs: &[(Arc<Symbols>, Option<Arc<ward::Projection>>)],
    name: &str,
    bytes: &[u8],
) -> usize {
    let mut n = 0;
    for (symbols, projection) in programs {
        for p in [None, projection.as_ref()] {
            let l = load::load_projected(name, bytes, None, symbols, &Limits::default(), p);
            let format = load::detect(name).unwrap_or(Format::Yaml).as_str();
            for (i, d) in l.docs.iter().enumerate() {
                assert_eq!(d.meta.index, i as u32, "{name}");
                assert_eq!(&*d.meta.file, name);
                // A statement decoded from a DSSE envelope is JSON whatever its file.
                let format = if &*d.meta.format == "in-toto" { "json" } else { format };
                let want = reference(d, format);
                assert_eq!(actual(d), want, "{name}: document {i}");
                n += 1;
            }
        }
    }
    n
}

#[test]
fn identity_is_read_from_the_arena() {
    let programs = programs();
    let files = common::all_inputs();
    let mut n = 0;
    for f in &files {
        n += check(&programs, &f.display().to_string(), &std::fs::read(f).unwrap());
    }
    let ndjson = generated::manifests_json(300).join("\n");
    n += check(&programs, "generated.ndjson", ndjson.as_bytes());
    for (i, pod) in generated::pods_json(50).iter().enumerate() {
        n += check(&programs, &format!("pod{i}.json"), pod.as_bytes());
    }
    assert!(n > 1_500, "only {n} documents checked");
}

#[test]
fn identity_edge_cases() {
    let programs = programs();
    let long = "n".repeat(100);
    let cases = [
        r#"{"apiVersion": 1, "kind": "Pod", "metadata": {"name": "a"}}"#.to_string(),
        r#"{"apiVersion": "v1", "kind": ["Pod"], "metadata": {"name": 2, "namespace": null}}"#.into(),
        r#"{"kind": "Pod"}"#.into(),
        r#"{"metadata": "x", "kind": "Pod", "apiVersion": "v1"}"#.into(),
        r#"{"metadata": [{"name": "x"}], "apiVersion": "v1"}"#.into(),
        r#"{"spec": {}, "metadata": {"labels": {"name": "no"}, "namespace": "ns", "name": "n"}, "kind": "Pod", "apiVersion": "v1"}"#.into(),
        r#"{"metadata": {}, "apiVersion": "v1", "kind": "Pod"}"#.into(),
        format!(r#"{{"apiVersion": "{long}", "kind": "{long}", "metadata": {{"namespace": "{long}", "name": "{long}"}}}}"#),
        r#"{"apiVersion": "é/v1", "kind": "Pöd", "metadata": {"namespace": "ü", "name": "😀"}}"#.into(),
        r#"{"apiVersion": "", "kind": "", "metadata": {"namespace": "", "name": ""}}"#.into(),
        r#"{"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "a"}}, 3, [], {"bomFormat": "CycloneDX"}, {"apiVersion": "v1"}]}"#.into(),
        r#"{"kind": "List", "items": [{"kind": "Pod", "apiVersion": "v1"}]}"#.into(),
        r#"{"apiVersion": "v1", "kind": "PodList", "items": {"a": 1}}"#.into(),
        r#"{"apiVersion": "v1", "kind": "ServiceList", "items": []}"#.into(),
        r#"[{"Id": "sha256:1", "Config": {}, "RootFS": {}}, {"Id": "sha256:2", "Config": {}, "RootFS": {}}]"#.into(),
        r#"[{"Id": "sha256:1", "Config": {}, "RootFS": {}}, {"apiVersion": "v1", "kind": "Pod"}]"#.into(),
        r#"{"SchemaVersion": 2, "ArtifactName": "x", "kind": "Pod"}"#.into(),
        r#"{"_type": "https://in-toto.io/Statement/v1", "subject": []}"#.into(),
        r#"{"rootfs": {}, "config": {}, "apiVersion": "v1"}"#.into(),
        "3".into(),
        "null".into(),
        "[]".into(),
        r#""text""#.into(),
    ];
    for (i, c) in cases.iter().enumerate() {
        check(&programs, &format!("case{i}.json"), c.as_bytes());
        check(&programs, &format!("case{i}.ndjson"), format!("{c}\n{c}").as_bytes());
        check(&programs, &format!("case{i}.yaml"), c.as_bytes());
    }
    let yaml = "apiVersion: v1\nkind: List\nitems:\n- {kind: Pod, apiVersion: v1, metadata: {name: a, namespace: b}}\n- kind: Service\n---\nmetadata: {name: x}\nkind: Pod\n---\n---\n[1]\n";
    check(&programs, "list.yaml", yaml.as_bytes());
    // More distinct texts than the per-thread cache holds, then the first ones again.
    let many: Vec<String> = (0..40)
        .chain(0..40)
        .map(|i| {
            format!(r#"{{"apiVersion": "g{}/v1", "kind": "K{i}", "metadata": {{"namespace": "ns{}", "name": "n"}}}}"#, i % 7, i % 3)
        })
        .collect();
    for (i, m) in many.iter().enumerate() {
        check(&programs, &format!("many{}.json", i % 5), m.as_bytes());
    }
    check(&programs, "many.ndjson", many.join("\n").as_bytes());
    // A DSSE envelope and its statement.
    // The payload is `{"_type":"https://in-toto.io/Statement/v1","subject":[]}` in base64.
    let payload = "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEiLCJzdWJqZWN0IjpbXX0=";
    let env = format!(
        r#"{{"payloadType": "application/vnd.in-toto+json", "payload": "{payload}", "signatures": []}}"#
    );
    assert_eq!(check(&programs, "e.json", env.as_bytes()), 8);
}
