//! The checker's promise, tested: a program that passes the checker never raises a type error
//! while it is evaluated over documents that conform to their schema.
//!
//! A small deterministic generator (a seeded SplitMix64, no dependency) writes random rules over
//! `Pod` and `Workload`: paths through the Kubernetes types read with `.`/`?.`, `??`, `exists`,
//! `==`, `in`, `for`, `let`, `if`, `match` on kinds, lambdas given to builtins, helper functions,
//! and narrowing by `exists`. The generator aims at well-typed programs but does not have to hit:
//! the checker is the judge, and only what it accepts is run (at least 90% must be accepted, so
//! the generator keeps exercising the language). Documents are generated from the same type
//! table: every required field, a random subset of the optional ones, values of the declared
//! types. Each accepted program is evaluated over its documents; any rule error other than the
//! step budget fails the test, printing the seed, the program and the document.
//!
//! Why not `proptest`: the generators are driven by the checker's type table at run time (not
//! by static strategies), shrinking a program tied to a schema walk would rarely give a smaller
//! failing case, and a seed printed on failure reproduces the case exactly.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests fail loudly"
)]

use std::fmt::Write as _;

use serde_json::{Map, Value as J, json};
use ward::{EvalError, Limits, Options, Source, build};
use ward_lang::types::{Ty, TypeBody, TypeId, TypeTable};

/// Programs per run (`WARD_SOUNDNESS_PROGRAMS` overrides, for longer searches), and documents per
/// program: bounded so the test takes seconds in debug.
const PROGRAMS: u64 = 70;
const DOCS: usize = 12;

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// A variable in scope: its name and its type, with optionality in the type (`T?`).
#[derive(Clone)]
struct Var {
    name: String,
    ty: Ty,
}

struct Gen<'t> {
    types: &'t TypeTable,
    rng: Rng,
    fresh: u32,
    helpers: Vec<String>,
}

const STRINGS: &[&str] = &[
    "",
    "a",
    "web",
    "nginx",
    "nginx:latest",
    "docker.io/library/nginx:1.25",
    "ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "RuntimeDefault",
    "Always",
    "50%",
    "true",
    "0",
    "x y",
    "ünï",
];

