//! Input documents end to end: every real sample loads, is recognised as its kind, fits the
//! standard library's declaration of that kind, and can be read by rules without a run-time
//! type error; findings on Dockerfiles point at the right line.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests fail loudly"
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as J;
use ward::{Document, Limits, Options, Policy, Source, build};
use ward_lang::types::{Ty, TypeBody, TypeTable};

fn policy(files: &[&str]) -> Policy {
    let sources: Vec<Source> = files
        .iter()
        .map(|f| Source {
            name: f.to_string(),
            text: std::fs::read_to_string(common::root().join(f)).unwrap(),
        })
        .collect();
    match build(&sources) {
        Ok(p) => p,
        Err(e) => panic!("{}", ward::render::diagnostics(&e.sources, &e.diagnostics, false)),
    }
}

/// The format a sample's name suggests, `.golden` suffix aside.
fn sample_format(path: &Path) -> Option<ward::Format> {
    let name = path.file_name()?.to_str()?;
    ward_engine::load::detect(name.strip_suffix(".golden").unwrap_or(name))
}

fn load(policy: &Policy, path: &Path) -> ward_engine::load::Loaded {
    let bytes = std::fs::read(path).unwrap();
    policy.load(&path.display().to_string(), &bytes, sample_format(path), &Limits::default())
}

/// The rule a document of each loader format must be summarised by.
fn probe_rule(format: &str) -> &'static str {
    match format {
        "trivy" => "probe.trivy_report",
        "cyclonedx" => "probe.cyclonedx_bom",
        "in-toto" => "probe.intoto_statement",
        "dsse" => "probe.dsse_envelope",
        "image-config" => "probe.image_config",
        "docker-inspect" => "probe.docker_inspect",
        "dockerfile" => "probe.dockerfile",
        other => panic!("no input kind recognised (format `{other}`)"),
    }
}

/// The kind (module, name) declared for each loader format.
fn kind_of(format: &str) -> (&'static str, &'static str) {
    match format {
        "trivy" => ("trivy", "Report"),
        "cyclonedx" => ("cyclonedx", "Bom"),
        "in-toto" => ("attest", "Statement"),
        "dsse" => ("attest", "Envelope"),
        "image-config" => ("image", "ImageConfig"),
        "docker-inspect" => ("image", "ImageInspect"),
        "dockerfile" => ("docker", "Dockerfile"),
        other => panic!("no kind for format `{other}`"),
    }
}

/// Checks `v` against `ty`; pushes every mismatch as `pointer: problem`.
fn conform(types: &TypeTable, ty: &Ty, v: &J, at: &str, out: &mut Vec<String>) {
    let ty = types.resolve(ty);
    let bad =
        |out: &mut Vec<String>, what: &str| out.push(format!("{at}: expected {what}, found {v}"));
    match (&ty, v) {
        (Ty::Any | Ty::Never, _) => {}
        (Ty::Opt(inner), v) => {
            if !v.is_null() {
                conform(types, inner, v, at, out)
            }
        }
        (Ty::Null, J::Null) => {}
        (Ty::Bool, J::Bool(_)) => {}
        (Ty::Int, J::Number(n)) if n.is_i64() || n.is_u64() => {}
        (Ty::Float, J::Number(_)) => {}
        (Ty::Str, J::String(_)) => {}
        (Ty::StrLit(l), J::String(s)) if **l == **s => {}
        (Ty::Union(alts), v) => {
            let fits = alts.iter().any(|a| {
                let mut o = Vec::new();
                conform(types, a, v, at, &mut o);
                o.is_empty()
            });
            if !fits {
                bad(out, "one of a union");
            }
        }
        (Ty::List(t), J::Array(items)) => {
            for (i, x) in items.iter().enumerate() {
                conform(types, t, x, &format!("{at}/{i}"), out);
            }
        }
        (Ty::Map(_, t), J::Object(m)) => {
            for (k, x) in m {
                conform(types, t, x, &format!("{at}/{k}"), out);
            }
        }
        (Ty::Named(id), J::Object(m)) => {
            let def = types.get(*id).unwrap();
            let TypeBody::Record(fields) = &def.body else { return bad(out, &def.name) };
            for f in fields {
                match m.get(&*f.name) {
                    None | Some(J::Null) if f.optional => {}
                    None => out.push(format!("{at}: required field `{}` is absent", f.name)),
                    Some(x) => conform(types, &f.ty, x, &format!("{at}/{}", f.name), out),
                }
            }
        }
        _ => bad(out, &format!("{ty:?}")),
    }
}

fn kind_ty(types: &TypeTable, module: &str, name: &str) -> Ty {
    let (id, _) = types
        .iter()
        .find(|(_, d)| d.module == module && d.name == name)
        .unwrap_or_else(|| panic!("no kind {module}.{name}"));
    Ty::Named(id)
}

