//! Fuzzes the json reader through the loader: any bytes must give documents and errors,
//! never a panic, a stack overflow or a hang.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ward_engine::doc::{Limits, Symbols};
use ward_engine::load::{Format, load};

fuzz_target!(|data: &[u8]| {
    let symbols = Arc::new(Symbols::default());
    let limits = Limits { max_bytes: 1 << 20, ..Limits::default() };
    let loaded = load("fuzz", data, Some(Format::Json), &symbols, &limits);
    for d in &loaded.docs {
        let _ = d.to_json();
    }
    // NDJSON shares the reader; exercise its per-line recovery too.
    let _ = load("fuzz.ndjson", data, Some(Format::Ndjson), &symbols, &limits);
});
