//! Evaluation limits: the step budget and the wall-clock deadline stop a runaway rule with a
//! rule error, from the library and from `ward check --timeout`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests fail loudly"
)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use ward::{EvalError, Limits, Options, Source, build};

/// A rule whose three nested loops over a pod's containers take n³ steps.
const CUBIC: &str = r#"
module limits
use k8s.Pod
rule cubic(p: Pod) {
  for a in p.spec?.containers ?? [], b in p.spec?.containers ?? [], c in p.spec?.containers ?? [] {
    if a.name == b.name && b.name == c.name && a.name == "never" {
      deny "unreachable"
    }
  }
}
"#;

/// A pod with `n` containers, as JSON.
fn big_pod(n: usize) -> String {
    let containers: Vec<String> =
        (0..n).map(|i| format!(r#"{{"name":"c{i}","image":"nginx:1.{i}"}}"#)).collect();
    format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"big"}},"spec":{{"containers":[{}]}}}}"#,
        containers.join(",")
    )
}

fn run(opts: Options) -> (ward::Outcome, Duration) {
    let policy = build(&[Source { name: "limits.ward".into(), text: CUBIC.into() }]).unwrap();
    let docs = policy.load("big.json", big_pod(2000).as_bytes(), None, &Limits::default()).docs;
    let opts = Options { rules: Some(policy.user_rules()), ..opts };
    let start = Instant::now();
    let outcome = policy.compiled.evaluate(&docs, &opts);
    (outcome, start.elapsed())
}

#[test]
fn a_tiny_deadline_stops_a_runaway_rule() {
    // 2000³ = 8·10⁹ iterations: hours without a limit.
    let (outcome, took) =
        run(Options { deadline: Some(Duration::from_millis(20)), ..Options::default() });
    assert!(outcome.findings.is_empty());
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    assert!(matches!(outcome.errors[0].error, EvalError::Deadline { .. }), "{:?}", outcome.errors);
    assert_eq!(outcome.errors[0].error.to_string(), "evaluation deadline exceeded");
    assert!(took < Duration::from_secs(5), "stopped only after {took:?}");
}

#[test]
fn the_step_budget_stops_it_too() {
    let (outcome, _) = run(Options { max_steps: Some(100_000), ..Options::default() });
    assert!(matches!(outcome.errors[0].error, EvalError::Budget { limit: 100_000, .. }));
}

#[test]
fn a_generous_deadline_changes_nothing() {
    let policy = build(&[]).unwrap();
    let pod = br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x","securityContext":{"privileged":true}}]}}"#;
    let docs = policy.load("p.json", pod, None, &Limits::default()).docs;
    let without = policy.compiled.evaluate(&docs, &Options::default());
    let with = policy.compiled.evaluate(
        &docs,
        &Options { deadline: Some(Duration::from_secs(3600)), ..Options::default() },
    );
    assert!(!without.findings.is_empty());
    assert_eq!(with.findings, without.findings);
    assert!(with.errors.is_empty());
}

#[test]
fn ward_check_timeout_reports_a_rule_error() {
    let dir = std::env::temp_dir().join(format!("ward-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("limits.ward"), CUBIC).unwrap();
    std::fs::write(dir.join("big.json"), big_pod(2000)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["check", "--timeout", "0.05", "--policy", "limits.ward", "big.json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("rule limits.cubic failed on big.json"), "{stderr}");
    assert!(stderr.contains("evaluation deadline exceeded"), "{stderr}");

    let bad = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["check", "--timeout", "soon", "big.json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("`--timeout soon`: expected a number of seconds")
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = common::root();
}
