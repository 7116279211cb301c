//! `demo` and `emulator` in a build without the `emulator` feature. They stay, hidden, so that
//! typing one says which feature is missing rather than "unrecognized subcommand".

use std::ffi::OsString;

use crate::error::Error;

/// The help line of both, in this build.
pub(crate) const UNAVAILABLE: &str = "Not in this build: needs the `emulator` cargo feature";

/// Takes whatever follows the subcommand, so the answer is the same with any options.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    ignored: Vec<OsString>,
}

/// Why `signin-prefs {command}` cannot run in this build, and how to get a build that can.
pub(crate) fn unavailable(command: &str) -> Error {
    Error::Input(format!(
        "`signin-prefs {command}` needs the embedded Graph emulator, which this build leaves out: \
         build the CLI with its default `emulator` feature \
         (`cargo install --path crates/signin-prefs-cli`, without `--no-default-features`)"
    ))
}
