//! Guarantees of the engine's embedding API: a compiled program is `Send + Sync`, evaluation
//! gives the same output whatever the thread count, and cross-document rules see every input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed assumption should fail the test loudly"
)]

use ward::{Limits, Options, Source};

fn assert_send_sync<T: Send + Sync>() {}

/// The policy of one module `src` with the standard library; its diagnostics, rendered, when it
/// does not build.
fn policy(src: &str) -> ward::Policy {
    ward::build(&[Source { name: "t.ward".into(), text: src.into() }]).unwrap_or_else(|e| {
        panic!("{}", ward::render::diagnostics(&e.sources, &e.diagnostics, false));
    })
}

/// The outcome of the policy's own rules (not the standard library's) over YAML `input`.
fn run_user_rules(policy: &ward::Policy, input: &[u8]) -> ward::Outcome {
    let docs = policy.load("m.yaml", input, None, &Limits::default()).docs;
    policy
        .compiled
        .evaluate(&docs, &Options { rules: Some(policy.user_rules()), ..Options::default() })
}

#[test]
fn compiled_programs_are_send_and_sync() {
    assert_send_sync::<ward::Compiled>();
    assert_send_sync::<ward::Policy>();
}

fn manifests(n: usize) -> String {
    (0..n)
        .map(|i| {
            let privileged = i % 3 == 0;
            let image = if i % 2 == 0 { "nginx" } else { "nginx:1.25" };
            format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata: {{ name: p{i}, namespace: ns{} }}\nspec:\n  containers:\n  - name: c{i}\n    image: {image}\n    securityContext: {{ privileged: {privileged} }}\n",
                i % 4
            )
        })
        .collect()
}

#[test]
fn output_order_does_not_depend_on_threads() {
    let policy = ward::build(&[]).unwrap();
    let text = manifests(300);
    let docs = policy.load("m.yaml", text.as_bytes(), None, &Limits::default()).docs;
    let all: Vec<u32> = (0..policy.compiled.program.rules.len() as u32).collect();
    let seq = policy.compiled.evaluate(
        &docs,
        &Options { rules: Some(all.clone()), sequential: true, ..Options::default() },
    );
    let par = policy
        .compiled
        .evaluate(&docs, &Options { rules: Some(all), sequential: false, ..Options::default() });
    assert!(!seq.findings.is_empty());
    assert_eq!(seq.findings, par.findings);
    let lines: Vec<u32> = seq.findings.iter().map(|f| f.line()).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "findings come in document order");
}

#[test]
fn cross_document_rules_see_every_input() {
    let src = r#"
module t
use k8s.{Workload, NetworkPolicy}

@id("T-ISOLATED")
rule isolated(w: Workload, all: Inputs) {
  let selecting = all.of(NetworkPolicy)
    .filter(p => (p.metadata?.namespace ?? "default") == w.namespace() && selector_matches(p.spec?.podSelector, w.pod_labels()))
  if selecting.is_empty() {
    deny "no NetworkPolicy selects the pods of {w.kind} `{w.metadata?.name ?? ""}`"
  }
}
"#;
    let policy = policy(src);
    let input = "apiVersion: v1\nkind: Pod\nmetadata: { name: a, namespace: x, labels: { app: a } }\nspec: { containers: [] }\n---\napiVersion: v1\nkind: Pod\nmetadata: { name: b, namespace: y, labels: { app: b } }\nspec: { containers: [] }\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: np, namespace: x }\nspec: { podSelector: { matchLabels: { app: a } } }\n";
    let out = run_user_rules(&policy, input.as_bytes());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let names: Vec<_> =
        out.findings.iter().map(|f| f.doc().name.as_deref().unwrap_or("")).collect();
    assert_eq!(names, ["b"]);
}

#[test]
fn a_budget_stops_a_runaway_rule_with_an_error() {
    let src = "module t\nuse k8s.{Pod}\n@id(\"T\") rule r(p: Pod) { for a in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], b in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], c in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] { if a + b + c == 0 { deny \"x\" } } }\n";
    let policy = policy(src);
    let docs = policy.load("m.yaml", b"apiVersion: v1\nkind: Pod\n", None, &Limits::default()).docs;
    let out = policy.compiled.evaluate(
        &docs,
        &Options { rules: Some(policy.user_rules()), max_steps: Some(100), ..Options::default() },
    );
    assert_eq!(out.errors.len(), 1);
    assert!(
        out.errors[0].error.to_string().contains("budget of 100 steps"),
        "{}",
        out.errors[0].error
    );
}

#[test]
fn inputs_are_indexed_by_kind_and_namespace() {
    let src = r#"
module t
use k8s.{Workload, ConfigMap}

@id("T-CONFIG")
rule config_in_namespace(w: Workload, all: Inputs) {
  let maps = all.of(ConfigMap, w.namespace())
  deny "{len(maps)} config maps beside {w.metadata?.name ?? ""}"
}
"#;
    let policy = policy(src);
    let input = "apiVersion: v1\nkind: Pod\nmetadata: { name: a, namespace: x }\nspec: { containers: [] }\n---\napiVersion: v1\nkind: Pod\nmetadata: { name: b }\nspec: { containers: [] }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: c1, namespace: x }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: c2, namespace: x }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: c3 }\n";
    let out = run_user_rules(&policy, input.as_bytes());
    let msgs: Vec<_> = out.findings.iter().map(|f| f.message()).collect();
    assert_eq!(msgs, ["2 config maps beside a", "1 config maps beside b"]);
}

