//! Skipping rules is invisible in the findings: a rule is skipped on a document only where it
//! cannot find anything (the document lacks a field each of its findings reads, see
//! `Compiled::needed_fields`), so evaluating with and without skipping gives the same findings.
//! Checked on the whole standard library over every input the project has, and on small
//! policies written to tempt the analysis into a wrong skip (values built by the policy,
//! defaults that equal the compared constant, other documents, `else` branches, floats).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests fail loudly"
)]

mod common;
#[path = "../benches/common/mod.rs"]
mod generated;

use ward::{Limits, Options, Policy, Source, build};

/// Every input document the project has (and the shared conformance fixtures and samples, when
/// present), plus generated manifests, loaded as the CLI loads them: projected to what `policy`
/// reads.
fn documents(policy: &Policy) -> Vec<ward_engine::doc::Document> {
    let mut files = Vec::new();
    for dir in ["examples", "tests/inputs", "benches/corpus"] {
        files.extend(common::files_under(&common::root().join(dir)));
    }
    if let Some(shared) = common::shared() {
        files.extend(common::files_under(&shared.join("conformance")));
        files.extend(common::files_under(&shared.join("samples")));
    }
    let mut inputs: Vec<(String, Vec<u8>)> =
        files.iter().map(|f| (f.display().to_string(), std::fs::read(f).unwrap())).collect();
    inputs.push(("dense.ndjson".into(), generated::manifests_json(300).join("\n").into_bytes()));
    inputs.push((
        "compliant.ndjson".into(),
        generated::compliant_manifests_json(300).join("\n").into_bytes(),
    ));
    let rules: Vec<u32> = (0..policy.compiled.program.rules.len() as u32).collect();
    let projection = policy.compiled.projection(Some(&rules));
    let mut docs = Vec::new();
    for (name, bytes) in &inputs {
        docs.extend(
            policy.load_projected(name, bytes, None, &Limits::default(), projection.as_ref()).docs,
        );
    }
    docs
}

/// Evaluates every rule of `policy` over `docs` with and without skipping: the findings must be
/// equal, and skipping may only drop rule errors. Returns how many (rule, document) pairs were
/// skipped.
fn compare(policy: &Policy, docs: &[ward_engine::doc::Document]) -> usize {
    let rules: Vec<u32> = (0..policy.compiled.program.rules.len() as u32).collect();
    let opts =
        Options { rules: Some(rules.clone()), max_steps: Some(1_000_000), ..Options::default() };
    let skipping = policy.compiled.evaluate(docs, &opts);
    let every = policy.compiled.evaluate(docs, &Options { run_every_rule: true, ..opts });
    if skipping.findings != every.findings {
        let first = skipping.findings.iter().zip(&every.findings).find(|(a, b)| a != b);
        panic!(
            "skipping changed the findings: {} vs {}; first difference: {first:#?}",
            skipping.findings.len(),
            every.findings.len()
        );
    }
    for e in &skipping.errors {
        assert!(every.errors.contains(e), "a rule error only with skipping: {e:?}");
    }
    docs.iter().map(|d| rules.iter().filter(|r| policy.compiled.skips(**r, d)).count()).sum()
}

#[test]
fn stdlib_finds_the_same_skipping_rules() {
    let policy = build(&[]).unwrap();
    let docs = documents(&policy);
    assert!(docs.len() > 600, "too few documents: {}", docs.len());
    let skipped = compare(&policy, &docs);
    assert!(skipped > docs.len(), "the analysis skipped almost nothing: {skipped}");
    // The same documents made without the loader's edge windows: their own trees are walked,
    // which skips the same rules, or more where a window starts early.
    let walked: Vec<_> = docs
        .iter()
        .map(|d| {
            let m = &d.meta;
            ward_engine::doc::Document::new(
                d.arena.clone(),
                d.root,
                m.file.clone(),
                m.index,
                m.format.clone(),
            )
        })
        .collect();
    let walked_skips = compare(&policy, &walked);
    assert!(walked_skips >= skipped, "{walked_skips} skips walking, {skipped} by windows");
}

