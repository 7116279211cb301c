//! `signin-prefs`: the command line. Each subcommand lives in its own module under `commands`.
//!
//! Exit codes: 0 success; 1 failure (the service refused the run, a file could not be written, or
//! the report could not be printed or written after the run sent its changes);
//! 2 bad input or usage, nothing sent; 3 partial (some users failed, were not reached, drifted
//! since planning and were left as they are, or with --verify read back differing or could not be
//! read back, `unverified`: see the report);
//! 4 nothing done (changes were planned and none was made).

mod commands;
mod error;

use std::process::ExitCode;

use clap::Parser;

/// Read and set Microsoft Entra users' sign-in preferences through Microsoft Graph.
#[derive(Debug, Parser)]
#[command(name = "signin-prefs", version, about)]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIGNIN_PREFS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only where a terminal shows them, never in a log file or a pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match commands::run(cli.command) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("signin-prefs: {error}");
            error.exit_code()
        }
    }
}
