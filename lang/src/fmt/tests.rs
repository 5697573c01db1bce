//! Formatter tests: one `check` helper over small inputs, and the whole repository's sources.

use super::*;
use crate::lex::{self, Tok};

#[track_caller]
fn check(input: &str, expected: &str) {
    let out = match format(input) {
        Ok(out) => out,
        Err(errs) => panic!("syntax errors in the input: {errs:?}"),
    };
    assert_eq!(out, expected, "\n--- got ---\n{out}--- expected ---\n{expected}");
    assert!(same_tree(input, &out), "the tree changed:\n{out}");
    assert_eq!(format(&out).ok().as_deref(), Some(out.as_str()), "not idempotent");
    assert_comments_kept(input, &out);
}

/// Every comment and doc comment of `src`, in order: plain ones with their text, doc lines.
fn comments(src: &str) -> Vec<String> {
    let lexed = lex::lex(FileId(0), src);
    let mut out: Vec<(u32, String)> =
        lexed.comments.into_iter().map(|c| (c.span.start, c.text)).collect();
    out.extend(lexed.tokens.into_iter().filter_map(|t| match t.tok {
        Tok::DocComment(d) => Some((t.span.start, format!("///{d}"))),
        Tok::ModuleDoc(d) => Some((t.span.start, format!("//!{d}"))),
        _ => None,
    }));
    out.sort_by_key(|c| c.0);
    out.into_iter().map(|c| c.1).collect()
}

#[track_caller]
fn assert_comments_kept(src: &str, out: &str) {
    assert_eq!(comments(src), comments(out), "comments changed:\n{out}");
}

#[test]
fn module_docs_uses_and_params() {
    check(
        "//! Doc.\nmodule  a.b\nuse k8s.{ Pod,Container as C }\n\n\nuse k8s.core as c\n/// The version.\nparam version : string=\"latest\"",
        r#"//! Doc.
module a.b

use k8s.{Pod, Container as C}

use k8s.core as c

/// The version.
param version: string = "latest"
"#,
    );
}

#[test]
fn attributes_one_per_line_and_docs_kept_in_place() {
    check(
        "module m\n/// Doc.\n@id(\"X\")   @severity(high) @tags(\"a\",\"b\")\n/// After.\nrule r(w:Pod){deny \"x\"}\n@format(\"f\") kind K = { a: string }",
        r#"module m

/// Doc.
@id("X")
@severity(high)
@tags("a", "b")
/// After.
rule r(w: Pod) {
  deny "x"
}

@format("f")
kind K = { a: string }
"#,
    );
}

#[test]
fn records_break_one_field_per_line_when_long_or_documented() {
    check(
        "module m\ntype Short = {a:string,b?:list<int>}\ntype Long = { aaaaaaaaaa: string, bbbbbbbbbbbb?: list<int>, cccccccccccc: map<string, int?>, dddd: int }\ntype Doc = {\n/// The a.\na: string }",
        r#"module m

type Short = { a: string, b?: list<int> }

type Long = {
  aaaaaaaaaa: string,
  bbbbbbbbbbbb?: list<int>,
  cccccccccccc: map<string, int?>,
  dddd: int,
}

type Doc = {
  /// The a.
  a: string,
}
"#,
    );
}

#[test]
fn unions_break_one_alternative_per_line() {
    check(
        "module m\ntype S = \"a\"|\"b\"\ntype W = Pod | Deployment | StatefulSet | DaemonSet | ReplicaSet | ReplicationController | Job | CronJob\ntype O = (A | B)? \ntype F = fn(int, string) -> bool",
        r#"module m

type S = "a" | "b"

type W =
  | Pod
  | Deployment
  | StatefulSet
  | DaemonSet
  | ReplicaSet
  | ReplicationController
  | Job
  | CronJob

type O = (A | B)?

type F = fn(int, string) -> bool
"#,
    );
}

#[test]
fn statements_keep_one_blank_line_at_most() {
    check(
        "module m\nrule r(w: Pod) {\n\n  let a = 1\n\n\n\n  let b = 2\n  for c in w.spec?.containers ?? [], p in c.ports ?? [] { if c.name==\"x\" { warn \"x\" } else if c.name == \"y\" { deny \"y\" } else { deny \"z\" } }\n\n}",
        r#"module m

rule r(w: Pod) {
  let a = 1

  let b = 2
  for c in w.spec?.containers ?? [], p in c.ports ?? [] {
    if c.name == "x" {
      warn "x"
    } else if c.name == "y" {
      deny "y"
    } else {
      deny "z"
    }
  }
}
"#,
    );
}

