//! Puts the Graph host on HTTP: the router's fallback endpoint, and each [`GraphResponse`] written
//! to the wire with Graph's headers and any transport fault it carries (reset, truncated or
//! malformed body), which need the connection and so cannot live in the Graph surface.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use crate::faults::FaultKind;
use crate::graph::{Correlation, Graph, GraphRequest, GraphResponse, ODATA_JSON, ResponseBody};
use crate::server::ConnectionControl;

/// Largest request body accepted (a full `$batch` is far smaller).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A router answering every request it is given from the Graph host.
pub(crate) fn router(graph: Arc<Graph>) -> Router {
    Router::new().fallback(graph_endpoint).with_state(graph)
}

async fn graph_endpoint(State(graph): State<Arc<Graph>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let correlation = Correlation::from_headers(&parts.headers);
    graph.gates.priorities.record(
        parts
            .headers
            .get(crate::priority::HEADER)
            .map(HeaderValue::as_bytes),
    );
    let control = parts.extensions.get::<Arc<ConnectionControl>>().cloned();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            let response = GraphResponse::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "The request body is too large.",
                &correlation,
            );
            return into_http(response, &correlation, None).await;
        }
    };
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let request = GraphRequest {
        method: &parts.method,
        path,
        headers: &parts.headers,
        body: &body,
    };
    let response = graph.handle(request, &correlation).await;
    into_http(response, &correlation, control).await
}

/// Puts a [`GraphResponse`] on the wire, applying a transport-level fault if it carries one.
async fn into_http(
    response: GraphResponse,
    correlation: &Correlation,
    control: Option<Arc<ConnectionControl>>,
) -> Response {
    let mut status = response.status;
    let has_body = response.body.is_some();
    let mut body = response
        .body
        .map(ResponseBody::into_bytes)
        .unwrap_or_default();
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.append(name, value);
        }
    };
    put("request-id", &correlation.request_id);
    put("client-request-id", &correlation.client_request_id);
    put(
        "x-ms-ags-diagnostic",
        r#"{"ServerInfo":{"DataCenter":"Loopback","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"signin-prefs-emulator"}}"#,
    );
    if response.status.is_success() && has_body {
        put("odata-version", "4.0");
    }
    for (name, value) in &response.headers {
        put(name, value);
    }
    match response.fault {
        Some(FaultKind::ConnectionReset) => {
            if let Some(control) = control {
                control.reset.notify_one();
                // Never answer: the connection task drops the socket with linger zero (RST).
                std::future::pending::<()>().await;
            }
        }
        Some(FaultKind::TruncatedBody) => {
            if body.is_empty() {
                status = StatusCode::OK;
                body = br#"{"value":"truncated"}"#.to_vec();
            }
            let announced = body.len();
            body.truncate(announced / 2);
            headers.insert(
                axum::http::header::CONTENT_LENGTH,
                HeaderValue::from(announced),
            );
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static(ODATA_JSON),
            );
            // The pause lets hyper flush the head and the first half before the error aborts the
            // connection; without it, hyper may drop both unsent.
            let first_half =
                futures_util::stream::iter([Ok::<Bytes, std::io::Error>(Bytes::from(body))]);
            let abort = futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "injected truncation",
                ))
            });
            let mut truncated = Response::new(Body::from_stream(futures_util::StreamExt::chain(
                first_half, abort,
            )));
            *truncated.status_mut() = status;
            *truncated.headers_mut() = headers;
            return truncated;
        }
        Some(FaultKind::MalformedBody) => {
            status = StatusCode::OK;
            let half = body.len() / 2;
            body.truncate(half);
            body.extend_from_slice(b"<!-- upstream error -->\x00}");
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static(ODATA_JSON),
            );
        }
        _ => {}
    }
    let mut http_response = Response::new(Body::from(body));
    *http_response.status_mut() = status;
    *http_response.headers_mut() = headers;
    http_response
}
