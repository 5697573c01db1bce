//! Projection is invisible: the whole standard library, every rule, finds exactly the same
//! things (findings, positions, fixes, rule errors, load errors) in documents loaded with and
//! without projection. Inputs: the Pod Security Standards fixtures and the examples (as JSON),
//! the JSON samples and Trivy reports, generated manifests, and malformed JSON.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests fail loudly"
)]

mod common;
#[path = "../benches/common/mod.rs"]
mod generated;

use ward::{Limits, Options, Policy, build};

/// Every JSON document text to compare on: YAML inputs are converted (projection applies to
/// JSON only).
fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    for dir in ["examples", "tests/inputs/samples", "benches/corpus"] {
        files.extend(common::files_under(&common::root().join(dir)));
    }
    if let Some(shared) = common::shared() {
        files.extend(common::files_under(&shared.join("conformance")));
        files.extend(common::files_under(&shared.join("samples")));
    }
    let empty = build(&[]).unwrap();
    for f in files {
        let name = f.display().to_string();
        let bytes = std::fs::read(&f).unwrap();
        if name.ends_with(".json") {
            out.push((name, bytes));
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            let loaded = empty.load(&name, &bytes, None, &Limits::default());
            let json: Vec<String> = loaded.docs.iter().map(|d| d.to_json().to_string()).collect();
            out.push((format!("{name}.ndjson"), json.join("\n").into_bytes()));
        }
    }
    out.push(("generated.ndjson".into(), generated::manifests_json(500).join("\n").into_bytes()));
    for (i, bad) in [
        r#"{"apiVersion": "v1", "kind": "Pod", "spec": {"x": {"a": 1, "a": 2}}}"#,
        r#"{"apiVersion": "v1", "kind": "Pod", "spec": {"x": [1, 2,]}}"#,
        r#"{"apiVersion": "v1", "kind": "Pod", "zzz": {"y": tru}}"#,
        r#"{"apiVersion": "v1", "kind": "Pod", "zzz": [[[[[[[[[[[[1]]]]]]]]]]]]}"#,
        r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"a": "b", "a": "c"}}}"#,
    ]
    .iter()
    .enumerate()
    {
        out.push((format!("bad{i}.json"), bad.as_bytes().to_vec()));
    }
    out
}

/// Findings and errors as JSON, loading with or without projection.
fn run(policy: &Policy, inputs: &[(String, Vec<u8>)], projected: bool) -> serde_json::Value {
    let rules: Vec<u32> = (0..policy.compiled.program.rules.len() as u32).collect();
    let projection = if projected { policy.compiled.projection(Some(&rules)) } else { None };
    if projected {
        assert!(projection.is_some(), "the standard library should be projectable");
    }
    let limits = Limits { max_depth: 8, ..Limits::default() };
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for (name, bytes) in inputs {
        let l = policy.load_projected(name, bytes, None, &limits, projection.as_ref());
        docs.extend(l.docs);
        errors.extend(l.errors);
    }
    let out =
        policy.compiled.evaluate(&docs, &Options { rules: Some(rules), ..Options::default() });
    serde_json::json!({ "findings": out.findings, "rule_errors": out.errors, "errors": errors })
}

#[test]
fn stdlib_finds_the_same_with_projection() {
    let policy = build(&[]).unwrap();
    let inputs = inputs();
    let plain = run(&policy, &inputs, false);
    let projected = run(&policy, &inputs, true);
    assert!(plain["findings"].as_array().unwrap().len() > 100, "too few findings to compare");
    assert!(!plain["errors"].as_array().unwrap().is_empty(), "no load errors to compare");
    if plain != projected {
        let (a, b) =
            (plain["findings"].as_array().unwrap(), projected["findings"].as_array().unwrap());
        let first = a.iter().zip(b).find(|(x, y)| x != y);
        panic!(
            "projection changed the outcome: {} vs {} findings; first difference: {first:#?}; errors equal: {}",
            a.len(),
            b.len(),
            plain["errors"] == projected["errors"]
        );
    }
}

#[test]
fn projection_skips_unread_subtrees() {
    let policy = build(&[ward::Source {
        name: "p.ward".into(),
        text: "module p\nuse k8s.{Pod}\n@id(\"P\")\nrule r(p: Pod) {\n  if p.spec?.hostNetwork == true { deny \"host\" }\n}\n".into(),
    }])
    .unwrap();
    let rules = policy.user_rules();
    let projection = policy.compiled.projection(Some(&rules)).unwrap();
    let doc = br#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x", "labels": {"a": "b"}}, "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]}}"#;
    let full = policy.load("p.json", doc, None, &Limits::default());
    let proj = policy.load_projected("p.json", doc, None, &Limits::default(), Some(&projection));
    let j = proj.docs[0].to_json();
    assert!(
        proj.docs[0].arena.nodes.len() < full.docs[0].arena.nodes.len(),
        "{j} {} {}",
        proj.docs[0].arena.nodes.len(),
        full.docs[0].arena.nodes.len()
    );
    assert_eq!(j["spec"]["containers"], serde_json::Value::Null);
    assert_eq!(j["metadata"]["name"], "x");
    let opts = Options { rules: Some(rules), ..Options::default() };
    assert_eq!(
        policy.compiled.evaluate(&full.docs, &opts).findings,
        policy.compiled.evaluate(&proj.docs, &opts).findings
    );
}