/// Evaluates the probe rules over `docs`: every document gets exactly one summary from the
/// rule of its kind, and no rule fails. Returns the summaries by document.
fn probe(policy: &Policy, docs: &[Document]) -> Vec<String> {
    let outcome =
        policy.compiled.evaluate(docs, &Options { sequential: true, ..Options::default() });
    assert!(outcome.errors.is_empty(), "rule errors: {:#?}", outcome.errors);
    let mut by_doc: BTreeMap<(String, u32), Vec<&ward::Finding>> = BTreeMap::new();
    for f in &outcome.findings {
        by_doc.entry((f.doc().file.to_string(), f.doc().index)).or_default().push(f);
    }
    let types = &policy.compiled.program.types;
    docs.iter()
        .map(|d| {
            let key = (d.meta.file.to_string(), d.meta.index);
            let fs = by_doc.get(&key).cloned().unwrap_or_default();
            let rule = probe_rule(&d.meta.format);
            let summary: Vec<&&ward::Finding> =
                fs.iter().filter(|f| f.pointer().is_empty() && f.rule() == rule).collect();
            assert_eq!(summary.len(), 1, "{key:?} ({}): {fs:#?}", d.meta.format);
            assert!(
                fs.iter().all(|f| f.rule() == rule),
                "{key:?}: another kind's rule ran: {fs:#?}"
            );
            let (module, name) = kind_of(&d.meta.format);
            let mut problems = Vec::new();
            conform(types, &kind_ty(types, module, name), &d.to_json(), "", &mut problems);
            assert!(problems.is_empty(), "{key:?} does not fit {module}.{name}: {problems:#?}");
            summary[0].message().to_string()
        })
        .collect()
}

/// `{'MEDIUM': 4, 'LOW': 1}` as the probe writes it: `LOW:1,MEDIUM:4`.
fn severities(dict: &str) -> String {
    let order = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"];
    let mut counts: Vec<(usize, String)> = dict
        .trim_matches(['{', '}'])
        .split(", ")
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once(": ").unwrap();
            let k = k.trim_matches('\'');
            (order.iter().position(|o| *o == k).unwrap(), format!("{k}:{v}"))
        })
        .collect();
    counts.sort();
    counts.into_iter().map(|(_, s)| s).collect::<Vec<_>>().join(",")
}

/// `{'DS-0002:FAIL': 1}` as the probe writes it: `DS-0002:FAIL`.
fn misconfigs(dict: &str) -> String {
    let mut out = Vec::new();
    for kv in dict.trim_matches(['{', '}']).split(", ").filter(|s| !s.is_empty()) {
        let (k, v) = kv.rsplit_once(": ").unwrap();
        for _ in 0..v.parse::<usize>().unwrap() {
            out.push(k.trim_matches('\'').to_string());
        }
    }
    out.join(",")
}

/// What the probe's summary must contain for a `FACTS.tsv` row.
fn expected_summary(format: &str, facts: &str) -> Vec<String> {
    let field = |name: &str| -> String {
        let start = facts.find(&format!("{name}=")).unwrap() + name.len() + 1;
        let rest = &facts[start..];
        let end = if rest.starts_with('{') {
            rest.find('}').unwrap() + 1
        } else {
            rest.find([' ', ';']).unwrap_or(rest.len())
        };
        rest[..end].to_string()
    };
    if format.starts_with("Trivy JSON report") {
        let user = field("imageconfig.User");
        vec![
            format!("vulns={} ", severities(&field("vulns_by_severity"))),
            format!("fixable={} ", severities(&field("fixable_by_severity"))),
            format!("misconfigs={} ", misconfigs(&field("misconfigs"))),
            format!("secrets={} ", field("secrets")),
            format!("user={} ", user.trim_matches('\'')),
        ]
    } else if format.starts_with("CycloneDX") {
        vec![format!(" {facts} ")]
    } else if format.starts_with("DSSE") {
        let subject = field("subject");
        let name = subject.split('@').next().unwrap();
        vec![format!("predicateType={} ", field("predicateType")), format!("subject={name} ")]
    } else {
        panic!("unknown sample format `{format}`")
    }
}

