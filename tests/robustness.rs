//! The front end never panics: parsing and checking thousands of mutated versions of the
//! quickstart policy, and building the deepest trees the parser accepts, end to end. The
//! formatter keeps the tree and the comments of every mutant that parses, idempotently.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed assumption should fail the test loudly"
)]

mod common;

use ward::FileId;

/// A small deterministic pseudo-random generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments a mutation may insert: tokens that stress every part of the grammar.
const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "\"\"\"",
    "?.",
    "??",
    "=>",
    "->",
    "@",
    "::",
    "/*",
    "*/",
    "//",
    "\n",
    " ",
    "{x}",
    "r\"",
    "yaml\"\"\"",
    "let",
    "if",
    "else",
    "for",
    "in",
    "not",
    "match",
    "deny",
    "warn",
    "at",
    "fix",
    "set",
    "remove",
    "rule",
    "fn",
    "type",
    "kind",
    "param",
    "use",
    "module",
    "test",
    "expect",
    "0",
    "99999999999999999999",
    "1.5e",
    "\\u{",
    "\\",
    "§",
    "\u{0}",
    ",",
    ":",
    ".",
    "!",
    "-",
    "_",
    "true",
    "null",
    "w",
    "c",
    "Pod",
    "list<",
    "map<",
    "|",
    "=",
];

fn mutate(src: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if !chars.is_empty() => {
                let len = 1 + rng.below(8);
                let end = (at + len).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            1 => {
                let frag = FRAGMENTS[rng.below(FRAGMENTS.len())];
                chars.splice(at..at, frag.chars());
            }
            2 if !chars.is_empty() => {
                let from = rng.below(chars.len());
                let len = (1 + rng.below(16)).min(chars.len() - from);
                let piece: Vec<char> = chars[from..from + len].to_vec();
                chars.splice(at..at, piece);
            }
            _ if at < chars.len() => {
                chars[at] = FRAGMENTS[rng.below(FRAGMENTS.len())].chars().next().unwrap_or(' ')
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mutated_policies_never_panic() {
    let original =
        std::fs::read_to_string(common::root().join("examples/quickstart/policy.ward")).unwrap();
    let sigs = ward_engine::builtins::signatures().unwrap();
    // The standard library, parsed once: every mutant is checked against it.
    let stdlib: Vec<(FileId, ward_lang::ast::File)> = ward_stdlib::FILES
        .iter()
        .enumerate()
        .map(|(i, (_, text))| {
            (FileId(i as u32), ward_lang::parse::parse_file(FileId(i as u32), text).file)
        })
        .collect();
    let user = FileId(stdlib.len() as u32);
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut with_errors = 0;
    for i in 0..3000 {
        let text = mutate(&original, &mut rng);
        let parsed = ward_lang::parse::parse_file(user, &text);
        let mut files: Vec<(FileId, &ward_lang::ast::File)> = Vec::new();
        // Check most mutants alone (fast), every tenth with the standard library.
        if i % 10 == 0 {
            files.extend(stdlib.iter().map(|(id, f)| (*id, f)));
        }
        files.push((user, &parsed.file));
        let checked = ward_lang::check(&files, &sigs);
        let errors = parsed.errors.len() + checked.errors.len();
        for e in parsed.errors.iter().chain(&checked.errors) {
            let span = e.span();
            assert!(span.start <= span.end, "bad span {span:?} for {e} in mutant {i}");
            if span.file == user {
                assert!(span.end as usize <= text.len(), "span past the end: {e} in mutant {i}");
            }
            let d = e.diagnostic();
            assert!(!d.message.is_empty() && !d.message.ends_with('.'), "{}", d.message);
        }
        with_errors += usize::from(errors > 0);
    }
    // Most mutants are broken; a mutator that breaks nothing tests nothing.
    assert!(with_errors > 1500, "only {with_errors} mutants had errors");
}

#[test]
fn mutated_policies_build_and_run_without_panicking() {
    let original =
        std::fs::read_to_string(common::root().join("examples/quickstart/policy.ward")).unwrap();
    let manifests =
        std::fs::read(common::root().join("examples/quickstart/manifests.yaml")).unwrap();
    let mut rng = Rng(42);
    let mut built = 0;
    for _ in 0..150 {
        let text = mutate(&original, &mut rng);
        let Ok(policy) = ward::build(&[ward::Source { name: "p.ward".into(), text }]) else {
            continue;
        };
        built += 1;
        let loaded = policy.load("m.yaml", &manifests, None, &ward::Limits::default());
        let _ = policy.compiled.evaluate(&loaded.docs, &ward::Options::default());
        let _ = policy.compiled.run_tests();
    }
    assert!(built > 0);
}

/// The texts of a file's plain comments, in order.
fn comments(text: &str) -> Vec<String> {
    ward_lang::parse::parse_file(FileId(0), text).comments.into_iter().map(|c| c.text).collect()
}

#[test]
fn mutated_policies_format_to_the_same_tree_and_comments_idempotently() {
    // Sources with comments in many places, so that mutants move comments about.
    let mut originals = vec![
        std::fs::read_to_string(common::root().join("examples/quickstart/policy.ward")).unwrap(),
    ];
    for name in ["dockerfile.ward", "registries.ward", "resources.ward"] {
        originals
            .push(std::fs::read_to_string(common::root().join("policies").join(name)).unwrap());
    }
    let mut rng = Rng(0xf0f0_1234_5678_9abc);
    let mut formatted = 0;
    for i in 0..4000 {
        let text = mutate(&originals[i % originals.len()], &mut rng);
        let Ok(out) = ward_lang::fmt::format(&text) else { continue };
        formatted += 1;
        assert!(ward_lang::fmt::same_tree(&text, &out), "mutant {i} changed its tree:\n{text}");
        assert_eq!(comments(&text), comments(&out), "mutant {i} lost a comment:\n{text}");
        let again = ward_lang::fmt::format(&out).unwrap_or_else(|e| {
            panic!("mutant {i}: the formatted text does not parse: {e:?}\n{out}")
        });
        assert_eq!(again, out, "mutant {i}: formatting is not idempotent:\n{text}");
    }
    // Many mutants still parse; a mutator that never leaves one whole tests nothing here.
    assert!(formatted > 400, "only {formatted} mutants parsed");
}

#[test]
fn the_deepest_accepted_trees_run() {
    let chain = "1 + ".repeat(250) + "1";
    assert_eq!(ward::eval_expr(&chain).unwrap(), serde_json::json!(251));
    let nested = "[".repeat(120) + &"]".repeat(120);
    assert!(ward::eval_expr(&nested).is_ok());
    let vars = "let x = 1\n".to_string() + &"x + ".repeat(250) + "x";
    assert_eq!(ward::eval_expr(&vars).unwrap(), serde_json::json!(251));
    let fields = "let m = {a: 1}\n".to_string() + &"[".repeat(100) + "m" + &"]".repeat(100);
    assert!(ward::eval_expr(&fields).is_ok());
    let too_long = "1 + ".repeat(300) + "1";
    let errs = ward::eval_expr(&too_long).unwrap_err();
    assert!(errs.iter().any(|d| d.code == "E0102"));
}
