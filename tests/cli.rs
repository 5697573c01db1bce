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

fn ward(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(args)
        .current_dir(common::root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

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