#[test]
fn every_sample_loads_is_recognised_and_fits_its_kind() {
    let Some(shared) = common::shared() else { return };
    let policy = policy(&["tests/inputs/probe.ward"]);
    let root = shared.join("samples");
    let mut facts: BTreeMap<PathBuf, (String, String)> = BTreeMap::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        let Ok(text) = std::fs::read_to_string(dir.join("FACTS.tsv")) else { continue };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            facts.insert(dir.join(cols[0]), (cols[1].to_string(), cols[2].to_string()));
        }
    }
    let files = common::files_under(&root);
    let mut checked = 0;
    for path in files {
        if sample_format(&path).is_none() {
            continue;
        }
        let loaded = load(&policy, &path);
        assert!(loaded.errors.is_empty(), "{}: {:?}", path.display(), loaded.errors);
        assert!(!loaded.docs.is_empty(), "{}: no documents", path.display());
        let summaries = probe(&policy, &loaded.docs);
        let (format, fact) = facts
            .get(&path)
            .unwrap_or_else(|| panic!("{} has no row in FACTS.tsv", path.display()));
        let all = summaries.join("\n") + " ";
        for want in expected_summary(format, fact) {
            assert!(all.contains(&want), "{}: want `{want}` in\n{all}", path.display());
        }
        checked += 1;
    }
    assert_eq!(checked, facts.len(), "every sample with facts was checked");
}

#[test]
fn own_samples_are_recognised_and_fit_their_kinds() {
    let policy = policy(&["tests/inputs/probe.ward"]);
    let files = common::files_under(&common::root().join("tests/inputs/samples"));
    let mut summaries = BTreeMap::new();
    for path in &files {
        let loaded = load(&policy, path);
        assert!(loaded.errors.is_empty(), "{}: {:?}", path.display(), loaded.errors);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        summaries.insert(name, probe(&policy, &loaded.docs).join("\n"));
    }
    let has = |file: &str, want: &str| {
        let s = &summaries[file];
        assert!(s.contains(want), "{file}: want `{want}` in {s}");
    };
    has("Dockerfile", "stages=3 commands=10 names=|golang:${GO_VERSION} AS build|");
    has("api.dockerfile", "stages=1 commands=4");
    has("Containerfile", "stages=1 commands=7");
    has("oci-config.json", "user=1000:1000 env=2 ports=8080/tcp health=CMD /app health volumes=1");
    has("oci-config.json", "layers=1 history=2 created=2024-05-01T10:00:00Z");
    has("docker-inspect.json", "tags=nginx:1.27 user= env=2 layers=2");
}

#[test]
fn dockerfile_findings_point_at_the_instruction() {
    let policy = policy(&["tests/inputs/probe.ward"]);
    let cases = [
        ("Dockerfile", 15, 6, "user 65532:65532 at line 15-15 stage 1"),
        ("api.dockerfile", 5, 8, "user ContainerAdministrator at line 5-5 stage 0"),
        ("Containerfile", 6, 6, "user root at line 6-6 stage 0"),
    ];
    for (file, line, column, message) in cases {
        let path = common::root().join("tests/inputs/samples").join(file);
        let loaded = load(&policy, &path);
        let outcome = policy.compiled.evaluate(&loaded.docs, &Options::default());
        let user: Vec<_> =
            outcome.findings.iter().filter(|f| f.message().starts_with("user ")).collect();
        assert_eq!(user.len(), 1, "{file}: {:#?}", outcome.findings);
        let f = user[0];
        assert!(f.message().starts_with(message), "{file}: {}", f.message());
        assert_eq!((f.line(), f.column()), (line, column), "{file}: {f:#?}");
        assert!(f.pointer().ends_with("/Value/0"), "{}", f.pointer());
    }
}

#[test]
fn every_pod_security_fixture_loads() {
    let Some(shared) = common::shared() else { return };
    let policy = policy(&[]);
    let files = common::files_under(&shared.join("conformance/pod-security-admission"));
    let yaml: Vec<_> = files.iter().filter(|p| sample_format(p).is_some()).collect();
    assert!(yaml.len() > 1000, "{}", yaml.len());
    for path in yaml {
        let loaded = load(&policy, path);
        assert!(loaded.errors.is_empty(), "{}: {:?}", path.display(), loaded.errors);
        assert_eq!(loaded.docs.len(), 1, "{}", path.display());
        assert_eq!(loaded.docs[0].meta.kind.as_deref(), Some("Pod"), "{}", path.display());
    }
}

#[test]
fn standard_library_input_helpers_pass_their_tests() {
    let policy = policy(&["tests/inputs/stdlib.ward"]);
    let results: Vec<_> = policy
        .compiled
        .run_tests()
        .into_iter()
        .filter(|r| r.module == "stdlib_inputs_test")
        .collect();
    assert_eq!(results.len(), 5);
    for r in results {
        assert!(r.failures.is_empty(), "{}: {:?}", r.name, r.failures);
    }
}

/// Regression: `len(xs)` in call form picked the `string` overload for a typed list.
#[test]
fn builtin_overloads_follow_the_first_argument_in_call_form() {
    let src = "module m\nfn n(xs: list<int>) -> int { len(xs) }\nfn m(x: map<string, int>) -> int { len(x) }\ntest \"len\" { expect n([1, 2]) == 2\n expect m({a: 1}) == 1 }\n";
    let p = build(&[Source { name: "m.ward".into(), text: src.into() }]).unwrap_or_else(|e| {
        panic!("{}", ward::render::diagnostics(&e.sources, &e.diagnostics, false))
    });
    let results: Vec<_> = p.compiled.run_tests().into_iter().filter(|r| r.module == "m").collect();
    assert_eq!(results.len(), 1);
    assert!(results[0].failures.is_empty(), "{:?}", results[0].failures);
}

