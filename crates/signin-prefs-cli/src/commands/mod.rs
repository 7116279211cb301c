//! The subcommands. Each is a module with an `Args` struct and a `run` function.

mod emulator;

use clap::Subcommand;

use crate::error::Error;

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the local Graph emulator until interrupted.
    Emulator(emulator::Args),
}

/// Runs `command`.
pub(crate) fn run(command: Command) -> Result<(), Error> {
    match command {
        Command::Emulator(args) => emulator::run(args),
    }
}