#[test]
fn findings_break_at_and_fix_onto_continuation_lines() {
    check(
        "module m\nrule r(w: Pod) {\n  for c in w.containers() {\n    deny \"short\" at c.name\n    deny \"container `{c.name}` runs privileged (`privileged: true`)\" at c.securityContext.privileged fix remove c.securityContext.privileged fix set c.x = 1\n  }\n}",
        r#"module m

rule r(w: Pod) {
  for c in w.containers() {
    deny "short" at c.name
    deny "container `{c.name}` runs privileged (`privileged: true`)"
      at c.securityContext.privileged
      fix remove c.securityContext.privileged
      fix set c.x = 1
  }
}
"#,
    );
}

#[test]
fn lists_maps_and_calls_break_one_item_per_line() {
    check(
        "module m\nfn f() -> list<string> {\n  let m = {\"a\": 1, b: 2, not: 3}\n  g([\"configMap\", \"csi\", \"downwardAPI\", \"emptyDir\", \"ephemeral\", \"image\", \"persistentVolumeClaim\"], m)\n}",
        r#"module m

fn f() -> list<string> {
  let m = { "a": 1, b: 2, not: 3 }
  g(
    ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim"],
    m,
  )
}
"#,
    );
}

#[test]
fn long_operator_chains_break_before_the_operator() {
    check(
        "module m\nfn f(s: string) -> bool {\n  s == \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" || s == \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\" || s == \"cc\"\n}",
        r#"module m

fn f(s: string) -> bool {
  s == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    || s == "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    || s == "cc"
}
"#,
    );
}

#[test]
fn parentheses_follow_precedence() {
    check(
        "module m\nfn f(a: int, b: int) -> any {\n  let x = ((a + b)) * (a - (b - 1)) - (a - b) - -(-a)\n  let y = !((a == b) || (b ?? 1) > 0) && ((a ?? b) ?? 1) == (a ?? (b ?? 1))\n  let z = (a ?? b).c + (if a { 1 } else { 2 }) + (xs.map(x => x)).len()\n  let w = (x => x + 1)\n  x\n}",
        r#"module m

fn f(a: int, b: int) -> any {
  let x = (a + b) * (a - (b - 1)) - (a - b) - -(-a)
  let y = !(a == b || (b ?? 1) > 0) && ((a ?? b) ?? 1) == (a ?? b ?? 1)
  let z = (a ?? b).c + (if a { 1 } else { 2 }) + xs.map(x => x).len()
  let w = x => x + 1
  x
}
"#,
    );
}

#[test]
fn literals_are_copied_as_written() {
    check(
        "module m\nfn f(s: string) -> bool {\n  r\"raw\\d\" == s || \"a\\n{s + \"{1}\"}\\u{1F600}\" == s || (1_000 + 1.5e3) > 0 || \"\"\"\n    multi\n  \"\"\" == s\n}",
        "module m\n\nfn f(s: string) -> bool {\n  r\"raw\\d\" == s || \"a\\n{s + \"{1}\"}\\u{1F600}\" == s || 1_000 + 1.5e3 > 0 || \"\"\"\n    multi\n  \"\"\" == s\n}\n",
    );
}

#[test]
fn a_value_starting_with_minus_after_a_let_keeps_its_semicolon() {
    check(
        "module m\nfn f(a: int) -> int { let x = a; -x }",
        "module m\n\nfn f(a: int) -> int {\n  let x = a;\n  -x\n}\n",
    );
}

#[test]
fn maps_in_the_head_of_a_for_keep_their_parentheses() {
    check(
        "module m\nrule r(w: Pod) { for k in keys(({a: 1})), v in ({b: 2}) { deny k } }",
        "module m\n\nrule r(w: Pod) {\n  for k in keys({ a: 1 }), v in ({ b: 2 }) {\n    deny k\n  }\n}\n",
    );
}

#[test]
fn match_and_if_expressions() {
    check(
        "module m\nfn f(w: Workload) -> any {\n  let a = match w { Pod => 1, d: Deployment => 2, \"x\" => 3, -1 => 4, _ => 5 }\n  let b = if a > 1 { \"x\" } else if a > 0 { \"y\" } else { \"z\" }\n  (match w { _ => 1 }) == 1\n}",
        r#"module m

fn f(w: Workload) -> any {
  let a = match w {
    Pod => 1,
    d: Deployment => 2,
    "x" => 3,
    -1 => 4,
    _ => 5,
  }
  let b = if a > 1 { "x" } else if a > 0 { "y" } else { "z" }
  (match w {
    _ => 1,
  }) == 1
}
"#,
    );
}

