//! The generator's generality proof: models and requests generated from whole fragments of
//! Microsoft Graph's description (`xtask/fixtures/graph/`), all 42 paths and 65 operations under
//! `/users/{user-id}/authentication` plus the actions and functions beside them.
//!
//! Nothing here is part of the product; the workspace tests build it and round-trip payloads
//! through it, and BENCHMARKS.md reports what it costs to compile.

#[rustfmt::skip]
pub mod generated;
