//! The workspace's tests in one binary: laws (proptest) and scenarios across the crates.

// Tests fail by panicking; that is what these assertions are for.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod browser_support;
mod bulk_credentials;
mod bulk_drift;
mod bulk_identities;
mod bulk_interrupt;
mod bulk_plan_reads;
mod bulk_policy;
mod bulk_read_path;
mod bulk_readiness;
mod bulk_rollback_law;
mod bulk_scenarios;
mod bulk_system_preferred;
mod bulk_throttled;
mod bulk_verify;
mod cli_binary;
mod cli_conventions;
mod cli_credentials;
mod cli_input;
mod cli_interrupt;
mod cli_priority;
mod cli_profiles;
mod cli_scenarios;
mod cli_sources;
mod cli_system_preferred;
mod client_auth;
mod client_batch;
mod client_credential_secrets;
mod client_errors;
mod client_operations;
mod client_pacing;
mod client_paging;
mod client_retries;
mod client_security;
mod client_support;
mod emulator_auth;
mod emulator_batch;
mod emulator_faults;
mod emulator_fidelity;
mod emulator_lists;
mod emulator_routes;
mod emulator_sdk;
mod emulator_seeding;
mod emulator_sign_ins;
mod emulator_support;
mod emulator_throttle;
mod emulator_tls;
mod emulator_tooling;
mod enum_laws;
mod fuzz_regressions;
mod generality;
mod graph_examples;
mod graph_reads;
mod merge_laws;
mod readme_examples;
mod report_browser;
mod report_fidelity;
mod report_html;
mod request_laws;
mod runbook;
mod secret_hygiene;
mod serde_laws;
mod soak;
mod strategies;
