//! `signin-prefs completions SHELL`: the shell's completion script, made by clap_complete from
//! the same definitions that parse the command line, so it never lags behind them.

use std::io::Write as _;

use clap::Args as ClapArgs;
use clap_complete::Shell;

use super::stdout::UntilClosed;
use crate::error::Error;

/// `completions`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the completion script of `command` for the shell asked.
pub(crate) fn run(args: &Args, mut command: clap::Command) -> Result<(), Error> {
    let name = command.get_name().to_owned();
    let mut out = UntilClosed::stdout();
    clap_complete::generate(args.shell, &mut command, name, &mut out);
    out.flush()?;
    Ok(())
}
