//! Per-stage benchmarks (parse, check, compile, load, evaluate), with byte throughput, over the
//! standard library and over generated and committed manifests, and one rule written by hand in
//! Rust beside Ward's evaluation of it (see [`native_floor`]).
//!
//! `cargo bench --bench pipeline`; compare against a saved run with `--save-baseline main` and
//! `--baseline main`. The run ends with the ratios of evaluating the standard library to loading
//! the same documents, and to parsing them with `serde_json`, timed side by side in interleaved
//! rounds (see [`side_by_side`]), the line `stdlib evaluation vs JSON load: <N>x
//! (finding-dense), <M>x (compliant); vs serde_json parse: <P>x (finding-dense)`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "benchmarks fail loudly"
)]
#![allow(missing_docs, reason = "criterion generates the entry point")]

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ward::{Limits, Options};

fn stdlib_bytes() -> u64 {
    ward_stdlib::FILES.iter().map(|(_, t)| t.len() as u64).sum()
}

fn front_end(c: &mut Criterion) {
    let mut g = c.benchmark_group("stdlib");
    g.throughput(Throughput::Bytes(stdlib_bytes()));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for (i, (_, text)) in ward_stdlib::FILES.iter().enumerate() {
                black_box(ward_lang::parse::parse_file(ward_lang::FileId(i as u32), text));
            }
        })
    });
    let parsed: Vec<_> = ward_stdlib::FILES
        .iter()
        .enumerate()
        .map(|(i, (_, text))| {
            (
                ward_lang::FileId(i as u32),
                ward_lang::parse::parse_file(ward_lang::FileId(i as u32), text).file,
            )
        })
        .collect();
    let sigs = ward_engine::builtins::signatures().unwrap();
    g.bench_function("check", |b| {
        b.iter(|| {
            let refs: Vec<_> = parsed.iter().map(|(id, f)| (*id, f)).collect();
            black_box(ward_lang::check(&refs, &sigs))
        })
    });
    let refs: Vec<_> = parsed.iter().map(|(id, f)| (*id, f)).collect();
    let checked = ward_lang::check(&refs, &sigs);
    assert!(checked.errors.is_empty());
    g.bench_function("compile", |b| {
        b.iter(|| black_box(ward_engine::compile(checked.program.clone()).ok()))
    });
    g.finish();
}

fn documents(c: &mut Criterion) {
    let policy = ward::build(&[]).unwrap();
    let symbols = policy.compiled.symbols.clone();
    let json: String = common::manifests_json(10_000).join("\n");
    let yaml = common::manifests_yaml(2_000);
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("ndjson/ward", |b| {
        b.iter(|| {
            black_box(ward_engine::load::load(
                "b.ndjson",
                json.as_bytes(),
                None,
                &symbols,
                &Limits::default(),
            ))
        })
    });
    let projection = policy.compiled.projection(None);
    assert!(projection.is_some(), "the standard library should be projectable");
    g.bench_function("ndjson/ward-projected", |b| {
        b.iter(|| {
            black_box(ward_engine::load::load_projected(
                "b.ndjson",
                json.as_bytes(),
                None,
                &symbols,
                &Limits::default(),
                projection.as_ref(),
            ))
        })
    });
    g.bench_function("ndjson/serde_json_value", |b| b.iter(|| serde_json_lines(&json)));
    g.throughput(Throughput::Bytes(yaml.len() as u64));
    g.bench_function("yaml/saphyr_tree", |b| {
        b.iter(|| {
            use saphyr::LoadableYamlNode;
            black_box(saphyr::MarkedYaml::load_from_str(&yaml).unwrap())
        })
    });
    g.bench_function("yaml/ward", |b| {
        b.iter(|| {
            black_box(ward_engine::load::load(
                "b.yaml",
                yaml.as_bytes(),
                None,
                &symbols,
                &Limits::default(),
            ))
        })
    });
    g.finish();
}

