//! The command line's one entry point, shared by the binary and the Python package's command.

use std::ffi::OsString;
use std::io::Write as _;

use clap::{CommandFactory as _, Parser as _};

/// Runs the command line `args` (the program's name first, as `std::env::args_os` gives it) and
/// returns its exit code (the crate documentation lists them). Help, `--version` and usage errors
/// print as clap prints them, with clap's codes (0, and 2 for a usage error); nothing here ends
/// the process, except a second Ctrl-C during a run, which quits at once as a kill would.
pub fn main_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    crate::commands::remember_arguments(&args);
    let code = match crate::Cli::try_parse_from(&args) {
        Ok(cli) => {
            cli.terminal.init();
            match crate::commands::run(cli.command, crate::Cli::command) {
                Ok(code) => u8::try_from(code).unwrap_or(1),
                Err(error) => {
                    eprintln!("signin-prefs: {error}");
                    error.exit_code()
                }
            }
        }
        Err(error) => {
            // A closed pipe under `--help | head` is the reader's choice, not a failure.
            let _ = error.print();
            u8::try_from(error.exit_code()).unwrap_or(2)
        }
    };
    // The binary's runtime flushes standard output at exit; a host process (Python) would not,
    // and a last line without its newline would be lost.
    let _ = std::io::stdout().flush();
    code
}
