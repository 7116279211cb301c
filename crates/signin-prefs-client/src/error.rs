//! The crate's one error type: a kind to branch on, and everything a support case needs.

use std::fmt;
use std::time::Duration;

use signin_prefs_model::ODataError;

use crate::response::{RawResponse, ResponseHeaders, read_headers};
use crate::retry::{Attempt, RetryHistory};

/// What went wrong, coarsely enough to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 401: the token is missing, expired, or not for this service (after one refresh).
    Unauthorized,
    /// 403: the token lacks a permission, or the caller a directory role.
    Forbidden,
    /// 404: no such user (or resource).
    NotFound,
    /// 400 or 422: the service refused the request's content.
    Validation,
    /// 429, 503 or 504 still, when the retries ran out.
    Throttled,
    /// Any other error status.
    Service,
    /// The overall deadline passed, or a response never came within the per-request timeout.
    Timeout,
    /// The connection failed (refused, reset, TLS, a body cut short), after retries.
    Transport,
    /// No token could be obtained.
    Credential,
    /// The request could not be built (an empty key, a header that cannot be sent).
    InvalidRequest,
    /// A success response whose body does not decode.
    Decode,
    /// The client was configured wrongly (plain HTTP to a remote host, a missing setting).
    Configuration,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "not authenticated",
            ErrorKind::Forbidden => "permission denied",
            ErrorKind::NotFound => "not found",
            ErrorKind::Validation => "request refused as invalid",
            ErrorKind::Throttled => "still throttled or unavailable after retries",
            ErrorKind::Service => "service error",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Transport => "connection failed",
            ErrorKind::Credential => "cannot obtain a token",
            ErrorKind::InvalidRequest => "cannot build the request",
            ErrorKind::Decode => "cannot decode the response",
            ErrorKind::Configuration => "invalid client configuration",
        }
    }

    /// The kind for an error status.
    pub(crate) fn for_status(status: u16) -> Self {
        match status {
            400 | 422 => ErrorKind::Validation,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            429 | 503 | 504 => ErrorKind::Throttled,
            _ => ErrorKind::Service,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// What the service said about a failed request: status, Graph's error, and the correlation data
/// Microsoft support asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceResponse {
    /// The HTTP status.
    pub status: u16,
    /// Graph's `error.code`.
    pub code: Option<String>,
    /// Graph's `error.message`.
    pub message: Option<String>,
    /// The service's id for the request (`request-id`).
    pub request_id: Option<String>,
    /// The id this client sent (`client-request-id`).
    pub client_request_id: Option<String>,
    /// When the service answered (`innerError.date`, else the `Date` header), as sent.
    pub date: Option<String>,
    /// The `Retry-After` the service asked for, if any.
    pub retry_after: Option<Duration>,
}

impl ServiceResponse {
    /// Reads the envelope in `body` (if it is one), preferring its correlation data to the headers'.
    pub(crate) fn from_parts(
        status: u16,
        headers: &ResponseHeaders,
        body: &[u8],
        sent_client_request_id: Option<&str>,
    ) -> Self {
        let envelope = serde_json::from_slice::<ODataError>(body).ok();
        let from_envelope = |read: fn(&ODataError) -> Option<&str>| {
            envelope.as_ref().and_then(read).map(str::to_owned)
        };
        Self {
            status,
            code: from_envelope(ODataError::code),
            message: from_envelope(ODataError::message).or_else(|| {
                if envelope.is_none() && !body.is_empty() {
                    Some(excerpt(body))
                } else {
                    None
                }
            }),
            request_id: from_envelope(ODataError::request_id).or_else(|| headers.get("request-id")),
            client_request_id: from_envelope(ODataError::client_request_id)
                .or_else(|| headers.get("client-request-id"))
                .or_else(|| sent_client_request_id.map(str::to_owned)),
            date: from_envelope(ODataError::date).or_else(|| headers.get("date")),
            retry_after: headers.retry_after,
        }
    }
}

/// How much of a non-Graph error body an error keeps.
const EXCERPT_CHARS: usize = 300;

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut chars = text.chars();
    let mut kept: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        kept.push('…');
    }
    kept
}

