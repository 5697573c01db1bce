//! Helpers shared by the integration tests.

#![allow(dead_code, reason = "each test binary uses a different subset of these helpers")]
#![allow(clippy::panic, reason = "test code: a missing fixture should fail loudly")]

use std::path::PathBuf;

/// The `shared/` directory of external test data (conformance fixtures, samples), which sits
/// beside the repository on developer machines and in CI but not in a user's clone.
///
/// Set `WARD_SHARED` to point elsewhere. Returns `None`, after saying so on stderr, when it is
/// absent; under `CI=true` its absence is a failure, because CI always has it.
pub fn shared() -> Option<PathBuf> {
    let candidates = std::env::var_os("WARD_SHARED")
        .map(PathBuf::from)
        .into_iter()
        .chain(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(|p| p.join("shared")));
    for c in candidates {
        if c.join("conformance").is_dir() {
            return Some(c);
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("shared/ test data not found beside the repository; CI must provide it");
    }
    eprintln!("skipped: shared/ test data not found beside the repository (set WARD_SHARED)");
    None
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, recursively, in path order; none when `dir` does not exist.
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => return out,
    };
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every input file the test suite has: the examples, the test inputs, the benchmark corpus and
/// the conformance cases, and the shared conformance data and samples when present.
pub fn all_inputs() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["examples", "tests/inputs", "benches/corpus", "spec/conformance"] {
        files.extend(files_under(&root().join(dir)));
    }
    if let Some(shared) = shared() {
        files.extend(files_under(&shared.join("conformance")));
        files.extend(files_under(&shared.join("samples")));
    }
    files
}

/// Runs the `ward` binary in the repository root; returns its exit code, stdout and stderr.
pub fn ward(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run ward: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every `E0xxx` code named in the error enums' sources.
pub fn all_error_codes() -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for file in ["lang/src/error.rs", "engine/src/error.rs", "src/lib.rs"] {
        let text = std::fs::read_to_string(root().join(file)).unwrap_or_default();
        for (i, _) in text.match_indices("\"E0") {
            if let Some(code) = text.get(i + 1..i + 6)
                && code.chars().skip(1).all(|c| c.is_ascii_digit())
            {
                out.insert(code.to_string());
            }
        }
    }
    out
}
