//! `cli_main`: the `signin-prefs` command line run inside the Python process, for the command the
//! wheel installs (`signin_prefs._cli`), so that `pip install` gives the same program as the
//! binary rather than a second implementation of it.

use std::ffi::OsString;

use pyo3::prelude::*;

/// Runs the command line `argv` (the program's name first) and returns its exit code. The GIL is
/// released for the whole run: the command never calls back into Python, and Ctrl-C reaches the
/// command's own handler (`_cli.main` gives SIGINT back to the system's default first).
#[pyfunction]
pub(crate) fn cli_main(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    py.detach(|| signin_prefs_cli::main_with_args(argv))
}