/// A policy of one rule over pods, its expected needed fields (each alternative's fields
/// sorted), and pods (YAML) to compare on.
struct Case {
    name: &'static str,
    body: &'static str,
    needs: &'static [&'static [&'static str]],
}

const PODS: &[&str] = &[
    "spec: {}",
    "spec: {containers: [{name: a}]}",
    "spec: {containers: [{name: a, securityContext: {}}]}",
    "spec: {containers: [{name: a, securityContext: {privileged: true}}]}",
    "spec: {containers: [{name: a, securityContext: {privileged: false, runAsUser: 0}}]}",
    "spec: {containers: [{name: a, securityContext: {runAsUser: 1.0}}], hostNetwork: true}",
    "spec: {containers: [{name: a, args: [x, null]}], securityContext: {runAsUser: 5}}",
    "metadata: {labels: {privileged: 'true'}}\nspec: {containers: [{name: a, image: x}]}",
    "spec: {containers: 5}",
];

const CASES: &[Case] = &[
    Case {
        name: "a field compared with true needs the field",
        body: "for c in p.spec?.containers ?? [] {\n if c.securityContext?.privileged == true { deny \"x\" }\n}",
        needs: &[&["containers", "privileged", "securityContext", "spec"]],
    },
    Case {
        name: "a field of a value the policy builds needs nothing",
        body: "for c in p.spec?.containers ?? [] {\n let sc = c.securityContext ?? {privileged: true}\n if untyped(sc).privileged == true { deny \"x\" }\n}",
        needs: &[&["containers", "spec"]],
    },
    Case {
        name: "a default equal to the constant needs nothing",
        body: "for c in p.spec?.containers ?? [] {\n if (c.securityContext?.runAsUser ?? 0) == 0 { deny \"x\" }\n}",
        needs: &[&["containers", "spec"]],
    },
    Case {
        name: "a default differing from the constant needs the field",
        body: "for c in p.spec?.containers ?? [] {\n if (c.securityContext?.runAsUser ?? 0) != 0 { deny \"x\" }\n}",
        needs: &[&["containers", "runAsUser", "securityContext", "spec"]],
    },
    Case {
        name: "a float default may equal an int constant",
        body: "for c in p.spec?.containers ?? [] {\n if (c.securityContext?.runAsUser ?? 0) != 1.0 { deny \"x\" }\n}",
        needs: &[&["containers", "spec"]],
    },
    Case {
        name: "an else branch needs what makes the condition false",
        body: "if p.spec?.hostNetwork == true { } else { deny \"x\" }",
        needs: &[],
    },
    Case {
        name: "a test for absence needs nothing",
        body: "if !exists(p.spec?.securityContext?.runAsUser) { deny \"x\" }",
        needs: &[],
    },
    Case {
        name: "either of two fields",
        body: "if exists(p.spec?.securityContext?.runAsUser) || p.spec?.hostNetwork == true { deny \"x\" }",
        needs: &[&["hostNetwork", "spec"], &["runAsUser", "securityContext", "spec"]],
    },
    Case {
        name: "membership in a list of strings with the default in it",
        body: "for c in p.spec?.containers ?? [] {\n if (c.image ?? \"\") not in [\"\", \"nginx\"] { deny \"x\" }\n}",
        needs: &[&["containers", "image", "spec"]],
    },
    Case {
        name: "membership in a list that may hold null needs nothing",
        body: "for c in p.spec?.containers ?? [] {\n if c.image not in untyped(c.args ?? []) { deny \"x\" }\n}",
        needs: &[&["containers", "spec"]],
    },
    Case {
        name: "fields of other documents count for nothing",
        body: "for q in all.of(Pod) {\n if q.spec?.hostNetwork == true { deny \"x\" }\n}",
        needs: &[],
    },
    Case {
        name: "fields of a document literal count for nothing",
        body: "let d = untyped(yaml\"\"\"\n    spec: {hostNetwork: true}\n  \"\"\")\n if d.spec.hostNetwork == true && exists(p.spec) { deny \"x\" }",
        needs: &[&["spec"]],
    },
    Case {
        name: "a function's needs are its body's",
        body: "for c in p.spec?.containers ?? [] {\n if root(c) { deny \"x\" }\n}",
        needs: &[&["containers", "runAsUser", "securityContext", "spec"]],
    },
    Case {
        name: "a test that passes when the field is absent needs nothing",
        body: "if p.spec?.hostNetwork != true { deny \"x\" }",
        needs: &[],
    },
    Case {
        name: "the keys of a map need the map",
        body: "for k in keys(p.metadata?.labels ?? {}) {\n if k == \"privileged\" { deny \"x\" }\n}",
        needs: &[&["labels", "metadata"]],
    },
    Case {
        name: "a match needs what each arm needs",
        body: "let v = match p.spec?.hostNetwork { true => p.spec?.hostPID, _ => p.spec?.hostIPC }\n if v == true { deny \"x\" }",
        needs: &[&["hostIPC", "spec"], &["hostPID", "spec"]],
    },
    Case {
        name: "a rule without findings is never skipped",
        body: "let x = p.spec?.hostNetwork",
        needs: &[],
    },
];

fn policy(case: &Case) -> Policy {
    let inputs = if case.body.contains("all.of") { ", all: Inputs" } else { "" };
    let text = format!(
        "module t\nuse k8s.{{Pod}}\nfn untyped(x: any) -> any {{ x }}\nfn root(c: k8s.Container) -> bool {{\n  (c.securityContext?.runAsUser ?? 0) == 0 && exists(c.securityContext?.runAsUser)\n}}\n@id(\"T\")\nrule r(p: Pod{inputs}) {{\n{}\n}}\n",
        case.body
    );
    build(&[Source { name: "t.ward".into(), text }])
        .unwrap_or_else(|e| panic!("{}: {e:?}", case.name))
}

#[test]
fn small_policies_need_what_they_read() {
    for case in CASES {
        let policy = policy(case);
        let rule = policy.user_rules()[0];
        let mut got: Vec<Vec<&str>> = policy
            .compiled
            .needed_fields(rule)
            .into_iter()
            .map(|mut alt| {
                alt.sort_unstable();
                alt
            })
            .collect();
        got.sort();
        let want: Vec<Vec<&str>> = case.needs.iter().map(|a| a.to_vec()).collect();
        assert_eq!(got, want, "{}", case.name);
        let text: String =
            PODS.iter().map(|p| format!("---\napiVersion: v1\nkind: Pod\n{p}\n")).collect();
        let loaded = policy.load("pods.yaml", text.as_bytes(), None, &Limits::default());
        assert!(loaded.errors.is_empty(), "{}: {:?}", case.name, loaded.errors);
        let opts = Options { rules: Some(vec![rule]), ..Options::default() };
        let skipping = policy.compiled.evaluate(&loaded.docs, &opts);
        let every =
            policy.compiled.evaluate(&loaded.docs, &Options { run_every_rule: true, ..opts });
        assert_eq!(skipping.findings, every.findings, "{}", case.name);
    }
}