fn evaluate(c: &mut Criterion) {
    let policy = ward::build(&[]).unwrap();
    let json: String = common::manifests_json(10_000).join("\n");
    let docs = policy.load("b.ndjson", json.as_bytes(), None, &Limits::default()).docs;
    let all = Options {
        rules: Some((0..policy.compiled.program.rules.len() as u32).collect()),
        sequential: true,
        ..Options::default()
    };
    let mut g = c.benchmark_group("evaluate");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("stdlib/10k-manifests/sequential", |b| {
        b.iter(|| black_box(policy.compiled.evaluate(&docs, &all)))
    });
    let parallel = Options { sequential: false, ..all.clone() };
    g.bench_function("stdlib/10k-manifests/parallel", |b| {
        b.iter(|| black_box(policy.compiled.evaluate(&docs, &parallel)))
    });
    let clean: String = common::compliant_manifests_json(10_000).join("\n");
    let clean_docs = policy.load("c.ndjson", clean.as_bytes(), None, &Limits::default()).docs;
    g.throughput(Throughput::Bytes(clean.len() as u64));
    g.bench_function("stdlib/10k-compliant/load", |b| {
        b.iter(|| black_box(policy.load("c.ndjson", clean.as_bytes(), None, &Limits::default())))
    });
    g.bench_function("stdlib/10k-compliant/sequential", |b| {
        b.iter(|| black_box(policy.compiled.evaluate(&clean_docs, &all)))
    });
    // The same documents as YAML, the form manifests are usually written in.
    let clean_yaml: String = clean
        .lines()
        .map(|j| format!("---\n{}", common::json_to_yaml(&serde_json::from_str(j).unwrap(), 0)))
        .collect();
    let yaml_docs = policy.load("c.yaml", clean_yaml.as_bytes(), None, &Limits::default());
    assert!(yaml_docs.errors.is_empty(), "{:?}", yaml_docs.errors.first());
    assert_eq!(yaml_docs.docs.len(), clean_docs.len());
    g.bench_function("stdlib/10k-compliant/load-yaml", |b| {
        b.iter(|| black_box(policy.load("c.yaml", clean_yaml.as_bytes(), None, &Limits::default())))
    });
    let corpus = common::corpus();
    let bytes: u64 = corpus.iter().map(|(_, t)| t.len() as u64).sum();
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("stdlib/corpus/load+evaluate", |b| {
        b.iter(|| {
            let docs: Vec<_> = corpus
                .iter()
                .flat_map(|(n, t)| policy.load(n, t.as_bytes(), None, &Limits::default()).docs)
                .collect();
            black_box(policy.compiled.evaluate(&docs, &all))
        })
    });
    g.finish();
}

/// One standard-library rule, `K8S-RUNTIME-NO-PRIV-ESC`, written by hand in Rust over the same
/// documents, beside Ward's evaluation of it, on 300 generated manifests that stay in cache: how
/// far the compiled rules are from native code, findings (message, JSON Pointer, line and column)
/// included. Both must give the same findings before anything is timed.
fn native_floor(c: &mut Criterion) {
    let policy = ward::build(&[]).unwrap();
    let json = common::manifests_json(300).join("\n");
    let docs = policy.load("b.ndjson", json.as_bytes(), None, &Limits::default()).docs;
    let rule = policy.compiled.program.rules.iter().position(|r| r.id == native::RULE).unwrap();
    let opts = Options { rules: Some(vec![rule as u32]), sequential: true, ..Options::default() };
    let by_hand = native::NoPrivEsc::new(&docs[0].arena.symbols);
    let ours = policy.compiled.evaluate(&docs, &opts).findings;
    let theirs = by_hand.run(&docs);
    assert_eq!(ours.len(), theirs.len(), "the hand-written rule disagrees on the count");
    assert!(!ours.is_empty());
    for (w, n) in ours.iter().zip(&theirs) {
        let n = (n.line, n.column, n.message(), n.pointer());
        assert_eq!((w.line(), w.column(), w.message(), w.pointer()), n);
    }
    let mut g = c.benchmark_group("evaluate/one-rule-hot");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("ward", |b| b.iter(|| black_box(policy.compiled.evaluate(&docs, &opts))));
    g.bench_function("native", |b| b.iter(|| black_box(by_hand.run(&docs))));
    g.finish();
}