type BoxedCause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a call failed: its [`ErrorKind`], the service's answer when there was one, what was
/// missing for a 403 when the service says, and every attempt made.
///
/// Neither `Display` nor `Debug` ever contains a token or a secret: the client never puts them in
/// an error in the first place.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("{}", self.render())]
pub struct Error {
    kind: ErrorKind,
    summary: String,
    response: Option<Box<ServiceResponse>>,
    missing_permission: Option<String>,
    history: RetryHistory,
    #[source]
    cause: Option<BoxedCause>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, summary: impl Into<String>) -> Self {
        Self {
            kind,
            summary: summary.into(),
            response: None,
            missing_permission: None,
            history: RetryHistory::default(),
            cause: None,
        }
    }

    pub(crate) fn configuration(summary: impl Into<String>) -> Self {
        Self::new(ErrorKind::Configuration, summary)
    }

    pub(crate) fn credential(summary: impl Into<String>) -> Self {
        Self::new(ErrorKind::Credential, summary)
    }

    /// The error for an error status.
    pub(crate) fn from_response(operation: &str, response: ServiceResponse) -> Self {
        let kind = ErrorKind::for_status(response.status);
        let missing_permission = if kind == ErrorKind::Forbidden {
            response.message.as_deref().and_then(missing_permission_in)
        } else {
            None
        };
        let mut error = Self::new(kind, operation.to_owned());
        error.missing_permission = missing_permission;
        error.response = Some(Box::new(response));
        error
    }

    pub(crate) fn with_cause(
        mut self,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.cause = Some(Box::new(cause));
        self
    }

    pub(crate) fn with_history(mut self, history: RetryHistory) -> Self {
        self.history = history;
        self
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub(crate) fn with_summary(mut self, summary: String) -> Self {
        self.summary = summary;
        self
    }

    /// The same error, its summary preceded by `context`.
    pub(crate) fn in_context(mut self, context: &str) -> Self {
        self.summary = format!("{context}: {}", self.summary);
        self
    }

    /// Records the status and correlation data of a success response whose body did not decode.
    pub(crate) fn set_success_response(&mut self, response: &RawResponse) {
        let (headers, _) = read_headers(&response.headers);
        self.response = Some(Box::new(ServiceResponse {
            status: response.status,
            request_id: headers.get("request-id"),
            client_request_id: response.client_request_id().map(str::to_owned),
            date: headers.get("date"),
            ..ServiceResponse::default()
        }));
    }

    /// A copy for each item of a `$batch` that failed as a whole (the cause kept as text).
    pub(crate) fn copy_for_item(&self) -> Self {
        let mut summary = self.summary.clone();
        if let Some(cause) = &self.cause {
            summary.push_str(&format!(": {cause}"));
        }
        Self {
            kind: self.kind,
            summary: format!("the $batch request carrying this item failed: {summary}"),
            response: self.response.clone(),
            missing_permission: self.missing_permission.clone(),
            history: self.history.clone(),
            cause: None,
        }
    }

    /// What went wrong, to branch on.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The service's answer, when there was one.
    pub fn response(&self) -> Option<&ServiceResponse> {
        self.response.as_deref()
    }

    /// The HTTP status of the last response.
    pub fn status(&self) -> Option<u16> {
        self.response().map(|response| response.status)
    }

    /// Graph's error code, such as `accessDenied`.
    pub fn code(&self) -> Option<&str> {
        self.response()?.code.as_deref()
    }

    /// Graph's error message.
    pub fn message(&self) -> Option<&str> {
        self.response()?.message.as_deref()
    }

    /// The service's `request-id`.
    pub fn request_id(&self) -> Option<&str> {
        self.response()?.request_id.as_deref()
    }

    /// The `client-request-id` of the last attempt.
    pub fn client_request_id(&self) -> Option<&str> {
        self.response()?.client_request_id.as_deref().or_else(|| {
            self.history
                .attempts()
                .last()
                .map(|attempt| attempt.client_request_id.as_str())
        })
    }

    /// When the service answered, as it wrote it.
    pub fn date(&self) -> Option<&str> {
        self.response()?.date.as_deref()
    }

    /// For a 403: the permission or role the service says is missing, when it says.
    pub fn missing_permission(&self) -> Option<&str> {
        self.missing_permission.as_deref()
    }

    /// Every attempt made, with its outcome and the wait before the next.
    pub fn retry_history(&self) -> &RetryHistory {
        &self.history
    }

    /// Whether the call ended with the service still asking for a wait (its last attempt was a
    /// 429, or a 503 with `Retry-After`): nothing was refused, and the same request may go again
    /// later. A bulk run puts such a user back in its queue instead of failing it.
    pub fn was_throttled(&self) -> bool {
        self.history
            .attempts()
            .last()
            .is_some_and(Attempt::was_throttled)
    }

    /// Whether no readable answer came back: it was garbled or cut short (`Decode`), the
    /// connection failed (`Transport`), or none came in time (`Timeout`). The request may or may
    /// not have been carried out; a read can simply be sent again.
    pub fn answer_was_lost(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Decode | ErrorKind::Transport | ErrorKind::Timeout
        )
    }

    /// Whether the same request could succeed if sent again later: throttling, a 5xx, a timeout, a
    /// lost connection or an answer that could not be read (garbled on the way), as opposed to a
    /// refusal of the request itself.
    pub fn is_transient(&self) -> bool {
        match self.kind {
            ErrorKind::Throttled
            | ErrorKind::Timeout
            | ErrorKind::Transport
            | ErrorKind::Decode => true,
            ErrorKind::Service => self.status().is_some_and(|status| status >= 500),
            _ => self.was_throttled(),
        }
    }

    fn render(&self) -> String {
        let mut text = format!("{}: {}", self.kind, self.summary);
        if let Some(response) = self.response() {
            text.push_str(&format!(": HTTP {}", response.status));
            match (&response.code, &response.message) {
                (Some(code), Some(message)) => text.push_str(&format!(" {code}: {message}")),
                (Some(code), None) => text.push_str(&format!(" {code}")),
                (None, Some(message)) => text.push_str(&format!(" {message}")),
                (None, None) => {}
            }
        }
        if let Some(permission) = &self.missing_permission {
            text.push_str(&format!(" (missing: {permission})"));
        }
        if let Some(cause) = &self.cause {
            text.push_str(&format!(": {cause}"));
        }
        let mut ids = Vec::new();
        if let Some(id) = self.request_id() {
            ids.push(format!("request-id {id}"));
        }
        if let Some(id) = self.client_request_id() {
            ids.push(format!("client-request-id {id}"));
        }
        if let Some(date) = self.date() {
            ids.push(format!("date {date}"));
        }
        if !ids.is_empty() {
            text.push_str(&format!(" [{}]", ids.join(", ")));
        }
        let attempts = self.history.attempts().len();
        if attempts > 1 {
            text.push_str(&format!(" after {attempts} attempts"));
        }
        text
    }
}

