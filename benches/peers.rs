//! Ward side by side with regorus (Rego) on the same three rules over the same 10,000 pods,
//! each engine parsing and evaluating every document, in one run. Both are given each document
//! as the same `&str` (regorus parses it with `Value::from_json_str`, Ward loads it with
//! `Policy::load_text_projected`), so neither checks again that it is UTF-8.
//!
//! `cargo bench --bench peers --features peers`. After criterion's groups it times both engines
//! in paired rounds (each chunk of pods run by one engine right after the other) and ends with
//! the line `ward vs regorus (rvm): <N>x faster per document`, the median of the rounds' ratios.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "benchmarks fail loudly"
)]
#![allow(missing_docs, reason = "benchmark entry point")]

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ward::{Limits, Options, Source};

const WARD: &str = r#"
module bench.peers
use k8s.{Pod}

@id("PRIVILEGED")
rule privileged(p: Pod) {
  for c in p.spec?.containers ?? [] {
    if c.securityContext?.privileged == true {
      deny "container {c.name} runs privileged" at c.securityContext.privileged
    }
  }
}

@id("RUN-AS-NON-ROOT")
rule run_as_non_root(p: Pod) {
  let pod = p.spec?.securityContext?.runAsNonRoot == true
  for c in p.spec?.containers ?? [] {
    if !(c.securityContext?.runAsNonRoot ?? pod) {
      deny "container {c.name} may run as root" at c.securityContext.runAsNonRoot
    }
  }
}

@id("IMAGE-TAG")
rule image_tag_pinned(p: Pod) {
  for c in p.spec?.containers ?? [] {
    let image = c.image ?? ""
    if image_digest(image) == null && (image_tag(image) ?? "latest") == "latest" {
      deny "container {c.name} uses a mutable image tag" at c.image
    }
  }
}
"#;

const REGO: &str = r#"
package bench
import rego.v1

deny contains msg if {
  some c in input.spec.containers
  c.securityContext.privileged == true
  msg := sprintf("container %s runs privileged", [c.name])
}

non_root(c) if c.securityContext.runAsNonRoot == true

non_root(c) if {
  not has_own_setting(c)
  input.spec.securityContext.runAsNonRoot == true
}

has_own_setting(c) if is_boolean(c.securityContext.runAsNonRoot)

deny contains msg if {
  some c in input.spec.containers
  not non_root(c)
  msg := sprintf("container %s may run as root", [c.name])
}

mutable(image) if {
  not contains(image, "@")
  parts := split(image, "/")
  last := parts[count(parts) - 1]
  not contains(last, ":")
}

mutable(image) if {
  not contains(image, "@")
  endswith(image, ":latest")
}

deny contains msg if {
  some c in input.spec.containers
  mutable(c.image)
  msg := sprintf("container %s uses a mutable image tag", [c.name])
}
"#;

struct WardSide {
    policy: ward::Policy,
    opts: Options,
    /// Only what the three rules read is built.
    projection: Option<std::sync::Arc<ward::Projection>>,
}

impl WardSide {
    fn new() -> Self {
        let policy = ward::build(&[Source { name: "peers.ward".into(), text: WARD.into() }])
            .unwrap_or_else(|e| {
                panic!("{}", ward::render::diagnostics(&e.sources, &e.diagnostics, false));
            });
        let opts =
            Options { rules: Some(policy.user_rules()), sequential: true, ..Options::default() };
        let projection = policy.compiled.projection(opts.rules.as_deref());
        assert!(projection.is_some(), "the benchmark rules should be projectable");
        WardSide { policy, opts, projection }
    }

    fn run(&self, doc: &str) -> usize {
        let loaded = self.policy.load_text_projected(
            "pod.json",
            doc,
            Some(ward::Format::Json),
            &Limits::default(),
            self.projection.as_ref(),
        );
        self.policy.compiled.evaluate(&loaded.docs, &self.opts).findings.len()
    }
}

struct RegoSide {
    vm: regorus::rvm::RegoVM,
}

