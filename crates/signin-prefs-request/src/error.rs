//! The crate's one error type: requests that cannot be built and responses that are not success.

use signin_prefs_model::ODataError;

use crate::KeyProblem;

/// Why a request could not be built, or why its response is not a success.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A string that cannot name a user (see [`UserKey`](crate::UserKey)).
    #[error("user {value:?}: {problem}")]
    InvalidUserKey {
        /// The key as given.
        value: String,
        /// What is wrong with it.
        problem: KeyProblem,
    },
    /// A string that is not a group's object id (see [`GroupId`](crate::GroupId)).
    #[error("group {value:?}: {problem}")]
    InvalidGroupId {
        /// The id as given.
        value: String,
        /// What is wrong with it.
        problem: KeyProblem,
    },
    /// A path parameter is empty; it would collapse the path.
    #[error("path parameter `{name}` is empty")]
    EmptyPathParameter {
        /// The parameter's name in the spec.
        name: &'static str,
    },
    /// A key that needs the `collection('key')` form does not follow a collection segment.
    #[error(
        "path parameter `{name}` ({value:?}) needs the key form `collection('…')`, but no collection segment precedes it"
    )]
    KeyWithoutCollection {
        /// The parameter's name in the spec.
        name: &'static str,
        /// The key as given.
        value: String,
    },
    /// An `@odata.nextLink` that is not a usable absolute URL.
    #[error("cannot follow the next link {link:?}: {reason}")]
    InvalidNextLink {
        /// The link as received.
        link: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A header parameter cannot be sent as given.
    #[error("header `{name}` cannot carry {value:?}: {reason}")]
    InvalidHeader {
        /// The header's name.
        name: String,
        /// The value as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The body could not be written as JSON.
    #[error("{operation}: cannot encode the request body: {source}")]
    EncodeBody {
        /// The operationId.
        operation: &'static str,
        /// The serializer's error.
        source: serde_json::Error,
    },
    /// The service answered with an error status and Graph's error envelope.
    #[error("{operation}: HTTP {status}: {error}")]
    Service {
        /// The operationId.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The decoded envelope: code, message, request-id, client-request-id, date.
        error: Box<ODataError>,
    },
    /// The service answered with an error status and a body that is not Graph's error envelope.
    #[error("{operation}: HTTP {status}, and the body is not a Graph error: {body}")]
    UnexpectedStatus {
        /// The operationId.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The start of the body, as text.
        body: String,
    },
    /// A success response whose body does not decode as the spec says.
    #[error(
        "{operation}: HTTP {status}: the response body does not decode: {source}; body: {body}"
    )]
    DecodeBody {
        /// The operationId.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The deserializer's error, with line and column.
        source: serde_json::Error,
        /// The start of the body, as text.
        body: String,
    },
    /// A success response whose text body is not UTF-8.
    #[error("{operation}: HTTP {status}: the text body is not UTF-8: {reason}")]
    DecodeText {
        /// The operationId.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// What the decoder found.
        reason: String,
    },
    /// A success response without the body the operation needs.
    #[error("{operation}: HTTP {status} with an empty body, where the spec promises one")]
    MissingBody {
        /// The operationId.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
    },
}

impl Error {
    /// The HTTP status of the response this error came from, if it came from one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Service { status, .. }
            | Self::UnexpectedStatus { status, .. }
            | Self::DecodeBody { status, .. }
            | Self::DecodeText { status, .. }
            | Self::MissingBody { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// For a refused user key or group id: what is wrong with it, without naming it (for
    /// messages that name the key their own way, such as a targets file's `file:line: user "…"`).
    pub fn key_problem(&self) -> Option<&KeyProblem> {
        match self {
            Self::InvalidUserKey { problem, .. } | Self::InvalidGroupId { problem, .. } => {
                Some(problem)
            }
            _ => None,
        }
    }

    /// Graph's error envelope, if the service sent one.
    pub fn graph_error(&self) -> Option<&ODataError> {
        match self {
            Self::Service { error, .. } => Some(error),
            _ => None,
        }
    }
}
