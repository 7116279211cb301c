//! The request log (`--log-requests FILE`): one JSON line per request the emulator answered, so a
//! user can see what their script or SDK really sent.
//!
//! Only the request line and a few headers are written, never a body and never a header's value
//! that could carry a credential: `Authorization` appears as its scheme alone (`Bearer`, `Basic`),
//! and token requests' forms (`client_secret`, assertions) are not read at all. The file is opened
//! owner-only (0600 on Unix), as a journal is, since paths name users.

use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::ids::graph_date;

/// The open log, shared by every connection.
#[derive(Debug, Clone)]
struct RequestLog {
    file: Arc<Mutex<File>>,
}

/// Opens (appending to) `path`, owner-only, and wraps `router` so every answer is logged.
pub(crate) fn layer(router: Router, path: &Path) -> Result<Router, Error> {
    let file =
        crate::owner_only::open(path, crate::owner_only::Mode::Append).map_err(|source| {
            Error::RequestLog {
                path: path.to_path_buf(),
                source,
            }
        })?;
    let log = RequestLog {
        file: Arc::new(Mutex::new(file)),
    };
    Ok(router.layer(axum::middleware::from_fn_with_state(log, record)))
}

async fn record(State(log): State<RequestLog>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut line = Map::new();
    line.insert("time".into(), Value::String(now()));
    line.insert("method".into(), Value::String(request.method().to_string()));
    line.insert(
        "path".into(),
        Value::String(request.uri().path().to_owned()),
    );
    if let Some(query) = request.uri().query() {
        line.insert("query".into(), Value::String(query.to_owned()));
    }
    let headers = request.headers();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    // The scheme says which kind of credential came; what follows it is the credential.
    let auth = header("authorization").map(|value| {
        value
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    let client_request_id = header("client-request-id");
    let priority = header("x-ms-throttle-priority");
    let response = next.run(request).await;
    line.insert("status".into(), json!(response.status().as_u16()));
    for (name, value) in [
        ("clientRequestId", client_request_id),
        (
            "requestId",
            response
                .headers()
                .get("request-id")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        ),
        ("throttlePriority", priority),
        ("auth", auth),
    ] {
        if let Some(value) = value {
            line.insert(name.into(), Value::String(value));
        }
    }
    line.insert(
        "elapsedMs".into(),
        json!(started.elapsed().as_secs_f64() * 1000.0),
    );
    write_line(&log, &Value::Object(line));
    response
}

fn write_line(log: &RequestLog, line: &Value) {
    let mut text = line.to_string();
    text.push('\n');
    // One write per line keeps lines whole when connections answer at once.
    let written = match log.file.lock() {
        Ok(mut file) => file.write_all(text.as_bytes()),
        Err(_) => Err(std::io::Error::other("request log lock poisoned")),
    };
    if let Err(error) = written {
        tracing::warn!(%error, "cannot write the request log");
    }
}

/// UTC now, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn now() -> String {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{}.{:03}Z",
        graph_date(elapsed.as_secs()),
        elapsed.subsec_millis()
    )
}