/// The permission or role a 403 message names. Graph's own messages name none ("Request
/// Authorization failed"), but some backends and the emulator do, in words such as `Missing
/// permission: X`, `requires X` or `Required roles: X`.
fn missing_permission_in(message: &str) -> Option<String> {
    const MARKERS: [&str; 7] = [
        "missing permission:",
        "missing role:",
        "missing scope:",
        "required permission:",
        "required role:",
        "required scope:",
        "requires",
    ];
    let lower = message.to_ascii_lowercase();
    MARKERS.iter().find_map(|marker| {
        let start = lower.find(marker)? + marker.len();
        let rest = message.get(start..)?.trim_start();
        let rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ' ' | ','))
            .collect();
        let name = name.trim().trim_end_matches(['.', ',']).trim();
        (!name.is_empty()).then(|| name.to_owned())
    })
}

impl From<signin_prefs_request::Error> for Error {
    fn from(cause: signin_prefs_request::Error) -> Self {
        Error::new(ErrorKind::InvalidRequest, "the request cannot be built").with_cause(cause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_permission_is_read_from_the_message() {
        assert_eq!(
            missing_permission_in(
                "Request Authorization failed. Missing permission: UserAuthenticationMethod.ReadWrite.All."
            )
            .as_deref(),
            Some("UserAuthenticationMethod.ReadWrite.All")
        );
        assert_eq!(
            missing_permission_in("This operation requires Authentication Administrator")
                .as_deref(),
            Some("Authentication Administrator")
        );
        assert_eq!(missing_permission_in("Request Authorization failed"), None);
    }

    #[test]
    fn kinds_follow_the_status() {
        assert_eq!(ErrorKind::for_status(401), ErrorKind::Unauthorized);
        assert_eq!(ErrorKind::for_status(403), ErrorKind::Forbidden);
        assert_eq!(ErrorKind::for_status(404), ErrorKind::NotFound);
        assert_eq!(ErrorKind::for_status(400), ErrorKind::Validation);
        assert_eq!(ErrorKind::for_status(429), ErrorKind::Throttled);
        assert_eq!(ErrorKind::for_status(500), ErrorKind::Service);
    }

    #[test]
    fn what_a_retry_could_fix_is_transient_and_a_refusal_is_not() {
        let answered = |status: u16| {
            let response =
                ServiceResponse::from_parts(status, &ResponseHeaders::new(vec![], None), b"", None);
            Error::from_response("op", response)
        };
        for status in [429, 500, 502, 503, 504] {
            assert!(answered(status).is_transient(), "{status}");
        }
        for status in [400, 401, 403, 404, 409] {
            assert!(!answered(status).is_transient(), "{status}");
        }
        for kind in [ErrorKind::Timeout, ErrorKind::Transport, ErrorKind::Decode] {
            assert!(Error::new(kind, "op").is_transient(), "{kind:?}");
            assert!(Error::new(kind, "op").answer_was_lost(), "{kind:?}");
        }
        for status in [429, 500, 503, 504] {
            assert!(
                !answered(status).answer_was_lost(),
                "an answer came: {status}"
            );
        }
        for kind in [
            ErrorKind::Credential,
            ErrorKind::InvalidRequest,
            ErrorKind::Configuration,
        ] {
            assert!(!Error::new(kind, "op").is_transient(), "{kind:?}");
        }
    }

    #[test]
    fn envelope_fields_win_over_headers() {
        let body = br#"{"error":{"code":"accessDenied","message":"Request Authorization failed","innerError":{"date":"2025-02-13T10:17:06","request-id":"r-1","client-request-id":"c-1"}}}"#;
        let headers = ResponseHeaders::new(
            vec![
                ("Request-Id".into(), "header-r".into()),
                ("Date".into(), "Thu".into()),
            ],
            None,
        );
        let response = ServiceResponse::from_parts(403, &headers, body, Some("sent"));
        assert_eq!(response.code.as_deref(), Some("accessDenied"));
        assert_eq!(response.request_id.as_deref(), Some("r-1"));
        assert_eq!(response.client_request_id.as_deref(), Some("c-1"));
        assert_eq!(response.date.as_deref(), Some("2025-02-13T10:17:06"));
        let bare =
            ServiceResponse::from_parts(502, &headers, b"<html>bad gateway</html>", Some("sent"));
        assert_eq!(bare.request_id.as_deref(), Some("header-r"));
        assert_eq!(bare.client_request_id.as_deref(), Some("sent"));
        assert_eq!(bare.message.as_deref(), Some("<html>bad gateway</html>"));
    }
}
