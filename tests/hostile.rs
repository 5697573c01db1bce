//! Malformed and hostile inputs: each gives its expected errors (file, line, column, reason),
//! the documents around a bad one still load, and nothing panics, overflows the stack or hangs.
//!
//! The cases are data: `tests/inputs/hostile/<name>` with its expectation in
//! `tests/inputs/hostile/expected.yaml` (read with Ward's own loader). Inputs too big to commit
//! are generated below.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests fail loudly"
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use ward_engine::doc::{Limits, Symbols};
use ward_engine::load::{Format, Loaded, load};

/// Loads on another thread (default stack size) and fails if that takes more than a while, so
/// that a hang or a stack overflow is a test failure rather than a stuck run.
fn load_guarded(name: &str, bytes: Vec<u8>, format: Option<Format>, limits: Limits) -> Loaded {
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = name.to_string();
    std::thread::spawn(move || {
        let loaded = load(&owned, &bytes, format, &Arc::new(Symbols::default()), &limits);
        let _ = tx.send(loaded);
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(l) => l,
        Err(e) => panic!("{name}: the loader did not finish ({e})"),
    }
}

/// `(line, column, message)` of every error.
fn errors(l: &Loaded) -> Vec<(u32, u32, String)> {
    l.errors.iter().map(|e| (e.line, e.column, e.message.clone())).collect()
}

#[test]
fn every_hostile_input_gives_its_expected_errors() {
    let dir = common::root().join("tests/inputs/hostile");
    let spec_bytes = std::fs::read(dir.join("expected.yaml")).unwrap();
    let spec = load_guarded("expected.yaml", spec_bytes, None, Limits::default());
    assert!(spec.errors.is_empty(), "{:?}", spec.errors);
    let spec = spec.docs[0].to_json();
    let spec = spec.as_object().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "expected.yaml")
        .collect();
    names.sort();
    assert!(names.len() >= 40, "only {} hostile inputs", names.len());
    for name in spec.keys() {
        assert!(names.contains(name), "expected.yaml names `{name}`, which is not in {dir:?}");
    }
    let mut failures = Vec::new();
    for name in &names {
        let Some(want) = spec.get(name) else {
            failures.push(format!("{name}: no entry in expected.yaml"));
            continue;
        };
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let got = load_guarded(name, bytes, None, Limits::default());
        let docs = want["docs"].as_u64().unwrap() as usize;
        if got.docs.len() != docs {
            failures.push(format!("{name}: {} documents, expected {docs}", got.docs.len()));
        }
        let want_errors: Vec<(u32, u32, String)> = want["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e[0].as_u64().unwrap() as u32,
                    e[1].as_u64().unwrap() as u32,
                    e[2].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let got_errors = errors(&got);
        let fits = got_errors.len() == want_errors.len()
            && got_errors
                .iter()
                .zip(&want_errors)
                .all(|(g, w)| g.0 == w.0 && g.1 == w.1 && g.2.contains(&w.2) && !g.2.is_empty());
        if !fits {
            failures.push(format!("{name}: errors {got_errors:?}, expected {want_errors:?}"));
        }
        for e in &got.errors {
            assert_eq!(&*e.file, name.as_str());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn crlf_line_ends_do_not_leak_into_values() {
    let dir = common::root().join("tests/inputs/hostile");
    for name in ["yaml-crlf.yaml", "ndjson-crlf.ndjson", "Dockerfile.crlf"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let l = load_guarded(name, bytes, None, Limits::default());
        for d in &l.docs {
            let text = d.to_json().to_string();
            assert!(!text.contains("\\r"), "{name}: {text}");
        }
    }
    let l = load_guarded(
        "Dockerfile",
        std::fs::read(dir.join("Dockerfile.crlf")).unwrap(),
        None,
        Limits::default(),
    );
    let run = &l.docs[0].to_json()["Stages"][0]["Commands"][1];
    assert_eq!(run["Value"][0], "a   b");
    assert_eq!((run["StartLine"].as_u64(), run["EndLine"].as_u64()), (Some(2), Some(3)));
}

#[test]
fn a_bom_does_not_shift_positions() {
    let l = load_guarded("a.yaml", b"\xef\xbb\xbfa:\n  b: 1\n".to_vec(), None, Limits::default());
    let d = &l.docs[0];
    let a = d.arena.get_str(d.root, "a").unwrap();
    let b = d.arena.get_str(a, "b").unwrap();
    let pos = d.arena.location(b);
    assert_eq!((pos.line, pos.col, pos.offset), (2, 3, 3 + 5));
}

#[test]
fn input_over_the_size_limit_is_refused_whole() {
    let limits = Limits::default();
    let big = "a: 1\n".repeat(limits.max_bytes / 5 + 1).into_bytes();
    assert!(big.len() > limits.max_bytes);
    let l = load_guarded("big.yaml", big, None, limits);
    assert!(l.docs.is_empty());
    assert_eq!(l.errors.len(), 1);
    assert!(l.errors[0].message.contains("over the limit"), "{:?}", l.errors);
    // A smaller configured limit applies to every format.
    let small = Limits { max_bytes: 100, ..Limits::default() };
    for (name, text) in [
        (
            "a.json",
            "[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]",
        ),
        (
            "Dockerfile",
            "FROM alpine\nRUN echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
        ),
    ] {
        let l = load_guarded(name, text.as_bytes().to_vec(), None, small);
        assert!(l.errors[0].message.contains("over the limit"), "{name}: {:?}", l.errors);
    }
    // Dockerfiles also have the reader's own 8 MiB cap.
    let docker = format!("FROM alpine\n{}", "RUN true\n".repeat(1_000_000)).into_bytes();
    let l = load_guarded("Dockerfile", docker, None, Limits::default());
    assert!(l.docs.is_empty());
    assert!(l.errors[0].message.contains("limit"), "{:?}", l.errors);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let limits = Limits::default();
    let depth = 100_000;
    let cases: Vec<(&str, String)> = vec![
        ("deep.json", format!("{}{}", "[".repeat(depth), "]".repeat(depth))),
        ("deep-objects.json", format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))),
        ("deep-flow.yaml", format!("{}{}", "[".repeat(depth), "]".repeat(depth))),
        (
            "deep-block.yaml",
            (0..400).map(|i| format!("{}a:\n", " ".repeat(i))).collect::<String>()
                + &" ".repeat(400)
                + "1\n",
        ),
        ("deep-block-seq.yaml", (0..400).map(|i| format!("{}-\n", " ".repeat(i * 2))).collect()),
        ("deep.ndjson", format!("{}\n{{\"ok\": 1}}\n", "[".repeat(depth))),
    ];
    for (name, text) in cases {
        let l = load_guarded(name, text.into_bytes(), None, limits);
        assert!(!l.errors.is_empty(), "{name}: no error");
        let m = &l.errors[0].message;
        assert!(
            m.contains("deeper than the limit") || m.contains("recursion limit"),
            "{name}: {m}"
        );
        assert!(l.errors[0].line >= 1, "{name}: {:?}", l.errors[0]);
        if name == "deep.ndjson" {
            assert_eq!(l.docs.len(), 1, "the next line still loads");
        }
    }
    // Nesting just under the limit loads.
    let ok = format!("{}{}", "[".repeat(limits.max_depth), "]".repeat(limits.max_depth));
    let l = load_guarded("ok.json", ok.into_bytes(), None, limits);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
}

#[test]
fn large_but_legal_inputs_load_in_time() {
    let long = format!("{{\"a\": \"{}\"}}", "x".repeat(8 << 20));
    let l = load_guarded("long.json", long.into_bytes(), None, Limits::default());
    assert!(l.errors.is_empty() && l.docs.len() == 1);
    let many: String = (0..50_000).map(|i| format!("---\nkind: K\nn: {i}\n")).collect();
    let l = load_guarded("many.yaml", many.into_bytes(), None, Limits::default());
    assert!(l.errors.is_empty());
    assert_eq!(l.docs.len(), 50_000);
    let wide: String = format!("[{}1]", "1,".repeat(1_000_000));
    let l = load_guarded("wide.json", wide.into_bytes(), None, Limits::default());
    assert!(l.errors.is_empty() && l.docs.len() == 1);
    let continued = format!("FROM alpine\nRUN a{}\n", " \\\n b".repeat(40_000));
    let l = load_guarded("Dockerfile", continued.into_bytes(), None, Limits::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let heredocs = format!("FROM alpine\n{}", "RUN <<A <<B <<C\n".repeat(20_000));
    let l = load_guarded("Dockerfile", heredocs.into_bytes(), None, Limits::default());
    assert!(!l.errors.is_empty());
}

#[test]
fn garbage_never_panics() {
    // Deterministic pseudo-random bytes and fragments of every format, read as every format.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b",",
        b"\"",
        b"'",
        b"-",
        b"---\n",
        b"\n",
        b"\r\n",
        b"\t",
        b" ",
        b"&a",
        b"*a",
        b"<<: *a",
        b"!!str",
        b"|",
        b">",
        b"#",
        b"a",
        b"1",
        b"\\",
        b"\\u",
        b"\xff",
        b"\xef\xbb\xbf",
        b"FROM",
        b"RUN",
        b"<<EOF",
        b"EOF",
        b"# escape=`",
        b"`",
        b"ONBUILD",
        b"[\"",
        b"${",
        b"}",
        b"? ",
        b"%YAML 1.1",
        b"...",
    ];
    for round in 0..1500 {
        let mut bytes = Vec::new();
        for _ in 0..(next() % 64) {
            bytes.extend_from_slice(alphabet[(next() % alphabet.len() as u64) as usize]);
        }
        for format in [Format::Yaml, Format::Json, Format::Ndjson, Format::Dockerfile] {
            let l = load(
                &format!("garbage-{round}"),
                &bytes,
                Some(format),
                &Arc::new(Symbols::default()),
                &Limits::default(),
            );
            for e in &l.errors {
                assert!(!e.message.is_empty());
            }
        }
    }
}