/// [`native_floor`]'s hand-written rule.
mod native {
    use std::sync::Arc;

    use ward::Document;
    use ward_engine::doc::{Arena, Key, NodeId, NodeKind, Symbols};

    pub const RULE: &str = "K8S-RUNTIME-NO-PRIV-ESC";

    /// A finding, its texts in a block shared by its document's findings.
    pub struct Found {
        pub line: u32,
        pub column: u32,
        text: Arc<str>,
        message: (usize, usize),
        pointer: (usize, usize),
    }

    impl Found {
        pub fn message(&self) -> &str {
            &self.text[self.message.0..self.message.1]
        }

        pub fn pointer(&self) -> &str {
            &self.text[self.pointer.0..self.pointer.1]
        }
    }

    pub struct NoPrivEsc {
        keys: [Key; 9],
    }

    impl NoPrivEsc {
        pub fn new(symbols: &Symbols) -> Self {
            let names = [
                "kind",
                "spec",
                "template",
                "initContainers",
                "containers",
                "ephemeralContainers",
                "securityContext",
                "allowPrivilegeEscalation",
                "name",
            ];
            NoPrivEsc { keys: names.map(|n| symbols.get(n).unwrap()) }
        }

        /// The rule over Pods and workloads with a pod template (all the generated kinds), for
        /// policy version `latest`, on documents without `os.name: windows`.
        pub fn run(&self, docs: &[Document]) -> Vec<Found> {
            let [kind, spec, template, init, containers, ephemeral, context, escalation, name] =
                self.keys;
            let mut out = Vec::new();
            let mut text = String::new();
            let mut places = Vec::new();
            for d in docs {
                let a = &*d.arena;
                let pod = a.get(d.root, kind).and_then(|k| a.str(k)) == Some("Pod");
                let spec = if pod {
                    a.get(d.root, spec)
                } else {
                    a.get(d.root, spec)
                        .and_then(|s| a.get(s, template))
                        .and_then(|t| a.get(t, spec))
                };
                let Some(spec) = spec else { continue };
                text.clear();
                places.clear();
                for list in [init, containers, ephemeral] {
                    let Some(list) = a.get(spec, list) else { continue };
                    for e in a.children(list) {
                        let c = e.node;
                        let sc = a.get(c, context);
                        let set = sc.and_then(|s| a.get(s, escalation));
                        let tail = match set.and_then(|n| a.node(n)).map(|n| n.kind) {
                            Some(NodeKind::Bool(true)) => {
                                "` allows privilege escalation (`allowPrivilegeEscalation: true`)"
                            }
                            None | Some(NodeKind::Null) => {
                                "` must set `allowPrivilegeEscalation: false`"
                            }
                            _ => continue,
                        };
                        let m = text.len();
                        text.push_str("container `");
                        text.push_str(a.get(c, name).and_then(|n| a.str(n)).unwrap_or(""));
                        text.push_str(tail);
                        let p = text.len();
                        pointer(a, d.root, c, &mut text);
                        text.push_str("/securityContext/allowPrivilegeEscalation");
                        let pos = a.location(set.or(sc).unwrap_or(c));
                        places.push((pos.line, pos.col, (m, p), (p, text.len())));
                    }
                }
                if places.is_empty() {
                    continue;
                }
                let block: Arc<str> = text.as_str().into();
                out.extend(places.iter().map(|&(line, column, message, pointer)| Found {
                    line,
                    column,
                    text: block.clone(),
                    message,
                    pointer,
                }));
            }
            out
        }
    }

