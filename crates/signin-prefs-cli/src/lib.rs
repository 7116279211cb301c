//! `signin-prefs`: the command line, as a library whose one entry point, [`main_with_args`], is
//! run by the binary and by the Python package's `signin-prefs` command alike, so both are the
//! same program. Each subcommand lives in its own module under `commands`.
//!
//! Exit codes: 0 success; 1 failure (the service refused the run, a file could not be written, or
//! the report could not be printed or written after the run sent its changes);
//! 2 bad input or usage, nothing sent; 3 partial (some users failed, were not reached, drifted
//! since planning and were left as they are, or with --verify read back differing or could not be
//! read back, `unverified`: see the report);
//! 4 nothing done (changes were planned and none was made); 130 interrupted by Ctrl-C or SIGTERM
//! (`plan` left no file; `apply` and `rollback` journaled what they sent and print the command
//! that resumes).

mod commands;
mod entry;
mod error;
mod terminal;

pub use entry::main_with_args;

use clap::Parser;

/// Read and set Microsoft Entra users' sign-in preferences through Microsoft Graph.
#[derive(Debug, Parser)]
#[command(name = "signin-prefs", version = VERSION, about)]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
    #[command(flatten)]
    terminal: terminal::TerminalArgs,
}

/// `--version`: the package's version and the commit it was built from, where known.
const VERSION: &str = if env!("SIGNIN_PREFS_COMMIT").is_empty() {
    env!("CARGO_PKG_VERSION")
} else {
    concat!(
        env!("CARGO_PKG_VERSION"),
        " (commit ",
        env!("SIGNIN_PREFS_COMMIT"),
        ")"
    )
};
