//! The README's examples print exactly what the README shows.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed assumption should fail the test loudly"
)]

mod common;

/// The fenced block that follows the first line after `marker` that opens a fence.
fn block_after(readme: &str, marker: &str) -> String {
    let start = readme.find(marker).unwrap_or_else(|| panic!("README lacks `{marker}`"));
    let rest = &readme[start + marker.len()..];
    let open = rest.find("```\n").unwrap() + 4;
    let body = &rest[open..];
    body[..body.find("```\n").unwrap()].to_string()
}

fn check(marker: &str, args: &[&str]) {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let shown = block_after(&readme, marker);
    let (_, out, err) = common::ward(args);
    assert_eq!(shown, out, "README block after `{marker}` is stale; stderr: {err}");
}

#[test]
fn quickstart_output_is_as_shown() {
    check("The first prints:", &["check", "examples/quickstart/manifests.yaml"]);
}

#[test]
fn pss_output_is_as_shown() {
    check(
        "cargo run -- check --profile pss-restricted examples/pss/deployment.yaml\n```\n",
        &["check", "--profile", "pss-restricted", "examples/pss/deployment.yaml"],
    );
}