    /// Appends the JSON Pointer of `node` under `root` (no key here needs escaping).
    fn pointer(a: &Arena, root: NodeId, node: NodeId, out: &mut String) {
        let mut chain = [0; 16];
        let mut depth = 0;
        let mut cur = node;
        while cur != root {
            chain[depth] = cur;
            depth += 1;
            cur = a.node(cur).unwrap().parent;
        }
        for &child in chain[..depth].iter().rev() {
            let n = a.node(child).unwrap();
            out.push('/');
            match a.node(n.parent).unwrap().kind {
                NodeKind::Map { start, .. } => {
                    out.push_str(a.key_str(a.edges[(start + n.slot) as usize].key));
                }
                _ => {
                    use std::fmt::Write;
                    write!(out, "{}", n.slot).unwrap();
                }
            }
        }
    }
}

/// Parses each line of `text` into a `serde_json::Value`, dropping each at once.
fn serde_json_lines(text: &str) {
    for line in text.lines() {
        black_box(serde_json::from_slice::<serde_json::Value>(line.as_bytes()).unwrap());
    }
}

/// Times `serde_json`'s parse, the loads and the evaluations of the generated manifests in
/// interleaved rounds and prints the medians and their ratios: loads and evaluations timed
/// minutes apart by the groups above meet different loads of a shared machine, so their ratio is
/// noisier than one of these. Each timing includes dropping what was made, as the groups'
/// timings do.
fn side_by_side(_: &mut Criterion) {
    // `cargo test --benches` runs each benchmark once to check it; these rounds are for runs.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    const ROUNDS: usize = 7;
    let policy = ward::build(&[]).unwrap();
    let dense = common::manifests_json(10_000).join("\n");
    let clean = common::compliant_manifests_json(10_000).join("\n");
    let load = |text: &str| policy.load("b.ndjson", text.as_bytes(), None, &Limits::default());
    let (dense_docs, clean_docs) = (load(&dense).docs, load(&clean).docs);
    let all = Options {
        rules: Some((0..policy.compiled.program.rules.len() as u32).collect()),
        sequential: true,
        ..Options::default()
    };
    let parallel = Options { sequential: false, ..all.clone() };
    let time = |f: &dyn Fn()| {
        let t = std::time::Instant::now();
        f();
        t.elapsed().as_secs_f64() * 1e3
    };
    let mut rounds: [Vec<f64>; 6] = Default::default();
    for _ in 0..ROUNDS {
        let runs: [&dyn Fn(); 6] = [
            &|| serde_json_lines(&dense),
            &|| drop(black_box(load(&dense))),
            &|| drop(black_box(policy.compiled.evaluate(&dense_docs, &all))),
            &|| drop(black_box(policy.compiled.evaluate(&dense_docs, &parallel))),
            &|| drop(black_box(load(&clean))),
            &|| drop(black_box(policy.compiled.evaluate(&clean_docs, &all))),
        ];
        for (times, run) in rounds.iter_mut().zip(runs) {
            times.push(time(run));
        }
    }
    let [dense_parse, dense_load, dense_eval, dense_par, clean_load, clean_eval] =
        rounds.map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[ROUNDS / 2]
        });
    println!("side by side, median of {ROUNDS} interleaved rounds:");
    println!(
        "  10,000 generated manifests: load {dense_load:.1} ms; evaluate {dense_eval:.1} ms \
         sequential ({:.2}x), {dense_par:.1} ms parallel ({:.2}x)",
        dense_eval / dense_load,
        dense_par / dense_load
    );
    println!(
        "  10,000 compliant manifests: load {clean_load:.1} ms; evaluate {clean_eval:.1} ms \
         sequential ({:.2}x)",
        clean_eval / clean_load
    );
    println!(
        "  the generated manifests parsed by serde_json into its Value: {dense_parse:.1} ms \
         (evaluation {:.2}x)",
        dense_eval / dense_parse
    );
    println!(
        "stdlib evaluation vs JSON load: {:.2}x (finding-dense), {:.2}x (compliant); \
         vs serde_json parse: {:.2}x (finding-dense)",
        dense_eval / dense_load,
        clean_eval / clean_load,
        dense_eval / dense_parse
    );
}

criterion_group!(benches, front_end, documents, evaluate, native_floor, side_by_side);
criterion_main!(benches);
