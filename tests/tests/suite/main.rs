//! The workspace's tests in one binary: laws (proptest) and scenarios across the crates.

// Tests fail by panicking; that is what these assertions are for.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod enum_laws;
mod generality;
mod graph_examples;
mod graph_reads;
mod merge_laws;
mod request_laws;
mod serde_laws;
mod strategies;
