//! Accessors for Graph's error envelope that the schema cannot express.
//!
//! The spec leaves `innerError` open ("the structure of this object is service-specific"), but the
//! service puts its correlation data there, and every support case starts from it.

use std::fmt;

use crate::{InnerError, ODataError};

impl ODataError {
    /// The error code, such as `Request_ResourceNotFound` or `accessDenied`.
    pub fn code(&self) -> Option<&str> {
        self.error.as_ref()?.code.as_deref()
    }

    /// The human-readable message.
    pub fn message(&self) -> Option<&str> {
        self.error.as_ref()?.message.as_deref()
    }

    /// The service-specific details, where the correlation ids live.
    pub fn inner_error(&self) -> Option<&InnerError> {
        self.error.as_ref()?.inner_error.as_ref()
    }

    /// The service's id for the failed request (`innerError.request-id`).
    pub fn request_id(&self) -> Option<&str> {
        self.inner_error()?.text("request-id")
    }

    /// The caller's id echoed back (`innerError.client-request-id`).
    pub fn client_request_id(&self) -> Option<&str> {
        self.inner_error()?.text("client-request-id")
    }

    /// When the service answered (`innerError.date`), as sent.
    pub fn date(&self) -> Option<&str> {
        self.inner_error()?.text("date")
    }
}

impl InnerError {
    /// A string-valued entry of the inner error, by name.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.additional_properties.get(name)?.as_str()
    }
}

impl fmt::Display for ODataError {
    /// `code: message`, the form Graph's documentation quotes errors in.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code(), self.message()) {
            (Some(code), Some(message)) => write!(f, "{code}: {message}"),
            (Some(code), None) => f.write_str(code),
            (None, Some(message)) => f.write_str(message),
            (None, None) => f.write_str("error with neither code nor message"),
        }
    }
}
