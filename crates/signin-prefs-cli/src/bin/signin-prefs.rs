//! The `signin-prefs` binary: the library's command line on this process's arguments.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(signin_prefs_cli::main_with_args(std::env::args_os()))
}
