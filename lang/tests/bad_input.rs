//! Bad input never panics or overflows the stack: each gives a clear error with a location.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed assumption should fail the test loudly"
)]

use ward_lang::error::Error;
use ward_lang::parse::parse_file;
use ward_lang::{FileId, SourceMap};

/// Parses and checks `src` (with no builtins and no other files) and returns every error.
fn errors(src: &str) -> Vec<Error> {
    let parsed = parse_file(FileId(0), src);
    let checked = ward_lang::check(&[(FileId(0), &parsed.file)], &[]);
    let mut all = parsed.errors;
    all.extend(checked.errors);
    all
}

/// The 1-based line and column of an error.
fn at(src: &str, e: &Error) -> (u32, u32) {
    let mut map = SourceMap::new();
    let id = map.add("t", src);
    map.get(id).unwrap().line_col(e.span().start)
}

fn first_with_code<'a>(errs: &'a [Error], code: &str) -> &'a Error {
    errs.iter().find(|e| e.code() == code).unwrap_or_else(|| panic!("no {code} in {errs:?}"))
}

#[test]
fn empty_file() {
    let errs = errors("");
    let e = first_with_code(&errs, "E0103");
    assert_eq!(at("", e), (1, 1));
    assert!(e.diagnostic().help.is_some());
}

#[test]
fn binary_garbage() {
    let bytes: Vec<u8> =
        (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let src = String::from_utf8_lossy(&bytes).into_owned();
    let errs = errors(&src);
    assert!(!errs.is_empty());
    assert!(errs.iter().all(|e| (e.span().start as usize) <= src.len()));
    let e = first_with_code(&errs, "E0001");
    assert!(e.to_string().starts_with("unexpected character"));
}

#[test]
fn nul_bytes_and_control_characters() {
    let src = "module m\nfn f() -> int { 1 \u{0} }\n\u{7}";
    let errs = errors(src);
    assert_eq!(at(src, first_with_code(&errs, "E0001")), (2, 19));
}

#[test]
fn a_one_megabyte_line() {
    let src = format!("module m\nfn f() -> int {{ {} }}\n", "1 + ".repeat(262_144) + "1");
    assert!(src.len() > 1_000_000);
    let errs = errors(&src);
    assert_eq!(at(&src, first_with_code(&errs, "E0102")).0, 2);
    // A long chain within the limit is fine.
    let ok = format!("module m\nfn f() -> int {{ {} }}\n", "1 + ".repeat(200) + "1");
    assert!(errors(&ok).is_empty(), "{:?}", errors(&ok).first());
    let fields = format!("module m\nfn f(x: any) -> any {{ x{} }}\n", ".a".repeat(300_000));
    assert!(errors(&fields).iter().any(|e| e.code() == "E0102"));
    let calls =
        format!("module m\nfn f(x: string) -> string {{ x{} }}\n", ".trim()".repeat(150_000));
    assert!(errors(&calls).iter().any(|e| e.code() == "E0102"));
    let elifs = format!(
        "module m\nfn f(x: int) -> int {{ if x == 0 {{ 0 }} {} else {{ 1 }} }}\n",
        "else if x == 1 { 1 } ".repeat(50_000)
    );
    assert!(errors(&elifs).iter().any(|e| e.code() == "E0102"));
    let junk = format!("module m\nparam p: string = \"{}", "x".repeat(1_000_000));
    let errs = errors(&junk);
    assert_eq!(at(&junk, first_with_code(&errs, "E0002")), (2, 19));
}

#[test]
fn ten_thousand_nested_parentheses() {
    let src = format!("module m\nparam p: int = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    let errs = errors(&src);
    let e = first_with_code(&errs, "E0102");
    assert_eq!(at(&src, e).0, 2);
    assert!(e.diagnostic().help.is_some());
}

#[test]
fn ten_thousand_nested_brackets() {
    let src = format!("module m\nparam p: any = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let errs = errors(&src);
    assert_eq!(at(&src, first_with_code(&errs, "E0102")).0, 2);
}

#[test]
fn ten_thousand_nested_braces_and_blocks() {
    let maps =
        format!("module m\nparam p: any = {}{}\n", "{a: ".repeat(10_000), "}".repeat(10_000));
    assert!(errors(&maps).iter().any(|e| e.code() == "E0102"));
    let ifs = format!(
        "module m\nuse k8s.{{Pod}}\nrule r(p: Pod) {{ {} }}\n",
        "if true { ".repeat(10_000) + &"}".repeat(10_000)
    );
    assert!(errors(&ifs).iter().any(|e| e.code() == "E0102"));
    let types = format!("module m\ntype T = {}int{}\n", "list<".repeat(10_000), ">".repeat(10_000));
    assert!(errors(&types).iter().any(|e| e.code() == "E0102"));
}

#[test]
fn ten_thousand_unary_operators() {
    let src = format!("module m\nparam p: int = {}1\n", "-".repeat(10_000));
    assert!(errors(&src).iter().any(|e| e.code() == "E0102"));
    let src = format!("module m\nparam p: bool = {}true\n", "!".repeat(10_000));
    assert!(errors(&src).iter().any(|e| e.code() == "E0102"));
}

#[test]
fn deeply_nested_interpolations() {
    let src =
        format!("module m\nparam p: string = {}1{}\n", "\"{".repeat(5_000), "}\"".repeat(5_000));
    assert!(errors(&src).iter().any(|e| e.code() == "E0102"));
}

#[test]
fn unterminated_string() {
    let src = "module m\nparam p: string = \"abc\nparam q: int = 1\n";
    let errs = errors(src);
    let e = first_with_code(&errs, "E0002");
    assert_eq!(at(src, e), (2, 19));
    assert_eq!(e.to_string(), "unterminated string");
}

#[test]
fn unterminated_block_comment() {
    let src = "module m\n/* a /* nested */ still open\nparam q: int = 1\n";
    let errs = errors(src);
    let e = first_with_code(&errs, "E0003");
    assert_eq!(at(src, e), (2, 1));
    assert_eq!(e.to_string(), "unterminated block comment");
}

#[test]
fn unterminated_multi_line_and_document_literals() {
    for src in
        ["module m\nparam p: string = \"\"\"\nabc\n", "module m\nparam p: any = yaml\"\"\"\na: 1\n"]
    {
        let errs = errors(src);
        assert_eq!(at(src, first_with_code(&errs, "E0002")).0, 2);
    }
}

#[test]
fn every_syntax_error_is_reported_not_only_the_first() {
    let src = "module m\nfn a( {\nfn b() -> int { 1 + }\nparam c: = 1\nrule d(x: Pod) { deny }\n";
    let errs = errors(src);
    let lines: std::collections::BTreeSet<u32> =
        errs.iter().filter(|e| e.code() == "E0101").map(|e| at(src, e).0).collect();
    assert!(lines.len() >= 3, "{errs:?}");
}