impl Gen<'_> {
    fn name(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    fn lit(&mut self) -> String {
        format!("{:?}", self.rng.pick(STRINGS))
    }

    /// Fields of a record type, if `ty` is one.
    fn fields(&self, ty: &Ty) -> Option<Vec<(String, Ty)>> {
        let (_, fields) = self.types.record(&ty.definite())?;
        Some(
            fields
                .iter()
                .map(|f| {
                    let t = if f.optional { f.ty.clone().optional() } else { f.ty.clone() };
                    (f.name.to_string(), t)
                })
                .collect(),
        )
    }

    /// Walks 0–4 random fields from `start`, writing `?.` after an optional value.
    fn walk(&mut self, start: &Var) -> (String, Ty) {
        let (mut text, mut ty) = (start.name.clone(), start.ty.clone());
        for _ in 0..self.rng.below(5) {
            let Some(fields) = self.fields(&ty) else { break };
            if fields.is_empty() {
                break;
            }
            let (f, fty) = self.rng.pick(&fields).clone();
            let sep = if ty.is_optional() { "?." } else { "." };
            let optional = ty.is_optional();
            text = format!("{text}{sep}{f}");
            ty = if optional { fty.optional() } else { fty };
        }
        (text, ty)
    }

    /// A `bool` expression over the variables in `env`.
    fn cond(&mut self, env: &[Var], depth: u32) -> String {
        if depth == 0 || self.rng.chance(0.1) {
            return self.rng.pick(&["true", "false"]).to_string();
        }
        match self.rng.below(10) {
            0 => format!("({} && {})", self.cond(env, depth - 1), self.cond(env, depth - 1)),
            1 => format!("({} || !({}))", self.cond(env, depth - 1), self.cond(env, depth - 1)),
            2 if !self.helpers.is_empty() => self.call_helper(env),
            _ => {
                let v = self.rng.pick(env).clone();
                let (text, ty) = self.walk(&v);
                self.consume(&text, &ty, env, depth - 1)
            }
        }
    }

    fn call_helper(&mut self, env: &[Var]) -> String {
        let h = self.rng.pick(&self.helpers).clone();
        let containers: Vec<&Var> =
            env.iter().filter(|v| self.is_named(&v.ty, "Container")).collect();
        match containers.first() {
            Some(c) if self.rng.chance(0.5) => format!("{}.{h}()", c.name),
            Some(c) => format!("{h}({})", c.name),
            None => "true".into(),
        }
    }

    fn is_named(&self, ty: &Ty, name: &str) -> bool {
        matches!(ty, Ty::Named(id) if self.types.get(*id).is_some_and(|d| d.name == name))
    }

    /// A `bool` expression that uses the value at path `p` of type `ty`.
    fn consume(&mut self, p: &str, ty: &Ty, env: &[Var], depth: u32) -> String {
        let opt = ty.is_optional();
        let def = self.types.resolve(&ty.definite());
        // Only paths of fields rooted at a variable narrow; calls such as `w.pod_spec()` and
        // indexing such as `m["a"]` do not.
        if opt && !p.contains(['(', '[']) && self.rng.chance(0.15) {
            // Narrowing: inside `if exists(p)`, `p` (written with plain dots) is definite.
            let plain = p.replace("?.", ".");
            let inner = self.consume(&plain, &ty.definite(), env, depth);
            let other = self.cond(env, depth);
            return if self.rng.chance(0.5) {
                format!("(if exists({p}) {{ {inner} }} else {{ {other} }})")
            } else {
                format!("({p} != null && {inner})")
            };
        }
        match def {
            Ty::Bool => {
                if opt {
                    self.rng
                        .pick(&[
                            "{} == true",
                            "{} == false",
                            "({} ?? false)",
                            "({} ?? true)",
                            "exists({})",
                            "{} != null",
                            "!({} ?? false)",
                        ])
                        .replace("{}", p)
                } else {
                    self.rng.pick(&["{}", "!{}", "{} == true", "({} || false)"]).replace("{}", p)
                }
            }
            Ty::Str | Ty::StrLit(_) => {
                let s = if opt { format!("({p} ?? {})", self.lit()) } else { p.to_string() };
                // A literal-typed field (`kind: "Pod"`) is compared only with its own literal: the
                // checker rightly rejects any other.
                let lit = match &def {
                    Ty::StrLit(l) => format!("{l:?}"),
                    _ => self.lit(),
                };
                let lit2 = self.lit();
                match self.rng.below(12) {
                    0 => format!("{p} == {lit}"),
                    1 => format!("{p} != {lit}"),
                    2 => format!("{s}.starts_with({lit})"),
                    3 => format!("contains({s}, {lit})"),
                    4 => format!("len({s}) > {}", self.rng.below(5)),
                    5 => format!("lower({s}) == {lit}"),
                    6 => format!("{s} in [{lit}, {lit2}]"),
                    7 => format!("{lit} in {s}"),
                    8 => format!("{s}.matches(r\"^[a-z]+$\")"),
                    9 => format!("split({s}, \":\").len() > 1"),
                    10 => format!("({s}.image_tag() ?? \"latest\") == \"latest\""),
                    _ => format!("\"<{{{s}}}>\" != {lit}"),
                }
            }
            Ty::Int | Ty::Float => {
                let zero = if def == Ty::Int { "0" } else { "0.5" };
                let n = if opt { format!("({p} ?? {zero})") } else { p.to_string() };
                match self.rng.below(6) {
                    0 => format!("{n} > {}", self.rng.below(4)),
                    1 => format!("{p} == {}", self.rng.below(3)),
                    2 if def == Ty::Int => format!("{n} % 2 == 0"),
                    3 => format!("{n} + 1 >= {n} * 2"),
                    4 => format!("to_string({n}) != \"7\""),
                    _ => format!("-{n} < 1"),
                }
            }
            Ty::List(elem) => {
                let l = if opt { format!("({p} ?? [])") } else { p.to_string() };
                let x = self.name("x");
                let mut inner_env = env.to_vec();
                inner_env.push(Var { name: x.clone(), ty: (*elem).clone() });
                match self.rng.below(8) {
                    0 => format!("len({l}) > {}", self.rng.below(3)),
                    1 => format!("is_empty({l})"),
                    2 => format!("{l}.any({x} => {})", self.cond(&inner_env, depth)),
                    3 => format!("{l}.all({x} => {})", self.cond(&inner_env, depth)),
                    4 => format!("{l}.count({x} => {}) >= 1", self.cond(&inner_env, depth)),
                    5 => format!("len({l}.filter({x} => {})) == 0", self.cond(&inner_env, depth)),
                    6 => {
                        let first = format!("first({l})");
                        self.consume(&first, &elem.optional(), env, depth)
                    }
                    _ => {
                        let body = self.cond(&inner_env, depth);
                        format!("{l}.map({x} => {body}).any(b{x} => b{x})")
                    }
                }
            }
            Ty::Map(_, v) => {
                let m = if opt { format!("({p} ?? {{}})") } else { p.to_string() };
                let k = self.rng.pick(&["\"app\"", "\"a\"", "\"tier\""]).to_string();
                match self.rng.below(5) {
                    0 => format!("{k} in {m}"),
                    1 => format!("len(keys({m})) > 0"),
                    2 => format!("{m}.has_key({k})"),
                    3 => self.consume(&format!("{m}[{k}]"), &v.optional(), env, depth),
                    _ => self.consume(&format!("values({m})"), &Ty::List(v), env, depth),
                }
            }
            Ty::Named(_) if self.fields(ty).is_some() => {
                // Read on through the record.
                let start = Var { name: p.to_string(), ty: ty.clone() };
                let (text, t) = self.walk(&start);
                if text == p {
                    if opt { format!("exists({p})") } else { "true".into() }
                } else {
                    self.consume(&text, &t, env, depth)
                }
            }
            Ty::Union(_) if self.types.kinds_of(&def).is_some() => {
                if opt {
                    format!("exists({p})")
                } else {
                    format!("exists({p}.metadata)")
                }
            }
            Ty::Union(_) => format!("({p} == 1 || {p} == \"50%\" || exists({p}))"),
            Ty::Any => self.rng.pick(&["{} == \"x\"", "exists({})", "{} != 1"]).replace("{}", p),
            _ => {
                if opt {
                    format!("exists({p})")
                } else {
                    "true".into()
                }
            }
        }
    }

    /// Statements of a rule body.
    fn stmts(&mut self, env: &[Var], depth: u32, out: &mut String, indent: usize) {
        let pad = " ".repeat(indent);
        for _ in 0..1 + self.rng.below(3) {
            match self.rng.below(if depth == 0 { 1 } else { 5 }) {
                0 => {
                    let c = self.cond(env, 3);
                    let v = self.rng.pick(env).clone();
                    let (at, _) = self.walk(&v);
                    let kw = self.rng.pick(&["deny", "warn"]);
                    let msg = match env.iter().find(|v| self.is_named(&v.ty, "Container")) {
                        Some(c) => format!(
                            "\"container `{{{}.name}}` at {{len({}.name)}}\"",
                            c.name, c.name
                        ),
                        None => "\"finding\"".into(),
                    };
                    let at = if self.rng.chance(0.6) { format!(" at {at}") } else { String::new() };
                    let _ = writeln!(out, "{pad}if {c} {{ {kw} {msg}{at} }}");
                }
                1 => {
                    // A loop over a list reachable from some variable.
                    let v = self.rng.pick(env).clone();
                    let (text, ty) = self.walk(&v);
                    if let Ty::List(elem) = self.types.resolve(&ty.definite()) {
                        let coll = if ty.is_optional() { format!("{text} ?? []") } else { text };
                        let x = self.name("e");
                        let _ = writeln!(out, "{pad}for {x} in {coll} {{");
                        let mut inner = env.to_vec();
                        inner.push(Var { name: x, ty: *elem });
                        self.stmts(&inner, depth - 1, out, indent + 2);
                        let _ = writeln!(out, "{pad}}}");
                    } else {
                        let c = self.cond(env, 2);
                        let _ = writeln!(out, "{pad}if {c} {{ deny \"loopless\" }}");
                    }
                }
                2 => {
                    let v = self.rng.pick(env).clone();
                    let (text, ty) = self.walk(&v);
                    let l = self.name("l");
                    let _ = writeln!(out, "{pad}let {l} = {text}");
                    let mut inner = env.to_vec();
                    inner.push(Var { name: l, ty });
                    self.stmts(&inner, depth - 1, out, indent);
                    return;
                }
                3 => {
                    let c = self.cond(env, 2);
                    let _ = writeln!(out, "{pad}if {c} {{");
                    self.stmts(env, depth - 1, out, indent + 2);
                    let _ = writeln!(out, "{pad}}} else {{");
                    self.stmts(env, depth - 1, out, indent + 2);
                    let _ = writeln!(out, "{pad}}}");
                }
                _ => {
                    // `match` on the document's kind, narrowing it in the arm.
                    let doc = &env[0];
                    let arms = if self.is_named(&doc.ty, "Pod") {
                        let c = self.cond(&[Var { name: "q".into(), ty: doc.ty.clone() }], 2);
                        format!("q: Pod => {c}")
                    } else {
                        let pod = self.kind("Pod");
                        let dep = self.kind("Deployment");
                        let c1 = self.cond(&[Var { name: "q".into(), ty: pod }], 2);
                        let c2 = self.cond(&[Var { name: "q".into(), ty: dep }], 2);
                        format!("q: Pod => {c1}, q: Deployment => {c2}, _ => false")
                    };
                    let _ = writeln!(
                        out,
                        "{pad}if match {} {{ {arms} }} {{ deny \"matched\" }}",
                        doc.name
                    );
                }
            }
        }
    }

    fn kind(&self, name: &str) -> Ty {
        Ty::Named(find(self.types, "k8s", name))
    }

    /// A program: one helper function over a container and a few rules.
    fn program(&mut self) -> String {
        let mut out =
            String::from("module gen\nuse k8s.{Pod, Deployment, Workload, Container}\n\n");
        let container = Var { name: "c".into(), ty: self.kind("Container") };
        let body = self.cond(std::slice::from_ref(&container), 3);
        // Parenthesised: a line starting with `-` would continue the `let` above it.
        let _ = writeln!(
            out,
            "fn helper(c: Container) -> bool {{\n  let unused = c.name\n  ({body})\n}}\n"
        );
        self.helpers = vec!["helper".into()];
        for i in 0..4 {
            if self.rng.chance(0.5) {
                let _ = writeln!(out, "rule r{i}(p: Pod) {{");
                let env = vec![Var { name: "p".into(), ty: self.kind("Pod") }];
                self.stmts(&env, 3, &mut out, 2);
            } else {
                let _ = writeln!(out, "rule r{i}(w: Workload) {{");
                let list = Ty::List(Box::new(self.kind("Container")));
                let env = vec![
                    Var { name: "w".into(), ty: Ty::Named(find(self.types, "k8s", "Workload")) },
                    Var { name: "w.containers()".into(), ty: list },
                    Var {
                        name: "w.pod_spec()".into(),
                        ty: Ty::Named(find(self.types, "k8s", "PodSpec")).optional(),
                    },
                ];
                self.stmts(&env, 3, &mut out, 2);
            }
            out.push_str("}\n\n");
        }
        out
    }

    /// A JSON value conforming to `ty`.
    fn value(&mut self, ty: &Ty, depth: u32) -> J {
        match self.types.resolve(ty) {
            Ty::Bool => J::Bool(self.rng.chance(0.5)),
            Ty::Int => json!(self.rng.below(8) as i64 - 2),
            Ty::Float => json!(self.rng.below(100) as f64 / 8.0),
            Ty::Str => J::String(self.rng.pick(STRINGS).to_string()),
            Ty::StrLit(s) => J::String(s.to_string()),
            Ty::List(t) => {
                let n = if depth > 6 { 0 } else { self.rng.below(4) };
                J::Array((0..n).map(|_| self.value(&t, depth + 1)).collect())
            }
            Ty::Map(_, v) => {
                let n = if depth > 6 { 0 } else { self.rng.below(3) };
                let mut m = Map::new();
                for _ in 0..n {
                    let k = self.rng.pick(&["app", "a", "tier", "x.io/y"]).to_string();
                    m.insert(k, self.value(&v, depth + 1));
                }
                J::Object(m)
            }
            Ty::Opt(t) => self.value(&t, depth),
            Ty::Union(alts) => {
                let a = self.rng.pick(&alts).clone();
                self.value(&a, depth)
            }
            Ty::Any => match self.rng.below(4) {
                0 => json!("x"),
                1 => json!(1),
                2 => json!({"k": [true]}),
                _ => J::Null,
            },
            Ty::Named(id) => {
                let Some(TypeBody::Record(fields)) = self.types.get(id).map(|d| &d.body) else {
                    return J::Null;
                };
                let p = [0.7, 0.6, 0.5, 0.45, 0.4, 0.3, 0.2, 0.1]
                    .get(depth as usize)
                    .copied()
                    .unwrap_or(0.0);
                let mut m = Map::new();
                for f in fields.clone() {
                    if !f.optional || self.rng.chance(p) {
                        m.insert(f.name.to_string(), self.value(&f.ty, depth + 1));
                    } else if self.rng.chance(0.03) {
                        // `securityContext: null` (or `securityContext:` in YAML) means absent.
                        m.insert(f.name.to_string(), J::Null);
                    }
                }
                J::Object(m)
            }
            _ => J::Null,
        }
    }
}