#[test]
fn tests_and_expectations() {
    check(
        "module m\ntest \"t\" {\n  let pod = yaml\"\"\"\n    kind: Pod\n  \"\"\"\n  expect deny r(pod) at \"/x\"\n  expect no warn r(pod)\n  expect 1 + 1 == 2\n}\ntest \"empty\" {}",
        "module m\n\ntest \"t\" {\n  let pod = yaml\"\"\"\n    kind: Pod\n  \"\"\"\n  expect deny r(pod) at \"/x\"\n  expect no warn r(pod)\n  expect 1 + 1 == 2\n}\n\ntest \"empty\" {}\n",
    );
}

#[test]
fn comments_stay_where_they_were_written() {
    check(
        r#"// Header.

//! Doc.
module m // the module
// Before the use.
use k8s.{Pod}

// A section.

/// The rule.
rule r(w: Pod) { // opens
  // Leading.
  let xs = [1, // one
    2,
    // before three
    3]
  let y = xs.map(x => x * 2) /* inline */ // doubled
  if y == [] {
    deny "container `{w /* in an interpolation */}`" // why
  } else {
    // nothing
  }
  // dangling
}
/* block */ fn f() -> int { 1 }
// end of file
"#,
        r#"// Header.

//! Doc.
module m // the module

// Before the use.
use k8s.{Pod}

// A section.

/// The rule.
rule r(w: Pod) { // opens
  // Leading.
  let xs = [
    1, // one
    2,
    // before three
    3,
  ]
  let y = xs.map(x => x * 2) /* inline */ // doubled
  if y == [] {
    deny "container `{w /* in an interpolation */}`" // why
  } else {
    // nothing
  }
  // dangling
}

/* block */ fn f() -> int {
  1
}
// end of file
"#,
    );
}

#[test]
fn syntax_errors_are_returned() {
    let errs = format("module m\nrule r( {").unwrap_err();
    assert!(!errs.is_empty());
}

/// The ```` ```ward ```` blocks of the README and of `spec/`, with the file they are in.
fn markdown_blocks() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![root.join("README.md")];
    if let Ok(rd) = std::fs::read_dir(root.join("spec")) {
        files.extend(
            rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "md")),
        );
    }
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        let mut block: Option<String> = None;
        for line in text.lines() {
            match &mut block {
                None if line.trim_start() == "```ward" => block = Some(String::new()),
                Some(b) if line.trim_start() == "```" => {
                    out.push((f.display().to_string(), std::mem::take(b)));
                    block = None;
                }
                Some(b) => {
                    b.push_str(line);
                    b.push('\n');
                }
                None => {}
            }
        }
    }
    out
}

#[test]
fn markdown_examples_that_are_whole_files_are_formatted() {
    let blocks = markdown_blocks();
    assert!(!blocks.is_empty());
    for (file, block) in blocks {
        // Fragments (no `module`, or elided parts) are not files; only whole files are checked.
        let Ok(out) = format(&block) else { continue };
        assert!(same_tree(&block, &out), "{file}: the tree changed");
        assert_eq!(out, block, "{file}: a ```ward block is not formatted");
    }
}

/// A comment put before any token of a file is kept, in order, and the result is stable.
#[test]
fn a_comment_before_any_token_is_kept() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let src = std::fs::read_to_string(root.join("stdlib/pss/version.ward")).unwrap()
        + "\ntest \"t\" {\n  let xs = [1, 2]\n  expect match xs { [] => 0, _ => 1 } == 1\n  expect deny r({ a: 1 }) at \"/x\"\n}\n"
        + "rule r(w: any) {\n  for a in [1], b in [2] {\n    if a > b { deny \"x\" at a fix set a = 1 } else if a < b { warn \"y\" } else { deny \"z\" }\n  }\n}\n"
        + "use k8s.{Pod, Container as C}\n/// T.\n@format(\"f\") kind K = { /// A.\n a: \"x\" | \"y\", b?: list<map<string, int?>>, c: fn(int) -> bool }\n"
        + "fn g(x: int) -> int { let y = if x > 0 { x } else { -x }; (y ?? 0) * 2 }\n";
    let tokens = lex::lex(FileId(0), &src).tokens;
    for (i, t) in tokens.iter().enumerate() {
        for comment in ["/* c */ ", "// c\n"] {
            let at = t.span.start as usize;
            let input = format!("{}{comment}{}", &src[..at], &src[at..]);
            let Ok(out) = format(&input) else { continue };
            assert!(same_tree(&input, &out), "token {i}: the tree changed:\n{out}");
            assert_comments_kept(&input, &out);
            assert_eq!(
                format(&out).unwrap(),
                out,
                "token {i}: not idempotent:\n{}",
                &input[input.len().saturating_sub(400)..]
            );
        }
    }
}

#[test]
fn optional_index_is_kept() {
    check(
        "module m\nfn f(x: map<string, int>?) -> int? {\n  x?[\"a\"]\n}\n",
        "module m\n\nfn f(x: map<string, int>?) -> int? {\n  x?[\"a\"]\n}\n",
    );
}
