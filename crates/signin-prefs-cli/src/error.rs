//! The CLI's error type and its exit codes.

use std::process::ExitCode;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum Error {
    /// The emulator could not start.
    #[error(transparent)]
    Emulator(#[from] signin_prefs_emulator::Error),
    /// An input (file, environment variable) is unusable.
    #[error("{0}")]
    Input(String),
    /// The async runtime or a signal handler could not be set up.
    #[error("runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

impl Error {
    /// 2 for bad input (as for usage errors), 1 for everything else.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Error::Input(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}
