//! Response decoding shared by the generated operations, public for requests built by hand.

use serde::de::DeserializeOwned;
use signin_prefs_model::ODataError;

use crate::Error;

/// How much of an unexpected body an error keeps: enough to recognise it, not a whole HTML page.
const EXCERPT_CHARS: usize = 512;

/// A 2xx response whose body the caller needs.
pub fn json<T: DeserializeOwned>(
    operation: &'static str,
    status: u16,
    body: &[u8],
) -> Result<T, Error> {
    optional_json(operation, status, body)?.ok_or(Error::MissingBody { operation, status })
}

/// A 2xx response that may have no body (Graph answers writes with 204 No Content).
pub fn optional_json<T: DeserializeOwned>(
    operation: &'static str,
    status: u16,
    body: &[u8],
) -> Result<Option<T>, Error> {
    if !is_success(status) {
        return Err(failure(operation, status, body));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|source| Error::DecodeBody {
            operation,
            status,
            source,
            body: excerpt(body),
        })
}

/// A 2xx response whose body is text (e.g. the count `$count` answers with).
pub fn text(operation: &'static str, status: u16, body: &[u8]) -> Result<String, Error> {
    if !is_success(status) {
        return Err(failure(operation, status, body));
    }
    String::from_utf8(body.to_vec()).map_err(|error| Error::DecodeText {
        operation,
        status,
        reason: error.to_string(),
    })
}

/// A 2xx response with nothing the caller needs.
pub fn empty(operation: &'static str, status: u16, body: &[u8]) -> Result<(), Error> {
    if is_success(status) {
        Ok(())
    } else {
        Err(failure(operation, status, body))
    }
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// The error for a non-2xx response: Graph's envelope when the body is one, however incomplete.
fn failure(operation: &'static str, status: u16, body: &[u8]) -> Error {
    match serde_json::from_slice::<ODataError>(body) {
        Ok(error) if error.error.is_some() => Error::Service {
            operation,
            status,
            error: Box::new(error),
        },
        _ => Error::UnexpectedStatus {
            operation,
            status,
            body: excerpt(body),
        },
    }
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut chars = text.chars();
    let mut kept: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        kept.push_str(&format!("… ({} bytes in all)", body.len()));
    }
    kept
}
