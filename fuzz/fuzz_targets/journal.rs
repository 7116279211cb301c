//! Fuzz target `journal`: runs [`checks::journal`] on every input; see `src/checks.rs` for what it asserts.

#![no_main]

#[allow(dead_code)]
#[path = "../src/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::journal(data));
