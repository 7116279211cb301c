//! What the service answered, as the client keeps it: a success as received, and the headers an
//! error keeps with the wait they ask for. Both the request loop and the error type read these,
//! so they live apart from either.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

use crate::retry::{RetryHistory, retry_after_from};

/// A successful (2xx) response, as received.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RawResponse {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
    /// The attempts it took.
    pub retry_history: RetryHistory,
}

impl RawResponse {
    /// The `client-request-id` of the attempt that succeeded.
    pub fn client_request_id(&self) -> Option<&str> {
        self.retry_history
            .attempts()
            .last()
            .map(|attempt| attempt.client_request_id.as_str())
    }
}

/// The response headers an error keeps, looked up case-insensitively.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseHeaders {
    pairs: Vec<(String, String)>,
    pub(crate) retry_after: Option<Duration>,
}

impl ResponseHeaders {
    pub(crate) fn new(pairs: Vec<(String, String)>, retry_after: Option<Duration>) -> Self {
        Self { pairs, retry_after }
    }

    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    }
}

/// The headers an error keeps, and the wait the response asks for.
pub(crate) fn read_headers(headers: &HeaderMap) -> (ResponseHeaders, Option<Duration>) {
    let pairs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let retry_after = retry_after_from(
        pairs
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
        SystemTime::now(),
    );
    (ResponseHeaders::new(pairs, retry_after), retry_after)
}
