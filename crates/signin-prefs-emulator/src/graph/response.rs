//! Graph's answers before they reach the wire: the response value, its correlation ids, the error
//! envelope, and the answers of the gates (401, 403, 429, injected 503/504, 500).

use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::auth::TokenRejection;
use crate::config::ConfiguredError;
use crate::faults::FaultKind;
use crate::ids::{graph_date_now, random_guid};
use crate::tenant::StoreUnavailable;
use crate::throttle::{RetryAfterFormat, Throttled, format_retry_after};

/// The content type Graph sends with OData JSON.
pub(crate) const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
pub(crate) const GRAPH_ROOT: &str = "https://graph.microsoft.com";
/// The `WWW-Authenticate` challenge Graph sends with a 401 (graph-behaviors.md §5.6).
const WWW_AUTHENTICATE: &str = "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"";

/// Ids of one exchange, echoed in headers and in `innerError`.
#[derive(Debug, Clone)]
pub(crate) struct Correlation {
    pub(crate) request_id: String,
    pub(crate) client_request_id: String,
}

impl Correlation {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let request_id = random_guid();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
            .map_or_else(|| request_id.clone(), str::to_owned);
        Self {
            request_id,
            client_request_id,
        }
    }
}

/// A response before it is put on the wire.
#[derive(Debug)]
pub(crate) struct GraphResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Option<ResponseBody>,
    /// A transport-level fault to apply when sending.
    pub(crate) fault: Option<FaultKind>,
}

/// A response body.
#[derive(Debug)]
pub(crate) enum ResponseBody {
    /// A document, serialized when sent.
    Json(Value),
    /// A document already serialized (a `$batch` answer, written straight from its items).
    Serialized(Vec<u8>),
}

impl ResponseBody {
    /// The body as bytes on the wire.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        match self {
            ResponseBody::Json(value) => serde_json::to_vec(&value).unwrap_or_default(),
            ResponseBody::Serialized(bytes) => bytes,
        }
    }

    /// The body as a document, to embed in a `$batch` answer.
    pub(crate) fn into_value(self) -> Value {
        match self {
            ResponseBody::Json(value) => value,
            ResponseBody::Serialized(bytes) => {
                serde_json::from_slice(&bytes).unwrap_or(Value::Null)
            }
        }
    }
}

impl GraphResponse {
    pub(crate) fn json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", ODATA_JSON.to_owned())],
            body: Some(ResponseBody::Json(body)),
            fault: None,
        }
    }

    /// A document already serialized, sent as OData JSON.
    pub(crate) fn serialized(status: StatusCode, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![("content-type", ODATA_JSON.to_owned())],
            body: Some(ResponseBody::Serialized(body)),
            fault: None,
        }
    }

    /// A plain-text body, as Graph answers a `$count` segment.
    pub(crate) fn plain_text(status: StatusCode, text: String) -> Self {
        Self {
            status,
            headers: vec![("content-type", "text/plain".to_owned())],
            body: Some(ResponseBody::Serialized(text.into_bytes())),
            fault: None,
        }
    }

    pub(crate) fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            headers: Vec::new(),
            body: None,
            fault: None,
        }
    }

    /// Graph's error envelope.
    pub(crate) fn error(
        status: StatusCode,
        code: &str,
        message: &str,
        correlation: &Correlation,
    ) -> Self {
        let body = json!({
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": graph_date_now(),
                    "request-id": correlation.request_id,
                    "client-request-id": correlation.client_request_id,
                }
            }
        });
        Self::plain_json(status, body)
    }

    pub(crate) fn bad_request(code: &str, message: &str, correlation: &Correlation) -> Self {
        Self::error(StatusCode::BAD_REQUEST, code, message, correlation)
    }

    /// One of the answers the real service does not publish, as configured.
    pub(crate) fn configured(
        error: &ConfiguredError,
        key: &str,
        method: &str,
        correlation: &Correlation,
    ) -> Self {
        let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
        Self::error(status, &error.code, &error.render(key, method), correlation)
    }

    pub(crate) fn method_not_allowed(correlation: &Correlation) -> Self {
        Self::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
            correlation,
        )
    }

    /// The emulator itself failed (a panic left the user store unusable): the service's 500, so
    /// that a caller retries or reports it instead of taking it for a missing user.
    pub(crate) fn internal(_: StoreUnavailable, correlation: &Correlation) -> Self {
        Self::internal_error("The user store is unavailable.", correlation)
    }

    fn internal_error(message: &str, correlation: &Correlation) -> Self {
        Self::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            message,
            correlation,
        )
    }

    /// The 401 for a refused token; a token store the emulator cannot read is its own failure,
    /// not the token's, so that is a 500.
    pub(crate) fn unauthorized(rejection: TokenRejection, correlation: &Correlation) -> Self {
        if rejection == TokenRejection::Unavailable {
            return Self::internal_error(rejection.message(), correlation);
        }
        Self::error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            rejection.message(),
            correlation,
        )
        .with_header("www-authenticate", WWW_AUTHENTICATE.to_owned())
    }

    pub(crate) fn access_denied(correlation: &Correlation) -> Self {
        Self::error(
            StatusCode::FORBIDDEN,
            "accessDenied",
            "Request Authorization failed",
            correlation,
        )
    }

    /// The answer an injected fault gives in place of the resource's, if it replaces it (503 and
    /// 504 do; delays and transport faults do not).
    pub(crate) fn injected(fault: FaultKind, correlation: &Correlation) -> Option<Self> {
        let (status, code, message, retry_after_seconds) = match fault {
            FaultKind::ServiceUnavailable {
                retry_after_seconds,
            } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
                retry_after_seconds,
            ),
            FaultKind::GatewayTimeout {
                retry_after_seconds,
            } => (
                StatusCode::GATEWAY_TIMEOUT,
                "gatewayTimeout",
                "The gateway did not receive a timely response from the backend.",
                retry_after_seconds,
            ),
            _ => return None,
        };
        Some(
            Self::error(status, code, message, correlation)
                .with_header("retry-after", retry_after_seconds.to_string()),
        )
    }

    /// The 429 for a request over its budget.
    pub(crate) fn throttled(
        throttled: &Throttled,
        format: RetryAfterFormat,
        correlation: &Correlation,
    ) -> Self {
        // The documented 429 body (graph-behaviors.md §3.1), with client-request-id as elsewhere.
        let body = json!({
            "error": {
                "code": "TooManyRequests",
                "message": "Please retry again later.",
                "innerError": {
                    "code": "429",
                    "date": graph_date_now(),
                    "message": "Please retry after",
                    "request-id": correlation.request_id,
                    "client-request-id": correlation.client_request_id,
                    "status": "429",
                }
            }
        });
        let mut response = Self::plain_json(StatusCode::TOO_MANY_REQUESTS, body);
        if let Some(retry_after) = format_retry_after(throttled.retry_after_seconds, format) {
            response = response.with_header("retry-after", retry_after);
        }
        response
            .with_header("x-ms-throttle-scope", throttled.scope.clone())
            .with_header(
                "x-ms-throttle-information",
                throttled.information.to_owned(),
            )
    }

    /// Graph sends its errors as plain `application/json`, not OData JSON.
    fn plain_json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".to_owned())],
            body: Some(ResponseBody::Json(body)),
            fault: None,
        }
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub(crate) fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}
