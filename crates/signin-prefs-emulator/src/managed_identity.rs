//! Managed identity on loopback, in the two shapes Azure hosts serve it, each issuing app-only
//! tokens for a registered app (no `client_id`: the default app, standing for the host's
//! system-assigned identity; a `client_id`: that app, as a user-assigned identity):
//!
//! - the VM's Instance Metadata Service, `GET /metadata/identity/oauth2/token?api-version=2018-02-01
//!   &resource=…[&client_id=…]` with `Metadata: true` (Learn: "How to use managed identities for
//!   Azure resources on an Azure VM to acquire an access token"), whose answer gives `expires_in`
//!   and `expires_on` as strings;
//! - App Service's and Functions' `IDENTITY_ENDPOINT` (here `/msi/token`), `GET
//!   ?api-version=2019-08-01&resource=…[&client_id=…]` with `X-IDENTITY-HEADER: $IDENTITY_HEADER`
//!   (Learn: "How to use managed identities for App Service and Azure Functions", REST endpoint
//!   reference).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::auth::{TokenClaims, now_unix};
use crate::login::Login;

/// The IMDS token path, as on 169.254.169.254.
pub(crate) const IMDS_PATH: &str = "/metadata/identity/oauth2/token";
/// Where the emulator serves App Service's `IDENTITY_ENDPOINT`.
pub(crate) const APP_SERVICE_PATH: &str = "/msi/token";

pub(crate) fn router() -> Router<Arc<Login>> {
    Router::new()
        .route(IMDS_PATH, get(imds))
        .route(APP_SERVICE_PATH, get(app_service))
}

type Params = Query<HashMap<String, String>>;

/// The host's error body (`error`, `error_description`), as IMDS answers.
fn refused(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

async fn imds(
    State(login): State<Arc<Login>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    if headers
        .get("metadata")
        .and_then(|value| value.to_str().ok())
        != Some("true")
    {
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required metadata header not specified",
        );
    }
    issue(&login, &params, true)
}

async fn app_service(
    State(login): State<Arc<Login>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let header = headers
        .get("x-identity-header")
        .and_then(|value| value.to_str().ok());
    if header != Some(login.gates.sign_ins.identity_header.as_str()) {
        return refused(
            StatusCode::UNAUTHORIZED,
            "invalid_request",
            "The X-IDENTITY-HEADER is missing or is not this host's IDENTITY_HEADER.",
        );
    }
    issue(&login, &params, false)
}

/// The token of the identity the request names, in the host's answer shape.
fn issue(login: &Login, params: &HashMap<String, String>, imds: bool) -> Response {
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    if param("api-version").is_empty() {
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required query variable 'api-version' is missing",
        );
    }
    let resource = param("resource");
    if !resource
        .trim_end_matches('/')
        .eq_ignore_ascii_case("https://graph.microsoft.com")
    {
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            &format!(
                "The emulator issues tokens for https://graph.microsoft.com only, not '{resource}'."
            ),
        );
    }
    let app = match param("client_id") {
        "" => login.gates.tokens.default_app(),
        client_id => login.gates.tokens.app(client_id),
    };
    let Some(app) = app else {
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Identity not found",
        );
    };
    let lifetime = login.gates.token_lifetime.as_secs();
    let now = now_unix();
    let token = login.gates.tokens.mint(TokenClaims {
        app_id: app.client_id.clone(),
        tenant_id: login.tenant.id.clone(),
        roles: app.app_roles.clone(),
        expires_at: now + lifetime,
        ..TokenClaims::default()
    });
    let mut body = serde_json::Map::new();
    body.insert("access_token".into(), token.into());
    body.insert("expires_on".into(), (now + lifetime).to_string().into());
    body.insert("resource".into(), resource.into());
    body.insert("token_type".into(), "Bearer".into());
    body.insert("client_id".into(), app.client_id.into());
    if imds {
        body.insert("refresh_token".into(), "".into());
        body.insert("expires_in".into(), lifetime.to_string().into());
        body.insert("ext_expires_in".into(), lifetime.to_string().into());
        body.insert("not_before".into(), now.to_string().into());
    }
    axum::Json(body).into_response()
}
