//! The `signin-prefs` binary the CLI scenarios run, built on demand so that it is never stale.
//!
//! `cargo test` builds no binary of another package, and a binary left in `target/` by an earlier
//! build may be older than the code under test. So the first test that needs the binary asks
//! cargo (the one running these tests, from `CARGO`) to build it, once per test process, and uses
//! the path cargo reports: a no-op when it is current, a rebuild when it is not.
//!
//! `SIGNIN_PREFS_CLI_UNDER_TEST` names another program to run instead: the `signin-prefs` script
//! a wheel installed, which runs the same command line in a Python process, so that the scenarios
//! that depend on the process (signals, a closed pipe) are run against it too (`cargo xtask test`
//! does, for the wheel it builds).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The current `signin-prefs` binary (built by the first call in this process), or the program
/// `SIGNIN_PREFS_CLI_UNDER_TEST` names.
pub(crate) fn binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| match std::env::var_os(UNDER_TEST) {
            Some(program) => PathBuf::from(program),
            None => build(),
        })
        .clone()
}

/// The variable naming a `signin-prefs` program to test instead of the binary this tree builds.
const UNDER_TEST: &str = "SIGNIN_PREFS_CLI_UNDER_TEST";

fn build() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let output = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--package",
            "signin-prefs-cli",
            "--bin",
            "signin-prefs",
            "--message-format=json-render-diagnostics",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cannot build the signin-prefs binary:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == "signin-prefs")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported no signin-prefs executable")
}
