//! The contract every generated operation fulfils.

use crate::{Error, GraphRequest, Method};

/// One operation of the spec, as a value that knows how to become a request and read its response.
pub trait Operation {
    /// What a successful response decodes to.
    type Output;
    /// The spec's operationId.
    const OPERATION_ID: &'static str;
    /// The HTTP method.
    const METHOD: Method;
    /// The path as the spec writes it, e.g. `/users/{user-id}/authentication/signInPreferences`.
    const PATH_TEMPLATE: &'static str;

    /// The HTTP request, with every parameter encoded. Fails only on parameters no request can carry
    /// (an empty key, a header value with a line break).
    fn to_request(&self) -> Result<GraphRequest, Error>;

    /// Decodes a response: the typed result for a 2xx status, otherwise the Graph error.
    fn decode_response(status: u16, body: &[u8]) -> Result<Self::Output, Error>;
}
