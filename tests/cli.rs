//! The `ward` command line, end to end: the quickstart example as the README shows it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed assumption should fail the test loudly"
)]

mod common;

use std::process::Command;

use common::ward;

#[test]
fn quickstart_finds_the_privileged_container_at_its_line() {
    let (code, out, _) = ward(&[
        "check",
        "--policy",
        "examples/quickstart/policy.ward",
        "examples/quickstart/manifests.yaml",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("examples/quickstart/manifests.yaml:13:9"), "{out}");
    assert!(out.contains("container `app` runs privileged"), "{out}");
}

#[test]
fn json_output_has_the_contract_fields() {
    let (code, out, _) = ward(&[
        "check",
        "--format",
        "json",
        "--policy",
        "examples/quickstart/policy.ward",
        "examples/quickstart/manifests.yaml",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &v["findings"][0];
    for key in [
        "rule",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "pointer",
        "kind",
        "name",
        "namespace",
        "controls",
    ] {
        assert!(f.get(key).is_some(), "missing {key} in {f}");
    }
    assert_eq!(f["line"], 13);
    assert_eq!(f["pointer"], "/spec/containers/0/securityContext/privileged");
    assert!(v["errors"].as_array().unwrap().is_empty());
}

#[test]
fn misspelled_field_is_a_checker_error_pointing_at_it() {
    let dir = std::env::temp_dir().join(format!("ward-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src =
        std::fs::read_to_string(common::root().join("examples/quickstart/policy.ward")).unwrap();
    let bad = dir.join("bad.ward");
    std::fs::write(
        &bad,
        src.replace("securityContext?.privileged == true", "securityContext?.privilegd == true"),
    )
    .unwrap();
    let (code, _, err) =
        ward(&["check", "--policy", bad.to_str().unwrap(), "examples/quickstart/manifests.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("E0301"), "{err}");
    assert!(err.contains("bad.ward:13:27"), "{err}");
    assert!(err.contains("did you mean `privileged`?"), "{err}");
}

#[test]
fn unreadable_input_exits_3_and_the_rest_is_still_checked() {
    let dir = std::env::temp_dir().join(format!("ward-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, "a: [1, 2\n").unwrap();
    let (code, out, err) = ward(&[
        "check",
        "--policy",
        "examples/quickstart/policy.ward",
        broken.to_str().unwrap(),
        "examples/quickstart/manifests.yaml",
    ]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("runs privileged"), "{out}");
    assert!(err.contains("broken.yaml:2:1"), "{err}");
}

#[test]
fn policy_tests_pass() {
    let (code, out, _) = ward(&["test", "--policy", "examples/quickstart/policy.ward"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 passed, 0 failed"), "{out}");
}

#[test]
fn stdlib_tests_run_alone_or_with_stdlib() {
    let (code, out, _) = ward(&["test"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("test runAsUser 0 is denied on the pod and on containers ... ok"),
        "{out}"
    );
    let (code, out, _) = ward(&["test", "--stdlib", "--policy", "examples/quickstart/policy.ward"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("a privileged container is denied ... ok"), "{out}");
    assert!(out.contains("runAsUser 0 is denied"), "{out}");
    assert!(!out.contains(" 0 passed"), "{out}");
}

#[test]
fn pss_restricted_profile_on_the_example() {
    let (code, out, _) =
        ward(&["check", "--profile", "pss-restricted", "examples/pss/deployment.yaml"]);
    assert_eq!(code, 1, "{out}");
    for rule in ["K8S-RUNTIME-VOLUME-TYPES", "K8S-RUNTIME-NO-PRIV-ESC", "K8S-RUNTIME-CAPS-DROP-ALL"]
    {
        assert!(out.contains(&format!("error[{rule}]")), "{rule} missing in {out}");
    }
    assert!(out.contains("3 findings in 1 document"), "{out}");
    let (code, out, _) =
        ward(&["check", "--profile", "pss-baseline", "examples/pss/deployment.yaml"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = ward(&["check", "examples/pss/deployment.yaml"]);
    assert_eq!(code, 0, "the recommended set includes baseline only: {out}");
}

#[test]
fn pss_version_selects_the_policy_and_a_bad_one_is_reported() {
    let json = |args: &[&str]| {
        let mut all = vec!["check", "--format", "json", "--profile", "pss-restricted"];
        all.extend_from_slice(args);
        all.push("examples/pss/deployment.yaml");
        let (_, out, _) = ward(&all);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let rules: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        (v, rules)
    };
    // allowPrivilegeEscalation is a control from v1.8, capabilities_restricted from v1.22.
    let (_, rules) = json(&["--set", "pss.version=v1.7"]);
    assert_eq!(rules, ["K8S-RUNTIME-VOLUME-TYPES"]);
    let (_, rules) = json(&["--set", "pss.version=v1.21"]);
    assert_eq!(rules, ["K8S-RUNTIME-VOLUME-TYPES", "K8S-RUNTIME-NO-PRIV-ESC"]);
    let (v, rules) = json(&["--set", "pss.version=v1.29"]);
    assert_eq!(rules.len(), 3, "{v}");
    let controls = &v["findings"][2]["controls"];
    assert_eq!(controls[0], "PSS:restricted:capabilities_restricted", "{v}");
    let (v, rules) = json(&["--set", "pss.version=1.29"]);
    assert_eq!(rules[0], "PSS-VERSION", "{v}");
    assert!(v["findings"][0]["message"].as_str().unwrap().contains("`1.29`"), "{v}");
}

/// A scratch directory of its own for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ward-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn fmt_check_lists_unformatted_files_and_fmt_rewrites_them() {
    let dir = scratch("fmt");
    let ugly = dir.join("ugly.ward");
    let tidy = dir.join("sub").join("tidy.ward");
    std::fs::create_dir_all(tidy.parent().unwrap()).unwrap();
    std::fs::write(&ugly, "module m\nfn f()->int{ 1+2 } // three\n").unwrap();
    std::fs::write(&tidy, "module m\n\nfn g() -> int {\n  1\n}\n").unwrap();
    let d = dir.to_str().unwrap();

    let (code, out, err) = ward(&["fmt", "--check", d]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("would reformat") && out.contains("ugly.ward"), "{out}");
    assert!(out.contains("-fn f()->int{ 1+2 } // three") && out.contains("+  1 + 2"), "{out}");
    assert!(!out.contains("tidy.ward"), "{out}");

    let (code, out, err) = ward(&["fmt", d]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(&ugly).unwrap(),
        "module m\n\nfn f() -> int {\n  1 + 2 // three\n}\n"
    );
    let (code, out, _) = ward(&["fmt", "--check", d]);
    assert_eq!((code, out.as_str()), (0, ""));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fmt_refuses_a_file_with_syntax_errors() {
    let dir = scratch("fmt-bad");
    let bad = dir.join("bad.ward");
    std::fs::write(&bad, "module m\nrule r( {\n").unwrap();
    let (code, _, err) = ward(&["fmt", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("E0101") && err.contains("bad.ward:2:9"), "{err}");
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), "module m\nrule r( {\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fmt_reads_stdin_and_writes_stdout() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"module   m\nparam p:int=1").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "module m\n\nparam p: int = 1\n");
}

/// CI keeps the repository's Ward sources in the canonical layout: run `ward fmt` to fix.
#[test]
fn repository_ward_files_are_formatted() {
    let mut args = vec!["fmt", "--check", "stdlib", "examples"];
    for dir in ["policies", "spec"] {
        if common::root().join(dir).is_dir() {
            args.push(dir);
        }
    }
    let (code, out, err) = ward(&args);
    assert_eq!(code, 0, "run `ward fmt {}`:\n{out}{err}", args[2..].join(" "));
}

#[test]
fn example_policies_tests_pass() {
    let (code, out, err) = ward(&["test", "--policy", "policies"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(", 0 failed"), "{out}");
}

#[test]
fn config_file_sets_parameters_and_names_unknown_ones() {
    let dir = std::env::temp_dir().join(format!("ward-cli-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.yaml");
    std::fs::write(&good, "pss.version: v1.29\n").unwrap();
    let (code, out, err) =
        ward(&["check", "--config", good.to_str().unwrap(), "examples/quickstart/manifests.yaml"]);
    assert_eq!(code, 1, "{out}{err}");
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "pss.verison: v1.29\n").unwrap();
    let (code, _, err) =
        ward(&["check", "--config", bad.to_str().unwrap(), "examples/quickstart/manifests.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown parameter `pss.verison` (did you mean `pss.version`?)"), "{err}");
}

#[test]
fn policy_errors_are_json_under_format_json() {
    let dir = std::env::temp_dir().join(format!("ward-cli-jsondiag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.ward");
    std::fs::write(&bad, "module m\nuse k8s.{Pod}\n@id(\"X\") rule r(p: Pod) { if p.spec?.hostNetwrk == true { deny \"x\" } }\n").unwrap();
    let (code, out, _) = ward(&[
        "check",
        "--format",
        "json",
        "--policy",
        bad.to_str().unwrap(),
        "examples/quickstart/manifests.yaml",
    ]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "E0301");
    assert_eq!(d["line"], 3);
    assert_eq!(d["help"], "did you mean `hostNetwork`?");
}

#[test]
fn standard_input_is_checked_with_its_positions() {
    let text = std::fs::read(common::root().join("examples/quickstart/manifests.yaml")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["check", "--format", "json", "-"])
        .current_dir(common::root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&text).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["file"], "<stdin>");
    assert_eq!(v["findings"][0]["line"], 13);
}

#[test]
fn a_missing_input_exits_3_and_the_others_are_still_checked() {
    let (code, out, err) =
        ward(&["check", "no-such-file.yaml", "examples/quickstart/manifests.yaml"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("runs privileged"), "{out}");
    assert!(err.contains("no-such-file.yaml: cannot read"), "{err}");
}

#[test]
fn a_finding_on_a_long_line_shows_an_excerpt_around_its_place() {
    let dir = scratch("long-line");
    let pad = "x".repeat(300);
    let doc = format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"web","annotations":{{"note":"{pad}"}}}},"spec":{{"containers":[{{"name":"app","image":"nginx:1.25","securityContext":{{"privileged":true}}}}]}}}}"#
    );
    let short = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"},"spec":{"containers":[{"name":"b","image":"nginx:1.25","securityContext":{"privileged":true}}]}}"#;
    let file = dir.join("pods.ndjson");
    std::fs::write(&file, format!("{doc}\n{short}\n")).unwrap();
    let (code, out, _) = ward(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let column = doc.find(r#""privileged":true"#).unwrap() + 1;
    assert!(out.contains(&format!("pods.ndjson:1:{column}")), "{out}");
    // Forty characters before the place, and the rest of the line (under sixty more).
    let before: String =
        doc[..column - 1].chars().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
    let near = format!("near: …{before}{}", &doc[column - 1..]);
    assert!(out.lines().any(|l| l.ends_with(&near)), "{near}\n{out}");
    assert!(out.lines().all(|l| l.chars().count() < 200), "no line shown whole:\n{out}");
    // A line short enough is shown whole, labelled.
    assert!(out.contains(&format!("2 │ {short}")), "{out}");
}