fn find(types: &TypeTable, module: &str, name: &str) -> TypeId {
    types.iter().find(|(_, d)| d.module == module && d.name == name).map(|(id, _)| id).unwrap()
}

#[test]
fn checked_programs_never_raise_type_errors_on_conforming_documents() {
    let stdlib = build(&[]).unwrap();
    let types = &stdlib.compiled.program.types;
    let (mut accepted, mut rules, mut docs_run, mut budget, mut projected) = (0, 0, 0, 0, 0);
    let mut skipped = 0;
    let mut first_rejection = None;
    let programs = std::env::var("WARD_SOUNDNESS_PROGRAMS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(PROGRAMS);
    let first_seed: u64 =
        std::env::var("WARD_SOUNDNESS_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
    for seed in first_seed..first_seed + programs {
        let mut g = Gen { types, rng: Rng(seed), fresh: 0, helpers: Vec::new() };
        let program = g.program();
        let policy = match build(&[Source { name: "gen.ward".into(), text: program.clone() }]) {
            Ok(p) => p,
            Err(e) => {
                if std::env::var_os("WARD_SOUNDNESS_VERBOSE").is_some() {
                    let text = ward::render::diagnostics(&e.sources, &e.diagnostics, false);
                    eprintln!("seed {seed} rejected:\n{text}");
                }
                first_rejection.get_or_insert_with(|| {
                    format!(
                        "seed {seed}:\n{program}\n{}",
                        ward::render::diagnostics(&e.sources, &e.diagnostics, false)
                    )
                });
                continue;
            }
        };
        accepted += 1;
        rules += policy.user_rules().len();
        let pod = find(types, "k8s", "Pod");
        let deployment = find(types, "k8s", "Deployment");
        for d in 0..DOCS {
            let kind = if d % 3 == 2 { deployment } else { pod };
            let doc = g.value(&Ty::Named(kind), 0);
            let text = serde_json::to_string(&doc).unwrap();
            let loaded = policy.load("doc.json", text.as_bytes(), None, &Limits::default());
            assert!(loaded.errors.is_empty(), "seed {seed}: {:?}\n{text}", loaded.errors);
            let opts = Options {
                rules: Some(policy.user_rules()),
                max_steps: Some(100_000),
                sequential: true,
                ..Options::default()
            };
            let outcome = policy.compiled.evaluate(&loaded.docs, &opts);
            // Skipping rules that cannot find anything must not change what they find.
            let every = Options { run_every_rule: true, ..opts.clone() };
            let all = policy.compiled.evaluate(&loaded.docs, &every);
            assert_eq!(
                outcome.findings, all.findings,
                "seed {seed}: skipping rules changed the findings\n--- program\n{program}\n--- document\n{text}"
            );
            skipped += policy
                .user_rules()
                .iter()
                .filter(|r| loaded.docs.iter().any(|d| policy.compiled.skips(**r, d)))
                .count();
            // Projection must not change what the rules find.
            if let Some(projection) = policy.compiled.projection(opts.rules.as_deref()) {
                projected += 1;
                let lean = policy.load_projected(
                    "doc.json",
                    text.as_bytes(),
                    None,
                    &Limits::default(),
                    Some(&projection),
                );
                let again = policy.compiled.evaluate(&lean.docs, &opts);
                assert_eq!(
                    (&outcome.findings, &outcome.errors),
                    (&again.findings, &again.errors),
                    "seed {seed}: projection changed the outcome\n--- program\n{program}\n--- document\n{text}"
                );
            }
            docs_run += 1;
            for e in &outcome.errors {
                if matches!(e.error, EvalError::Budget { .. }) {
                    budget += 1;
                    continue;
                }
                panic!(
                    "seed {seed}: rule {} raised `{}` at {:?}\n--- program\n{program}\n--- document\n{}",
                    e.rule,
                    e.error,
                    e.error.span(),
                    serde_json::to_string_pretty(&doc).unwrap()
                );
            }
        }
    }
    eprintln!(
        "soundness: {accepted}/{programs} programs accepted ({rules} rules), {docs_run} documents ({projected} also projected), {budget} budget stops, {skipped} rules skipped on a document"
    );
    assert!(skipped > 0, "no generated rule was ever skipped: the skipping check tests nothing");
    assert!(projected * 2 >= docs_run, "too few programs are projectable: {projected}/{docs_run}");
    assert!(
        accepted * 10 >= programs * 9,
        "the generator drifted: only {accepted}/{programs} programs check; first rejection:\n{}",
        first_rejection.unwrap_or_default()
    );
}

/// Regression (found by the generator): a record kind fits an optional union of kinds, so
/// `exists(w)` on a `Workload` and passing a `Pod` where `Workload?` is expected both check.
#[test]
fn records_fit_optional_unions() {
    let text = r#"
module reg
use k8s.{Pod, Workload}
fn named(w: Workload?) -> bool { w?.metadata?.name != null }
rule r(p: Pod) { if exists(p) && named(p) { deny "named" } }
rule s(w: Workload) { if exists(w) { deny "present" } }
"#;
    let policy =
        build(&[Source { name: "reg.ward".into(), text: text.into() }]).unwrap_or_else(|e| {
            panic!("{}", ward::render::diagnostics(&e.sources, &e.diagnostics, false))
        });
    let pod = br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}"#;
    let docs = policy.load("p.json", pod, None, &Limits::default()).docs;
    let opts = Options { rules: Some(policy.user_rules()), ..Options::default() };
    let outcome = policy.compiled.evaluate(&docs, &opts);
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.findings.len(), 2);
}
