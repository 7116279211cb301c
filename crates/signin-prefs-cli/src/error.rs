//! The CLI's error type and its exit codes.

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
    /// A user key or group id given as an argument is refused; nothing was sent.
    #[error(transparent)]
    Key(#[from] signin_prefs_request::Error),
    /// A run sent its changes, then its report could not be printed or written. Not bad input:
    /// the journal holds what was done, and `signin-prefs report` prints it again.
    #[error("{0}")]
    ReportAfterRun(String),
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
    /// 2 for bad input (as for usage errors; nothing was sent), 130 for a plan stopped by Ctrl-C
    /// or SIGTERM, 1 for everything else, a report
    /// that could not be written after a run included.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) | Error::Key(_) => 2,
            // A file named on the command line that is not there, or not what it must be.
            Error::Bulk(
                signin_prefs_bulk::Error::Input(_)
                | signin_prefs_bulk::Error::Plan { .. }
                | signin_prefs_bulk::Error::Journal { .. }
                | signin_prefs_bulk::Error::Guard(_)
                | signin_prefs_bulk::Error::Refused(_),
            ) => 2,
            Error::Bulk(signin_prefs_bulk::Error::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                2
            }
            Error::Bulk(signin_prefs_bulk::Error::Interrupted(_)) => {
                u8::try_from(crate::commands::INTERRUPTED).unwrap_or(1)
            }
            _ => 1,
        }
    }
}

impl From<signin_prefs_bulk::targets::InputErrors> for Error {
    fn from(errors: signin_prefs_bulk::targets::InputErrors) -> Self {
        Error::Bulk(signin_prefs_bulk::Error::Input(errors))
    }
}
