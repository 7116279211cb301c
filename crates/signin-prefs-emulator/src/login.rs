//! The login host: `POST /{tenant}/oauth2/v2.0/token` and `/devicecode` (and the OpenID Connect
//! metadata that names them, `openid_configuration.rs`), answering errors as the identity
//! platform does. Client credentials authenticate with a client secret (in the form or
//! as Basic credentials) or a client assertion (a certificate's JWT, or a federated token);
//! `device_code.rs` has the device-code and refresh-token grants, `managed_identity.rs` the
//! managed-identity endpoints.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::auth::{TokenClaims, now_unix};
use crate::gates::Gates;
use crate::ids::{decode_base64, graph_date_now, random_guid};
use crate::tenant::Tenant;

/// RFC 7523's client assertion type.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[derive(Debug)]
pub(crate) struct Login {
    pub(crate) tenant: Arc<Tenant>,
    pub(crate) gates: Arc<Gates>,
}

/// The token and device-code endpoints, issuing into the store the Graph host checks, and the
/// managed-identity endpoints.
pub(crate) fn router(tenant: Arc<Tenant>, gates: Arc<Gates>) -> Router {
    let login = Arc::new(Login { tenant, gates });
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token_endpoint))
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(crate::device_code::start),
        )
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(crate::openid_configuration::document),
        )
        .merge(crate::managed_identity::router())
        .with_state(login)
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
    if let Some(refused) = login.unknown_tenant(&tenant) {
        return refused;
    }
    let form = Form(form);
    match form.field("grant_type") {
        "client_credentials" => client_credentials(&login, &tenant, &form),
        crate::device_code::DEVICE_CODE_GRANT => crate::device_code::redeem(&login, &form),
        "refresh_token" => crate::device_code::refresh(&login, &form),
        _ => aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type. The emulator supports client_credentials, the device code and refresh_token.",
        ),
    }
}

/// A token request's form fields.
pub(crate) struct Form(pub(crate) HashMap<String, String>);

impl Form {
    /// A field, or `""` when absent.
    pub(crate) fn field(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or_default()
    }
}

impl Login {
    /// The refusal of a tenant the emulator is not, if it is not.
    pub(crate) fn unknown_tenant(&self, tenant: &str) -> Option<Response> {
        (!tenant.eq_ignore_ascii_case(&self.tenant.id)
            && !tenant.eq_ignore_ascii_case(&self.tenant.domain)
            && !tenant.eq_ignore_ascii_case("organizations"))
        .then(|| {
            aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                90002,
                &format!("Tenant '{tenant}' not found."),
            )
        })
    }

    /// Issues an access token for `claims` (their lifetime filled in): the identity platform's
    /// success body, with a refresh token when one is given.
    pub(crate) fn grant(&self, claims: TokenClaims, refresh_token: Option<String>) -> Response {
        let lifetime = self.gates.token_lifetime.as_secs();
        let scope = claims.scopes.join(" ");
        let token = self.gates.tokens.mint(TokenClaims {
            expires_at: now_unix() + lifetime,
            ..claims
        });
        let mut body = serde_json::Map::new();
        body.insert("token_type".into(), "Bearer".into());
        body.insert("expires_in".into(), lifetime.into());
        body.insert("ext_expires_in".into(), lifetime.into());
        body.insert("access_token".into(), token.into());
        if !scope.is_empty() {
            body.insert("scope".into(), scope.into());
        }
        if let Some(refresh_token) = refresh_token {
            body.insert("refresh_token".into(), refresh_token.into());
        }
        axum::Json(body).into_response()
    }

    /// The token endpoint's URLs for this tenant (by id and by domain): what a client assertion's
    /// `aud` must be.
    fn audiences(&self) -> Vec<String> {
        let origin = self.gates.sign_ins.origin();
        [&self.tenant.id, &self.tenant.domain]
            .iter()
            .map(|tenant| format!("{origin}/{tenant}/oauth2/v2.0/token"))
            .collect()
    }
}

fn client_credentials(login: &Login, tenant: &str, form: &Form) -> Response {
    if tenant.eq_ignore_ascii_case("organizations") {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            700016,
            "The client credentials flow needs a tenant, not 'organizations'.",
        );
    }
    let Some(app) = login.gates.tokens.app(form.field("client_id")) else {
        return unknown_app(form.field("client_id"));
    };
    let assertion = form.field("client_assertion");
    if !assertion.is_empty() {
        if form.field("client_assertion_type") != JWT_BEARER {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                50027,
                &format!("client_assertion_type must be '{JWT_BEARER}'."),
            );
        }
        if let Err(refusal) = crate::assertion::check(
            &login.gates.sign_ins,
            &app.client_id,
            assertion,
            &login.audiences(),
        ) {
            return aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                refusal.code,
                &refusal.description,
            );
        }
    } else if form.field("client_secret").is_empty()
        || form.field("client_secret") != app.client_secret
    {
        return aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
    }
    let scope = form.field("scope");
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
    login.grant(
        TokenClaims {
            app_id: app.client_id.clone(),
            tenant_id: login.tenant.id.clone(),
            roles: app.app_roles.clone(),
            ..TokenClaims::default()
        },
        None,
    )
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

/// The identity platform's refusal of a client id no app registration has.
pub(crate) fn unknown_app(client_id: &str) -> Response {
    aad_error(
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        700016,
        &format!("Application with identifier '{client_id}' was not found in the directory."),
    )
}

/// The identity platform's error body (graph-behaviors.md §5.2).
pub(crate) fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
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
