//! Fuzzes the dockerfile reader through the loader: any bytes must give documents and errors,
//! never a panic, a stack overflow or a hang.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ward_engine::doc::{Limits, Symbols};
use ward_engine::load::{Format, load};

fuzz_target!(|data: &[u8]| {
    let symbols = Arc::new(Symbols::default());
    let limits = Limits { max_bytes: 1 << 20, ..Limits::default() };
    let loaded = load("fuzz", data, Some(Format::Dockerfile), &symbols, &limits);
    for d in &loaded.docs {
        let _ = d.to_json();
    }
    // The reader on its own, without the loader's limits in front of it.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ward_engine::load::dockerfile::parse(text);
    }
});
