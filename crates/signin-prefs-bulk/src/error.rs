//! The crate's one error type: what stops a bulk operation as a whole.
//!
//! Failures of single users are not errors here; they are outcomes, recorded in the journal and the
//! report, and the run goes on.

use std::path::PathBuf;

use crate::front_end::{FrontEnd, Refusal};
use crate::targets::InputErrors;

/// Why a bulk operation could not start or could not go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The targets file has problems; nothing was sent.
    #[error("{0}")]
    Input(#[from] InputErrors),
    /// A plan, journal or report file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A plan file is not a valid plan, or was edited into inconsistency; nothing was sent.
    #[error("{path}: {message}")]
    Plan {
        /// The plan file.
        path: PathBuf,
        /// What is wrong, naming the entry.
        message: String,
    },
    /// A journal file is damaged or belongs to another plan.
    #[error("{path}:{line}: {message}")]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A guard rail stopped the operation before anything was sent.
    #[error("refused: {0}")]
    Guard(String),
    /// A guard rail whose remedy is one of the operator's settings, which each front end names
    /// its own way ([`Error::worded`]); `Display` words it for the CLI.
    #[error("refused: {0}")]
    Refused(Refusal),
    /// Graph refused the run as a whole (credentials, permissions, an unreachable service).
    #[error("{context}: {source}")]
    Service {
        /// What was being done.
        context: String,
        /// The client's error, with status, code and request-id.
        source: Box<signin_prefs_client::Error>,
    },
    /// The HTML report could not be rendered from its template (a fault of the tool, not of
    /// the input: every value reaches the templates escaped).
    #[error("the HTML report could not be made from {template}: {message}")]
    Render {
        /// The template.
        template: String,
        /// What the template engine said.
        message: String,
    },
    /// The operation was stopped from outside ([`crate::stop::Stop`]) before its end: a plan
    /// left no file; an apply or rollback returns its journal instead, ready for a resume.
    #[error("interrupted: {0} stopped before its end")]
    Interrupted(String),
}

impl Error {
    /// The error as `front_end` tells its operator: a refusal names that front end's spelling of
    /// the setting it points to; anything else reads as `Display` has it.
    pub fn worded(&self, front_end: FrontEnd) -> String {
        match self {
            Error::Refused(refusal) => format!("refused: {}", refusal.worded(front_end)),
            other => other.to_string(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
