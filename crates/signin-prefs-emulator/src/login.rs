//! The login host: `POST /{tenant}/oauth2/v2.0/token`, the client-credentials flow with a client
//! secret (in the form or as Basic credentials), answering errors as the identity platform does.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

use crate::auth::{TokenClaims, now_unix};
use crate::gates::Gates;
use crate::ids::{decode_base64, graph_date_now, random_guid};
use crate::tenant::Tenant;

#[derive(Debug)]
struct Login {
    tenant: Arc<Tenant>,
    gates: Arc<Gates>,
}

/// The token endpoint, issuing into the store the Graph host checks.
pub(crate) fn router(tenant: Arc<Tenant>, gates: Arc<Gates>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token_endpoint))
        .with_state(Arc::new(Login { tenant, gates }))
}

async fn token_endpoint(
    State(login): State<Arc<Login>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    // RFC 6749 §2.3.1 Basic authentication, which the identity platform also accepts: the id and
    // secret are form-urlencoded, then joined by a colon and base64-encoded.
    if let Some((client_id, client_secret)) = basic_credentials(&headers) {
        form.entry("client_id".to_owned()).or_insert(client_id);
        form.entry("client_secret".to_owned())
            .or_insert(client_secret);
    }
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if !tenant.eq_ignore_ascii_case(&login.tenant.id)
        && !tenant.eq_ignore_ascii_case(&login.tenant.domain)
    {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    if field("grant_type") != "client_credentials" {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type. The emulator supports client_credentials.",
        );
    }
    let Some(app) = login.gates.tokens.app(field("client_id")) else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory.",
                field("client_id")
            ),
        );
    };
    if field("client_secret").is_empty() || field("client_secret") != app.client_secret {
        return aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
    }
    let scope = field("scope");
    if !scope.ends_with("/.default") || scope.contains(' ') {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            &format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        );
    }
    let lifetime = login.gates.token_lifetime.as_secs();
    let token = login.gates.tokens.mint(TokenClaims {
        app_id: app.client_id.clone(),
        tenant_id: login.tenant.id.clone(),
        roles: app.app_roles.clone(),
        expires_at: now_unix() + lifetime,
        ..TokenClaims::default()
    });
    axum::Json(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }))
    .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(decode_base64(encoded.trim())?).ok()?;
    let (client_id, client_secret) = decoded.split_once(':')?;
    let unescape = |text: &str| {
        form_urlencoded::parse(format!("v={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
    };
    Some((unescape(client_id)?, unescape(client_secret)?))
}

/// The identity platform's error body (graph-behaviors.md §5.2).
fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace_id = random_guid();
    let correlation_id = random_guid();
    let timestamp = format!("{}Z", graph_date_now().replace('T', " "));
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
    });
    (status, axum::Json(body)).into_response()
}