#[test]
fn a_string_where_the_schema_says_list_is_a_mismatch_not_a_substring() {
    let src = "module t\nuse k8s.{Pod}\n@id(\"T\") rule r(p: Pod) {\n  for c in p.spec?.containers ?? [] {\n    if \"ALL\" not in (c.securityContext?.capabilities?.drop ?? []) { deny \"x\" }\n  }\n}\n";
    let policy = policy(src);
    let input = b"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    securityContext: { capabilities: { drop: ALL } }\n";
    let out = run_user_rules(&policy, input);
    assert!(out.findings.is_empty());
    assert_eq!(out.errors.len(), 1);
    assert!(
        out.errors[0].error.to_string().contains("expected a list, found a string"),
        "{}",
        out.errors[0].error
    );
}

/// Evaluations reuse per-thread storage (slot vectors, the memo, rule selection by document
/// identity): programs evaluated in turns on one thread, one document at a time, each still
/// runs its own rules, and a program's findings do not depend on what ran before.
#[test]
fn programs_evaluated_in_turns_on_one_thread_keep_their_own_rules() {
    let program = |id: &str, field: &str| {
        let text = format!(
            "module p\nuse k8s.{{Pod}}\n@id(\"{id}\") rule r(p: Pod) {{\n  if p.spec?.{field} == true {{ deny \"{id}\" }}\n}}\n"
        );
        ward::build(&[Source { name: "p.ward".into(), text }]).unwrap()
    };
    let (a, b) = (program("A", "hostNetwork"), program("B", "hostPID"));
    let pod = b"{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"hostNetwork\": true, \"hostPID\": true}}";
    let run = |p: &ward::Policy| {
        let docs = p.load("p.json", pod, None, &Limits::default()).docs;
        let opts = Options { rules: Some(p.user_rules()), sequential: true, ..Options::default() };
        p.compiled
            .evaluate(&docs, &opts)
            .findings
            .iter()
            .map(|f| f.rule().to_string())
            .collect::<Vec<_>>()
    };
    for _ in 0..3 {
        assert_eq!(run(&a), ["A"]);
        assert_eq!(run(&b), ["B"]);
    }
}

