//! Pod Security Standards conformance: every fixture of Kubernetes' pod-security-admission, at its
//! level and policy version, must get the verdict Kubernetes gives it.
//!
//! The fixtures and their verdicts are in `shared/conformance/pod-security-admission/`
//! (`expected.tsv`). A pass fixture must get no finding from the level's profile
//! (`pss-baseline` or `pss-restricted`); a fail fixture must get a finding whose controls name
//! `PSS:<level of the check>:<check id>`. Cases that cannot pass yet are listed, one path per
//! line, in `tests/pss_conformance.known-failures`: a ratchet, so the test also fails when a
//! listed case starts to pass.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests fail loudly"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use ward::{Limits, Options, build};

/// The checks of the restricted level; every other check is a baseline check.
const RESTRICTED_CHECKS: &[&str] = &[
    "allowPrivilegeEscalation",
    "capabilities_restricted",
    "procMount_restricted",
    "restrictedVolumes",
    "runAsNonRoot",
    "runAsUser",
    "seccompProfile_restricted",
];

struct Case {
    path: String,
    level: String,
    version: String,
    deny: bool,
    check: String,
}

fn cases(dir: &std::path::Path) -> Vec<Case> {
    let tsv = std::fs::read_to_string(dir.join("expected.tsv")).unwrap();
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Case {
                path: cols[0].to_string(),
                level: cols[1].to_string(),
                version: cols[2].to_string(),
                deny: match cols[3] {
                    "deny" => true,
                    "allow" => false,
                    other => panic!("unknown verdict `{other}` in {l}"),
                },
                check: cols[4].to_string(),
            }
        })
        .collect()
}

fn control(check: &str) -> String {
    let level = if RESTRICTED_CHECKS.contains(&check) { "restricted" } else { "baseline" };
    format!("PSS:{level}:{check}")
}

#[test]
fn pod_security_admission_fixtures() {
    let Some(shared) = common::shared() else { return };
    let dir = shared.join("conformance/pod-security-admission");
    let all = cases(&dir);
    assert_eq!(all.len(), 1406, "expected.tsv should list 1,406 fixtures");

    let known_path = common::root().join("tests/pss_conformance.known-failures");
    let known: BTreeSet<String> = std::fs::read_to_string(&known_path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();

    let mut groups: BTreeMap<(&str, &str), Vec<&Case>> = BTreeMap::new();
    for c in &all {
        groups.entry((c.version.as_str(), c.level.as_str())).or_default().push(c);
    }

    let mut policy = build(&[]).unwrap_or_else(|_| panic!("the standard library must build"));
    let limits = Limits::default();
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    for ((version, level), group) in &groups {
        policy.set_param_text("pss.version", version).unwrap();
        let rules = policy.tagged(&format!("pss-{level}"));
        assert!(!rules.is_empty(), "no rules tagged pss-{level}");
        let mut docs = Vec::new();
        for c in group {
            let bytes = std::fs::read(dir.join(&c.path)).unwrap();
            let loaded = policy.load(&c.path, &bytes, None, &limits);
            assert!(loaded.errors.is_empty(), "{}: {:?}", c.path, loaded.errors);
            assert_eq!(loaded.docs.len(), 1, "{}", c.path);
            docs.extend(loaded.docs);
        }
        let outcome = policy.compiled.evaluate(
            &docs,
            &Options { max_steps: Some(1_000_000), rules: Some(rules), ..Options::default() },
        );
        assert!(outcome.errors.is_empty(), "rule errors at {version}: {:?}", outcome.errors);
        let mut by_file: BTreeMap<&str, Vec<&ward::Finding>> = BTreeMap::new();
        for f in &outcome.findings {
            by_file.entry(&f.doc().file).or_default().push(f);
        }
        for c in group {
            let found = by_file.get(c.path.as_str()).cloned().unwrap_or_default();
            let want = control(&c.check);
            let ok = if c.deny {
                found.iter().any(|f| f.controls().contains(&want))
            } else {
                found.is_empty()
            };
            if !ok {
                let got: Vec<String> = found
                    .iter()
                    .map(|f| format!("{} {:?}: {}", f.rule(), f.controls(), f.message()))
                    .collect();
                let what = if c.deny {
                    format!("expected a finding for `{want}`")
                } else {
                    "expected no finding".into()
                };
                failed.insert(c.path.clone(), format!("{what}; got [{}]", got.join("; ")));
            }
        }
    }

    let failing: BTreeSet<String> = failed.keys().cloned().collect();
    let new: Vec<&String> = failing.difference(&known).collect();
    let fixed: Vec<&String> = known.difference(&failing).collect();
    println!(
        "pod-security-admission conformance: {}/{} agree with Kubernetes ({} known failures)",
        all.len() - failing.len(),
        all.len(),
        known.len()
    );
    for p in &new {
        println!("FAIL {p}: {}", failed[*p]);
    }
    for p in &fixed {
        println!("FIXED {p}: remove it from tests/pss_conformance.known-failures");
    }
    assert!(
        new.is_empty() && fixed.is_empty(),
        "{} new failures, {} fixed known failures",
        new.len(),
        fixed.len()
    );
}
