//! `signin-prefs`: the command line. Each subcommand lives in its own module under `commands`.

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
        .init();
    match commands::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("signin-prefs: {error}");
            error.exit_code()
        }
    }
}