/// A rule that fails part-way loses the findings it made, and only those: the findings of the
/// rules before and after it, on the same document and the next, keep their texts.
#[test]
fn a_failing_rule_drops_only_its_own_findings() {
    let src = r#"
module t

@id("A") rule a(d: D) { deny "a {d.name}" at d.items[0].x }
@id("B") rule b(d: D) {
  for i in d.items { deny "b {i.x}" at i.x fix set i.y = "z" }
  for i in d.items { if i.n + 1 < 0 { deny "never" } }
}
@id("C") rule c(d: D) { deny "c {d.name}" at d.items[1].y fix set d.items[1].y = "w" }

kind D = { kind: "D", name: string, items: list<{ x: string, n: any, y: string? }> }
"#;
    let policy = policy(src);
    // The first document's second item has a string where `n + 1` needs a number.
    let text = "kind: D\nname: one\nitems: [{x: p, n: 1}, {x: q, n: two}]\n---\nkind: D\nname: two\nitems: [{x: r, n: 1}, {x: s, n: 2}]\n";
    let loaded = policy.load("d.yaml", text.as_bytes(), None, &Limits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let out = policy.compiled.evaluate(
        &loaded.docs,
        &Options { rules: Some(policy.user_rules()), sequential: true, ..Options::default() },
    );
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert_eq!(out.errors[0].rule, "B");
    let got: Vec<String> = out
        .findings
        .iter()
        .map(|f| {
            let fix = f.fix().map(|ops| serde_json::to_string(&ops.collect::<Vec<_>>()).unwrap());
            format!("{} {} {} {}", f.rule(), f.message(), f.pointer(), fix.unwrap_or_default())
        })
        .collect();
    assert_eq!(
        got,
        [
            "A a one /items/0/x ",
            r#"C c one /items/1/y [{"op":"add","path":"/items/1/y","value":"w"}]"#,
            "A a two /items/0/x ",
            r#"B b r /items/0/x [{"op":"add","path":"/items/0/y","value":"z"}]"#,
            r#"B b s /items/1/x [{"op":"add","path":"/items/1/y","value":"z"}]"#,
            r#"C c two /items/1/y [{"op":"add","path":"/items/1/y","value":"w"}]"#,
        ]
    );
}

/// Evaluations one after another on one thread, each with another selection of rules (the
/// frame remembers the rules of a document's kind filtered by the last selection), each give
/// the findings of exactly the rules they select, in rule order.
#[test]
fn each_evaluation_runs_the_rules_it_selects() {
    let policy = ward::build(&[]).unwrap();
    let text = manifests(6);
    let docs = policy.load("m.yaml", text.as_bytes(), None, &Limits::default()).docs;
    let count = policy.compiled.program.rules.len() as u32;
    let every = policy
        .compiled
        .evaluate(&docs, &Options { rules: None, sequential: true, ..Options::default() });
    let found: std::collections::BTreeSet<&str> = every.findings.iter().map(|f| f.rule()).collect();
    let index = |id: &str| policy.compiled.program.rules.iter().position(|r| r.id == id).unwrap();
    let ids: Vec<&str> = found.iter().copied().collect();
    assert!(ids.len() >= 3, "{ids:?}");
    let selections: Vec<Vec<u32>> = vec![
        vec![index(ids[0]) as u32],
        vec![index(ids[1]) as u32],
        vec![index(ids[0]) as u32, index(ids[2]) as u32],
        vec![index(ids[1]) as u32],
        (0..count).collect(),
        vec![],
        vec![index(ids[2]) as u32],
    ];
    for sel in selections {
        for sequential in [true, false] {
            let out = policy.compiled.evaluate(
                &docs,
                &Options { rules: Some(sel.clone()), sequential, ..Options::default() },
            );
            let want: Vec<_> =
                every.findings.iter().filter(|f| sel.contains(&(index(f.rule()) as u32))).collect();
            let got: Vec<_> = out.findings.iter().collect();
            assert_eq!(got, want, "selection {sel:?}, sequential {sequential}");
        }
    }
}

#[test]
fn messages_show_fields_read_from_locals() {
    // Fields of a document node (a string, an absent field, an int, a bool) and of a value
    // made by the policy, each read through a local.
    let src = r#"
module t
use k8s.{Pod}

fn loose(x: any) -> any {
  x
}

@id("T-FIELDS")
rule r(p: Pod) {
  let n = loose({"name": "made"})
  for c in p.spec?.containers ?? [] {
    deny "{c.name} {c.image} {c.securityContext?.runAsUser} {c.securityContext?.privileged} {n.name}"
  }
}
"#;
    let policy = policy(src);
    let input = "apiVersion: v1\nkind: Pod\nmetadata: { name: a }\nspec:\n  containers:\n  - name: app\n    securityContext: { runAsUser: 7, privileged: true }\n  - name: side\n    image: side:1\n";
    let out = run_user_rules(&policy, input.as_bytes());
    let msgs: Vec<_> = out.findings.iter().map(|f| f.message()).collect();
    assert_eq!(msgs, ["app null 7 true made", "side side:1 null null made"]);
}

#[test]
fn pointers_are_those_of_each_document() {
    // Findings at containers of several documents, in two evaluations on one thread: a pointer
    // remembered for one document must not be given for another.
    let src = r#"
module t
use k8s.{Workload}

@id("T-PTR")
rule r(w: Workload) {
  for c in w.containers() {
    deny "{c.name}" at c.securityContext.privileged
  }
}
"#;
    let policy = policy(src);
    let pod = |containers: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{ name: p }}\nspec:\n{containers}")
    };
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec:\n  template:\n    spec:\n      initContainers: [{ name: i }]\n      containers: [{ name: a, securityContext: {} }, { name: b }]\n";
    let run = |input: String| {
        let docs = policy.load("m.yaml", input.as_bytes(), None, &Limits::default()).docs;
        let opts =
            Options { rules: Some(policy.user_rules()), sequential: true, ..Default::default() };
        let out = policy.compiled.evaluate(&docs, &opts);
        out.findings.iter().map(|f| format!("{} {}", f.message(), f.pointer())).collect::<Vec<_>>()
    };
    let first = run(format!(
        "{}---\n{deploy}---\n{}",
        pod("  containers: [{ name: x }, { name: y }]\n"),
        pod("  initContainers: [{ name: z }]\n  containers: [{ name: w }]\n")
    ));
    assert_eq!(
        first,
        [
            "x /spec/containers/0/securityContext/privileged",
            "y /spec/containers/1/securityContext/privileged",
            "i /spec/template/spec/initContainers/0/securityContext/privileged",
            "a /spec/template/spec/containers/0/securityContext/privileged",
            "b /spec/template/spec/containers/1/securityContext/privileged",
            "z /spec/initContainers/0/securityContext/privileged",
            "w /spec/containers/0/securityContext/privileged",
        ]
    );
    // The same positions in the stream, other documents.
    let second = run(format!(
        "{deploy}---\n{}",
        pod("  ephemeralContainers: [{ name: e }]\n  containers: [{ name: q }]\n")
    ));
    assert_eq!(
        second,
        [
            "i /spec/template/spec/initContainers/0/securityContext/privileged",
            "a /spec/template/spec/containers/0/securityContext/privileged",
            "b /spec/template/spec/containers/1/securityContext/privileged",
            "q /spec/containers/0/securityContext/privileged",
            "e /spec/ephemeralContainers/0/securityContext/privileged",
        ]
    );
}