#[test]
fn the_conformance_check_catches_mismatches() {
    let policy = policy(&[]);
    let types = &policy.compiled.program.types;
    let report = kind_ty(types, "trivy", "Report");
    let mut problems = Vec::new();
    let doc = serde_json::json!({"SchemaVersion": "2", "Results": [{"Target": 1}]});
    conform(types, &report, &doc, "", &mut problems);
    assert_eq!(problems.len(), 3, "{problems:#?}");
}

use common::ward;

#[test]
fn a_directory_scan_picks_up_dockerfiles_and_reports_by_name_and_shape() {
    let (code, out, err) = ward(&[
        "check",
        "--policy",
        "tests/inputs/probe.ward",
        "--format",
        "json",
        "tests/inputs/samples",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let json: J = serde_json::from_str(&out).unwrap();
    let mut rules: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["pointer"] == "")
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            let name = Path::new(file).file_name().unwrap().to_string_lossy().into_owned();
            format!("{name} {}", f["rule"].as_str().unwrap())
        })
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "Containerfile probe.dockerfile",
            "Dockerfile probe.dockerfile",
            "api.dockerfile probe.dockerfile",
            "docker-inspect.json probe.docker_inspect",
            "oci-config.json probe.image_config",
        ]
    );
}

#[test]
fn input_format_flag_reads_any_file_as_a_dockerfile() {
    let dir = std::env::temp_dir().join(format!("ward-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("build.txt");
    std::fs::write(&file, "FROM alpine\nUSER root\n").unwrap();
    let path = file.to_str().unwrap();
    let args =
        ["check", "--policy", "tests/inputs/probe.ward", "--input-format", "dockerfile", path];
    let (code, out, err) = ward(&args);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("user root at line 2-2"), "{out}");
    assert!(out.contains("build.txt:2:6"), "{out}");
    let (code, _, err) = ward(&["check", "--input-format", "toml", path]);
    assert_eq!(code, 2);
    assert!(err.contains("yaml, json, ndjson or dockerfile"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_crd_schema_gives_a_kind_rules_can_use() {
    let (code, generated, err) = ward(&["crd", "tests/inputs/crd/widget-crd.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(generated.contains("kind Widget = {"), "{generated}");
    assert!(generated.contains("pullPolicy?: \"Always\" | \"IfNotPresent\" | \"Never\""));
    let rules = r#"
module widgets
use stable.{Widget, WidgetV1beta1}

rule widget(w: Widget) {
  if w.spec.privileged == true { deny "widget `{w.metadata?.name ?? ""}` is privileged" at w.spec.privileged }
  if !contains(w.spec.image, ":") { warn "image `{w.spec.image}` has no tag" at w.spec.image }
  for p in w.spec.ports ?? [] { if p.port < 1024 { warn "port {p.port} is privileged" at p.port } }
}

rule old_widget(w: WidgetV1beta1) {
  warn "v1beta1 widget with image `{w.spec?.image ?? ""}`"
}
"#;
    let policy = build(&[
        Source { name: "stable.ward".into(), text: generated },
        Source { name: "widgets.ward".into(), text: rules.into() },
    ])
    .unwrap_or_else(|e| panic!("{}", ward::render::diagnostics(&e.sources, &e.diagnostics, false)));
    let loaded = load(&policy, &common::root().join("tests/inputs/crd/widgets.yaml"));
    assert!(loaded.errors.is_empty());
    let outcome = policy.compiled.evaluate(&loaded.docs, &Options::default());
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    let got: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| format!("{}:{} {}", f.line(), f.column(), f.message()))
        .collect();
    assert_eq!(
        got,
        [
            "7:12 port 80 is privileged",
            "14:3 widget `bad` is privileged",
            "13:3 image `nginx` has no tag",
            "17:1 v1beta1 widget with image `nginx:latest`",
        ]
    );
    // A wrong field is a type error, found before any document is read.
    let wrong = "module w\nuse stable.Widget\nrule r(w: Widget) { if w.spec.imag == \"x\" { deny \"x\" } }\n";
    let (_, generated, _) = ward(&["crd", "tests/inputs/crd/widget-crd.yaml"]);
    let err = build(&[
        Source { name: "stable.ward".into(), text: generated },
        Source { name: "w.ward".into(), text: wrong.into() },
    ])
    .err()
    .unwrap();
    let text = ward::render::diagnostics(&err.sources, &err.diagnostics, false);
    assert!(text.contains("imag") && text.contains("image"), "{text}");
}
