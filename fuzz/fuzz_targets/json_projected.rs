//! Fuzzes projected JSON loading against plain loading: whatever the bytes, skimming the values
//! the projection skips must report exactly the errors building them would, and give the same
//! documents with the same identities. Any difference panics.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ward_engine::doc::{Limits, Symbols};
use ward_engine::load::{Format, load, load_projected};
use ward_engine::project::{LOADER_NAMES, Projection};

/// Names the projection reads, skips and keeps whole; the rest are unknown to the program.
const READ: &[&str] = &["a", "spec", "containers", "image"];
const SKIPPED: &[&str] = &["b", "env", "<<"];
const WHOLE: &[&str] = &["labels", "x"];

fuzz_target!(|data: &[u8]| {
    let mut symbols = Symbols::default();
    for name in READ.iter().chain(SKIPPED).chain(WHOLE).chain(LOADER_NAMES) {
        symbols.intern(name);
    }
    let symbols = Arc::new(symbols);
    let Some(projection) = Projection::keeping(&symbols, READ, WHOLE) else { return };
    let projection = Some(Arc::new(projection));
    let limits = Limits { max_bytes: 1 << 20, ..Limits::default() };
    for format in [Format::Json, Format::Ndjson] {
        let plain = load("fuzz", data, Some(format), &symbols, &limits);
        let projected =
            load_projected("fuzz", data, Some(format), &symbols, &limits, projection.as_ref());
        assert_eq!(plain.errors, projected.errors, "{format:?}");
        assert_eq!(plain.docs.len(), projected.docs.len(), "{format:?}");
        for (p, q) in plain.docs.iter().zip(&projected.docs) {
            assert_eq!(p.meta, q.meta, "{format:?}");
        }
    }
});