impl RegoSide {
    fn new() -> Self {
        let mut engine = regorus::Engine::new();
        engine.add_policy("bench.rego".into(), REGO.into()).unwrap();
        let entry: regorus::Rc<str> = "data.bench.deny".into();
        let compiled = engine.compile_with_entrypoint(&entry).unwrap();
        let program = regorus::languages::rego::compiler::Compiler::compile_from_policy(
            &compiled,
            &["data.bench.deny"],
        )
        .unwrap();
        let mut vm = regorus::rvm::RegoVM::new_with_policy(compiled);
        vm.load_program(program);
        vm.set_data(regorus::Value::new_object()).unwrap();
        RegoSide { vm }
    }

    fn run(&mut self, doc: &str) -> usize {
        self.vm.set_input(regorus::Value::from_json_str(doc).unwrap());
        let out = self.vm.execute_entry_point_by_name("data.bench.deny").unwrap();
        out.as_set().map(|s| s.len()).unwrap_or(0)
    }
}

/// Times one round: the documents in chunks, each chunk run by both engines one right after the
/// other (which goes first alternates), so that both meet the same state of a shared machine.
/// Returns each engine's time per document over the round.
fn round(
    ward: &mut impl FnMut(&str) -> usize,
    rego: &mut impl FnMut(&str) -> usize,
    docs: &[String],
) -> (Duration, Duration) {
    const CHUNK: usize = 500;
    let (mut w, mut r) = (Duration::ZERO, Duration::ZERO);
    let time = |run: &mut dyn FnMut(&str) -> usize, chunk: &[String]| {
        let start = Instant::now();
        for d in chunk {
            black_box(run(d));
        }
        start.elapsed()
    };
    for (i, chunk) in docs.chunks(CHUNK).enumerate() {
        if i % 2 == 0 {
            w += time(ward, chunk);
            r += time(rego, chunk);
        } else {
            r += time(rego, chunk);
            w += time(ward, chunk);
        }
    }
    (w / docs.len() as u32, r / docs.len() as u32)
}

fn main() {
    let docs = common::pods_json(10_000);
    let bytes: u64 = docs.iter().map(|d| d.len() as u64).sum();
    let ward = WardSide::new();
    let mut rego = RegoSide::new();

    // Both engines must agree before their speed means anything.
    let (w, r): (usize, usize) =
        docs.iter().fold((0, 0), |(w, r), d| (w + ward.run(d), r + rego.run(d)));
    assert_eq!(w, r, "ward found {w} findings, regorus {r}: the rules disagree");
    println!("both engines: {w} findings over {} pods", docs.len());

    let mut c = Criterion::default().configure_from_args().sample_size(10);
    let mut g = c.benchmark_group("peers/10k-pods");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("ward", |b| b.iter(|| docs.iter().map(|d| ward.run(d)).sum::<usize>()));
    g.bench_function("regorus-rvm", |b| b.iter(|| docs.iter().map(|d| rego.run(d)).sum::<usize>()));
    g.finish();

    // `cargo test --benches` runs each benchmark once to check it; the rounds are for runs.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // Side by side: rounds of paired chunks (see `round`); the ratio is the median of the
    // rounds' ratios, each measured over the same stretch of time for both engines.
    const ROUNDS: usize = 7;
    let (mut ward_t, mut rego_t, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (w, r) = round(&mut |d| ward.run(d), &mut |d| rego.run(d), &docs);
        ward_t.push(w.as_secs_f64() * 1e6);
        rego_t.push(r.as_secs_f64() * 1e6);
        ratios.push(r.as_secs_f64() / w.as_secs_f64());
    }
    for v in [&mut ward_t, &mut rego_t, &mut ratios] {
        v.sort_by(f64::total_cmp);
    }
    let mid = ROUNDS / 2;
    println!(
        "median of {ROUNDS} rounds: ward {:.2} µs/document, regorus (rvm) {:.2} µs/document; \
         rounds' ratios {:.2}x to {:.2}x",
        ward_t[mid],
        rego_t[mid],
        ratios[0],
        ratios[ROUNDS - 1]
    );
    println!("ward vs regorus (rvm): {:.2}x faster per document", ratios[mid]);
}
