//! The CLI's error type and its exit codes.

use std::process::ExitCode;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum Error {
    /// The emulator could not start.
    #[cfg(feature = "emulator")]
    #[error(transparent)]
    Emulator(#[from] signin_prefs_emulator::Error),
    /// An input (file, environment variable) is unusable.
    #[error("{0}")]
    Input(String),
    /// A bulk operation could not start or go on.
    #[error(transparent)]
    Bulk(#[from] signin_prefs_bulk::Error),
    /// Graph refused, or could not be reached.
    #[error(transparent)]
    Client(#[from] signin_prefs_client::Error),
    /// The async runtime or a signal handler could not be set up.
    #[error("runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

impl Error {
    /// 2 for bad input (as for usage errors), 1 for everything else.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Error::Input(_) => ExitCode::from(2),
            Error::Bulk(
                signin_prefs_bulk::Error::Input(_)
                | signin_prefs_bulk::Error::Plan { .. }
                | signin_prefs_bulk::Error::Guard(_),
            ) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

impl From<signin_prefs_bulk::targets::InputErrors> for Error {
    fn from(errors: signin_prefs_bulk::targets::InputErrors) -> Self {
        Error::Bulk(signin_prefs_bulk::Error::Input(errors))
    }
}
