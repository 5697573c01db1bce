//! Every map's key summary (`Node::keys`) is exactly the summary of its entries, whatever built
//! it: YAML (merge keys, aliases), JSON and NDJSON (plain and projected), Dockerfiles and the
//! shapes decoded from them. A summary missing a key's bit would make that key read as absent,
//! so this is checked over every input the test suite has.

#![allow(clippy::unwrap_used, clippy::panic, reason = "integration tests fail loudly")]

mod common;
#[path = "../benches/common/mod.rs"]
mod generated;

use ward::{Limits, Policy, build};
use ward_engine::doc::{Document, NodeKind, key_summary};

/// Checks every map node of the documents' arenas; returns how many maps were checked.
fn check(name: &str, docs: &[Document]) -> usize {
    let mut maps = 0;
    for d in docs {
        let arena = &d.arena;
        for (id, n) in arena.nodes.iter().enumerate() {
            if let NodeKind::Map { .. } = n.kind {
                let want = key_summary(arena.children(id as u32));
                assert_eq!(n.keys, want, "{name}: map node {id} has a wrong key summary");
                maps += 1;
            }
        }
    }
    maps
}

fn load_all(policy: &Policy, name: &str, bytes: &[u8]) -> usize {
    let projection = policy.compiled.projection(None);
    let plain = policy.load(name, bytes, None, &Limits::default());
    let projected =
        policy.load_projected(name, bytes, None, &Limits::default(), projection.as_ref());
    check(name, &plain.docs) + check(name, &projected.docs)
}

#[test]
fn key_summaries_match_entries() {
    let policy = build(&[]).unwrap();
    let files = common::all_inputs();
    let mut maps = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        maps += load_all(&policy, &f.display().to_string(), &bytes);
    }
    // Merge keys and aliases copy and merge entries after the fact.
    let yaml = "base: &b {a: 1, b: 2}\nmerged:\n  <<: *b\n  c: 3\ncopy: *b\nlist: [*b, {<<: [*b], d: 4}]\n";
    maps += load_all(&policy, "merge.yaml", yaml.as_bytes());
    let ndjson = generated::manifests_json(300).join("\n");
    maps += load_all(&policy, "generated.ndjson", ndjson.as_bytes());
    assert!(maps > 10_000, "only {maps} maps checked");
}
